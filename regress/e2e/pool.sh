#!/bin/sh
# The upstream pool: failover when an upstream stops and recovery when it
# returns, the fastest policy following round-trip times, failover order,
# round-robin, hedging past a server that never finishes its handshake,
# broken upstreams never reaching the client, SPKI pins, padding settings,
# edns-tcp-keepalive, reconnect under steady traffic, TLS resumption.
. "$(dirname "$0")/../lib.sh"
BASE=$((25500 + ${E2E_PORT_SHIFT:-0}))
P=$BASE

# sent PREFIX NAME: queries with names PREFIX-* the upstream NAME received
sent()
{
	grep -c "^query .*name=$1-" "$W/$2.log" 2>/dev/null
}

spki()
{
	openssl x509 -in "$1" -pubkey -noout |
	    openssl pkey -pubin -outform der 2>/dev/null |
	    openssl dgst -sha256 -binary | base64
}

# --- failover policy: order, stop, recovery -------------------------------
A=$((BASE + 1)) B=$((BASE + 2)) C=$((BASE + 3))
dotserver a $A && dotserver b $B && dotserver c $C ||
    notok "three test upstreams start"
conf "$W/f.conf" $P none "upstream-policy failover" \
    "upstream 127.0.0.1 port $A tls-name \"dns.test\"" \
    "upstream 127.0.0.1 port $B tls-name \"dns.test\"" \
    "upstream 127.0.0.1 port $C tls-name \"dns.test\""
check "failover: dotproxy starts with three upstreams" proxy f "$W/f.conf"
out=$(pyclient seq $P fo1 30)
check "failover: 30 queries answered ($out)" [ "$out" = "rcode0=30 ${out#* }" ]
check "failover: all 30 went to the first upstream ($(sent fo1 a)/$(sent fo1 b)/$(sent fo1 c))" \
    [ "$(sent fo1 a)" -eq 30 -a "$(sent fo1 b)" -eq 0 -a "$(sent fo1 c)" -eq 0 ]
stopserver a
t0=$(ms)
out=$(q $P fo2-0.example.test A)
t1=$(ms)
FAILOVER_MS=$((t1 - t0))
check "failover: first upstream stopped, next query answered in ${FAILOVER_MS} ms" \
    sh -c 'echo "$1" | grep -q "192.0.2.1" && [ "$2" -lt 3000 ]' - "$out" "$FAILOVER_MS"
out=$(pyclient seq $P fo3 20)
check "failover: while it is down every query is answered ($out)" \
    [ "$out" = "rcode0=20 ${out#* }" ]
check "failover: the second upstream takes over, not the third ($(sent fo3 b)/$(sent fo3 c))" \
    [ "$(sent fo3 b)" -eq 20 -a "$(sent fo3 c)" -eq 0 ]
dotserver a $A
ok=0
for i in $(seq 1 40); do
	pyclient seq $P "fo4x$i" 1 >/dev/null
	[ "$(sent "fo4x$i" a)" -eq 1 ] && { ok=1; break; }
	sleep 0.5
done
check "failover: the first upstream is used again once it is back" [ $ok -eq 1 ]
out=$(pyclient seq $P fo5 10)
check "failover: back on the first upstream for good ($(sent fo5 a)/10)" \
    [ "$(sent fo5 a)" -eq 10 ]

# --- round-robin -----------------------------------------------------------
P2=$((BASE + 4))
conf "$W/r.conf" $P2 none "upstream-policy round-robin" \
    "upstream 127.0.0.1 port $A tls-name \"dns.test\"" \
    "upstream 127.0.0.1 port $B tls-name \"dns.test\""
check "round-robin: dotproxy starts" proxy r "$W/r.conf"
out=$(pyclient seq $P2 rr 100)
na=$(sent rr a) nb=$(sent rr b)
check "round-robin: 100 queries answered ($out)" [ "$out" = "rcode0=100 ${out#* }" ]
check "round-robin: spread evenly ($na/$nb)" \
    [ "$na" -ge 45 -a "$na" -le 55 -a "$nb" -ge 45 -a "$nb" -le 55 ]

# --- fastest ---------------------------------------------------------------
F=$((BASE + 5)) S=$((BASE + 6)) P3=$((BASE + 7))
dotserver fast $F -d 20 -D 400 && dotserver slow $S -d 150 ||
    notok "fast and slow upstreams start"
conf "$W/s.conf" $P3 none "upstream-policy fastest" \
    "upstream 127.0.0.1 port $S tls-name \"dns.test\"" \
    "upstream 127.0.0.1 port $F tls-name \"dns.test\""
check "fastest: dotproxy starts" proxy s "$W/s.conf"
pyclient seq $P3 warm 20 >/dev/null
out=$(pyclient seq $P3 fa 200)
nf=$(sent fa fast) ns=$(sent fa slow)
SHARE_FAST=$((nf * 100 / 200))
check "fastest: 200 queries answered ($out)" [ "$out" = "rcode0=200 ${out#* }" ]
check "fastest: ${SHARE_FAST}% to the faster upstream ($nf fast, $ns slow)" \
    [ "$nf" -ge 180 ]
check "fastest: the slower one still gets a share to stay measured ($ns)" \
    [ "$ns" -ge 1 ]
kill -USR1 "$(cat "$W/fast.pid")"
pyclient seq $P3 sw 40 >/dev/null
out=$(pyclient seq $P3 fb 100)
nf=$(sent fb fast) ns=$(sent fb slow)
check "fastest: when the fast one slows to 400 ms the choice moves ($ns slow, $nf fast)" \
    [ "$ns" -ge 80 ]
check "fastest: every query still answered ($out)" [ "$out" = "rcode0=100 ${out#* }" ]

# firstbad TAG NAME UPPORT PPORT QNAME DOTSERVER-ARGS...: start the regress
# server NAME on UPPORT with those arguments, and proxy TAG on PPORT that
# tries it first and the good server b second; ask QNAME once, leaving
# the answer in out and the milliseconds it took in dt.  (Its variables
# are fb_*: lib.sh's helpers use the short _names.)
firstbad()
{
	fb_tag=$1 fb_name=$2 fb_up=$3 fb_port=$4 fb_q=$5
	shift 5
	dotserver "$fb_name" "$fb_up" "$@"
	conf "$W/$fb_tag.conf" "$fb_port" none "upstream-policy failover" \
	    "upstream 127.0.0.1 port $fb_up tls-name \"dns.test\"" \
	    "upstream 127.0.0.1 port $B tls-name \"dns.test\""
	check "$fb_name: dotproxy starts" proxy "$fb_tag" "$W/$fb_tag.conf"
	fb_t0=$(ms)
	out=$(q "$fb_port" "$fb_q" A)
	dt=$(($(ms) - fb_t0))
}

# --- a handshake that never finishes: the query goes elsewhere in time ----
firstbad h hang $((BASE + 8)) $((BASE + 9)) hs-0.example.test -m no-handshake
check "hang: stuck handshake, answered by the next upstream in $dt ms (< 3000)" \
    sh -c 'echo "$1" | grep -q "192.0.2.1" && [ "$2" -lt 3000 ]' - "$out" $dt
check "hang: it came from the second upstream" [ "$(sent hs b)" -eq 1 ]

# --- a late answer: a second copy goes to the next upstream, first wins ---
firstbad l late $((BASE + 65)) $((BASE + 66)) hg-0.example.test -d 1800
check "hedge: a 1.8 s upstream, answered by the hedged copy in $dt ms (< 1700)" \
    sh -c 'echo "$1" | grep -q "192.0.2.1" && [ "$2" -lt 1700 ]' - "$out" $dt
check "hedge: both upstreams received the query ($(sent hg late)/$(sent hg b))" \
    [ "$(sent hg late)" -eq 1 -a "$(sent hg b)" -eq 1 ]
check "hedge: not before the first upstream's time was up ($dt ms >= 900)" \
    [ "$dt" -ge 900 ]

# --- broken upstreams: nothing wrong reaches the client --------------------
n=10
for mode in close-mid wrong-id wrong-question garbage; do
	bp=$((BASE + 10 + n)) pp=$((BASE + 30 + n))
	n=$((n + 1))
	dotserver "m$mode" $bp -m $mode
	conf "$W/m$mode.conf" $pp none "upstream-policy failover" \
	    "upstream 127.0.0.1 port $bp tls-name \"dns.test\"" \
	    "upstream 127.0.0.1 port $B tls-name \"dns.test\""
	proxy "m$mode" "$W/m$mode.conf" || notok "$mode: dotproxy starts"
	out=$(pyclient seq $pp "x$mode" 10)
	check "$mode upstream first: every answer right, retried on the good one ($out)" \
	    [ "$out" = "rcode0=10 ${out#* }" ]
	check "$mode upstream first: it did receive queries ($(sent "x$mode" "m$mode"))" \
	    [ "$(sent "x$mode" "m$mode")" -ge 1 ]
done

# --- pins ------------------------------------------------------------------
good=$(spki "$CERTS/server.pem") bad=$(spki "$CERTS/unknownca.pem")
G=$((BASE + 50)) P5=$((BASE + 51)) P6=$((BASE + 52)) P7=$((BASE + 53))
dotserver pin $G
conf "$W/p1.conf" $P5 none \
    "upstream 127.0.0.1 port $G tls-name \"dns.test\" pin \"sha256/$bad\""
conf "$W/p2.conf" $P6 none \
    "upstream 127.0.0.1 port $G tls-name \"dns.test\" pin \"sha256/$bad\" pin \"sha256/$good\""
conf "$W/p3.conf" $P7 none \
    "upstream 127.0.0.1 port $G tls-name \"dns.test\" pin \"sha256/$good\""
proxy p1 "$W/p1.conf" && proxy p2 "$W/p2.conf" && proxy p3 "$W/p3.conf" ||
    notok "pins: proxies start"
check "pin mismatch: SERVFAIL" [ "$(rcode $P5 pw-0.example.test A)" = SERVFAIL ]
check "pin mismatch: the upstream saw the handshake but no DNS bytes" \
    sh -c 'grep -q "^conn" "$1" && ! grep -q "name=pw-" "$1"' - "$W/pin.log"
check "wrong pin plus the right backup pin: answered" \
    [ "$(rcode $P6 pb-0.example.test A)" = NOERROR ]
check "right pin alone: answered" [ "$(rcode $P7 pr-0.example.test A)" = NOERROR ]

# --- padding settings ------------------------------------------------------
D=$((BASE + 54)) P8=$((BASE + 55)) P9=$((BASE + 56))
dotserver pad $D
conf "$W/n1.conf" $P8 $D "padding off"
conf "$W/n2.conf" $P9 $D "padding 256"
proxy n1 "$W/n1.conf" && proxy n2 "$W/n2.conf" || notok "padding: proxies start"
q $P8 po-1.example.test A >/dev/null
q $P9 p256-1.example.test A >/dev/null
l1=$(sed -n 's/^query len=\([0-9]*\) .*name=po-1.*/\1/p' "$W/pad.log")
l2=$(sed -n 's/^query len=\([0-9]*\) .*name=p256-1.*/\1/p' "$W/pad.log")
check "padding off: the query goes unpadded ($l1 bytes)" \
    sh -c '[ -n "$1" ] && [ $(($1 % 128)) -ne 0 ] &&
    ! grep "name=po-1" "$2" | grep -q "padded=1"' - "$l1" "$W/pad.log"
check "padding 256: the query is a multiple of 256 ($l2 bytes)" \
    sh -c '[ -n "$1" ] && [ $(($1 % 256)) -eq 0 ]' - "$l2"

# --- edns-tcp-keepalive and reconnecting --------------------------------------
# A 3 s server timeout: a loaded machine may take over a second between
# the query and the look at the socket.
K=$((BASE + 57)) P10=$((BASE + 58))
dotserver ka $K -K 30
conf "$W/k.conf" $P10 $K
proxy k "$W/k.conf" || notok "keepalive: dotproxy starts"
out=$(q $P10 +tcp ka-1.example.test A)
check "keepalive: the server's edns-tcp-keepalive is not passed to the client" \
    sh -c 'echo "$1" | grep -q "192.0.2.1" && ! echo "$1" | grep -qi "keepalive"' - "$out"
check "keepalive: the proxy asked for it (RFC 7828) on its first query" \
    grep -q 'name=ka-1.*keepalive' "$W/ka.log"
est()
{
	ss -Htn state established "( dport = :$1 )" 2>/dev/null | wc -l
}
check "keepalive: connection open after the query" [ "$(est $K)" -ge 1 ]
sleep 3.6
check "keepalive: closed by the proxy within the server's 3 s timeout" \
    [ "$(est $K)" -eq 0 ]

I=$((BASE + 59)) P11=$((BASE + 60))
dotserver idle $I -I 700
conf "$W/i.conf" $P11 $I
proxy i "$W/i.conf" || notok "reconnect: dotproxy starts"
q $P11 ic-1.example.test A >/dev/null
sleep 1.2
check "reconnect: the upstream closed an idle connection" grep -q "idle close" "$W/idle.log"
check "reconnect: the proxy reopened it before the next query ($(grep -c '^conn' "$W/idle.log") connections)" \
    [ "$(grep -c '^conn' "$W/idle.log")" -ge 2 ]
check "reconnect: next query answered" [ "$(rcode $P11 ic-2.example.test A)" = NOERROR ]

# --- TLS session resumption (TLS 1.2: see dotproxy.8 for TLS 1.3) ---------
U=$((BASE + 61)) P12=$((BASE + 63))
if unbound12 $U; then
	conf "$W/u.conf" $P12 $U
	proxy u "$W/u.conf" || notok "resumption: dotproxy starts"
	check "resumption: first query answered" \
	    [ "$(rcode $P12 www.example.test A)" = NOERROR ]
	sleep 2.5
	check "resumption: answered again after the upstream closed" \
	    [ "$(rcode $P12 www.example.test A)" = NOERROR ]
	check "resumption: the second connection resumed the TLS 1.2 session" \
	    grep -q 'TLSv1.2 .* resumed' "$W/u.err"
	check "resumption: the first did not (a full handshake first)" \
	    grep -q 'TLSv1.2 [A-Z0-9-]*$' "$W/u.err"
else
	notok "resumption: unbound starts as a TLS 1.2 DoT server"
fi

for n in f r s h l p1 p2 p3 n1 n2 k i; do
	kill -0 "$(proxypid $n)" 2>/dev/null || notok "dotproxy $n died"
done
echo "# failover ${FAILOVER_MS} ms, fastest share ${SHARE_FAST}%"
