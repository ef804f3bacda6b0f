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

# --- a client that pipelines 100,000 queries and never reads --------------
# Cache hits are answered at once, so the answers pile up in the engine:
# past tcp-max-output (default 256 KiB) the connection must be dropped.
# The engine's VmRSS may grow by that buffer and what the reading side
# holds (the 64 KiB read buffer is in the client's struct), never by the
# 100,000 answers (about 6 MB): the bound is 2 MiB over the start at the
# peak, and 1 MiB once the connection is gone.
conf "$W/f.conf" $PF $UP "cache size 10" "tcp-max-pipeline 8"
check "dotproxy starts for the floods" proxy df "$W/f.conf"
fe=$(enginepid "$(proxypid df)")
q $PF +tcp www.example.test >/dev/null	# warm the cache and the heap
# warm up what any busy engine holds anyway: query slots, a second
# upstream TLS connection, the allocator's arenas
pyclient flood $PF 100000 www.example.test 4096 >/dev/null
pyclient flood $PF 100000 'warm-%d.example.test' 4096 >/dev/null
sleep 0.5

# flood NAME LABEL: one flood of 100,000 queries; checks and RSS figures
flood()
{
	_before=$(field "$fe" VmRSS)
	echo "$_before" >"$W/peak"
	rsspeak "$fe" "$W/peak" &
	_sp=$!
	_out=$(pyclient flood $PF 100000 "$1" 4096)
	sleep 0.5
	kill "$_sp" 2>/dev/null
	wait "$_sp" 2>/dev/null
	_after=$(field "$fe" VmRSS)
	_peak=$(cat "$W/peak")
	check "$2: the connection is dropped, not left open ($_out)" \
	    sh -c 'echo "$1" | grep -q "dropped after"' - "$_out"
	check "$2: engine VmRSS before ${_before} kB, peak ${_peak} kB (bound +2048)" \
	    [ "${_peak:-999999}" -le $((${_before:-0} + 2048)) ]
	check "$2: engine VmRSS after ${_after} kB (bound +1024 over ${_before} kB)" \
	    [ "${_after:-999999}" -le $((${_before:-0} + 1024)) ]
}
flood www.example.test "flood of cache hits"
grep -q 'not reading its answers' "$W/df.err"
check "the engine says it dropped a client that does not read" \
    grep -q 'not reading its answers' "$W/df.err"
flood 'flood-%d.example.test' "flood of 100,000 distinct misses"
out=$(rcode $PF +tcp www.example.test)
check "after the floods the engine answers over TCP ($out)" [ "$out" = NOERROR ]
# "slow" names are answered 2 s late: with 8 in flight the next 8 wait
out=$(pyclient waves $PF $(seq -f 'slow-%g.example.test' 1 16))
check "tcp-max-pipeline 8: 16 pipelined slow queries answered 8 at a time, 2 s apart ($out)" \
    [ "$out" = "2s=8 4s=8" ]

# --- queries in flight while the upstream is slow --------------------------
# Every answer is 3 s late and query-timeout is 1 s: a query that takes a
# slot gets SERVFAIL at its deadline, one over a limit gets it at once.
conf "$W/s.conf" $PS $UPS "query-timeout 1" "max-queries-per-client 20" \
    "tcp-max-pipeline 8"
check "dotproxy starts in front of the slow upstream" proxy ds "$W/s.conf"
se=$(enginepid "$(proxypid ds)")
# the first burst warms the UDP path (its answer arena, the slots) and
# marks the upstream down for its backoff, which a second has to wait out
pyclient deadline $PS 2000 warm 0.6 >/dev/null
sleep 2
before=$(field "$se" VmRSS)
n0=$(upqueries slow)
out=$(pyclient deadline $PS 2000 burst 0.6)
after=$(field "$se" VmRSS)
early=$(echo "$out" | sed -n 's/^early=\([0-9]*\).*/\1/p')
late=$(echo "$out" | sed -n 's/.* late=\([0-9]*\).*/\1/p')
check "2000 distinct queries from one address: all SERVFAIL ($out)" \
    sh -c 'echo "$1" | grep -q "noreply=0 rcodes=2:2000$"' - "$out"
check "max-queries-per-client 20: at most 20 waited for the deadline, the rest were refused at once ($early at once, $late late)" \
    [ "${late:-99}" -le 20 -a "${late:-0}" -ge 15 -a "${early:-0}" -ge 1980 ]
# distinct names: a copy lost with its connection (the upstream marked
# down and its connection closed under a late answer) is sent again
n=$(grep '^query' "$W/slow.log" | tail -n +$((n0 + 1)) |
    sed -n 's/^query .* name=\(burst-[^ ]*\) .*/\1/p' | sort -u | wc -l)
check "the upstream saw no more than the 20 questions that took a slot ($n)" \
    [ "$n" -le 20 ]
check "engine VmRSS before ${before} kB, after ${after} kB the burst (bound +1024)" \
    [ "${after:-999999}" -le $((${before:-0} + 1024)) ]

# --- max-queries and tcp-max-connections at their limit -------------------
conf "$W/q.conf" $PQ $UPS "query-timeout 1" "max-queries 16"
check "dotproxy starts with max-queries 16" proxy dq "$W/q.conf"
out=$(pyclient deadline $PQ 100 engine 0.6)
check "max-queries 16: 16 queries wait for the deadline, 84 get SERVFAIL at once ($out)" \
    [ "$out" = "early=84 late=16 noreply=0 rcodes=2:100" ]

conf "$W/c.conf" $PC $UP "tcp-max-connections 4"
check "dotproxy starts with tcp-max-connections 4" proxy dc "$W/c.conf"
out=$(pyclient conns $PC 5 127.0.0.1)
check "tcp-max-connections 4: the 5th waits in the queue and gets in when a slot frees ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=4 closed=0 noreply=1 late=1"' - "$out"

# --- out of descriptors ---------------------------------------------------
# A non-root engine cannot raise its descriptor limit: held at 40, it
# gives clients what its listeners, upstream connections and reserve
# leave (40 - 30 here) and says so.  Then its soft limit is lowered under
# it to two more than it holds (as an operator or a container runtime
# might): accept() fails with EMFILE, and the engine must pause instead
# of spinning on the readable listener while clients keep connecting,
# then serve again once descriptors are back.
asnobody()
{
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
tcpok()
{
	[ "$(rcode "$1" +tcp www.example.test)" = NOERROR ]
}
conf "$W/n.conf" $PN $UP "tcp-max-connections 100"
chmod 0644 "$W/n.conf"
: >"$W/dn.err"
prlimit --nofile=40:40 setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$DOTPROXY" -d -v -f "$W/n.conf" >"$W/dn.err" 2>&1 &
np=$!
PIDS="$PIDS $np"
check "non-root dotproxy starts with 40 descriptors" \
    waitfor 10 grep -q 'ready, pid' "$W/dn.err"
check "it says how many connections 40 descriptors leave room for" \
    grep -q 'descriptor limit 40 leaves room for 10 of tcp-max-connections 100' \
    "$W/dn.err"
out=$(pyclient conns $PN 11 127.0.0.1)
check "the engine holds those 10 connections, and the 11th waits ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=10 closed=0 noreply=1 late=1"' - "$out"

ne=$(enginepid "$np")
tcpok $PN
nfd=$(ls "/proc/$ne/fd" | wc -l)
hard=$(awk '/^Max open files/ { print $5 }' "/proc/$ne/limits")
asnobody prlimit --pid "$ne" --nofile=$((nfd + 2)):"$hard"
c0=$(cputicks "$ne")
out=$(pyclient hammer $PN 3)
c1=$(cputicks "$ne")
n=$(grep -c 'accept: Too many open files, pausing' "$W/dn.err")
check "at EMFILE the engine pauses accepting ($n pauses in 3 s, $out)" \
    [ "$n" -ge 1 -a "$n" -le 6 ]
check "and does not spin: $((c1 - c0)) ticks of CPU in 3 s of connection attempts" \
    [ $((c1 - c0)) -le 45 ]
asnobody prlimit --pid "$ne" --nofile="$hard:$hard"
check "with descriptors back, TCP is answered again" waitfor 5 tcpok $PN
