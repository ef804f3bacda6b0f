#!/bin/sh
# EDNS privacy and errors (issue 18 items 4-6): a client's Client Subnet
# (RFC 7871) never reaches the upstream unless `client-subnet pass`, and
# then never crosses between clients through the cache or the in-flight
# table; an upstream's ECS never reaches a client that sent none; the
# answers dotproxy makes itself carry an Extended DNS Error (RFC 8914)
# for EDNS clients only, a REFUSED still no larger than its query; and
# every upstream connection offers ALPN "dot", which a server without
# ALPN, and Unbound, still accept.
#
# The regress upstream logs what reached it: "ecs=ADDR/SOURCE" on a
# query that carried a subnet, "conn alpn=dot|none" for each handshake;
# its "ecs" name rule answers with a subnet the query never had, and it
# echoes a query's own subnet (see regress/dotserver.c).
. "$(dirname "$0")/../lib.sh"
BASE=$((27900 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1))		# strip (default), cache on
PP=$((BASE + 2))			# client-subnet pass, cache on
PDOWN=$((BASE + 3)) DEAD=$((BASE + 4))	# an upstream that is not there
PACL=$((BASE + 5)) PRL=$((BASE + 6))	# deny 127.0.0.1; rate-limit 1
PST=$((BASE + 7)) ST=$((BASE + 8))	# serve-stale, its own upstream
NA=$((BASE + 9)) PNA=$((BASE + 10))	# an upstream without ALPN
U=$((BASE + 11)) PU=$((BASE + 13))	# Unbound (DoT; plain on U + 1)

# sent NAME [FILTER]: queries for NAME the upstream up received (with
# FILTER, those whose log line also matches it)
sent()
{
	_re=$(printf '%s' "$1" | sed 's/\./\\./g')
	grep -i "^query .* name=$_re\. " "$W/up.log" 2>/dev/null |
	    grep -c -- "${2:-}"
}

# ede OUT: the EDE lines dig printed, "none" without any
ede()
{
	_e=$(echo "$1" | sed -n 's/^; EDE: //p' | tr '\n' ' ' | sed 's/ $//')
	echo "${_e:-none}"
}

# status OUT: the answer's status word (with +qr, the last one printed)
status()
{
	echo "$1" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | tail -1
}

# rdata OUT: the first A record's address in the dig output OUT
rdata()
{
	echo "$1" | awk '!/^;/ && $4 == "A" { print $5; exit }'
}

ucleanup()
{
	sh "$TOP/regress/unbound-dot.sh" stop "$W/ub" >/dev/null 2>&1
	cleanup
}
trap ucleanup EXIT

dotserver up $UP && dotserver stup $ST && dotserver noalpn $NA -A ||
    notok "the test upstreams start"
conf "$W/strip.conf" $P $UP "cache size 1000" "query-timeout 1"
conf "$W/pass.conf" $PP $UP "cache size 1000" "client-subnet pass"
conf "$W/down.conf" $PDOWN $DEAD
conf "$W/acl.conf" $PACL $UP "deny from 127.0.0.1" "allow from any"
conf "$W/rl.conf" $PRL $UP "rate-limit 1" "rate-limit-burst 2"
conf "$W/stale.conf" $PST $ST "cache size 1000"
conf "$W/na.conf" $PNA $NA
for n in strip pass down acl rl stale na; do
	check "$n: dotproxy starts" proxy $n "$W/$n.conf"
done

# --- client subnet: strip, the default -----------------------------------
out=$(q $P +subnet=192.0.2.0/24 s1.example.test A)
check "strip: a query with ECS is answered ($(status "$out"))" \
    [ "$(status "$out")" = NOERROR ]
check "strip: the upstream got it without ECS ($(sent s1.example.test) sent, $(sent s1.example.test ecs=) with ECS)" \
    [ "$(sent s1.example.test)" -eq 1 -a "$(sent s1.example.test ecs=)" -eq 0 ]
check "strip: no CLIENT-SUBNET in the answer" \
    sh -c '! echo "$1" | grep -q "CLIENT-SUBNET"' - "$out"
out=$(q $P +subnet=198.51.100.0/24 s1.example.test A)
check "strip: another subnet's query is a cache hit, as for any client ($(sent s1.example.test))" \
    [ "$(sent s1.example.test)" -eq 1 -a "$(status "$out")" = NOERROR ]
out=$(q $P ecs-leak.example.test A)
check "strip: an upstream's ECS in the reply does not reach the client" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" &&
    ! echo "$1" | grep -q "CLIENT-SUBNET"' - "$out"
out=$(q $P ecs-leak.example.test A)
check "strip: nor from the cache" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" &&
    ! echo "$1" | grep -q "CLIENT-SUBNET"' - "$out"
out=$(q $P +subnet=2001:db8::/48 +tcp s6.example.test AAAA)
check "strip: an IPv6 subnet over TCP is not forwarded either ($(sent s6.example.test ecs=))" \
    [ "$(sent s6.example.test)" -eq 1 -a "$(sent s6.example.test ecs=)" -eq 0 ]

# --- client subnet: pass -------------------------------------------------
a1=$(q $PP +subnet=192.0.2.0/24 serial-p.example.test A)
b1=$(q $PP +subnet=198.51.100.0/24 serial-p.example.test A)
a2=$(q $PP +subnet=192.0.2.0/24 serial-p.example.test A)
check "pass: each subnet reached the upstream ($(sent serial-p.example.test 'ecs=192.0.2.0/24 ') and $(sent serial-p.example.test 'ecs=198.51.100.0/24 '))" \
    [ "$(sent serial-p.example.test 'ecs=192.0.2.0/24 ')" -eq 2 -a \
    "$(sent serial-p.example.test 'ecs=198.51.100.0/24 ')" -eq 1 ]
check "pass: no client got another's answer from the cache ($(rdata "$a1") $(rdata "$b1") $(rdata "$a2"))" \
    sh -c '[ -n "$1" ] && [ -n "$2" ] && [ -n "$3" ] && [ "$1" != "$2" ] &&
    [ "$2" != "$3" ] && [ "$1" != "$3" ]' - \
    "$(rdata "$a1")" "$(rdata "$b1")" "$(rdata "$a2")"
check "pass: the upstream's scope comes back to its client" \
    sh -c 'echo "$1" | grep -q "CLIENT-SUBNET: 198.51.100.0/24/24"' - "$b1"
n1=$(q $PP serial-p.example.test A)
n2=$(q $PP serial-p.example.test A)
check "pass: without ECS the cache works, and holds no subnet's answer ($(sent serial-p.example.test) sent; $(rdata "$n1") $(rdata "$n2"))" \
    [ "$(sent serial-p.example.test)" -eq 4 -a -n "$(rdata "$n1")" -a \
    "$(rdata "$n1")" = "$(rdata "$n2")" -a "$(rdata "$n1")" != "$(rdata "$a2")" ]
a3=$(q $PP +subnet=192.0.2.0/24 serial-p.example.test A)
check "pass: an ECS query is not answered from that cache entry ($(sent serial-p.example.test) sent)" \
    [ "$(sent serial-p.example.test)" -eq 5 -a "$(rdata "$a3")" != "$(rdata "$n1")" ]
q $PP +subnet=192.0.2.0/24 slow-p.example.test A >"$W/c1.out" &
c1=$!
q $PP +subnet=198.51.100.0/24 slow-p.example.test A >"$W/c2.out" &
c2=$!
wait $c1 $c2
check "pass: two subnets in flight at once are not coalesced ($(sent slow-p.example.test ecs=))" \
    [ "$(sent slow-p.example.test ecs=)" -eq 2 ]
out=$(q $PP ecs-p.example.test A)
check "pass: an ECS the client never sent does not reach it" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" &&
    ! echo "$1" | grep -q "CLIENT-SUBNET"' - "$out"

# --- extended DNS errors -------------------------------------------------
out=$(q $PDOWN down.example.test A)
check "down: SERVFAIL with EDE 23 Network Error ($(status "$out"): $(ede "$out"))" \
    sh -c '[ "$1" = SERVFAIL ] && echo "$2" | grep -q "^23 (Network Error)"' \
    - "$(status "$out")" "$(ede "$out")"
out=$(q $PDOWN +noedns down.example.test A)
check "down: no EDE, no OPT for a client without EDNS ($(status "$out"))" \
    sh -c '[ "$1" = SERVFAIL ] && ! echo "$2" | grep -q "OPT PSEUDOSECTION"' \
    - "$(status "$out")" "$out"
out=$(kdig @127.0.0.1 -p $PDOWN +time=3 +retry=0 +edns down.example.test A 2>&1)
check "down: kdig sees the EDE too" \
    sh -c 'echo "$1" | grep -q "SERVFAIL" && echo "$1" | grep -q "EDE: 23"' - "$out"
out=$(dig @127.0.0.1 -p $P +time=4 +tries=1 silent.example.test A 2>&1)
check "deadline: a silent upstream: SERVFAIL with EDE 23 ($(status "$out"): $(ede "$out"))" \
    sh -c '[ "$1" = SERVFAIL ] && echo "$2" | grep -q "^23 (Network Error)"' \
    - "$(status "$out")" "$(ede "$out")"

out=$(q $PACL +qr acl.example.test A)
qs=$(echo "$out" | sed -n 's/^;; QUERY SIZE: \([0-9]*\).*/\1/p')
rs=$(echo "$out" | sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "acl: REFUSED with EDE 18 Prohibited ($(status "$out"): $(ede "$out"))" \
    sh -c '[ "$1" = REFUSED ] && echo "$2" | grep -q "^18 (Prohibited)"' \
    - "$(status "$out")" "$(ede "$out")"
check "acl: the REFUSED with its EDE is no larger than the query ($rs <= $qs)" \
    [ -n "$qs" -a -n "$rs" ] && [ "$rs" -le "$qs" ]
out=$(q $PACL +qr +nocookie acl.example.test A)
qs=$(echo "$out" | sed -n 's/^;; QUERY SIZE: \([0-9]*\).*/\1/p')
rs=$(echo "$out" | sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "acl: without room beside the query, REFUSED without EDE ($rs <= $qs, $(ede "$out"))" \
    sh -c '[ "$1" = REFUSED ] && [ "$2" = none ] && [ -n "$3" ] &&
    [ "$3" -le "$4" ]' - "$(status "$out")" "$(ede "$out")" "$rs" "$qs"
out=$(q $PACL +noedns acl.example.test A)
check "acl: no EDE for a client without EDNS ($(status "$out"))" \
    sh -c '[ "$1" = REFUSED ] && ! echo "$2" | grep -q "OPT PSEUDOSECTION"' \
    - "$(status "$out")" "$out"

out=$(q $P +opcode=status st.example.test A)
check "notimp: another opcode gets NOTIMP with EDE 21 Not Supported ($(status "$out"): $(ede "$out"))" \
    sh -c '[ "$1" = NOTIMP ] && echo "$2" | grep -q "^21 (Not Supported)"' \
    - "$(status "$out")" "$(ede "$out")"

# limited PREFIX DIG-ARGS...: dig's output for a query over the rate
# limit (rate-limit 1): a burst empties the bucket, then dig +ignore
# keeps the truncated answer; a slow machine may refill a token between
# the two, so up to 3 tries
limited()
{
	_pre=$1
	shift
	for _i in 1 2 3; do
		pyclient burst $PRL 10 "$_pre-x" >/dev/null
		_out=$(q $PRL +ignore "$@" "$_pre$_i.example.test" A)
		echo "$_out" | grep -q "flags: qr tc" && break
	done
	echo "$_out"
}

out=$(limited rlp +padding=128)
check "rl: the TC answer carries EDE 18 and its text ($(ede "$out"))" \
    sh -c 'echo "$1" | grep -q "flags: qr tc" &&
    [ "$2" = "18 (Prohibited): (rate limit)" ]' - "$out" "$(ede "$out")"
out=$(limited rlc)
check "rl: beside a cookie only the code fits ($(ede "$out"))" \
    sh -c 'echo "$1" | grep -q "flags: qr tc" &&
    [ "$2" = "18 (Prohibited)" ]' - "$out" "$(ede "$out")"
out=$(limited rln +noedns)
check "rl: no EDE for a client without EDNS" \
    sh -c 'echo "$1" | grep -q "flags: qr tc" &&
    ! echo "$1" | grep -q "OPT PSEUDOSECTION"' - "$out"

# serve-stale: a 1-second answer, expired, the upstream gone
t0=$(ms)
o1=$(q $PST ttl1-stale.example.test A)
till "$t0" 1500
stopserver stup
o2=$(dig @127.0.0.1 -p $PST +time=6 +tries=1 ttl1-stale.example.test A 2>&1)
check "stale: the expired answer is served with EDE 3 Stale Answer ($(status "$o2"): $(ede "$o2"))" \
    sh -c '[ "$1" = NOERROR ] && [ -n "$2" ] && [ "$2" = "$3" ] &&
    echo "$4" | grep -q "^3 (Stale Answer)"' - "$(status "$o2")" \
    "$(rdata "$o1")" "$(rdata "$o2")" "$(ede "$o2")"
o3=$(dig @127.0.0.1 -p $PST +time=6 +tries=1 +noedns ttl1-stale.example.test A 2>&1)
check "stale: without EDNS, the stale answer has no OPT ($(status "$o3"))" \
    sh -c '[ "$1" = NOERROR ] && ! echo "$2" | grep -q "OPT PSEUDOSECTION"' \
    - "$(status "$o3")" "$o3"
out=$(q $P fresh.example.test A)
check "fresh answers carry no EDE ($(ede "$out"))" \
    [ "$(status "$out")" = NOERROR -a "$(ede "$out")" = none ]

# --- ALPN ----------------------------------------------------------------
check "alpn: the upstream saw \"dot\" offered on every connection ($(grep -c '^conn alpn=dot$' "$W/up.log") of $(grep -c '^conn' "$W/up.log"))" \
    sh -c '[ "$(grep -c "^conn" "$1")" -ge 1 ] &&
    [ "$(grep -c "^conn alpn=dot$" "$1")" -eq "$(grep -c "^conn" "$1")" ]' \
    - "$W/up.log"
out=$(q $PNA na.example.test A)
check "alpn: a server that selects none still answers ($(status "$out"), $(grep '^conn' "$W/noalpn.log" | head -1))" \
    sh -c '[ "$1" = NOERROR ] && grep -q "^conn alpn=none$" "$2"' - \
    "$(status "$out")" "$W/noalpn.log"

mkdir -p "$W/ub"
upid=$(sh "$TOP/regress/unbound-dot.sh" start "$W/ub" $U "$CERTS" 2>"$W/ub.start")
if [ -n "$upid" ]; then
	PIDS="$PIDS $upid"
	conf "$W/ub.conf" $PU $U
	check "unbound: dotproxy starts" proxy ub "$W/ub.conf"
	out=$(q $PU www.example.test A)
	check "unbound: answers through a connection that offered ALPN ($(rdata "$out"))" \
	    [ "$(rdata "$out")" = 192.0.2.53 ]
else
	notok "unbound: starts as a DoT upstream ($(head -3 "$W/ub.start"))"
fi
