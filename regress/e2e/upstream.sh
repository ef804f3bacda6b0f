#!/bin/sh
# Upstream failures, one upstream per proxy: a certificate that does not
# match the tls-name, or is expired, self-signed or from an unknown CA; a
# server that speaks only TLS 1.1 or only weak TLS 1.2 ciphers; nothing
# listening; a server that never answers, or never starts TLS; replies
# that close mid-message, carry a wrong ID or question, or are garbage.
# Every one must give the client SERVFAIL (or, for a bad reply, at worst
# a correct answer), promptly, without a byte of DNS sent over a TLS
# session that failed verification, and the proxy must recover on a new
# connection and stay alive.
. "$(dirname "$0")/../lib.sh"
BASE=$((25370 + ${E2E_PORT_SHIFT:-0}))
S_GOOD=$BASE		P_MISB=$((BASE + 1))	P_NAME=$((BASE + 2))
S_WRONG=$((BASE + 3))	P_WRONG=$((BASE + 4))
S_EXP=$((BASE + 5))	P_EXP=$((BASE + 6))
S_SELF=$((BASE + 7))	P_SELF=$((BASE + 8))
S_UNK=$((BASE + 9))	P_UNK=$((BASE + 10))
S_TLS11=$((BASE + 11))	P_TLS11=$((BASE + 12))
S_WEAK=$((BASE + 13))	P_WEAK=$((BASE + 14))
S_NOHS=$((BASE + 15))	P_NOHS=$((BASE + 16))
P_DOWN=$((BASE + 17))	S_DOWN=$((BASE + 18))	# nothing listens there

# ask PORT NAME [udp|tcp]: one A query with a random ID; prints
#   "servfail SECS" or "answer SECS" when the reply is well formed, has
#   the ID and question sent and (for an answer) only the dotserver's
#   192.0.2.1 for that name; "wrong REASON" for any other reply;
#   "timeout SECS" or "closed SECS" when nothing came.
cat >"$W/ask.py" <<'EOF'
import os, socket, struct, sys, time

port, name = int(sys.argv[1]), sys.argv[2]
tcp = len(sys.argv) > 3 and sys.argv[3] == "tcp"
qid = struct.unpack("!H", os.urandom(2))[0]
qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
question = qname + struct.pack("!HH", 1, 1)
msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b

def rdname(m, off):
    """Offset just past the name at off (pointers followed for length)."""
    while True:
        l = m[off]
        if l & 0xc0 == 0xc0:
            return off + 2
        if l == 0:
            return off + 1
        off += 1 + l

def owner(m, off):
    out = b""
    while True:
        l = m[off]
        if l & 0xc0 == 0xc0:
            off = ((l & 0x3f) << 8) | m[off + 1]
            continue
        if l == 0:
            return out + b"\0"
        out += m[off:off + 1 + l]
        off += 1 + l

t0 = time.monotonic()
try:
    if tcp:
        s = socket.create_connection(("127.0.0.1", port), timeout=6)
        s.sendall(struct.pack("!H", len(msg)) + msg)
        h = recvn(s, 2)
        r = recvn(s, struct.unpack("!H", h)[0]) if h else None
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(6)
        s.sendto(msg, ("127.0.0.1", port))
        r = s.recv(65535)
except socket.timeout:
    print("timeout %.2f" % (time.monotonic() - t0)); sys.exit(0)
except OSError:
    r = None
el = time.monotonic() - t0
if r is None:
    print("closed %.2f" % el); sys.exit(0)
try:
    rid, fl, qd, an, ns, ar = struct.unpack("!HHHHHH", r[:12])
    if rid != qid:
        raise ValueError("id %d, asked %d" % (rid, qid))
    if not fl & 0x8000:
        raise ValueError("QR not set")
    if qd != 1 or r[12:12 + len(question)] != question:
        raise ValueError("question differs: %r" % r[12:12 + len(question)])
    rc = fl & 0xf
    if rc == 2:
        print("servfail %.2f" % el); sys.exit(0)
    if rc != 0 or an < 1:
        raise ValueError("rcode %d an %d" % (rc, an))
    off = 12 + len(question)
    for _ in range(an):
        o = owner(r, off)
        off = rdname(r, off)
        t, c, ttl, rdl = struct.unpack("!HHIH", r[off:off + 10])
        rd = r[off + 10:off + 10 + rdl]
        off += 10 + rdl
        if o.lower() != qname.lower() or t != 1 or c != 1 or \
                rd != bytes([192, 0, 2, 1]):
            raise ValueError("answer %r type %d rdata %r" % (o, t, rd))
    print("answer %.2f" % el)
except (ValueError, IndexError, struct.error) as e:
    print("wrong %s" % e)
EOF
ask()
{
	python3 "$W/ask.py" "$@" 2>&1
}

# within SECS RESULT: the reply is a SERVFAIL that came in under SECS.
servfail_within()
{
	case $2 in
	"servfail "*) awk -v t="${2#servfail }" -v m="$1" 'BEGIN {
	    exit !(t < m) }' ;;
	*) return 1 ;;
	esac
}

conns()
{
	grep -c '^conn' "$W/$1.log" 2>/dev/null
}

# sawtls NAME: the server saw a TLS connection (handshake done or failed).
sawtls()
{
	grep -q '^conn' "$W/$1.log" 2>/dev/null ||
	    grep -q 'handshake' "$W/$1.out" 2>/dev/null
}

noquery()
{
	! grep -q '^query' "$W/$1.log" 2>/dev/null
}

ALLPROXIES=""
# start NAME CONF: a proxy; remembers its engine pid.
start()
{
	check "$1: dotproxy starts" proxy "$1" "$2"
	ALLPROXIES="$ALLPROXIES $1"
	enginepid "$(proxypid "$1")" >"$W/$1.engine"
}

# certcase TAG SERVER PROXYPORT: a verification failure on connect.
certcase()
{
	_r=$(ask "$3" "$1.example.test")
	check "$1: SERVFAIL ($_r)" servfail_within 2 "$_r"
	sleep 0.7	# past the first backoff: a second full attempt
	_r=$(ask "$3" "$1.example.test" tcp)
	check "$1: SERVFAIL over TCP ($_r)" servfail_within 2 "$_r"
	check "$1: the upstream saw the TLS connection attempt" sawtls "$2"
	check "$1: no DNS query reached the upstream ($(upqueries "$2"))" \
	    noquery "$2"
}

# The good server first: the tls-name proxy must send it nothing.
dotserver good $S_GOOD -v || notok "dotserver good starts"
conf "$W/name.conf" $P_NAME none \
    "upstream 127.0.0.1 port $S_GOOD tls-name \"wrong.test\""
start tlsname "$W/name.conf"
certcase tlsname good $P_NAME

dotserver wrongname $S_WRONG -v -c "$CERTS/wrongname.pem" \
    -k "$CERTS/wrongname.key" || notok "dotserver wrongname starts"
conf "$W/wrong.conf" $P_WRONG $S_WRONG
start wrongname "$W/wrong.conf"
certcase wrongname wrongname $P_WRONG

for c in expired selfsigned unknownca; do
	case $c in
	expired)	s=$S_EXP p=$P_EXP ;;
	selfsigned)	s=$S_SELF p=$P_SELF ;;
	unknownca)	s=$S_UNK p=$P_UNK ;;
	esac
	dotserver $c $s -v -c "$CERTS/$c.pem" -k "$CERTS/$c.key" ||
	    notok "dotserver $c starts"
	conf "$W/$c.conf" $p $s
	start $c "$W/$c.conf"
	certcase $c $c $p
done

# TLS 1.1 only.  dotserver lowers the security level so that it really
# speaks 1.1; s_client proves it, so the refusal is the proxy's doing.
dotserver tls11 $S_TLS11 -v -P tlsv1.1 || notok "dotserver tls11 starts"
conf "$W/tls11.conf" $P_TLS11 $S_TLS11
start tls11 "$W/tls11.conf"
certcase tls11 tls11 $P_TLS11
v=$(openssl s_client -connect 127.0.0.1:$S_TLS11 -tls1_1 \
    -cipher 'DEFAULT:@SECLEVEL=0' -CAfile "$CERTS/ca.pem" </dev/null 2>&1 |
    sed -n 's/^ *Protocol *: *//p' | head -1)
check "tls11: the server does speak TLS 1.1 to openssl s_client ($v)" \
    [ "$v" = TLSv1.1 ]

# TLS 1.2 with only AES128-SHA: RSA key transport (no forward secrecy),
# CBC with SHA-1 (no AEAD).  RFC 8310 / BCP 195 profile: refuse it.
dotserver weak $S_WEAK -v -P tlsv1.2 -C AES128-SHA || notok "dotserver weak starts"
conf "$W/weak.conf" $P_WEAK $S_WEAK
start weak "$W/weak.conf"
certcase weak weak $P_WEAK
v=$(openssl s_client -connect 127.0.0.1:$S_WEAK -tls1_2 -cipher AES128-SHA \
    -CAfile "$CERTS/ca.pem" </dev/null 2>&1 |
    sed -n 's/^ *Cipher *: *//p' | head -1)
check "weak: the server does offer AES128-SHA to openssl s_client ($v)" \
    [ "$v" = AES128-SHA ]

# Nothing listening: refused at once, long before the query timeout.
conf "$W/down.conf" $P_DOWN $S_DOWN
start down "$W/down.conf"
r=$(ask $P_DOWN down.example.test)
check "down: SERVFAIL well under the query timeout ($r)" servfail_within 1 "$r"
r=$(ask $P_DOWN down2.example.test tcp)
check "down: SERVFAIL over TCP too ($r)" servfail_within 1 "$r"

# TCP accepted, TLS never starts: the handshake times out (query-timeout
# 3 s by default) and the client still gets its SERVFAIL.
dotserver nohs $S_NOHS -m no-handshake || notok "dotserver nohs starts"
conf "$W/nohs.conf" $P_NOHS $S_NOHS
start nohs "$W/nohs.conf"
r=$(ask $P_NOHS nohs.example.test)
check "no-handshake: SERVFAIL, no hang ($r)" servfail_within 5 "$r"
sleep 0.7
r=$(ask $P_NOHS nohs2.example.test tcp)
check "no-handshake: SERVFAIL over TCP, no hang ($r)" servfail_within 5 "$r"

# Misbehaving replies on an otherwise good server, chosen by the first
# label.  Each bad stream must be dropped and a later query answered on
# a fresh connection.
conf "$W/misb.conf" $P_MISB $S_GOOD
start misb "$W/misb.conf"
r=$(ask $P_MISB www.example.test)
check "misb: a normal query is answered first ($r)" \
    sh -c 'case "$1" in "answer "*) ;; *) exit 1 ;; esac' - "$r"

answered()
{
	case $(ask "$@") in "answer "*) return 0 ;; esac
	return 1
}

for label in close wrongid wrongq garbage silent; do
	for tr in udp tcp; do
		before=$(conns good)
		r=$(ask $P_MISB $label-$tr.example.test $tr)
		case $r in
		"servfail "*|"answer "*) res=0 ;;
		*) res=1 ;;
		esac
		check "$label ($tr): SERVFAIL or a correct answer, never a wrong one ($r)" \
		    [ $res -eq 0 ]
		if [ $label = silent ]; then
			check "$label ($tr): SERVFAIL, not silence, within 5 s ($r)" \
			    servfail_within 5 "$r"
		fi
		check "$label ($tr): normal queries are answered again" \
		    waitfor 5 answered $P_MISB after-$label-$tr.example.test $tr
		check "$label ($tr): on a new upstream connection ($before -> $(conns good))" \
		    [ "$(conns good)" -gt "$before" ]
	done
done

# The same, with several good queries in flight beside the bad one over
# one TCP connection: every reply is for its own question.
# (each answered, or SERVFAIL: at worst a correct answer)
res=$(pipelined $P_MISB 'rcode == 0 || rcode == 2' a.example.test \
    wrongq.example.test b.example.test garbage.example.test c.example.test \
    close.example.test d.example.test wrongid.example.test)
check "pipelined good and bad queries: 8 replies, each for its own question ($res)" \
    [ "$res" = good ]
check "after the pipelined mix, normal queries are answered again" \
    waitfor 5 answered $P_MISB final.example.test

# Every proxy survived, with the engine it started with.
for n in $ALLPROXIES; do
	pid=$(proxypid $n)
	e=$(enginepid "$pid")
	check "$n: dotproxy still running, engine not restarted ($(cat "$W/$n.engine") -> $e)" \
	    sh -c 'kill -0 "$1" && [ -n "$2" ] && [ "$2" = "$3" ]' - \
	    "$pid" "$e" "$(cat "$W/$n.engine")"
done
