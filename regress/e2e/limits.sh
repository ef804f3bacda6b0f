#!/bin/sh
# Limits against hostile clients, each at its limit: TCP connections in
# total and per client address, queries in flight in total, per client
# address and per TCP connection (SERVFAIL at once past the limit, or at
# the deadline when the upstream is slow), the idle clock that partial
# bytes do not reset, tcp-max-lifetime, tcp-max-output against a client
# that pipelines 100,000 queries and never reads (the engine's VmRSS
# before, at its peak and after), the descriptor limit of a non-root
# engine, and accept() pausing on EMFILE instead of spinning.
. "$(dirname "$0")/../lib.sh"
BASE=$((26000 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) UPS=$((BASE + 2)) PS=$((BASE + 3))
PQ=$((BASE + 4)) PC=$((BASE + 5)) PE=$((BASE + 6)) PN=$((BASE + 7))

# field PID NAME: a line's value from /proc/PID/status, in kB for VmRSS
field()
{
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null
}

# cputicks PID: user plus system time, in clock ticks
cputicks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null
}

# rsspeak PID FILE: the largest VmRSS seen, written to FILE until killed
rsspeak()
{
	_m=0
	while :; do
		_r=$(field "$1" VmRSS)
		[ -n "$_r" ] && [ "$_r" -gt "$_m" ] && _m=$_r && echo "$_m" >"$2"
		sleep 0.05
	done
}

# between V LO HI: LO <= V <= HI for decimals
between()
{
	awk -v v="$1" -v lo="$2" -v hi="$3" \
	    'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'
}

dotserver up $UP || notok "dotserver starts"
# every answer 3 s late: past any deadline below
dotserver slow $UPS -d 3000 || notok "slow dotserver starts"
PF=$((BASE + 8))

# --- per client address, idle clock, lifetime ----------------------------
conf "$W/p.conf" $P $UP "tcp-max-connections-per-client 3" \
    "tcp-idle-timeout 2" "tcp-max-lifetime 3"
check "dotproxy starts with the per-client limits" proxy dp "$W/p.conf"
out=$(pyclient conns $P 5 127.0.0.1 ::1)
check "tcp-max-connections-per-client 3: the 4th and 5th connection from one address are closed at once ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=3 closed=2 noreply=0"' - "$out"
check "tcp-max-connections-per-client: another address still gets in ($out)" \
    sh -c 'echo "$1" | grep -q "other=answered"' - "$out"
out=$(pyclient conns $P 3 127.0.0.1)
check "the address's count went back when its connections closed ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=3 closed=0"' - "$out"

out=$(pyclient trickle $P 0.5 12)
t=$(echo "$out" | sed -n 's/^closed after //p')
check "a client trickling a byte every 0.5 s is cut off after tcp-idle-timeout 2 ($out)" \
    between "$t" 1.5 4
out=$(pyclient partial $P 8)
t=$(echo "$out" | sed -n 's/^closed after //p')
check "a client that never finishes its message is cut off after 2 s ($out)" \
    between "$t" 1.5 4
out=$(pyclient steady $P 0.4 12)
t=$(echo "$out" | sed -n 's/^closed after \([0-9.]*\).*/\1/p')
n=$(echo "$out" | sed -n 's/.*answered=//p')
check "a busy connection is closed at tcp-max-lifetime 3 ($out)" \
    test "$(between "$t" 2.5 5.5 && echo y)$((${n:-0} >= 4))" = y1
