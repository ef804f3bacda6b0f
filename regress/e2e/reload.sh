#!/bin/sh
# Reload without loss: while dnsperf sends over UDP and over TCP and a
# checking client asks distinct names, SIGHUP applies a file that changes
# the upstreams, the ACL, the cache and the listeners (one added, one
# removed), then a file that does not parse.  dnsperf must lose nothing
# and get only NOERROR; the checking client must get every answer right;
# each change must show afterwards.  Then a reload while the old upstream
# is stopped for longer than a second must still lose nothing, and so
# must two reloads at once that go from four engines to one.
. "$(dirname "$0")/../lib.sh"
BASE=$((26400 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP1=$((BASE + 1)) UP2=$((BASE + 2)) PADD=$((BASE + 3)) PDEL=$((BASE + 4))

# sent LOG NAME: queries for NAME the upstream LOG received.
sent()
{
	grep -c "^query .* name=$2\. type=A " "$W/$1.log" 2>/dev/null
}

# dnsperf's count of FIELD ("Queries sent", "Queries lost"...) in FILE.
perf()
{
	sed -n "s/^ *$2: *\([0-9]*\).*/\1/p" "$1" | head -1
}

# noerror FILE: the NOERROR count of dnsperf's response codes line.
noerror()
{
	sed -n 's/.*Response codes:.*NOERROR \([0-9]*\).*/\1/p' "$1"
}

dotserver up1 $UP1 || notok "first dotserver starts"
dotserver up2 $UP2 || notok "second dotserver starts"

# before: upstream 1, everyone on loopback allowed, cache on, listeners
# on P and PDEL.  after: upstream 2, 127.0.0.2 refused, cache off,
# listeners on P and PADD.
conf "$W/r.conf" $P $UP1 'engines 2' 'cache size 10000' \
    "listen on 127.0.0.1 port $PDEL"
conf "$W/new.conf" $P $UP2 'engines 2' 'cache off' \
    "listen on 127.0.0.1 port $PADD" 'deny from 127.0.0.2' \
    'allow from any'
check "dotproxy starts with two engines" proxy r "$W/r.conf"
waitfor 5 sh -c '[ "$(grep -c "ready, pid" "$1")" -ge 2 ]' - "$W/r.err"
pp=$(proxypid r)
check "before: the listener to be removed answers" \
    [ "$(rcode $PDEL before-del.example.test A)" = NOERROR ]
check "before: 127.0.0.2 is answered" \
    [ "$(rcode $P -b 127.0.0.2 before-acl.example.test A)" = NOERROR ]
check "before: nothing on the port to be added" \
    [ "$(rcode $PADD before-add.example.test A)" = timeout ]
# two engines, two caches: four queries reach the upstream at most twice
for i in 1 2 3 4; do
	q $P cached.example.test A >/dev/null
done
check "before: the cache answers repeats ($(sent up1 cached.example.test) upstream for 4)" \
    [ "$(sent up1 cached.example.test)" -le 2 ]

# 500 names asked over and over: hits and misses both.
i=0
while [ $i -lt 500 ]; do
	echo "perf$i.example.test A"
	i=$((i + 1))
done >"$W/names"
dnsperf -s 127.0.0.1 -p $P -d "$W/names" -l 5 -Q 1000 -c 4 -t 3 \
    >"$W/udp.out" 2>&1 &
du=$!
dnsperf -s 127.0.0.1 -p $P -m tcp -d "$W/names" -l 5 -Q 300 -c 2 -t 3 \
    >"$W/tcp.out" 2>&1 &
dt=$!
python3 "$TOP/regress/steady.py" $P steady example.test 250 0.02 192.0.2.1 \
    >"$W/steady.out" 2>&1 &
st=$!

sleep 1.5
cp "$W/r.conf" "$W/old.conf"
cp "$W/new.conf" "$W/r.conf"
nready=$(grep -c 'ready, pid' "$W/r.err")
kill -HUP "$pp"
check "SIGHUP under load: two new engines report ready" \
    waitfor 5 sh -c '[ "$(grep -c "ready, pid" "$1")" -ge $(($2 + 2)) ]' - \
    "$W/r.err" "$nready"
sleep 1
echo 'this is not a statement' >>"$W/r.conf"
nkeep=$(grep -c 'keeping the old' "$W/r.err")
kill -HUP "$pp"
check "SIGHUP with a file that does not parse: logged, the old one kept" \
    waitfor 3 sh -c '[ "$(grep -c "keeping the old" "$1")" -gt "$2" ]' - \
    "$W/r.err" "$nkeep"
cp "$W/new.conf" "$W/r.conf"
wait $du $dt $st

for m in udp tcp; do
	s=$(perf "$W/$m.out" "Queries sent") c=$(perf "$W/$m.out" "Queries completed")
	l=$(perf "$W/$m.out" "Queries lost") n=$(noerror "$W/$m.out")
	eval "${m}_figs=\"sent \$s completed \$c lost \$l NOERROR \$n\""
	check "dnsperf $m through both reloads: sent $s, completed $c, lost $l, NOERROR $n" \
	    [ -n "$s" -a "$s" -gt 0 -a "$c" = "$s" -a "$l" = 0 -a "$n" = "$c" ]
done
check "checking client through both reloads: $(cat "$W/steady.out")" \
    grep -qx 'sent=250 right=250 wrong=0 lost=0' "$W/steady.out"

# --- each change took effect ----------------------------------------------
check "after: the added listener answers" \
    [ "$(rcode $PADD after-add.example.test A)" = NOERROR ]
check "after: the removed listener is gone" \
    sh -c '[ "$(rcode() { dig @127.0.0.1 -p "$1" +time=1 +tries=1 "$2" 2>&1 |
    grep -c "status: NOERROR"; }; rcode "$1" after-del.example.test)" = 0 ] &&
    ! ss -Hlnu "sport = :$1" | grep -q . && ! ss -Hlnt "sport = :$1" | grep -q .' \
    - $PDEL
check "after: 127.0.0.2 is refused" \
    [ "$(rcode $P -b 127.0.0.2 after-acl.example.test A)" = REFUSED ]
check "after: 127.0.0.1 is answered" \
    [ "$(rcode $P after-acl.example.test A)" = NOERROR ]
q $P uncached.example.test A >/dev/null
q $P uncached.example.test A >/dev/null
check "after: the cache is off, a repeat reaches the upstream ($(sent up2 uncached.example.test))" \
    [ "$(sent up2 uncached.example.test)" -eq 2 ]
n1=$(grep -c '^query' "$W/up1.log")
q $P after-up.example.test A >/dev/null
check "after: queries go to the new upstream, not the old one" \
    [ "$(sent up2 after-up.example.test)" -eq 1 -a \
    "$(grep -c '^query' "$W/up1.log")" -eq "$n1" ]
check "after: the parent is the same process, two engines" \
    nengines "$pp" 2

# --- a reload while the upstream stalls ----------------------------------
# The retiring engines' queries wait on a stopped upstream longer than a
# second; they must still be answered, and the connections they came on
# handed over rather than closed with them.
conf "$W/back.conf" $P $UP1 'engines 2' 'cache off'
dnsperf -s 127.0.0.1 -p $P -m tcp -d "$W/names" -l 4 -Q 300 -c 2 -t 3 \
    >"$W/stall-tcp.out" 2>&1 &
dt=$!
dnsperf -s 127.0.0.1 -p $P -d "$W/names" -l 4 -Q 300 -c 2 -t 3 \
    >"$W/stall-udp.out" 2>&1 &
du=$!
sleep 1
kill -STOP "$(cat "$W/up2.pid")"
sleep 0.3
cp "$W/back.conf" "$W/r.conf"
kill -HUP "$pp"
sleep 1.7
kill -CONT "$(cat "$W/up2.pid")"
wait $dt $du
for m in tcp udp; do
	f=$W/stall-$m.out
	s=$(perf "$f" "Queries sent") c=$(perf "$f" "Queries completed")
	l=$(perf "$f" "Queries lost") n=$(noerror "$f")
	eval "stall_${m}_figs=\"sent \$s completed \$c lost \$l NOERROR \$n\""
	check "dnsperf $m through a reload with the old upstream stalled 2 s: sent $s, completed $c, lost $l, NOERROR $n" \
	    [ -n "$s" -a "$s" -gt 0 -a "$c" = "$s" -a "$l" = 0 -a "$n" = "$c" ]
done
# --- two reloads at once, and fewer engines --------------------------------
# The parent is held still while a SIGHUP and a control socket reload
# wait for it, so the second reload starts before the first one's engines
# are even configured.  Idle TCP clients of the old engines must still be
# handed over, not closed; and going from four engines to one must lose
# no datagram queued on the sockets of the three that go.
# The idle clients wait out dnsperf and both reloads, which under
# valgrind take longer than the default tcp-idle-timeout: what is tested
# is the handover, not the idle clock.
conf "$W/four.conf" $P $UP1 'engines 4' 'cache off'
conf "$W/one.conf" $P $UP1 'engines 1' 'cache off'
cp "$W/four.conf" "$W/r.conf"
kill -HUP "$pp"
check "four engines after a reload" waitfor 15 nengines "$pp" 4
rm -f "$W/go"
pyclient handover $P 24 "$W/go" 30 >"$W/idle.out" 2>&1 &
ic=$!
waitfor 10 grep -q '^first' "$W/idle.out"
check "24 idle TCP clients, each answered once: $(head -1 "$W/idle.out")" \
    grep -qx 'first answered=24' "$W/idle.out"
dnsperf -s 127.0.0.1 -p $P -d "$W/names" -l 4 -Q 2000 -c 16 -t 3 \
    >"$W/fewer-udp.out" 2>&1 &
du=$!
sleep 1
cp "$W/one.conf" "$W/r.conf"
nrl=$(grep -c 'reloading configuration' "$W/r.err")
kill -STOP "$pp"
kill -HUP "$pp"
"$TOP/dotproxyctl" -s "$W/ctl/r.conf.sock" reload >"$W/ctlreload.out" 2>&1 &
cr=$!
sleep 0.5
kill -CONT "$pp"
wait $cr
check "two reloads at once: both ran ($(cat "$W/ctlreload.out"))" \
    waitfor 5 sh -c '[ "$(grep -c "reloading configuration" "$1")" -eq $(($2 + 2)) ]' \
    - "$W/r.err" "$nrl"
check "two reloads at once: one engine in the end, the same parent" \
    waitfor 15 nengines "$pp" 1
wait $du
touch "$W/go"
wait $ic
check "idle TCP clients through both: $(tail -1 "$W/idle.out")" \
    grep -qx 'answered=24 closed=0 noreply=0' "$W/idle.out"
f=$W/fewer-udp.out
s=$(perf "$f" "Queries sent") c=$(perf "$f" "Queries completed")
l=$(perf "$f" "Queries lost") n=$(noerror "$f")
fewer_figs="sent $s completed $c lost $l NOERROR $n"
check "dnsperf udp (16 source ports) from four engines to one: $fewer_figs" \
    [ -n "$s" -a "$s" -gt 0 -a "$c" = "$s" -a "$l" = 0 -a "$n" = "$c" ]
echo "# reload under load: udp $udp_figs; tcp $tcp_figs; checker $(cat "$W/steady.out"); stall: tcp $stall_tcp_figs; udp $stall_udp_figs; four to one: udp $fewer_figs, idle tcp $(tail -1 "$W/idle.out")"
