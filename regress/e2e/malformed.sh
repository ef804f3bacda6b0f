#!/bin/sh
# Query validation (DESIGN.md "DNS behaviour"): over UDP a response (QR=1)
# or a message shorter than a header is dropped; a malformed query with a
# readable header gets FORMERR with the client's ID, another opcode NOTIMP,
# EDNS version 1 BADVERS, AXFR/IXFR REFUSED and meta-types NOTIMP; the
# same over TCP, where a frame shorter than a header closes the connection.
# None of them reaches the upstream, and the daemon keeps answering with the same processes.  TCP clients that stay
# idle, or stop in the middle of a frame, are closed after tcp-idle-timeout.
. "$(dirname "$0")/../lib.sh"
BASE=$((25330 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1))
IDLE=2

# -v: the upstream reports on stderr ($W/up.out) any message it cannot
# parse, which "query" lines in its log would not show.
dotserver up $UP -v || notok "dotserver starts"
conf "$W/d.conf" $P $UP "tcp-idle-timeout $IDLE"
check "dotproxy starts and reports its engine ready" proxy dp "$W/d.conf"
ppid=$(proxypid dp)
epid=$(enginepid "$ppid")

# rawdns.py batch sends each case with a random ID and prints
# "CASE sent=ID SUMMARY"; R holds the lines of the last batch.
batch()
{
	_t=$1
	shift
	R=$(pyclient batch $P "$_t" "$@")
}

# expect TRANSPORT CASE RCODE WHAT: the reply carries RCODE and the ID sent.
expect()
{
	_l=$(echo "$R" | grep "^$2 ")
	check "$1 $2: $4 (rcode $3) with the client's ID ($_l)" \
	    sh -c 'echo "$1" | grep -q "^$2 sent=\([0-9]*\) id=\1 rcode=$3 "' \
	    - "$_l" "$2" "$3"
}

# expect_none TRANSPORT CASE WHAT: no DNS reply at all.
expect_none()
{
	_l=$(echo "$R" | grep "^$2 ")
	check "$1 $2: $3 ($_l)" \
	    sh -c 'echo "$1" | grep -Eq "^$2 sent=[0-9]+ (noreply|closed) qlen=[0-9]+$"' \
	    - "$_l" "$2"
}

# expect_closed CASE WHAT: over TCP, the server closes without a reply.
expect_closed()
{
	_l=$(echo "$R" | grep "^$1 ")
	check "tcp $1: $2 ($_l)" \
	    sh -c 'echo "$1" | grep -Eq "^$2 sent=[0-9]+ closed qlen=[0-9]+$"' - "$_l" "$1"
}

FORMERR="qd0 qd2 ptr trunc an anrr nsrr opt2 label64 name256 trailing
    optowner optrun badcookie"
# zone transfers are refused, the other meta-types not implemented
META="axfr ixfr maila tkey"

# expect_meta TRANSPORT: AXFR and IXFR get REFUSED, MAILA and TKEY NOTIMP.
expect_meta()
{
	expect $1 axfr 5 "AXFR gets REFUSED"
	expect $1 ixfr 5 "IXFR gets REFUSED"
	expect $1 maila 4 "MAILA gets NOTIMP"
	expect $1 tkey 4 "TKEY (a meta-type) gets NOTIMP"
}

# Controls: a well-formed query, and one with a 255-octet name (the RFC 1035
# limit), are answered and do reach the upstream, so the counts below can
# see a forwarded message.
n0=$(upqueries up)
batch udp good name255
expect udp good 0 "a well-formed query is answered"
expect udp name255 0 "a 255-octet name is answered"
batch tcp good
expect tcp good 0 "a well-formed query is answered"
n1=$(upqueries up)
check "controls reached the upstream ($n0 -> $n1 query lines)" \
    [ "$n1" -eq $((n0 + 3)) ]

# UDP
batch udp qr short empty $FORMERR opcode badvers $META
expect_none udp qr "a message with QR=1 is dropped"
expect_none udp short "a message shorter than a header is dropped"
expect_none udp empty "an empty datagram is dropped"
for c in $FORMERR; do
	expect udp $c 1 FORMERR
done
expect udp opcode 4 "opcode STATUS gets NOTIMP"
expect udp badvers 16 "EDNS version 1 gets BADVERS"
expect_meta udp

# TCP.  After a dropped response the connection stays open until the idle
# timeout: "closed" after that is fine, an answer is not.
batch tcp $FORMERR opcode badvers $META qr short empty
for c in $FORMERR; do
	expect tcp $c 1 FORMERR
done
expect tcp opcode 4 "opcode STATUS gets NOTIMP"
expect tcp badvers 16 "EDNS version 1 gets BADVERS"
expect_meta tcp
expect_none tcp qr "a message with QR=1 gets no reply"
expect_closed short "a 5-octet frame closes the connection"
expect_closed empty "a zero-length frame closes the connection"

n2=$(upqueries up)
check "no malformed message reached the upstream ($n1 -> $n2 query lines)" \
    [ "$n2" -eq "$n1" ]
bad=$(grep -c 'malformed query' "$W/up.out")
check "the upstream saw nothing it could not parse ($bad)" [ "$bad" -eq 0 ]

# Still alive, same processes.
check "afterwards a UDP query is answered" \
    upanswer "$(q $P www.example.test A)"
check "afterwards a TCP query is answered" \
    upanswer "$(q $P +tcp www.example.test A)"
n3=$(upqueries up)
check "and both reached the upstream ($n2 -> $n3)" [ "$n3" -eq $((n2 + 2)) ]
check "the parent is still running (pid $ppid)" kill -0 "$ppid"
e2=$(enginepid "$ppid")
check "the engine is the same process ($epid -> $e2)" \
    sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' - "$epid" "$e2"

# Idle TCP clients: closed after tcp-idle-timeout, not before.
within()
{
	_t=$(echo "$1" | sed -n 's/^closed after \([0-9.]*\)$/\1/p')
	[ -n "$_t" ] && awk -v t="$_t" -v i=$IDLE \
	    'BEGIN { exit !(t >= i - 0.5 && t <= i + 2) }'
}
out=$(pyclient idle $P $((IDLE + 4)))
check "an idle TCP client is closed after tcp-idle-timeout $IDLE ($out)" \
    within "$out"
out=$(pyclient partial $P $((IDLE + 4)))
check "a TCP client that stops mid-frame is closed after $IDLE s ($out)" \
    within "$out"
check "dotproxy still running" kill -0 "$ppid"
