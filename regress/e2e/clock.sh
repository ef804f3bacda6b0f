#!/bin/sh
# Time: TTLs run on the monotonic clock, so a jump of the wall clock
# neither expires a cache entry early nor keeps one forever.
#
# The engine is sandboxed and cannot read a faketime file or a shared
# memory segment once locked down, so the jump comes from libfaketime's
# own schedule, set in the environment before the engine starts: from
# 4 s to 8 s after the engine starts its wall clock (CLOCK_REALTIME,
# time, gettimeofday) is 4000 days ahead, then back again, a jump forward
# and one backward; CLOCK_MONOTONIC is left alone
# (FAKETIME_DONT_FAKE_MONOTONIC).  4000 days also outlive the test
# certificates (3650 days): a TLS handshake in the window fails on an
# expired certificate, which shows that the jump reached the engine.
. "$(dirname "$0")/../lib.sh"
BASE=$((26500 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UX=$((BASE + 1)) UY=$((BASE + 2))

FT=$(for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu \
    /usr/lib/*-linux-gnu /usr/lib; do
	[ -f "$d/faketime/libfaketime.so.1" ] && echo "$d/faketime/libfaketime.so.1"
done | head -1)
if [ -z "$FT" ]; then
	notok "libfaketime is installed (Debian package faketime)"
	exit 0
fi

ms()
{
	date +%s%3N
}

till()
{
	_d=$(($1 + $2 - $(ms)))
	[ "$_d" -gt 0 ] && sleep "$(awk -v d="$_d" 'BEGIN { printf "%.3f", d / 1000 }')"
	return 0
}

# sent NAME: queries for NAME both upstreams received.
sent()
{
	cat "$W/ux.log" "$W/uy.log" 2>/dev/null |
	    grep -c "^query .* name=$1\. type=A "
}

# ttl OUT: the TTL of the first A record in dig's output.
ttl()
{
	echo "$1" | awk '!/^;/ && $4 == "A" { print $2; exit }'
}

# hit OUT LO HI NAME N: dig's output OUT has a TTL from LO to HI, and
# the upstreams saw NAME N times.
hit()
{
	_t=$(ttl "$1")
	[ -n "$_t" ] && [ "$_t" -ge "$2" ] && [ "$_t" -le "$3" ] &&
	    [ "$(sent "$4")" -eq "$5" ]
}

# Round-robin over two upstreams, both connected only when first used:
# the first miss goes to one, the next (in the window) to the other.
dotserver ux $UX || notok "first dotserver starts"
dotserver uy $UY || notok "second dotserver starts"
conf "$W/c.conf" $P $UX 'cache size 1000' 'engines 1' \
    "upstream 127.0.0.1 port $UY tls-name \"dns.test\"" \
    'upstream-policy round-robin'
t0=$(ms)
check "dotproxy starts under libfaketime" proxy c "$W/c.conf" \
    LD_PRELOAD="$FT" FAKETIME=+4000d FAKETIME_DONT_FAKE_MONOTONIC=1 \
    FAKETIME_START_AFTER_SECONDS=4 FAKETIME_STOP_AFTER_SECONDS=8
e=$(enginepid "$(proxypid c)")
check "its engine is sandboxed and preloads libfaketime" \
    sh -c '[ "$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/$1/status)" = 2 ] &&
    grep -q libfaketime "/proc/$1/maps"' - "${e:-0}"

a1=$(q $P ttl100-a.example.test A)
check "before the jump: a TTL 100 answer is cached ($(ttl "$a1"))" \
    [ "$(ttl "$a1")" = 100 ]

# --- wall clock 4000 days ahead ---------------------------------------
till "$t0" 4800
a2=$(q $P ttl100-a.example.test A)
check "wall clock +4000 d: the entry did not expire early (TTL $(ttl "$a2"), $(sent ttl100-a.example.test) upstream)" \
    hit "$a2" 94 97 ttl100-a.example.test 1
b1=$(q $P ttl3-b.example.test A)
check "wall clock +4000 d: a TTL 3 answer is cached ($(ttl "$b1"))" \
    [ "$(ttl "$b1")" = 3 ]
check "wall clock +4000 d: the jump reached the engine (a new handshake finds the certificate expired)" \
    grep -q 'expired' "$W/c.err"
till "$t0" 6000
b2=$(q $P ttl3-b.example.test A)
check "wall clock +4000 d: it is still a hit after 1 s (TTL $(ttl "$b2"), $(sent ttl3-b.example.test) upstream)" \
    hit "$b2" 1 2 ttl3-b.example.test 1

# --- wall clock back, 4000 days behind where it was --------------------
till "$t0" 9300
b3=$(q $P ttl3-b.example.test A)
check "wall clock back: the TTL 3 entry expired all the same ($(sent ttl3-b.example.test) upstream queries)" \
    [ "$(sent ttl3-b.example.test)" -eq 2 -a "$(ttl "$b3")" = 3 ]
a3=$(q $P ttl100-a.example.test A)
check "wall clock back: the TTL 100 entry counts on (TTL $(ttl "$a3"), $(sent ttl100-a.example.test) upstream)" \
    hit "$a3" 89 92 ttl100-a.example.test 1
check "the engine lived through both jumps" \
    [ "$(enginepid "$(proxypid c)")" = "$e" ]
