#!/bin/sh
# Operations: dotproxyctl over the control socket.  Known traffic (UDP
# and TCP queries, a cache hit, a FORMERR, a refused client, a SERVFAIL
# from a silent upstream, a truncated UDP answer) and then each counter's
# exact value in `show stats` and in the Prometheus text, which must parse
# as exposition format; bytes sent upstream outside TLS stay 0; show
# upstreams and show cache; flushing the cache whole or for one name;
# reload, log verbosity and query logging through dotproxyctl; the socket
# is 0600, refuses other users and goes away on exit; counters move while
# dnsperf runs.
. "$(dirname "$0")/../lib.sh"
BASE=$((26800 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) P2=$((BASE + 2)) MP=$((BASE + 3))
CTL=$TOP/dotproxyctl
S=$W/ctl/d.conf.sock

dotserver up $UP || notok "dotserver starts"
# ::1 is refused, so the refused client is a real one on its own address
conf "$W/d.conf" $P $UP "cache size 1000" "query-timeout 2" \
    "allow from 127.0.0.0/8" "deny from any" \
    "metrics listen on 127.0.0.1 port $MP"
check "dotproxy starts" proxy dp "$W/d.conf"
# an HTTP client that never sends its request is dropped within the timeout
python3 "$TOP/regress/rawdns.py" idle $MP 20 >"$W/idle.out" 2>&1 &
idle=$!

ctl()
{
	"$CTL" -s "$S" "$@"
}

# stat NAME: the value of one `show stats` line
cstat()
{
	ctl show stats | sed -n "s/^$1: //p"
}

# waitstat NAME VALUE: the engines report every second
waitstat()
{
	waitfor 6 sh -c "'$CTL' -s '$S' show stats | grep -qx '$1: $2'"
}

check "socket is mode 0600, owned by root" \
    test "$(stat -c %a:%u "$S" 2>/dev/null)" = "600:0"
check "query log is off by default" test "$(rcode $P a.ctl.test)" = NOERROR

# the known traffic
r1=$(rcode $P a.ctl.test)
r2=$(rcode $P +tcp b.ctl.test)
r3=$(python3 "$TOP/regress/rawdns.py" udp $P qd2)
r4=$(st ::1 $P c.ctl.test)
r6=$(q $P +ignore +bufsize=1232 big.ctl.test)
r5=$(rcode $P silent.ctl.test)
check "known traffic answered as expected" test \
    "$r1 $r2 $(echo "$r3" | sed -n 's/.*rcode=\([0-9]*\).*/\1/p') $r4 $r5" = \
    "NOERROR NOERROR 1 REFUSED SERVFAIL"
check "the big UDP answer came truncated" \
    sh -c "echo '$r6' | grep -q 'flags: qr tc'"
check "engines report the traffic within seconds" waitstat answers 7
ctl show stats >"$W/stats.txt"
expect()
{
	_v=$(sed -n "s/^$1: //p" "$W/stats.txt")
	check "show stats: $1 is $2" test "$_v" = "$2"
}
expect "queries udp" 6
expect "queries tcp" 1
expect "answers" 7
expect "answers NOERROR" 4
expect "answers FORMERR" 1
expect "answers SERVFAIL" 1
expect "answers REFUSED" 1
expect "cache hits" 1
expect "cache misses" 4
expect "refused by acl" 1
expect "truncated" 1
expect "coalesced" 0
expect "rate-limited" 0
expect "bytes sent upstream outside tls" 0
check "show stats: bytes sent upstream over tls counted" \
    test "$(sed -n 's/^bytes sent upstream over tls: //p' "$W/stats.txt")" -gt 0
check "show stats: the SERVFAIL waited the 2 s timeout" \
    test "$(sed -n 's/^latency <= 2500000 us: //p' "$W/stats.txt")" = 1

# the same counters as Prometheus text
ctl show metrics >"$W/metrics.txt"
check "show metrics is valid exposition format" \
    sh -c "python3 '$TOP/regress/promcheck.py' <'$W/metrics.txt' >'$W/samples.txt'"
m()
{
	_v=$(grep -F "$1 " "$W/samples.txt" | awk '{ print $2 }')
	check "metrics: $1 is $2" test "$_v" = "$2"
}
m 'dotproxy_queries_total{transport="udp"}' 6
m 'dotproxy_queries_total{transport="tcp"}' 1
m 'dotproxy_answers_total{rcode="NOERROR"}' 4
m 'dotproxy_answers_total{rcode="FORMERR"}' 1
m 'dotproxy_answers_total{rcode="SERVFAIL"}' 1
m 'dotproxy_answers_total{rcode="REFUSED"}' 1
m dotproxy_cache_hits_total 1
m dotproxy_cache_misses_total 4
m dotproxy_refused_total 1
m dotproxy_truncated_total 1
m dotproxy_coalesced_total 0
m dotproxy_ratelimited_total 0
m dotproxy_upstream_cleartext_bytes_total 0
m dotproxy_answer_duration_seconds_count 7
m 'dotproxy_answer_duration_seconds_bucket{le="+Inf"}' 7
m 'dotproxy_answer_duration_seconds_bucket{le="1"}' 6
m 'dotproxy_upstream_answered_total{upstream="127.0.0.1:'$UP'",tls_name="dns.test",zone="."}' 3
m 'dotproxy_upstream_pin_failures_total{upstream="127.0.0.1:'$UP'",tls_name="dns.test",zone="."}' 0
check "a broken exposition is caught" sh -c \
    "sed 's/^dotproxy_cache_hits_total 1/dotproxy_cache_hits_total one/' \
    '$W/metrics.txt' | python3 '$TOP/regress/promcheck.py' >/dev/null 2>&1; test \$? = 1"

ctl show upstreams >"$W/up.txt"
for f in "state" "smoothed rtt" "queries" "answered" "failures" \
    "retries" "connections lost" "bad replies" \
    "handshakes" "resumptions" "pin failures"; do
	check "show upstreams: $f" grep -q "^  $f: " "$W/up.txt"
done
# one query the upstream ignored on a connection that had answered is
# not held against it, but the silent connection is given up
check "show upstreams: one handshake, no pin failure, the lost query no failure" \
    test "$(sed -n 's/^  \(handshakes\|pin failures\|failures\): //p' \
    "$W/up.txt" | tr '\n' ' ')" = "0 1 0 "
check "show upstreams: the silent connection was given up" \
    grep -qx "  connections lost: 1" "$W/up.txt"

# the cache: a, b and big are in it
check "show cache: 3 entries" sh -c "'$CTL' -s '$S' show cache | grep -qx 'entries: 3'"
check "show cache: hit ratio" sh -c "'$CTL' -s '$S' show cache | grep -qx 'hit ratio: 0.2000'"
check "flush cache NAME" test "$(ctl flush cache A.CTL.test)" = ok
check "flushing one name leaves the others" waitstat "cache misses" 4
waitfor 6 sh -c "'$CTL' -s '$S' show cache | grep -qx 'entries: 2'"
check "show cache: 2 entries after flushing one name" \
    sh -c "'$CTL' -s '$S' show cache | grep -qx 'entries: 2'"
rcode $P a.ctl.test >/dev/null
rcode $P +tcp b.ctl.test >/dev/null
check "the flushed name misses again" waitstat "cache misses" 5
check "another name still hits" waitstat "cache hits" 2
check "flush cache (all)" test "$(ctl flush cache)" = ok
check "show cache: 0 entries after flushing all" waitfor 6 \
    sh -c "'$CTL' -s '$S' show cache | grep -qx 'entries: 0'"
check "flush cache with a bad name is an error" \
    sh -c "! '$CTL' -s '$S' flush cache 'a..b' 2>/dev/null"

# query logging and log verbosity, at run time
check "query log was off" sh -c "! grep -q ': query 127.0.0.1' '$W/dp.err'"
check "log queries on" test "$(ctl log queries on)" = ok
rcode $P d.ctl.test >/dev/null
check "a query logs one line" waitfor 5 grep -Eq \
    ': query 127\.0\.0\.1:[0-9]+ d\.ctl\.test\. A udp NOERROR upstream [0-9.]+ms$' \
    "$W/dp.err"
ctl log queries off >/dev/null
# debug lines: the parent's "started" and the engine's "engine ready"
# for each engine a reload starts
lines()
{
	grep -c "$1" "$W/dp.err"
}
check "log verbose 0" test "$(ctl log verbose 0)" = ok
n1=$(lines 'reloading configuration') n2=$(lines 'engine ready:')
n3=$(lines 'engine 0 started')
ctl reload >/dev/null
waitfor 5 sh -c "test \$(grep -c 'reloading configuration' '$W/dp.err') -gt $n1"
sleep 2
check "verbosity 0: no debug lines from the parent or a new engine" \
    test "$(lines 'engine ready:') $(lines 'engine 0 started')" = "$n2 $n3"
check "log verbose 1" test "$(ctl log verbose 1)" = ok
ctl reload >/dev/null
check "verbosity 1: debug lines again" waitfor 5 \
    sh -c "test \$(grep -c 'engine ready:' '$W/dp.err') -gt $n2"
check "log verbose 9 is an error" sh -c "! '$CTL' -s '$S' log verbose 9 2>/dev/null"

# reload through dotproxyctl; counters of the retired engine stay
before=$(cstat answers)
check "reload" test "$(ctl reload)" = ok
check "reload starts a new engine" waitfor 10 \
    sh -c "test \$(grep -c 'ready, pid' '$W/dp.err') -ge 3"
check "answers after reload" test "$(rcode $P e.ctl.test)" = NOERROR
check "counters do not go backwards over a reload" \
    waitstat answers $((before + 1))
check "show stats after reload: no cleartext" \
    test "$(cstat 'bytes sent upstream outside tls')" = 0

# the metrics endpoint: its own process, the same text
http()
{
	python3 "$TOP/regress/http.py" $MP "$@"
}
samemetrics()
{
	http /metrics >"$W/http.txt" && ctl show metrics >"$W/ctl.txt" &&
	    test "$(head -1 "$W/http.txt")" = "HTTP/1.0 200 OK" &&
	    tail -n +2 "$W/http.txt" | cmp -s - "$W/ctl.txt"
}
check "GET /metrics serves what show metrics shows" waitfor 5 samemetrics
check "the endpoint's text is valid exposition format" sh -c \
    "tail -n +2 '$W/http.txt' | python3 '$TOP/regress/promcheck.py' >/dev/null"
check "GET of another path: 404" \
    test "$(http /other | head -1)" = "HTTP/1.0 404 Not Found"
check "POST: 405" \
    test "$(http /metrics POST | head -1)" = "HTTP/1.0 405 Method Not Allowed"
check "a request that is not HTTP: 400" test \
    "$(http --raw 'HELLO\r\n\r\n' | head -1)" = "HTTP/1.0 400 Bad Request"
check "headers over 4 KiB: 431" test "$(http --raw \
    "GET /metrics HTTP/1.1\r\nX: $(head -c 5000 /dev/zero | tr '\0' x)" |
    head -1)" = "HTTP/1.0 431 Request Header Fields Too Large"
mpid=$(pgrep -P "$(proxypid dp)" -f 'dotproxy: metrics')
check "the metrics process runs as the unprivileged user" test \
    "$(awk '/^Uid:/ { print $2 }' /proc/$mpid/status)" = "$(id -u _dotproxy)"
check "the metrics process is under seccomp with no_new_privs" test \
    "$(awk '/^(Seccomp|NoNewPrivs):/ { printf "%s ", $2 }' \
    /proc/$mpid/status)" = "1 2 "
check "the metrics process is chrooted" \
    test "$(readlink /proc/$mpid/root)" = /var/empty
wait $idle
check "an idle HTTP connection is closed after about 5 s ($(cat "$W/idle.out"))" \
    awk '{ exit !($3 >= 4 && $3 <= 8) }' "$W/idle.out"
kill -9 "$mpid"
check "a killed metrics process is replaced" waitfor 5 sh -c \
    "pgrep -P $(proxypid dp) -f 'dotproxy: metrics' | grep -qvx $mpid"
check "and the endpoint serves again" waitfor 5 samemetrics

# the protocol's limits
check "unknown command: exit 1" sh -c "! '$CTL' -s '$S' show nothing 2>/dev/null"
long=$(head -c 400 /dev/zero | tr '\0' x)
check "a request line over 256 bytes is refused" sh -c \
    "printf 'show %s\n' '$long' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); r = s.recv(4096)
sys.exit(0 if r.startswith(b\"error: request longer\") else 1)' '$S'"
check "another user cannot connect" sh -c \
    "! setpriv --reuid=65534 --regid=65534 --clear-groups '$CTL' -s '$S' show stats >/dev/null 2>&1"
check "root still can" sh -c "'$CTL' -s '$S' show stats >/dev/null"

# a second daemon does not take a control socket in use
conf "$W/d2.conf" $P2 $UP
sed -i "s|control socket .*|control socket \"$S\"|" "$W/d2.conf"
"$DOTPROXY" -d -f "$W/d2.conf" >"$W/d2.err" 2>&1
check "a control socket in use stops a second daemon" \
    grep -q "control socket $S: Address already in use" "$W/d2.err"
check "and the first one still answers on it" \
    sh -c "'$CTL' -s '$S' show cache >/dev/null"

# counters move under load: a scrape while dnsperf runs
if command -v dnsperf >/dev/null 2>&1; then
	for i in $(seq 1 50); do echo "p$i.ctl.test A"; done >"$W/perf.txt"
	dnsperf -s 127.0.0.1 -p $P -d "$W/perf.txt" -l 3 -Q 2000 \
	    >"$W/perf.out" 2>&1 &
	perf=$!
	sleep 1.5
	a1=$(cstat answers)
	http /metrics >"$W/scrape.txt"
	sleep 1.2
	a2=$(cstat answers)
	wait $perf
	check "answers grow while dnsperf runs ($a1 -> $a2)" test "$a2" -gt "$a1"
	check "the HTTP scrape under load parses" sh -c "tail -n +2 \
	    '$W/scrape.txt' | python3 '$TOP/regress/promcheck.py' >/dev/null"
	check "still no cleartext after the load" \
	    test "$(cstat 'bytes sent upstream outside tls')" = 0
else
	ok "# SKIP dnsperf not installed"
fi

# the socket goes with the daemon
kill "$(proxypid dp)"
waitfor 6 sh -c "! kill -0 $(proxypid dp)"
check "control socket removed on exit" test ! -e "$S"
