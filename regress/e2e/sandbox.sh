#!/bin/sh
# The sandbox proved: one engine under the real filter (root, chroot,
# _dotproxy, seccomp) is driven through every code path (UDP, TCP, the
# TLS handshake, TLS 1.2 resumption, cache hits, prefetch, serve-stale,
# reload and the retired engine's drain) and must survive all of them.
# Then engines die: by SIGKILL and by a forbidden system call, which the
# parent must name; each time a client asking every 50 ms must be
# answered again within a second.  A binary that cannot start makes a
# crash loop that backs off, is logged and costs the parent no CPU.
. "$(dirname "$0")/../lib.sh"
BASE=$((26300 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) U=$((BASE + 2))	# and U + 1, Unbound's plain port

# sent LOG NAME: queries for NAME (A) the upstream LOG received.
sent()
{
	grep -c "^query .* name=$2\. type=A " "$W/$1.log" 2>/dev/null
}

# answered PORT NAME [DIGARGS]: answered with an address record.
answered()
{
	_p=$1 _an=$2
	shift 2
	q "$_p" +short "$@" "$_an" A | grep -qE '^[0-9]+\.[0-9.]+$'
}

# cputicks PID: user + system clock ticks the process has used.
cputicks()
{
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# recover PID [kill]: ms from the engine's death to the first answer.
recover()
{
	python3 "$TOP/regress/recover.py" $P "$@"
}

# The daemon runs from a copy of the binary, so that the crash loop below
# can swap in one that cannot start; the parent execs engines by path.
mkdir -p "$W/bin"
cp "$DOTPROXY" "$W/bin/dotproxy"
DOTPROXY=$W/bin/dotproxy

dotserver up $UP || notok "dotserver starts"
conf "$W/s.conf" $P $UP 'user "_dotproxy"' 'chroot "/var/empty"' \
    'cache size 1000' 'engines 1'
check "dotproxy starts with its sandboxed engine" proxy s "$W/s.conf"
pp=$(proxypid s)
e=$(enginepid "$pp")
e=${e:-0}
check "the engine is under the seccomp filter and chrooted" \
    sh -c '[ "$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/$1/status)" = 2 ] &&
    [ "$(readlink /proc/$1/root)" = /var/empty ]' - "$e"

# --- every code path, under the filter ----------------------------------
t0=$(ms)
rcode $P ttl10-pf.example.test A >/dev/null	# prefetched below,
rcode $P ttl10-pf.example.test A >/dev/null	# once it is popular
rcode $P ttl10-pf.example.test A >/dev/null
rcode $P ttl1-stale.example.test A >/dev/null	# served stale below
check "UDP: a miss is answered (TLS handshake)" answered $P udp.example.test
check "UDP: the handshake finished on the upstream" grep -q '^conn' "$W/up.log"
check "TCP: answered" answered $P tcp.example.test +tcp
check "TCP: two queries on one connection answered" \
    sh -c 'kdig @127.0.0.1 -p "$1" +tcp +keepopen +short +timeout=3 \
    tcp2a.example.test A tcp2b.example.test A 2>&1 |
    grep -c "^192\.0\.2\.1$" | grep -qx 2' - $P
answered $P udp.example.test
check "cache: a hit is answered without the upstream ($(sent up udp.example.test))" \
    [ "$(sent up udp.example.test)" -eq 1 ]
check "AAAA and TXT answered" sh -c \
    'q() { dig @127.0.0.1 -p "$1" +time=3 +tries=1 +short "$2" "$3"; };
    q "$1" six.example.test AAAA | grep -q "2001:db8::1" &&
    q "$1" txt.example.test TXT | grep -q dotserver' - $P
till "$t0" 9300
check "prefetch: a hit in the last tenth of the TTL is answered" \
    [ "$(rcode $P ttl10-pf.example.test A)" = NOERROR ]
check "prefetch: and refreshes the entry from the upstream" \
    waitfor 1 sh -c '[ "$(grep -c "name=ttl10-pf\.example\.test\. " "$1")" -eq 2 ]' \
    - "$W/up.log"

stopserver up
check "serve-stale: with the upstream gone, the expired answer is served" \
    sh -c 'dig @127.0.0.1 -p "$1" +time=6 +tries=1 ttl1-stale.example.test A |
    grep -q "status: NOERROR"' - $P

# Reload onto Unbound capped at TLS 1.2 (libtls resumes only TLS 1.2
# sessions; the regress server's libretls sends empty tickets) and
# closing idle connections after 800 ms, so that a reconnect resumes.
unbound12 $U || notok "unbound starts as a TLS 1.2 DoT server"
conf "$W/s.conf" $P $U 'user "_dotproxy"' 'chroot "/var/empty"' \
    'cache size 500' 'engines 1'
# A client keeps one TCP connection across the reload: asked before
# it, and again after, by then of the new engine, which took it over.
python3 - $P >"$W/held.out" 2>&1 <<'PY' &
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
def ask(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    q += b"\0\0\1\0\1"
    s.sendall(struct.pack("!H", len(q)) + q)
    n = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
    r = s.recv(n, socket.MSG_WAITALL)
    return "ok" if r[:2] == q[:2] and r[3] & 0xf == 0 else "bad"
print(ask("udp.example.test", 1), end=" ", flush=True)  # cached
time.sleep(2.5)
print(ask("held2.bench.test", 2))
PY
held=$!
sleep 0.5
nready=$(grep -c 'ready, pid' "$W/s.err")
kill -HUP "$pp"
check "reload: a new engine reports ready" \
    waitfor 10 sh -c '[ "$(grep -c "ready, pid" "$1")" -gt "$2" ]' - \
    "$W/s.err" "$nready"
check "reload: the new engine answers through the new upstream" \
    sh -c 'dig @127.0.0.1 -p "$1" +time=3 +tries=1 +short www.example.test A |
    grep -qx "192\.0\.2\.53"' - $P
sleep 1.3
check "resumption: after the upstream closed the idle connection, answered" \
    answered $P resumed.bench.test
check "resumption: the new connection resumed the TLS 1.2 session" \
    grep -q 'TLSv1.2 .* resumed' "$W/s.err"
wait $held
check "reload: a TCP connection open across it is answered before and after ($(cat "$W/held.out"))" \
    grep -qx 'ok ok' "$W/held.out"
check "reload: the new engine took that connection over" \
    grep -q 'took over a TCP client' "$W/s.err"
check "reload: the old engine drained and exited with status 0" \
    waitfor 5 grep -q "engine 0 (pid $e) exited$" "$W/s.err"
check "no engine died in any of it (no signal, no failure status)" \
    sh -c '! grep -E "killed by signal|exited with status|sandbox violation" "$1"' \
    - "$W/s.err"

# --- SIGKILL: back within a second ---------------------------------------
e=$(enginepid "$pp")
KILL_MS=$(recover "${e:-0}" kill)
check "kill -9: answered again ${KILL_MS} ms after the engine died (< 1000)" \
    [ "$KILL_MS" -ge 0 -a "$KILL_MS" -lt 1000 ]
check "kill -9: the parent logged it and restarted at once" \
    sh -c 'grep -q "(pid $2) killed by signal 9" "$1" &&
    grep -q "restarting engine 0 now" "$1"' - "$W/s.err" "$e"
e=$(enginepid "$pp")
check "kill -9: the new engine is sandboxed too" \
    sh -c '[ "$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/$1/status)" = 2 ]' \
    - "${e:-0}"

# --- a crash loop --------------------------------------------------------
# A binary that cannot start (an upgrade gone wrong): every restart dies
# at once.  Restarts must back off (0, 0.1, 0.2, 0.4 ... s), be logged,
# and the parent must sleep between them, not spin.
printf '#!/bin/sh\nexit 1\n' >"$W/bin/broken"
chmod 0755 "$W/bin/broken"
mv -f "$W/bin/broken" "$W/bin/dotproxy"
c0=$(cputicks "$pp")
tl=$(ms)
kill -9 "${e:-0}"
sleep 5
c1=$(cputicks "$pp")
nl=$(grep -c 'exited with status 1' "$W/s.err")
check "crash loop: $nl restarts in 5 s (3 to 12, not a busy loop)" \
    [ "$nl" -ge 3 -a "$nl" -le 12 ]
check "crash loop: the parent used $((c1 - c0)) ticks of CPU in 5 s (< 50)" \
    [ $((c1 - c0)) -lt 50 ]
lastdelay=$(sed -n 's/.*restarting engine 0 in \([0-9]*\) ms.*/\1/p' \
    "$W/s.err" | tail -1)
check "crash loop: the backoff is logged and grows (last ${lastdelay:-none} ms)" \
    [ "${lastdelay:-0}" -ge 800 ]
check "crash loop: the ports stay bound in the parent meanwhile" \
    sh -c 'ss -Hlnup "sport = :$1" | grep -q "pid=$2," &&
    ss -Hlntp "sport = :$1" | grep -q "pid=$2,"' - $P "$pp"
cp "$DOTPROXY_BIN" "$W/bin/fixed"
mv -f "$W/bin/fixed" "$W/bin/dotproxy"
check "crash loop: with the binary fixed it recovers by itself" \
    waitfor 10 answered $P fixed.bench.test
tr=$(ms)

# --- a forbidden system call ---------------------------------------------
# getppid(2) is not on the allowlist.  gdb makes the engine call it; the
# filter must refuse it, the engine must die of SIGSYS, and the parent
# must log the call's name.  The engine has been up for over 5 s by
# then, so the crash loop above is forgotten and the restart is at once.
if command -v gdb >/dev/null 2>&1; then
	till "$tr" 5500
	e=$(enginepid "$pp")
	python3 "$TOP/regress/recover.py" $P "${e:-0}" >"$W/sys.ms" &
	rp=$!
	timeout 20 gdb -p "${e:-0}" -batch -nx -ex 'call (int)getppid()' \
	    >"$W/gdb.out" 2>&1
	wait $rp
	SYS_MS=$(cat "$W/sys.ms")
	check "violation: the engine is killed by SIGSYS" \
	    waitfor 5 grep -q "(pid $e) killed by signal 31 (sandbox violation" \
	    "$W/s.err"
	check "violation: the parent names the call (getppid)" \
	    grep -q "(pid $e) killed by signal 31 (sandbox violation: system call getppid (" \
	    "$W/s.err"
	check "violation: answered again ${SYS_MS} ms after the engine died (< 1000)" \
	    [ "$SYS_MS" -ge 0 -a "$SYS_MS" -lt 1000 ]
	check "violation: restarted at once (the crash loop's backoff was reset)" \
	    sh -c 'tail -n 20 "$1" | grep -A1 "sandbox violation" |
	    grep -q "restarting engine 0 now"' - "$W/s.err"
else
	echo "ok - a forbidden system call is named # SKIP gdb not installed"
fi

kill -0 "$pp" 2>/dev/null || notok "the parent survived it all"
echo "# kill -9 to first answer ${KILL_MS} ms, SIGSYS to first answer ${SYS_MS:-?} ms"
