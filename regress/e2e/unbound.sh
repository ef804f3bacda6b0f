#!/bin/sh
# A real resolver upstream: Unbound as a DNS-over-TLS server on loopback
# (regress/unbound-dot.sh, certificate for dns.test from the test CA).
# dotproxy forwards dig and kdig queries, UDP and TCP, IPv4 and IPv6, and
# the answers match what Unbound gives over plain DNS.
. "$(dirname "$0")/../lib.sh"
BASE=$((25400 + ${E2E_PORT_SHIFT:-0}))
U=$BASE			# Unbound DoT; plain DNS on BASE+1
UPLAIN=$((BASE + 1))
P=$((BASE + 2))
UDIR=$W/unbound

ucleanup()
{
	sh "$TOP/regress/unbound-dot.sh" stop "$UDIR" >/dev/null 2>&1
	cleanup
}
trap ucleanup EXIT

upid=$(sh "$TOP/regress/unbound-dot.sh" start "$UDIR" $U "$CERTS" 2>"$W/unbound.start")
if [ -n "$upid" ]; then
	PIDS="$PIDS $upid"
	ok "unbound answers over TLS on port $U"
else
	notok "unbound answers over TLS on port $U: $(head -5 "$W/unbound.start")"
	exit 1
fi

conf "$W/d.conf" $P none "upstream 127.0.0.1 port $U tls-name \"dns.test\""
check "dotproxy starts with Unbound as its upstream" proxy dp "$W/d.conf"

# The reference: what Unbound itself says over plain DNS.
ref=$(dig @127.0.0.1 -p $UPLAIN +time=3 +tries=1 +short www.example.test A)
check "reference: Unbound answers www.example.test A over plain DNS ($ref)" \
    [ "$ref" = 192.0.2.53 ]

# short OUTPUT: the answer lines of a dig/kdig output, sorted.
short()
{
	echo "$1" | awk '$1 !~ /^;/ && NF >= 5 && $3 == "IN" { print $NF }' |
	    sort | tr '\n' ' ' | sed 's/ $//'
}

out=$(q $P www.example.test A)
check "dig UDP: NOERROR, www.example.test A 192.0.2.53 ($(short "$out"))" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" && [ "$2" = 192.0.2.53 ]' \
    - "$out" "$(short "$out")"
out=$(q $P +tcp www.example.test A)
check "dig TCP: www.example.test A 192.0.2.53 ($(short "$out"))" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" && [ "$2" = 192.0.2.53 ]' \
    - "$out" "$(short "$out")"
out=$(dig @::1 -p $P +time=3 +tries=1 www.example.test A 2>&1)
check "dig UDP over IPv6: 192.0.2.53 ($(short "$out"))" \
    [ "$(short "$out")" = 192.0.2.53 ]
out=$(dig @::1 -p $P +tcp +time=3 +tries=1 www.example.test A 2>&1)
check "dig TCP over IPv6: 192.0.2.53 ($(short "$out"))" \
    [ "$(short "$out")" = 192.0.2.53 ]

out=$(kdig @127.0.0.1 -p $P +time=3 +retry=0 www.example.test A 2>&1)
check "kdig UDP: NOERROR, 192.0.2.53 ($(short "$out"))" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" && [ "$2" = 192.0.2.53 ]' \
    - "$out" "$(short "$out")"
out=$(kdig @127.0.0.1 -p $P +tcp +time=3 +retry=0 www.example.test A 2>&1)
check "kdig TCP: NOERROR, 192.0.2.53 ($(short "$out"))" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" && [ "$2" = 192.0.2.53 ]' \
    - "$out" "$(short "$out")"
out=$(kdig @127.0.0.1 -p $P +tcp +keepopen +time=3 +retry=0 \
    www.example.test A www.example.test AAAA txt.example.test TXT 2>&1)
n=$(echo "$out" | grep -c 'status: NOERROR')
check "kdig +keepopen: A, AAAA and TXT on one TCP connection answered ($n)" \
    sh -c '[ "$1" -eq 3 ] && echo "$2" | grep -q "2001:db8::53" &&
    echo "$2" | grep -q "\"unbound\" \"dot\""' - "$n" "$out"

# The proxy's answers are Unbound's answers.
for t in AAAA TXT; do
	a=$(q $P +short www.example.test $t)
	b=$(dig @127.0.0.1 -p $UPLAIN +time=3 +tries=1 +short www.example.test $t)
	check "www.example.test $t as Unbound gives it ($a)" \
	    [ -n "$a" -a "$a" = "$b" ]
done
out=$(q $P nosuch.example.test A)
check "NXDOMAIN from Unbound passed through, with its SOA" \
    sh -c 'echo "$1" | grep -q "status: NXDOMAIN" &&
    echo "$1" | grep -q "^test\..*SOA"' - "$out"

# Unbound pads its responses to padded queries (pad-responses, 468-octet
# blocks): the client that did not pad must not see that padding.
out=$(q $P +bufsize=1232 www.example.test A)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "Unbound's response padding is not passed to the client ($sz bytes)" \
    sh -c '! echo "$1" | grep -qi "PADDING" && [ -n "$2" ] && [ "$2" -lt 468 ]' \
    - "$out" "$sz"

# About 3.5 KB of TXT: truncated over UDP, whole over TCP.
out=$(q $P +ignore +bufsize=1232 big.example.test TXT)
check "big TXT answer over UDP comes back truncated (TC=1)" \
    sh -c 'echo "$1" | grep -q "flags:.* tc"' - "$out"
n=$(q $P +tcp big.example.test TXT | grep -c '^big\.example\.test\..*TXT')
check "big TXT answer over TCP: all 30 records ($n)" [ "$n" -eq 30 ]

# Several queries in flight on one TCP connection to the proxy.
out=$(pyclient pipeline $P www.example.test txt.example.test a.bench.test \
    nosuch.example.test 2>&1)
check "pipelined queries to Unbound: 4 replies ($(echo "$out" | grep -c '^id='))" \
    [ "$(echo "$out" | grep -c '^id=')" -eq 4 ]

# A steady low rate over one new connection (a dotproxy of its own,
# engines 1): Unbound leaves Nagle on, so an answer waits while its
# previous segment is unacknowledged.  Were our ACKs left to the kernel's
# delayed ACK, from the TLS 1.3 session tickets on every answer would wait
# for the query after it (5 ms apart here), or 40 ms; upconn.c
# acknowledges at once after a read while a few queries are in flight.
P2=$((BASE + 3))
conf "$W/lat.conf" $P2 none "upstream 127.0.0.1 port $U tls-name \"dns.test\""
check "a second dotproxy starts, for a new upstream connection" \
    proxy lat "$W/lat.conf"
awk 'BEGIN { for (i = 1; i <= 600; i++) printf "lat%d.bench.test A\n", i }' \
    >"$W/lat.txt"
dnsperf -s 127.0.0.1 -p $P2 -d "$W/lat.txt" -n 1 -c 1 -Q 200 -t 5 -v \
    >"$W/lat.out" 2>&1
med=$(awk '/^> NOERROR/ { print $NF * 1000 }' "$W/lat.out" | sort -g |
    awk '{ a[NR] = $1 } END { if (NR >= 590) print a[int(NR / 2)]; else print "lost" }')
check "200 q/s on a new connection: median latency $med ms, below $((2 * SCALE)) ms (not held for the next query)" \
    awk -v m="$med" -v lim=$((2 * SCALE)) 'BEGIN { exit !(m != "lost" && m + 0 < lim) }'

check "dotproxy still running" kill -0 "$(proxypid dp)"
check "Unbound still running" kill -0 "$upid"
