#!/bin/sh
# Real upstreams close connections rudely and now and then send something
# odd; none of it may reach a client.  One upstream per proxy unless said:
# - an idle connection the upstream ends in any way (close_notify, a bare
#   FIN, a reset, a TLS alert) is simply gone, never a failure;
# - an upstream that ends each connection after one answer, in each of
#   those ways, loses no query (the issue's "5 of 10 SERVFAIL");
# - connections ended at random while busy: every query still answered;
# - a duplicate, an answer to nothing, bytes after the message inside its
#   frame, garbage: never reach a client, the stream is dropped and its
#   other queries are sent again; a query spoilt once is answered;
# - one query the upstream ignores costs only that query;
# - health: upstream-max-failures failures of new connections in a row
#   mark an upstream down, and with every upstream down the one due
#   first is still tried;
# - query header bits (TC, AA, Z, RA) and the flags of dotproxy's own
#   answers;
# - UDP truncation drops additional records first (RFC 2181 9).
. "$(dirname "$0")/../lib.sh"
BASE=$((26900 + ${E2E_PORT_SHIFT:-0}))
CTL=${DOTPROXYCTL:-$TOP/dotproxyctl}

# up NAME FIELD: that line of `dotproxyctl show upstreams` for proxy NAME
# (the first upstream's).  Engines report every second: settle waits
# for a report that includes what just happened.
up()
{
	"$CTL" -s "$W/ctl/$1.conf.sock" show upstreams 2>/dev/null |
	    sed -n "s/^  $2: //p" | head -1
}
settle()
{
	sleep $((1 + SCALE))
}

# next5 PORT PREFIX: the status words, each after a space, of queries for
# PREFIX-1.example.test to PREFIX-5.example.test, one after the other.
next5()
{
	for _i in 1 2 3 4 5; do
		printf ' %s' "$(rcode "$1" "$2-$_i.example.test" A)"
	done
}

# A query's result, by python, so that every header bit can be seen:
#   flags.py PORT udp|tcp NAME [FLAGS [EDNS [TYPE [OPCODE]]]]
# prints "rcode=R flags=0xFFFF an=N ns=N ar=N len=L opt=0|1 optlast=0|1
# rrsets=whole|split" or "timeout".  FLAGS is the query's flags word
# (hex, opcode bits included), EDNS the OPT's size (0: no OPT), a size
# with "v1" after it an OPT of version 1.
cat >"$W/flags.py" <<'EOF'
import os, socket, struct, sys

port, tr, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
flags = int(sys.argv[4], 16) if len(sys.argv) > 4 else 0x0100
edns = sys.argv[5] if len(sys.argv) > 5 else "0"
qtype = int(sys.argv[6]) if len(sys.argv) > 6 else 1
qid = struct.unpack("!H", os.urandom(2))[0]
qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
ar = 0
opt = b""
if edns != "0":
    ver = 1 if edns.endswith("v1") else 0
    size = int(edns.rstrip("v1") or "1232") if not edns.endswith("v1") else 1232
    opt = b"\0" + struct.pack("!HHBBHH", 41, size, 0, ver, 0, 0)
    ar = 1
msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, ar) + qn + \
    struct.pack("!HH", qtype, 1) + opt

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise OSError("closed")
        b += c
    return b

def name_at(m, off):
    """The name at off, lowercased, pointers followed; offset past it."""
    out, end, hops = [], None, 0
    while True:
        l = m[off]
        if l & 0xc0 == 0xc0:
            if end is None:
                end = off + 2
            off = (l & 0x3f) << 8 | m[off + 1]
            hops += 1
            if hops > 50:
                raise ValueError("loop")
            continue
        if l == 0:
            return b".".join(out).lower(), end if end is not None else off + 1
        out.append(m[off + 1:off + 1 + l])
        off += 1 + l

try:
    if tr == "tcp":
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(struct.pack("!H", len(msg)) + msg)
        r = recvn(s, struct.unpack("!H", recvn(s, 2))[0])
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(msg, ("127.0.0.1", port))
        r = s.recv(65535)
except (socket.timeout, OSError):
    print("timeout")
    sys.exit(0)
rid, fl, qd, an, ns, arc = struct.unpack("!HHHHHH", r[:12])
if rid != qid:
    print("wrong id")
    sys.exit(0)
off = 12
for _ in range(qd):
    _, off = name_at(r, off)
    off += 4
sets, seen, last, split = [], set(), None, False
hasopt = optlast = 0
for i in range(an + ns + arc):
    owner, off = name_at(r, off)
    t, c, ttl, rdl = struct.unpack("!HHIH", r[off:off + 10])
    off += 10 + rdl
    if t == 41:
        hasopt, optlast = 1, int(i == an + ns + arc - 1)
        continue
    if i >= an + ns:
        key = (owner, t, c)
        if key != last and key in seen:
            split = True
        seen.add(key)
        last = key
rcode = (fl & 0xf)
print("rcode=%d flags=0x%04x an=%d ns=%d ar=%d len=%d opt=%d optlast=%d "
      "rrsets=%s end=%d" % (rcode, fl, an, ns, arc, len(r), hasopt, optlast,
      "split" if split else "whole", int(off == len(r))))
EOF
fl()
{
	python3 "$W/flags.py" "$@" 2>&1
}

# field RESULT KEY: the value of KEY=... in a flags.py result
field()
{
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# --- idle connections ended by the upstream in each way --------------------
# The upstream ends a connection idle for 300 ms: the next query opens a
# new one and is answered; nothing counts against the upstream.
n=0
for way in notify fin rst alert; do
	s=$((BASE + n)) p=$((BASE + 10 + n))
	n=$((n + 1))
	dotserver "idlesrv$way" $s -I 300 -E $way ||
	    notok "idle $way: dotserver starts"
	conf "$W/idle$way.conf" $p $s
	proxy "idle$way" "$W/idle$way.conf" || notok "idle $way: dotproxy starts"
	r1=$(rcode $p "i1-$way.example.test" A)
	waitfor 5 grep -q "^end $way" "$W/idlesrv$way.log"
	r2=$(rcode $p "i2-$way.example.test" A)
	r3=$(rcode $p +tcp "i3-$way.example.test" A)
	check "idle close by $way: the queries before and after are answered ($r1 $r2 $r3)" \
	    [ "$r1 $r2 $r3" = "NOERROR NOERROR NOERROR" ]
	check "idle close by $way: the upstream ended the idle connection" \
	    grep -q "^end $way" "$W/idlesrv$way.log"
	check "idle close by $way: a new connection for the next query ($(grep -c '^conn' "$W/idlesrv$way.log"))" \
	    [ "$(grep -c '^conn' "$W/idlesrv$way.log")" -ge 2 ]
	settle
	check "idle close by $way: not a failure, the upstream is up ($(up "idle$way" failures) $(up "idle$way" state))" \
	    [ "$(up "idle$way" failures)" = 0 -a "$(up "idle$way" state)" = up ]
done

# --- an upstream that ends each connection after one answer ---------------
# The issue's case: 10 queries 0.3 s apart, each connection ended right
# after its answer without close_notify; then the other ways, 0.1 s apart.
S1=$((BASE + 20)) P1=$((BASE + 21))
dotserver oneshotsrv $S1 || notok "oneshot: dotserver starts"
conf "$W/oneshot.conf" $P1 $S1
proxy oneshot "$W/oneshot.conf" || notok "oneshot: dotproxy starts"
for way in fin rst alert notify; do
	gap=0.1 cnt=10
	[ $way = fin ] && gap=0.3
	res=""
	for i in $(seq 1 $cnt); do
		res="$res $(rcode $P1 "$way-$i.example.test" A)"
		sleep $gap
	done
	bad=$(echo "$res" | tr ' ' '\n' | grep -vc '^NOERROR$\|^$')
	check "each connection ended by $way after one answer: $cnt of $cnt answered ($bad not)" \
	    [ "$bad" -eq 0 ]
done
check "ended after each answer: the upstream really ended them ($(grep -c '^end' "$W/oneshotsrv.log") ends)" \
    [ "$(grep -c '^end' "$W/oneshotsrv.log")" -ge 35 ]
settle
check "ended after each answer: no failure counted, the upstream is up ($(up oneshot failures) $(up oneshot state))" \
    [ "$(up oneshot failures)" = 0 -a "$(up oneshot state)" = up ]

# --- busy connections ended at random ----------------------------------------
# Every connection ends 100 to 300 ms after its handshake, in any of the
# four ways; answers take 20 ms, so queries are in flight when it ends.
# The clients must not notice.
S2=$((BASE + 22)) P2=$((BASE + 23))
dotserver churnsrv $S2 -d 20 -x 100:300 -E notify,fin,rst,alert ||
    notok "churn: dotserver starts"
conf "$W/churn.conf" $P2 $S2 "engines 2"
proxy churn "$W/churn.conf" || notok "churn: dotproxy starts"
seq 1 1500 | sed 's/.*/churn-&.example.test A/' >"$W/churn.names"
for tr in udp tcp; do
	dnsperf -s 127.0.0.1 -p $P2 -m $tr -d "$W/churn.names" -c 4 -q 20 \
	    -Q 600 -n 1 -t 5 >"$W/churn.$tr" 2>&1
	comp=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' "$W/churn.$tr")
	noerr=$(sed -n 's/.*NOERROR \([0-9]*\) .*/\1/p' "$W/churn.$tr")
	check "busy connections ended at random ($tr): 1500 of 1500 answered NOERROR (completed ${comp:-?}, NOERROR ${noerr:-0})" \
	    [ "${comp:-0}" -eq 1500 -a "${noerr:-0}" -eq 1500 ]
done
ends=$(grep -c '^end' "$W/churnsrv.log")
check "busy connections ended at random: the upstream ended $ends of them, in every way" \
    sh -c '[ "$1" -ge 8 ] && for w in notify fin rst alert; do
    grep -q "^end $w" "$2" || exit 1; done' - "$ends" "$W/churnsrv.log"
settle
check "busy connections ended at random: their queries were sent again ($(up churn retries) retries, $(up churn 'connections lost') lost)" \
    [ "$(up churn retries)" -ge 1 ]

# --- replies that do not belong -------------------------------------------------
# One TCP connection, queries pipelined; on the upstream each bad reply
# spoils its stream, which dotproxy drops.  The good queries beside it are
# sent again and answered; a query whose every reply is bad (trail,
# orphan) ends SERVFAIL, never with the bad reply; one spoilt only the
# first time (once-*) is answered on the next connection.
S3=$((BASE + 24)) P3=$((BASE + 25))
dotserver oddsrv $S3 || notok "odd: dotserver starts"
conf "$W/odd.conf" $P3 $S3
proxy odd "$W/odd.conf" || notok "odd: dotproxy starts"
names="a.example.test dup.example.test b.example.test trail.example.test \
c.example.test once-orphan.example.test d.example.test once-garbage.example.test \
e.example.test once-wrongid.example.test f.example.test once-close.example.test \
g.example.test once-drop.example.test h.example.test once-rst.example.test \
i.example.test"
# trail.* has only bad replies: SERVFAIL; every other one an answer
res=$(pipelined $P3 'rcode == (qname ~ /^trail\./ ? 2 : 0)' $names)
check "pipelined with bad replies: each good query answered, trail SERVFAIL, nothing wrong ($res)" \
    [ "$res" = good ]
settle
check "bad replies: counted, their streams dropped ($(up odd 'bad replies') bad, $(up odd 'connections lost') lost)" \
    [ "$(up odd 'bad replies')" -ge 4 -a "$(up odd 'connections lost')" -ge 4 ]
# right after a slip, unrelated queries are answered (the issue: "every
# unrelated query of the next half second")
rcode $P3 wrongid.example.test A >/dev/null
res=$(next5 $P3 after)
check "after a reply with a wrong ID, the next five queries are answered ($res)" \
    [ "$res" = " NOERROR NOERROR NOERROR NOERROR NOERROR" ]
# a reply to an ID never asked, then the right one: that query cannot be
# answered from the spoilt stream, and gets SERVFAIL, never its reply
r=$(fl $P3 udp orphan.example.test)
check "an answer to nothing before every reply: SERVFAIL, not the reply ($r)" \
    [ "$(field "$r" rcode)" = 2 ]
r=$(fl $P3 udp trail-2.example.test)
check "bytes after the message inside its frame: SERVFAIL, not the reply ($r)" \
    [ "$(field "$r" rcode)" = 2 ]
r=$(fl $P3 udp dup-2.example.test)
check "a duplicated reply: the query is answered once, correctly ($r)" \
    [ "$(field "$r" rcode)" = 0 -a "$(field "$r" an)" = 1 ]
for t in dribble once-close once-rst; do
	check "$t: answered" [ "$(rcode $P3 "$t-x.example.test" A)" = NOERROR ]
done

# One query the upstream ignores, nothing else in flight: that query gets
# SERVFAIL at its deadline, the queries right after it are answered, and
# the upstream is not held to have failed.
S4=$((BASE + 26)) P4=$((BASE + 27))
dotserver ignoresrv $S4 || notok "ignore: dotserver starts"
conf "$W/ignore.conf" $P4 $S4 "query-timeout 2"
proxy ignore "$W/ignore.conf" || notok "ignore: dotproxy starts"
r0=$(rcode $P4 first.example.test A)
r1=$(rcode $P4 silent.example.test A)
res=$(next5 $P4 next)
check "one ignored query: it alone gets SERVFAIL ($r0 $r1)" \
    [ "$r0 $r1" = "NOERROR SERVFAIL" ]
check "one ignored query: the next five are answered ($res)" \
    [ "$res" = " NOERROR NOERROR NOERROR NOERROR NOERROR" ]
settle
check "one ignored query: no failure counted, the upstream is up ($(up ignore failures) $(up ignore state))" \
    [ "$(up ignore failures)" = 0 -a "$(up ignore state)" = up ]

# --- health ---------------------------------------------------------------------
# The first upstream's certificate never verifies: every new connection
# fails.  With the default upstream-max-failures 3 it is tried three
# times, then skipped while down; with 1, once.  Queries all answered by
# the second.
S5=$((BASE + 28)) S6=$((BASE + 29)) P5=$((BASE + 30)) P6=$((BASE + 31))
dotserver badcert $S5 -v -c "$CERTS/selfsigned.pem" -k "$CERTS/selfsigned.key" ||
    notok "health: bad-certificate dotserver starts"
dotserver goodsrv $S6 || notok "health: good dotserver starts"
for mf in 3 1; do
	p=$P5
	[ $mf = 1 ] && p=$P6
	conf "$W/h$mf.conf" $p none "upstream-policy failover" \
	    "upstream 127.0.0.1 port $S5 tls-name \"dns.test\"" \
	    "upstream 127.0.0.1 port $S6 tls-name \"dns.test\"" \
	    "upstream-max-failures $mf" "query-timeout 5"
	proxy "h$mf" "$W/h$mf.conf" || notok "health $mf: dotproxy starts"
	b0=$(grep -c handshake "$W/badcert.out")
	res=$(pyclient seq $p "h$mf" 8)
	b1=$(grep -c handshake "$W/badcert.out")
	settle
	check "upstream-max-failures $mf: 8 queries answered by the second upstream ($res)" \
	    [ "$res" = "rcode0=8 ${res#* }" ]
	check "upstream-max-failures $mf: the failing upstream tried $mf times, then down ($((b1 - b0)) handshakes, $(up "h$mf" state))" \
	    [ $((b1 - b0)) -eq $mf ] && [ "$(up "h$mf" state)" != up ]
done

# Every upstream down: the single upstream stops; queries fail (refused)
# and mark it down with a growing backoff.  It comes back: the very next
# query is answered, not SERVFAIL out of hand.
S7=$((BASE + 32)) P7=$((BASE + 33))
dotserver backsrv $S7 || notok "all down: dotserver starts"
conf "$W/back.conf" $P7 $S7
proxy back "$W/back.conf" || notok "all down: dotproxy starts"
r0=$(rcode $P7 before.example.test A)
stopserver backsrv
res=""
for i in 1 2 3 4; do
	res="$res $(rcode $P7 "gone-$i.example.test" A)"
done
check "all down: while the only upstream is gone, SERVFAIL ($r0 /$res)" \
    [ "$r0$res" = "NOERROR SERVFAIL SERVFAIL SERVFAIL SERVFAIL" ]
settle
check "all down: it is marked down ($(up back state))" [ "$(up back state)" != up ]
dotserver backsrv $S7 || notok "all down: dotserver starts again"
t0=$(ms)
r=$(rcode $P7 back.example.test A)
check "all down: once it is back the next query is answered ($r, $(since $t0) ms)" \
    [ "$r" = NOERROR ]
settle
check "all down: and it is up again ($(up back state))" [ "$(up back state)" = up ]

# --- query header bits, and the flags of dotproxy's own answers --------------
S8=$((BASE + 34)) P8=$((BASE + 35))
dotserver bitssrv $S8 || notok "bits: dotserver starts"
conf "$W/bits.conf" $P8 $S8
proxy bits "$W/bits.conf" || notok "bits: dotproxy starts"
r=$(fl $P8 udp tc.bits.test 0x0300)
check "a query with TC=1 gets FORMERR ($r)" [ "$(field "$r" rcode)" = 1 ]
check "the TC query was not forwarded" sh -c '! grep -q "name=tc.bits.test" "$1"' - "$W/bitssrv.log"
for spec in aa:0x0500 z:0x0140 ra:0x0180 all:0x05f0; do
	tag=${spec%%:*} f=${spec#*:}
	r=$(fl $P8 udp "$tag.bits.test" $f)
	sent=$(sed -n "s/^query .*name=$tag\.bits\.test\..* flags=\(0x[0-9a-f]*\).*/\1/p" "$W/bitssrv.log" | head -1)
	want=$(printf '0x%04x' $((f & 0x7930)))
	check "a query with flags $f ($tag): answered, forwarded as $want ($r; sent $sent)" \
	    [ "$(field "$r" rcode)" = 0 -a "$sent" = "$want" ]
done
# flags of the answers dotproxy makes: like its forwarded ones, QR and RA
# set, RD and CD echoed, AA TC Z AD clear
fwd=$(fl $P8 udp fwd.bits.test 0x0110)
check "a forwarded answer has QR, RA, RD and CD ($fwd)" \
    [ "$(( $(field "$fwd" flags) & 0x8790 ))" -eq $((0x8190)) ]
for spec in "servfail:silent-sf.bits.test:0x0110:0:1:2" \
    "formerr:tc2.bits.test:0x0310:0:1:1" \
    "notimp:opcode.bits.test:0x1110:0:1:4" \
    "refused:axfr.bits.test:0x0110:0:252:5" \
    "badvers:v1.bits.test:0x0110:1232v1:1:16" \
    "norecurse:nord.bits.test:0x0010:0:252:5"; do
	IFS=: read tag name f e t want <<EOF2
$spec
EOF2
	r=$(fl $P8 udp "$name" "$f" "$e" "$t")
	got=$(field "$r" flags)
	rc=$(( $(field "$r" rcode) ))
	[ "$want" = 16 ] && rc=16	# the upper bits live in the OPT
	exp=$(( 0x8080 | (f & 0x7910) ))
	check "dotproxy's own $tag: flags $(printf '0x%04x' $((got & ~0xf))) = $(printf '0x%04x' $exp), rcode ($r)" \
	    [ $((got & ~0xf)) -eq $exp ] && [ "$rc" = "$want" -o "$want" = 16 ]
done

# --- UDP truncation: additional records go first (RFC 2181 9) -------------
S9=$((BASE + 36)) P9=$((BASE + 37))
dotserver gluesrv $S9 || notok "truncation: dotserver starts"
conf "$W/glue.conf" $P9 $S9 "cache size 1000"
proxy glue "$W/glue.conf" || notok "truncation: dotproxy starts"
for pass in miss hit; do
	r=$(fl $P9 udp glue-1.example.test 0x0100 0)
	check "glue, 512 octets, $pass: answer and authority whole, TC=0, additional cut to whole RRsets ($r)" \
	    [ "$(( $(field "$r" flags) & 0x0200 ))" -eq 0 -a "$(field "$r" an)" = 2 \
	    -a "$(field "$r" ns)" = 1 -a "$(field "$r" ar)" -gt 0 \
	    -a "$(field "$r" ar)" -lt 60 -a "$(field "$r" len)" -le 512 \
	    -a "$(field "$r" rrsets)" = whole -a "$(field "$r" end)" = 1 ]
	r=$(fl $P9 udp glue-2.example.test 0x0100 700)
	check "glue, EDNS 700, $pass: TC=0, the OPT kept and last, whole RRsets ($r)" \
	    [ "$(( $(field "$r" flags) & 0x0200 ))" -eq 0 -a "$(field "$r" an)" = 2 \
	    -a "$(field "$r" ns)" = 1 -a "$(field "$r" opt)" = 1 \
	    -a "$(field "$r" optlast)" = 1 -a "$(field "$r" len)" -le 700 \
	    -a "$(field "$r" ar)" -lt 61 -a "$(field "$r" rrsets)" = whole ]
	r=$(fl $P9 udp big-1.example.test 0x0100 0)
	check "an answer section too big for 512, $pass: TC=1 ($r)" \
	    [ "$(( $(field "$r" flags) & 0x0200 ))" -ne 0 -a "$(field "$r" an)" = 0 ]
	r=$(fl $P9 tcp glue-1.example.test 0x0100 0)
	check "glue over TCP, $pass: whole (60 additional records) ($r)" \
	    [ "$(field "$r" ar)" = 60 -a "$(( $(field "$r" flags) & 0x0200 ))" -eq 0 ]
done
check "truncation: the second pass came from the cache (3 upstream queries)" \
    [ "$(grep -c '^query' "$W/gluesrv.log")" -eq 3 ]
