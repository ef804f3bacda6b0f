#!/bin/sh
# Zones: four regress upstreams, the top level's (root), zone "example"'s
# (ex), zone "b.example"'s (bex) and the override of the built-in
# 10.in-addr.arpa (k8s), and each must see only the names of its zone:
# the longest zone wins, in any letter case, on label boundaries, the apex
# included.  Zones answered here (refuse, nxdomain, every built-in local
# zone, localhost) reach no upstream at all, over UDP and TCP.  The zones
# show in dotproxyctl show upstreams and in the metrics, print back with
# -nv, and a reload that changes them under dnsperf loses nothing.
. "$(dirname "$0")/../lib.sh"
BASE=$((27500 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UPR=$((BASE + 1)) UPE=$((BASE + 2)) UPB=$((BASE + 3))
UPK=$((BASE + 4))
CTL=$TOP/dotproxyctl
UPS="root ex bex k8s"

certs || notok "test certificates"
dotserver root $UPR || notok "the root zone's dotserver starts"
dotserver ex $UPE || notok "zone example's dotserver starts"
dotserver bex $UPB || notok "zone b.example's dotserver starts"
dotserver k8s $UPK || notok "zone 10.in-addr.arpa's dotserver starts"

# seen NAME UP: queries for NAME, in any case, that upstream UP logged.
seen()
{
	grep -ciF " name=$1. " "$W/$2.log" 2>/dev/null
}

# only NAME UP: NAME reached upstream UP and no other; UP "none": none.
only()
{
	for _u in $UPS; do
		_c=$(seen "$1" $_u)	# not _n: check() keeps its name there
		if [ "$_u" = "$2" ]; then
			[ "$_c" -ge 1 ] || return 1
		else
			[ "$_c" -eq 0 ] || return 1
		fi
	done
}

ctl()
{
	"$CTL" -s "$W/ctl/z.conf.sock" "$@"
}

up()
{
	echo "upstream 127.0.0.1 port $1 tls-name \"dns.test\""
}

conf "$W/z.conf" $P $UPR \
    'zone "example" {' "	$(up $UPE)" '}' \
    "zone \"B.Example.\" { $(up $UPB) ; upstream-policy failover ; padding 64 ; ca-file \"$CERTS/ca.pem\" }" \
    'zone "a.b.example" refuse' 'zone "nx.example" nxdomain' \
    "zone \"10.in-addr.arpa\" { $(up $UPK) }" \
    "zone \"same.test\" { $(up $UPR) }"

# -nv prints the zones back, and that parses to the same again
"$DOTPROXY" -nv -f "$W/z.conf" >"$W/nv1.out" 2>&1
grep -v '^configuration OK' "$W/nv1.out" >"$W/nv.conf"
"$DOTPROXY" -nv -f "$W/nv.conf" >"$W/nv2.out" 2>&1
check "-nv prints the zones, lower case, what they say" \
    sh -c 'grep -q "^zone \"b.example\" {" "$1" &&
    grep -q "^	upstream-policy failover" "$1" &&
    grep -q "^	padding 64" "$1" && grep -q "^zone \"a.b.example\" refuse" "$1" &&
    grep -q "^zone \"nx.example\" nxdomain" "$1" &&
    grep -q "^local-zones on" "$1"' - "$W/nv1.out"
check "-nv output parses back to the same" \
    sh -c 'diff "$1" "$2" | grep -v "built-in access list" | grep -q "^[<>]" && exit 1; exit 0' \
    - "$W/nv1.out" "$W/nv2.out"

check "dotproxy starts with five zones" proxy z "$W/z.conf"

# --- forwarding zones: the longest match decides -------------------------
for t in udp tcp; do
	case $t in udp) o= k=3 ;; tcp) o=+tcp k=4 ;; esac
	q $P $o $t-w.example A >/dev/null
	q $P $o $t-W.B.Example A >/dev/null
	q $P $o $t-x.Y.b.EXAMPLE A >/dev/null
	q $P $o $t-x.badexample A >/dev/null
	q $P $o $t-w.example.com A >/dev/null
	q $P $o $t.same.test A >/dev/null
	q $P $o -x 10.1.2.$k >/dev/null
	check "$t: a name in zone example goes to its upstream only" \
	    only $t-w.example ex
	check "$t: the longer zone b.example wins, letter case aside" \
	    only $t-w.b.example bex
	check "$t: a name deeper in b.example goes to b.example's" \
	    only $t-x.y.b.example bex
	check "$t: a name that only ends in \"example\" is the root's" \
	    only $t-x.badexample root
	check "$t: example.com is not in zone example" \
	    only $t-w.example.com root
	check "$t: a zone may use the root's server, as a pool of its own" \
	    only $t.same.test root
	check "$t: the override of 10.in-addr.arpa gets the pod PTR" \
	    only $k.2.1.10.in-addr.arpa k8s
	check "$t: a refuse zone: REFUSED" \
	    [ "$(rcode $P $o $t-x.a.b.example A)" = REFUSED ]
	check "$t: a nxdomain zone: NXDOMAIN" \
	    [ "$(rcode $P $o $t-x.nx.example A)" = NXDOMAIN ]
	check "$t: zones answered here reach no upstream" \
	    sh -c '[ "$(cat "$1"/*.log | grep -ciE " name=[^ ]*(a\.b|nx)\.example\. ")" = 0 ]' \
	    - "$W"
done
q $P example A >/dev/null
q $P b.example A >/dev/null
q $P badexample A >/dev/null
apexes()
{
	only example ex && only b.example bex
}
check "the apex of a zone is in the zone" apexes
check "a one-label name that ends like a zone is the root's" \
    only badexample root
# not forwarded by policy: Extended DNS Error 15 (Blocked) for EDNS clients
check "a nxdomain zone's answer carries EDE 15 (Blocked)" \
    sh -c 'q() { dig @127.0.0.1 -p "$1" +time=3 +tries=1 "$2" A; }
    q "$1" ede.nx.example | grep -q "^; EDE: 15"' - $P
check "a built-in local zone's answer carries EDE 15 (Blocked)" \
    sh -c 'dig @127.0.0.1 -p "$1" +time=3 +tries=1 -x 192.168.9.9 |
    grep -q "^; EDE: 15"' - $P
check "no EDE for a client without EDNS" \
    sh -c '! dig @127.0.0.1 -p "$1" +time=3 +tries=1 +noedns ede2.nx.example |
    grep -q "EDE"' - $P
check "the apex of a refuse zone is refused too" \
    [ "$(rcode $P a.b.example A)" = REFUSED ]

out=$(q $P nx-soa.nx.example A)
check "NXDOMAIN carries the zone's SOA, negative TTL 300" \
    sh -c 'echo "$1" | grep -q "AUTHORITY: 1" &&
    echo "$1" | grep -qE "^nx\.example\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA[[:space:]]+localhost\. nobody\.invalid\. 1 3600 1200 604800 300"' \
    - "$out"
check "a self-made answer: qr aa rd ra, the client's OPT echoed" \
    sh -c 'echo "$1" | grep -q "flags: qr aa rd ra;" &&
    echo "$1" | grep -q "OPT PSEUDOSECTION"' - "$out"
check "no OPT for a client without EDNS" \
    sh -c '! dig @127.0.0.1 -p "$1" +noedns +time=3 +tries=1 x.nx.example A |
    grep -q "OPT PSEUDOSECTION"' - $P
out=$(q $P nx.example A)
check "the apex of a nxdomain zone: NOERROR, no answer, the SOA" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" &&
    echo "$1" | grep -q "ANSWER: 0, AUTHORITY: 1"' - "$out"
check "the apex's SOA query is answered with it" \
    sh -c 'dig @127.0.0.1 -p "$1" +short +time=3 +tries=1 nx.example SOA |
    grep -q "^localhost. nobody.invalid. 1 "' - $P

# --- the built-in local zones: NXDOMAIN with a SOA, nothing upstream ------
Z31=0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0
LOCAL="invalid onion home.arpa resolver.arpa 168.192.in-addr.arpa
0.in-addr.arpa 127.in-addr.arpa 254.169.in-addr.arpa 2.0.192.in-addr.arpa
100.51.198.in-addr.arpa 113.0.203.in-addr.arpa 255.255.255.255.in-addr.arpa
0.$Z31.ip6.arpa 1.$Z31.ip6.arpa d.f.ip6.arpa 8.e.f.ip6.arpa 9.e.f.ip6.arpa
a.e.f.ip6.arpa b.e.f.ip6.arpa 8.b.d.0.1.0.0.2.ip6.arpa"
for i in $(seq 16 31); do LOCAL="$LOCAL $i.172.in-addr.arpa"; done
for i in $(seq 64 127); do LOCAL="$LOCAL $i.100.in-addr.arpa"; done
bad=
n=0
for z in $LOCAL; do
	n=$((n + 1))
	case $n in *[02468]) o=+tcp ;; *) o= ;; esac
	out=$(q $P $o zz.$z PTR)
	echo "$out" | grep -q "status: NXDOMAIN" &&
	    echo "$out" | grep -qE "^$z\.[[:space:]].*SOA" || bad="$bad $z"
	[ "$(rcode $P $z SOA)" = NOERROR ] || bad="$bad $z(apex)"
done
check "every built-in local zone ($n): NXDOMAIN with its SOA, UDP and TCP${bad:+; not:$bad}" \
    [ -z "$bad" -a $n -eq 100 ]
check "the reverse names of private, shared and special addresses" \
    sh -c 'for a in 192.168.1.1 172.16.0.1 172.31.255.1 100.64.0.1 100.127.255.254 169.254.1.1 0.0.0.1 \
    192.0.2.7 198.51.100.7 203.0.113.7 fd00::1 fe80::1 febf::1 2001:db8::1; do
    [ "$(dig @127.0.0.1 -p "$1" +time=3 +tries=1 -x $a | sed -n "s/.*status: \([A-Z]*\),.*/\1/p")" = NXDOMAIN ] ||
    { echo "$a" >&2; exit 1; }; done' - $P
check "localhost A is 127.0.0.1" \
    [ "$(dig @127.0.0.1 -p $P +short +time=3 +tries=1 localhost A)" = 127.0.0.1 ]
check "localhost AAAA is ::1, over TCP too" \
    [ "$(dig @127.0.0.1 -p $P +tcp +short +time=3 +tries=1 localhost AAAA)" = ::1 ]
check "a name below localhost is loopback too (RFC 6761)" \
    [ "$(dig @127.0.0.1 -p $P +short +time=3 +tries=1 a.b.LocalHost A)" = 127.0.0.1 ]
check "127.0.0.1 and ::1 are PTR localhost" \
    [ "$(dig @127.0.0.1 -p $P +short +time=3 +tries=1 -x 127.0.0.1)" = localhost. -a \
    "$(dig @127.0.0.1 -p $P +short +time=3 +tries=1 -x ::1)" = localhost. ]
check "a DDR query (RFC 9462) is answered NXDOMAIN here" \
    [ "$(rcode $P _dns.resolver.arpa TYPE64)" = NXDOMAIN ]
check "no local name reached any upstream" \
    sh -c '[ "$(cat "$1"/root.log "$1"/ex.log "$1"/bex.log | grep -ciE " name=[^ ]*(in-addr\.arpa|ip6\.arpa|onion|invalid|localhost|home\.arpa|resolver\.arpa)\. ")" = 0 ]' \
    - "$W"
check "test is not a local zone, 100.128/16 not shared space" \
    sh -c 'dig @127.0.0.1 -p "$1" +time=3 +tries=1 x.test A >/dev/null;
    dig @127.0.0.1 -p "$1" +time=3 +tries=1 -x 100.128.0.1 >/dev/null;
    grep -qiF " name=x.test. " "$2/root.log" &&
    grep -qiF " name=1.0.128.100.in-addr.arpa. " "$2/root.log"' - $P "$W"

# --- dotproxyctl and the metrics -----------------------------------------
check "engines report within seconds" waitfor 5 sh -c \
    '"$1" -s "$2" show upstreams | grep -q "zone 10.in-addr.arpa"' - \
    "$CTL" "$W/ctl/z.conf.sock"
ctl show upstreams >"$W/up.txt"
check "show upstreams names each upstream's zone" \
    sh -c 'grep -q "^upstream 127.0.0.1:$2 tls-name dns.test zone \.$" "$1" &&
    grep -q "^upstream 127.0.0.1:$3 tls-name dns.test zone example$" "$1" &&
    grep -q "^upstream 127.0.0.1:$4 tls-name dns.test zone b.example$" "$1" &&
    grep -q "^upstream 127.0.0.1:$2 tls-name dns.test zone same.test$" "$1"' \
    - "$W/up.txt" $UPR $UPE $UPB
ctl show metrics >"$W/metrics.txt"
check "the metrics are valid exposition format" \
    sh -c "python3 '$TOP/regress/promcheck.py' <'$W/metrics.txt' >'$W/samples.txt'"
check "one server in two zones: two series, by the zone label" \
    sh -c 'grep -q "^dotproxy_upstream_queries_total{upstream=\"127.0.0.1:$2\",tls_name=\"dns.test\",zone=\"\.\"} [1-9]" "$1" &&
    grep -q "^dotproxy_upstream_queries_total{upstream=\"127.0.0.1:$2\",tls_name=\"dns.test\",zone=\"same\.test\"} 2$" "$1"' \
    - "$W/samples.txt" $UPR
check "zone b.example's upstream counted under its zone" \
    grep -q "^dotproxy_upstream_answered_total{upstream=\"127.0.0.1:$UPB\",tls_name=\"dns.test\",zone=\"b\.example\"} [1-9]" \
    "$W/samples.txt"
locals()
{
	[ "$(ctl show metrics | sed -n 's/^dotproxy_local_answers_total //p')" \
	    -gt 200 ]
}
check "local answers are counted" waitfor 5 locals

# --- a reload that changes the zones, under load --------------------------
# After: zone example moves to the k8s server, b.example is gone (its
# names fall to example), new.test is refused, the built-in zones are off.
mkdir -p "$W/n"
conf "$W/n/z.conf" $P $UPR \
    "zone \"example\" { $(up $UPK) }" 'zone "new.test" refuse' \
    'local-zones off'
i=0
while [ $i -lt 100 ]; do
	echo "perf$i.example A"
	echo "perf$i.b.example A"
	echo "perf$i.test A"
	i=$((i + 1))
done >"$W/names"
if command -v dnsperf >/dev/null 2>&1; then
	dnsperf -s 127.0.0.1 -p $P -d "$W/names" -l 4 -Q 500 -c 2 -t 3 \
	    >"$W/udp.out" 2>&1 &
	du=$!
	dnsperf -s 127.0.0.1 -p $P -m tcp -d "$W/names" -l 4 -Q 200 -c 2 \
	    -t 3 >"$W/tcp.out" 2>&1 &
	dt=$!
	sleep 1.5
	nready=$(grep -c 'ready, pid' "$W/z.err")
	cp "$W/n/z.conf" "$W/z.conf"
	kill -HUP "$(proxypid z)"
	check "SIGHUP: the new engine reports ready" \
	    waitfor 5 sh -c '[ "$(grep -c "ready, pid" "$1")" -gt "$2" ]' - \
	    "$W/z.err" "$nready"
	wait $du $dt
	for m in udp tcp; do
		s=$(sed -n 's/^ *Queries sent: *\([0-9]*\).*/\1/p' "$W/$m.out")
		l=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$W/$m.out")
		e=$(sed -n 's/.*Response codes:.*NOERROR \([0-9]*\).*/\1/p' \
		    "$W/$m.out")
		check "dnsperf $m through the reload: sent $s, lost $l, NOERROR $e" \
		    [ -n "$s" -a "$s" -gt 0 -a "$l" = 0 -a "$e" = "$s" ]
	done
else
	ok "# SKIP dnsperf not installed"
	cp "$W/n/z.conf" "$W/z.conf"
	kill -HUP "$(proxypid z)"
	sleep 2
fi
q $P after.w.b.example A >/dev/null
q $P after.example A >/dev/null
check "after: b.example's names go to zone example's new server" \
    only after.w.b.example k8s
check "after: zone example moved" only after.example k8s
check "after: a new refuse zone" \
    [ "$(rcode $P x.new.test A)" = REFUSED ]
q $P after.onion A >/dev/null
q $P -x 192.168.7.7 >/dev/null
check "after: local-zones off sends onion and private PTRs upstream" \
    sh -c 'only() { n=$(grep -ciF " name=$1. " "$2"); [ "$n" -ge 1 ]; };
    only after.onion "$1/root.log" && only 7.7.168.192.in-addr.arpa "$1/root.log"' \
    - "$W"
check "after: with local-zones off, localhost is the root's too" \
    sh -c 'dig @127.0.0.1 -p "$1" +time=3 +tries=1 localhost A >/dev/null;
    grep -qiF " name=localhost. " "$2/root.log"' - $P "$W"
