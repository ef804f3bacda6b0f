#!/bin/sh
# Coalescing: identical questions in flight at once (same name in any
# case, type, class, DO and CD) reach the upstream once, and every client
# gets its own ID, spelling and EDNS view; DO or CD make other questions;
# clients that leave do not break the others; a timeout is a SERVFAIL for
# every waiter, or the stale answer when the cache has one; a prefetch
# leads a group too; coalesce-max-waiters bounds a group and off turns it
# off; the engine counts coalesced queries.
# The upstream delays every answer so that each burst is in flight together;
# the cache is off (lib.sh), so only coalescing can save upstream queries.
. "$(dirname "$0")/../lib.sh"
BASE=$((26100 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) P2=$((BASE + 2)) P3=$((BASE + 3))
P4=$((BASE + 4)) UP4=$((BASE + 5)) P5=$((BASE + 6)) UP5=$((BASE + 7))

dotserver up $UP -d 1500 || notok "dotserver starts"
# UDP answers up to 4096 octets, so that a client's own EDNS size decides
conf "$W/d.conf" $P $UP "query-timeout 3" "edns-buffer-size 4096"
check "dotproxy starts" proxy dp "$W/d.conf"

# A prefetch leads too: with the cache on, a hit in the last tenth of a
# 10 s TTL sends a prefetch (3 s upstream here); a client whose query
# misses once the entry has expired waits on it instead of asking again.
# Runs in the background, beside the other tests.
dotserver up4 $UP4 -d 3000 || notok "dotserver with 3 s delay starts"
conf "$W/d4.conf" $P4 $UP4 "query-timeout 6" "cache size 1000"
check "dotproxy with a cache starts" proxy dp4 "$W/d4.conf"
(
	dig @127.0.0.1 -p $P4 +time=5 +tries=1 ttl10.co8.test >/dev/null
	t=$(ms)
	dig @127.0.0.1 -p $P4 +time=5 +tries=1 ttl10.co8.test >/dev/null
	dig @127.0.0.1 -p $P4 +time=5 +tries=1 ttl10.co8.test >/dev/null
	# the last tenth of the TTL: a hit, and a prefetch for 3 s
	till "$t" 9300
	pyclient together $P4 udp:ttl10.co8.test
	# expired, the prefetch still out
	till "$t" 10500
	pyclient together $P4 udp:TTL10.co8.test
) >"$W/prefetch.out" 2>&1 &
prefetch=$!

# Serve-stale: when the upstream falls silent, every waiter gets the
# expired answer (RFC 8767) at the deadline, like the leader.
dotserver up5 $UP5 -D 5000 || notok "dotserver for serve-stale starts"
conf "$W/d5.conf" $P5 $UP5 "query-timeout 2" "cache size 1000"
check "dotproxy for serve-stale starts" proxy dp5 "$W/d5.conf"
(
	dig @127.0.0.1 -p $P5 +time=3 +tries=1 ttl1.co9.test >/dev/null
	kill -USR1 "$(cat "$W/up5.pid")"
	sleep 1.2
	pyclient together $P5 udp:ttl1.co9.test udp:TTL1.co9.test \
	    tcp:ttl1.CO9.test udp:Ttl1.Co9.Test
) >"$W/stale.out" 2>&1 &
stale=$!

# upname NAME [FLAGS]: queries for NAME the upstream saw (any case), with
# exactly FLAGS among " do", " cd", " do cd" ("" for neither)
upname()
{
	grep -i "^query .* name=$1\. " "$W/up.log" |
	    sed 's/.*padded=[01]//; s/ keepalive//; s/ flags=0x[0-9a-f]*//' |
	    grep -cx "$2"
}

# upall NAME [SERVER]: queries for NAME the upstream (default up) saw
upall()
{
	grep -ic "^query .* name=$1\. " "$W/${2:-up}.log"
}

# burst PORT SPEC...: the replies, one line per SPEC (rawdns.py together)
burst()
{
	_p=$1
	shift
	pyclient together "$_p" "$@" >"$W/burst.out" 2>&1
	cat "$W/burst.out"
}

# nmatch PATTERN: lines of the last burst with PATTERN and "match"
nmatch()
{
	grep -- "$1" "$W/burst.out" | grep -c ' match$'
}

# coalesced NAME: stop proxy NAME; the coalesced count its engine logs
# on the way out (nothing if it logged none)
coalesced()
{
	kill "$(proxypid "$1")"
	waitfor 5 grep -q 'engine exiting' "$W/$1.err"
	sed -n 's/.*coalesced: \([0-9]*\) .*/\1/p' "$W/$1.err"
}

out=$(burst $P udp:co1.test udp:CO1.test udp:Co1.Test tcp:cO1.tEST \
    tcp:co1.TEST udp:co1.test:edns=4096)
n=$(echo "$out" | grep -c 'rcode=0 tc=0 qd=1 an=1 .* match$')
u=$(upall co1.test)
check "6 identical queries over UDP and TCP: one upstream query ($u)" \
    [ "$u" -eq 1 ]
check "each of the 6 got its own ID and spelling of the name ($n)" \
    [ "$n" -eq 6 ]

out=$(burst $P tcp:co2.test:close udp:CO2.test tcp:co2.TEST:close \
    tcp:Co2.test udp:co2.TEST)
n=$(echo "$out" | grep -c 'rcode=0 .* an=1 .* match$')
u=$(upall co2.test)
check "clients of the leader and of a follower left: the other 3 answered ($n), one upstream query ($u)" \
    [ "$n" -eq 3 -a "$u" -eq 1 ]

out=$(burst $P udp:co3.test udp:CO3.test udp:co3.test:do tcp:CO3.TEST:do \
    udp:co3.test:cd tcp:co3.Test:cd udp:Co3.test:do:cd)
n=$(echo "$out" | grep -c 'rcode=0 .* an=1 .* match$')
u="$(upname co3.test '') $(upname co3.test ' do') $(upname co3.test ' cd')"
u="$u $(upname co3.test ' do cd') $(upall co3.test)"
check "DO and CD make separate questions: one upstream query each ($u)" \
    [ "$u" = "1 1 1 1 4" ]
check "... and all 7 answered with their own ID and spelling ($n)" \
    [ "$n" -eq 7 ]
n=$(echo "$out" | grep -v ':do' | grep -c ' ar=0 match$')
m=$(echo "$out" | grep ':do' | grep -c ' ar=1 match$')
check "followers without EDNS get no OPT back ($n of 4), those with DO one ($m of 3)" \
    [ "$n" -eq 4 -a "$m" -eq 3 ]

out=$(burst $P udp:big.co4.test:edns=8192 udp:BIG.co4.test:edns=1232 \
    udp:big.CO4.test tcp:Big.co4.test)
u=$(upall big.co4.test)
check "a large answer: one upstream query for 4 clients ($u)" [ "$u" -eq 1 ]
n=$(echo "$out" | sed -n 2,3p | grep -c ' tc=1 qd=1 an=0 .* match$')
check "UDP followers with EDNS 1232 and without EDNS get TC=1 ($n of 2)" \
    [ "$n" -eq 2 ]
n=$(echo "$out" | sed -n '1p;4p' | grep -c ' tc=0 qd=1 an=2[0-9][0-9] .* match$')
check "the TCP follower and the UDP leader with EDNS 8192 get the whole answer ($n of 2)" \
    [ "$n" -eq 2 ]

t0=$(date +%s)
out=$(burst $P udp:silent.co5.test tcp:SILENT.co5.test udp:silent.CO5.test \
    tcp:Silent.Co5.Test udp:silent.co5.test)
t=$(($(date +%s) - t0))
n=$(echo "$out" | grep -c 'rcode=2 .* match$')
u=$(upall silent.co5.test)
check "no answer upstream: all 5 waiters get SERVFAIL with their own ID and name ($n), one upstream query ($u), ${t}s" \
    [ "$n" -eq 5 -a "$u" -eq 1 ]

conf "$W/d2.conf" $P2 $UP "query-timeout 3" "coalesce-max-waiters 3"
check "dotproxy starts with coalesce-max-waiters 3" proxy dp2 "$W/d2.conf"
out=$(burst $P2 udp:co6.test udp:CO6.test tcp:co6.TEST udp:Co6.test \
    tcp:cO6.test udp:co6.Test udp:CO6.TEST)
n=$(echo "$out" | grep -c 'rcode=0 .* an=1 .* match$')
u=$(upall co6.test)
check "coalesce-max-waiters 3: 7 queries go upstream as groups of 3, 3 and 1 ($u upstream queries), all answered ($n)" \
    [ "$u" -eq 3 -a "$n" -eq 7 ]

conf "$W/d3.conf" $P3 $UP "query-timeout 3" "coalesce-max-waiters off"
check "dotproxy starts with coalesce-max-waiters off" proxy dp3 "$W/d3.conf"
out=$(burst $P3 udp:co7.test udp:CO7.test tcp:co7.TEST udp:Co7.test \
    tcp:cO7.test)
n=$(echo "$out" | grep -c 'rcode=0 .* an=1 .* match$')
u=$(upall co7.test)
check "coalesce-max-waiters off: 5 queries, 5 upstream queries ($u), all answered ($n)" \
    [ "$u" -eq 5 -a "$n" -eq 5 ]

# 5 + 4 + 3 + 3 + 4 followers on the first proxy
n=$(coalesced dp)
check "the engine counted 19 coalesced queries (${n:-none})" \
    [ "${n:-0}" -eq 19 ]

wait $prefetch
n=$(grep -c ' rcode=0 .* an=1 .* match$' "$W/prefetch.out")
u=$(upall ttl10.co8.test up4)
c=$(coalesced dp4)
check "a query that misses while a prefetch is in flight waits on it: answered ($n of 2), 2 upstream queries ($u), 1 coalesced (${c:-none})" \
    [ "$n" -eq 2 -a "$u" -eq 2 -a "${c:-0}" -eq 1 ]

wait $stale
n=$(grep -c ' rcode=0 .* an=1 .* match$' "$W/stale.out")
u=$(upall ttl1.co9.test up5)
c=$(coalesced dp5)
s=$(grep -c 'answered stale' "$W/dp5.err")
check "a silent upstream: all 4 waiters get the stale answer ($n, $s stale) from 1 upstream query ($((u - 1))), 3 coalesced (${c:-none})" \
    [ "$n" -eq 4 -a "$s" -eq 4 -a "$u" -eq 2 -a "${c:-0}" -eq 3 ]
