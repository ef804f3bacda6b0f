#!/bin/sh
# Cleartext only where it is said (issue 18): an upstream declared
# `cleartext` (or `plain`) gets plain DNS, over UDP with TCP when the
# answer comes truncated, or over TCP alone with `cleartext tcp`; only
# to loopback, private, shared, link-local or ULA addresses, never with
# TLS options.  The regress server in plain mode (dotserver -u) is the
# cleartext upstream and logs what it receives over which protocol.
. "$(dirname "$0")/../lib.sh"
BASE=$((27700 + ${E2E_PORT_SHIFT:-0}))
PU=$BASE		# plain DNS, UDP and TCP
PU2=$((BASE + 1))	# a second one, for the reload
T=$((BASE + 2))		# DoT
P=$((BASE + 3))		# the proxy
CLOSED=$((BASE + 4))	# nothing listens here
CTL=$TOP/dotproxyctl

# ckconf NAME WANT LINE...: dotproxy -n on LINEs fails with WANT in its
# message, or with WANT "OK" passes
ckconf()
{
	_n=$1 _want=$2
	shift 2
	printf '%s\n' "$@" >"$W/ck.conf"
	_out=$("$DOTPROXY" -n -f "$W/ck.conf" 2>&1)
	_rc=$?
	if [ "$_want" = OK ]; then
		check "$_n (configuration OK)" sh -c \
		    '[ "$1" = 0 ] && echo "$2" | grep -q "configuration OK"' \
		    - "$_rc" "$_out"
	else
		check "$_n ($_out)" sh -c \
		    '[ "$1" = 1 ] && echo "$2" | grep -q "ck.conf:1: .*$3"' \
		    - "$_rc" "$_out" "$_want"
	fi
}

ADDRERR="cleartext only to a loopback, private, shared (100.64/10), link-local or ULA address"
ckconf "plain to 8.8.8.8 is refused" "$ADDRERR" "upstream 8.8.8.8 port 53 plain"
ckconf "cleartext to 2001:4860::8888 is refused" "$ADDRERR" \
    "upstream 2001:4860::8888 port 53 cleartext"
ckconf "cleartext tcp to 1.1.1.1 is refused" "$ADDRERR" \
    "upstream 1.1.1.1 cleartext tcp"
ckconf "cleartext to 100.128.0.1, outside 100.64/10, is refused" "$ADDRERR" \
    "upstream 100.128.0.1 cleartext"
ckconf "tls-name on a plain upstream is an error" \
    "tls-name and pin are for TLS upstreams" \
    "upstream 10.96.0.10 port 53 plain tls-name \"dns.test\""
ckconf "pin on a cleartext upstream is an error" \
    "tls-name and pin are for TLS upstreams" \
    "upstream 127.0.0.1 pin \"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\" cleartext"
ckconf "cleartext given twice is an error" "cleartext given twice" \
    "upstream 10.0.0.1 cleartext plain"
ckconf "plain to 10.96.0.10 port 53 is allowed" OK \
    "upstream 10.96.0.10 port 53 plain"
ckconf "cleartext tcp to fd00::53, 169.254.1.1 and 100.64.0.10 is allowed" OK \
    "upstream fd00::53 cleartext tcp" "upstream 169.254.1.1 cleartext" \
    "upstream 100.64.0.10 port 5353 cleartext"
"$DOTPROXY" -n -v -f "$W/ck.conf" >"$W/ck.out" 2>&1
check "dotproxy -n -v prints the cleartext upstreams as declared" \
    grep -qx "upstream fd00::53 port 53 cleartext tcp" "$W/ck.out"

dotserver plain $PU -u || notok "plain dotserver starts"
dotserver tls $T || notok "DoT dotserver starts"

# queries NAME PROTO: what the plain upstream received of NAME over PROTO
queries()
{
	grep -c "name=$1\\. .* proto=$2\$" "$W/plain.log"
}

ctl()
{
	"$CTL" -s "$W/ctl/$1.sock" show "$2" 2>&1
}

# metric CONF NAME: the value of one sample of show metrics
metric()
{
	ctl "$1" metrics | awk -v n="$2" '$1 == n { print $2 }'
}

# --- cleartext over UDP ---------------------------------------------------
conf "$W/a.conf" $P none "upstream 127.0.0.1 port $PU plain" \
    "query-timeout 2"
check "dotproxy starts with a plain upstream" proxy a "$W/a.conf"
e=$(enginepid "$(proxypid a)")
check "the start-up warns that the upstream is cleartext, once" \
    test "$(grep -c "upstream 127.0.0.1:$PU: declared cleartext: its queries and answers travel unencrypted" "$W/a.err")" = 1

out=$(q $P www.plain.test A)
check "plain over UDP answers" upanswer "$out"
check "the query went over UDP, once, unpadded" sh -c \
    '[ "$(grep -c "name=www\.plain\.test\. .*padded=0.* proto=udp$" "$1")" = 1 ] &&
    [ "$(grep -c "name=www\.plain\.test\. " "$1")" = 1 ]' - "$W/plain.log"

out=$(q $P tc.plain.test A)
check "a truncated UDP answer is asked again over TCP and answered" \
    upanswer "$out"
check "the plain server saw tc.plain.test over UDP, then over TCP" \
    test "$(queries tc.plain.test udp) $(queries tc.plain.test tcp)" = "1 1"

for r in wrongid wrongq garbage orphan; do
	out=$(q $P $r.plain.test A)
	check "$r: the forged UDP reply is ignored, the real one taken" \
	    sh -c 'echo "$1" | grep -q "status: NOERROR" && echo "$1" |
	    grep -q 192.0.2.1' - "$out"
done
check "none of them was asked again over TCP" \
    test "$(grep -c "name=\(wrongid\|wrongq\|garbage\|orphan\).* proto=tcp" \
    "$W/plain.log")" = 0
waitfor 3 sh -c "'$CTL' -s '$W/ctl/a.conf.sock' show upstreams |
    grep -qx '  bad replies: 4'"
check "the four forged replies are counted as bad replies" sh -c \
    "'$CTL' -s '$W/ctl/a.conf.sock' show upstreams | grep -qx '  bad replies: 4'"

out=$(q $P +tcp big.plain.test TXT)
check "a big answer comes through (TCP client, plain upstream)" \
    sh -c 'echo "$1" | grep -q "status: NOERROR"' - "$out"

ctl a.conf upstreams >"$W/a.up"
check "show upstreams names it cleartext" \
    grep -qx "upstream 127.0.0.1:$PU cleartext zone ." "$W/a.up"
check "show upstreams: transport cleartext udp" \
    grep -qx "  transport: cleartext udp" "$W/a.up"
n=$(grep -c "proto=udp$" "$W/plain.log")
waitfor 3 sh -c "'$CTL' -s '$W/ctl/a.conf.sock' show metrics |
    grep -q '^dotproxy_upstream_cleartext_queries_total{upstream=\"127.0.0.1:$PU\",tls_name=\"\",zone=\".\"} [1-9]'"
v=$(metric a.conf "dotproxy_upstream_cleartext_queries_total{upstream=\"127.0.0.1:$PU\",tls_name=\"\",zone=\".\"}")
check "the plain upstream's cleartext queries are counted ($v, $n over UDP)" \
    test "${v:-0}" -ge "$n"
v=$(metric a.conf "dotproxy_upstream_cleartext_sent_bytes_total{upstream=\"127.0.0.1:$PU\",tls_name=\"\",zone=\".\"}")
check "and its cleartext bytes ($v)" test "${v:-0}" -gt 0
check "the engine's cleartext counter for TLS upstreams stays 0" \
    test "$(metric a.conf dotproxy_upstream_cleartext_bytes_total)" = 0
ctl a.conf metrics >"$W/a.metrics"
check "show metrics is valid exposition format" \
    sh -c "python3 '$TOP/regress/promcheck.py' <'$W/a.metrics' >/dev/null"
check "same engine, no sandbox violation" sh -c \
    '[ "$1" = "$2" ] && ! grep -qE "sandbox|killed by signal|exited with" "$3"' \
    - "$e" "$(enginepid "$(proxypid a)")" "$W/a.err"
kill "$(proxypid a)" 2>/dev/null
waitfor 5 sh -c "! kill -0 $(proxypid a)"

# --- cleartext tcp ----------------------------------------------------------
: >"$W/plain.log"
conf "$W/b.conf" $P none "upstream 127.0.0.1 port $PU cleartext tcp"
check "dotproxy starts with a cleartext tcp upstream" proxy b "$W/b.conf"
out=$(kdig @127.0.0.1 -p $P +tcp +keepopen +time=3 +retry=0 \
    a.plain.test A b.plain.test AAAA c.plain.test TXT 2>&1)
check "cleartext tcp answers three queries" \
    test "$(echo "$out" | grep -c 'status: NOERROR')" = 3
out=$(q $P d.plain.test A)
check "a UDP client's query is answered too" upanswer "$out"
check "cleartext tcp: every query came over TCP, none over UDP" sh -c \
    '[ "$(grep -c "proto=tcp$" "$1")" = 4 ] &&
    [ "$(grep -c "proto=udp$" "$1")" = 0 ]' - "$W/plain.log"
check "cleartext tcp: on one connection" \
    test "$(grep -c '^conn' "$W/plain.log")" = 1
check "cleartext tcp: no padding" \
    test "$(grep -c 'padded=1' "$W/plain.log")" = 0
check "show upstreams: transport cleartext tcp" waitfor 3 sh -c \
    "'$CTL' -s '$W/ctl/b.conf.sock' show upstreams |
    grep -qx '  transport: cleartext tcp'"
kill "$(proxypid b)" 2>/dev/null
waitfor 5 sh -c "! kill -0 $(proxypid b)"

# --- beside a TLS upstream ------------------------------------------------
: >"$W/plain.log"
: >"$W/tls.log"
conf "$W/c.conf" $P none "upstream 127.0.0.1 port $PU cleartext" \
    "upstream 127.0.0.1 port $T tls-name \"dns.test\"" \
    "upstream-policy round-robin"
check "dotproxy starts with a TLS and a cleartext upstream" proxy c "$W/c.conf"
for i in 1 2 3 4 5 6; do
	q $P +short rr$i.plain.test A >/dev/null
done
check "both upstreams got queries" \
    test "$(upqueries plain)" -gt 0 -a "$(upqueries tls)" -gt 0
check "the TLS upstream's queries are padded, the cleartext one's not" sh -c \
    '! grep -q "padded=0" "$1" && ! grep -q "padded=1" "$2"' \
    - "$W/tls.log" "$W/plain.log"
waitfor 3 sh -c "'$CTL' -s '$W/ctl/c.conf.sock' show metrics |
    grep -q '^dotproxy_upstream_tls_bytes_total [1-9]'"
check "TLS bytes grow, the engine's cleartext bytes stay 0" sh -c \
    '[ "$1" -gt 0 ] && [ "$2" = 0 ]' - \
    "$(metric c.conf dotproxy_upstream_tls_bytes_total)" \
    "$(metric c.conf dotproxy_upstream_cleartext_bytes_total)"
check "the TLS upstream sent nothing in cleartext" test "$(metric c.conf \
    "dotproxy_upstream_cleartext_queries_total{upstream=\"127.0.0.1:$T\",tls_name=\"dns.test\",zone=\".\"}")" = 0
check "the cleartext upstream's own counter grew" test "$(metric c.conf \
    "dotproxy_upstream_cleartext_queries_total{upstream=\"127.0.0.1:$PU\",tls_name=\"\",zone=\".\"}")" -gt 0

# reload: the same configuration warns no more; a new cleartext upstream is
# said when it appears
kill -HUP "$(proxypid c)"
waitfor 5 sh -c "[ \$(grep -c 'ready, pid' '$W/c.err') -ge 2 ]"
conf "$W/c.conf" $P none "upstream 127.0.0.1 port $PU cleartext" \
    "upstream 127.0.0.1 port $PU2 cleartext tcp" \
    "upstream 127.0.0.1 port $T tls-name \"dns.test\"" \
    "upstream-policy round-robin"
kill -HUP "$(proxypid c)"
waitfor 5 sh -c "[ \$(grep -c 'ready, pid' '$W/c.err') -ge 3 ]"
check "after two reloads the first cleartext upstream was warned of once" \
    test "$(grep -c "upstream 127.0.0.1:$PU: declared cleartext:" "$W/c.err")" = 1
check "the one the reload added is warned of" \
    test "$(grep -c "upstream 127.0.0.1:$PU2: declared cleartext tcp:" "$W/c.err")" = 1
kill "$(proxypid c)" 2>/dev/null
waitfor 5 sh -c "! kill -0 $(proxypid c)"

# --- health ---------------------------------------------------------------
# failover NAME WHAT: the cleartext upstream at the top of NAME.conf,
# dead in the way WHAT says, fails like a TLS one: the TLS upstream after
# it answers every query, and it is marked down, its failures counted,
# and the engine still runs under its sandbox.
failover()
{
	_c=$1 _what=$2 _up=$3
	check "dotproxy starts with a $_what cleartext upstream first" \
	    proxy $_c "$W/$_c.conf"
	_e=$(enginepid "$(proxypid $_c)")
	_ok=0
	for i in 1 2 3 4; do
		upanswer "$(q $P $_c$i.plain.test A)" && _ok=$((_ok + 1))
	done
	check "$_what: every query is answered by the TLS upstream ($_ok of 4)" \
	    test $_ok = 4
	check "$_what: the cleartext upstream is marked down" \
	    grep -q "upstream 127.0.0.1:$_up: .*down for" "$W/$_c.err"
	waitfor 3 sh -c "'$CTL' -s '$W/ctl/$_c.conf.sock' show upstreams |
	    grep -q '^  failures: [2-9]'"
	ctl $_c.conf upstreams >"$W/$_c.up"
	check "$_what: show upstreams counts its failures" sh -c \
	    'sed -n "/cleartext zone \.$/,/^upstream/p" "$1" | grep -q "^  failures: [2-9]"' \
	    - "$W/$_c.up"
	check "$_what: the engine still runs under its sandbox" sh -c \
	    '[ "$1" = "$2" ] && ! grep -qE "sandbox|killed by signal" "$3"' \
	    - "$_e" "$(enginepid "$(proxypid $_c)")" "$W/$_c.err"
	kill "$(proxypid $_c)" 2>/dev/null
	waitfor 5 sh -c "! kill -0 $(proxypid $_c)"
}

# nothing on its port: ICMP port unreachable
conf "$W/d.conf" $P none "upstream 127.0.0.1 port $CLOSED cleartext" \
    "upstream 127.0.0.1 port $T tls-name \"dns.test\"" \
    "upstream-policy failover" "upstream-max-failures 2"
failover d refusing $CLOSED

# replies that never come: its queries time out and count
stopserver plain
dotserver plain $PU -u -m silent || notok "silent plain dotserver starts"
conf "$W/e.conf" $P none "upstream 127.0.0.1 port $PU cleartext" \
    "upstream 127.0.0.1 port $T tls-name \"dns.test\"" \
    "upstream-policy failover" "upstream-max-failures 2" "query-timeout 2"
failover e silent $PU
