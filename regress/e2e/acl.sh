#!/bin/sh
# Access control (dotproxy.conf(5) "ACCESS CONTROL"): allow/deny rules are
# tried in order and the first match decides, a client no rule matches is
# refused, a file without rules gets the built-in list (loopback allowed).
# Refused clients get REFUSED over UDP and TCP, with their ID and question,
# and nothing of theirs reaches the upstream.
. "$(dirname "$0")/../lib.sh"
BASE=$((25350 + ${E2E_PORT_SHIFT:-0}))
UP=$((BASE + 1))
PA=$BASE PB=$((BASE + 2)) PC=$((BASE + 3)) PD=$((BASE + 4))
PE=$((BASE + 5)) PF=$((BASE + 6))

dotserver up $UP || notok "dotserver starts"

# Every query names its configuration, client address and transport in
# its first label, so the upstream log shows exactly which ones arrived.
uplogged()
{
	grep -q "^query .* name=$1\.example\.test\. " "$W/up.log"
}

# refused TAG ADDR PORT: UDP and TCP from ADDR get REFUSED, unforwarded.
refused()
{
	_v=$(echo "$2" | tr -d .:)
	_s=$(st "$2" "$3" "$1-$_v-udp.example.test" A)
	check "$1: UDP from $2 gets REFUSED ($_s)" [ "$_s" = REFUSED ]
	_s=$(st "$2" "$3" +tcp "$1-$_v-tcp.example.test" A)
	check "$1: TCP from $2 gets REFUSED ($_s)" [ "$_s" = REFUSED ]
}

# answered TAG ADDR PORT: UDP and TCP from ADDR answered via the upstream.
answered()
{
	_v=$(echo "$2" | tr -d .:)
	for _t in udp tcp; do
		_o=
		[ $_t = tcp ] && _o=+tcp
		_s=$(st "$2" "$3" $_o "$1-$_v-$_t.example.test" A)
		check "$1: ${_t} from $2 is answered ($_s)" \
		    sh -c '[ "$1" = NOERROR ] && grep -q "^query .* name=$2\." "$3"' \
		    - "$_s" "$1-$_v-$_t.example.test" "$W/up.log"
	done
}

# notforwarded TAG ADDR: none of the refused queries reached the upstream.
notforwarded()
{
	_v=$(echo "$2" | tr -d .:)
	_n=$(grep -c "^query .* name=$1-$_v-" "$W/up.log")
	check "$1: no query from $2 reached the upstream ($_n)" [ "$_n" -eq 0 ]
}

# A: deny 127.0.0.1, then allow everything.
conf "$W/a.conf" $PA $UP "deny from 127.0.0.1/32" "allow from any"
check "a: dotproxy starts with deny 127.0.0.1/32, allow any" \
    proxy a "$W/a.conf"
refused a 127.0.0.1 $PA
out=$(pyclient batch $PA udp good)
check "a: the REFUSED answer carries the client's ID and question ($out)" \
    sh -c 'echo "$1" |
    grep -q "^good sent=\([0-9]*\) id=\1 rcode=5 .*qd=1 .*name=www.example.test "' \
    - "$out"
answered a ::1 $PA
notforwarded a 127.0.0.1
n=$(grep -c "name=www.example.test" "$W/up.log")
check "a: the raw query was not forwarded either ($n)" [ "$n" -eq 0 ]

# B: no rules, so the built-in list: loopback of both families allowed.
conf "$W/b.conf" $PB $UP
check "b: dotproxy starts with the built-in ACL" proxy b "$W/b.conf"
answered b 127.0.0.1 $PB
answered b ::1 $PB

# C: allow ::1 only.
conf "$W/c.conf" $PC $UP "allow from ::1" "deny from any"
check "c: dotproxy starts with allow ::1, deny any" proxy c "$W/c.conf"
refused c 127.0.0.1 $PC
answered c ::1 $PC
notforwarded c 127.0.0.1

# D: the first match decides, not the most specific one.
conf "$W/d.conf" $PD $UP "deny from 127.0.0.0/8" "allow from 127.0.0.1" \
    "allow from any"
check "d: dotproxy starts with deny 127/8, allow 127.0.0.1, allow any" \
    proxy d "$W/d.conf"
refused d 127.0.0.1 $PD
answered d ::1 $PD
notforwarded d 127.0.0.1

# E: a client no rule matches is refused (an implicit deny from any).
conf "$W/e.conf" $PE $UP "allow from 127.0.0.1"
check "e: dotproxy starts with only allow 127.0.0.1" proxy e "$W/e.conf"
answered e 127.0.0.1 $PE
refused e ::1 $PE
notforwarded e ::1

# F: an IPv4-mapped IPv6 prefix stands for the IPv4 prefix.
conf "$W/f.conf" $PF $UP "deny from ::ffff:127.0.0.0/104" "allow from any"
check "f: dotproxy starts with deny ::ffff:127.0.0.0/104, allow any" \
    proxy f "$W/f.conf"
refused f 127.0.0.1 $PF
answered f ::1 $PF
notforwarded f 127.0.0.1

for p in a b c d e f; do
	check "$p: dotproxy still running" kill -0 "$(proxypid $p)"
done
