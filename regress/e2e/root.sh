#!/bin/sh
# A root that does only what needs root: once started as root, the parent
# keeps only the capabilities a reload and an engine's start still need
# (src/parentsandbox.c), holds no core dump and a descriptor limit of its
# own, and runs under its own seccomp filter.  All of it shown in /proc,
# then proven to be enough: a reload onto a port below 1024, an engine
# killed and restarted, the control socket, SIGTERM.  A call outside the
# parent's filter kills it: named on stderr with -d, at once without.
. "$(dirname "$0")/../lib.sh"
BASE=$((27000 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) P2=$((BASE + 2)) P3=$((BASE + 3))
# a privileged port of its own for each port block
PRIV=$((500 + (${E2E_PORT_SHIFT:-0} / 10) % 400))

if [ "$(id -u)" -ne 0 ]; then
	echo "ok - the parent as root # SKIP not root"
	exit 0
fi

# field PID NAME: the value of a /proc/PID/status line.
field()
{
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null
}

# limit PID NAME: soft and hard of a /proc/PID/limits line, "S H".
limit()
{
	grep "^$2 " "/proc/$1/limits" 2>/dev/null |
	    sed "s/^$2 *//" | awk '{ print $1, $2 }'
}

gone()
{
	! alive "$1"
}

# capnames HEX: the capabilities of a mask, by name.
capnames()
{
	capsh --decode="$1" 2>/dev/null | sed 's/.*=//'
}

# lastengine: the pid of the engine that reported ready last (the
# metrics process is a child of the parent too).
lastengine()
{
	sed -n 's/^engine 0 ready, pid \([0-9]*\)$/\1/p' "$W/r.err" | tail -1
}

# nready: how many times an engine has reported ready so far.
nready()
{
	grep -c 'ready, pid' "$W/r.err"
}

# sincenready N: more engines than N have reported ready.
sincenready()
{
	[ "$(nready)" -gt "$1" ]
}

answered()
{
	q "$1" +short "$2" A | grep -qx '192\.0\.2\.1'
}

# What the parent keeps (CAP_KILL 5, CAP_SETGID 6, CAP_SETUID 7,
# CAP_NET_BIND_SERVICE 10, CAP_SYS_CHROOT 18, CAP_SYS_RESOURCE 24), of
# what it was started with: this shell's bounding set.
kept=$(( (1 << 5) | (1 << 6) | (1 << 7) | (1 << 10) | (1 << 18) | (1 << 24) ))
bnd=$(field $$ CapBnd)
want=$(printf '%016x' $(( kept & 0x$bnd )))

dotserver up $UP || notok "dotserver starts"
conf "$W/r.conf" $P $UP 'user "_dotproxy"' 'chroot "/var/empty"' \
    "metrics listen on 127.0.0.1 port $P2"
check "dotproxy starts as root" proxy r "$W/r.conf"
pp=$(proxypid r)
check "the parent is under its seccomp filter (Seccomp: $(field "$pp" Seccomp))" \
    [ "$(field "$pp" Seccomp)" = 2 ]
check "the parent has no_new_privs" [ "$(field "$pp" NoNewPrivs)" = 1 ]
for s in CapEff CapPrm CapBnd; do
	have=$(field "$pp" $s)
	check "$s is exactly the kept set: $have ($(capnames "$have"))" \
	    [ "$have" = "$want" ]
done
check "CapInh and CapAmb are empty" \
    [ "$(field "$pp" CapInh)$(field "$pp" CapAmb)" = \
    00000000000000000000000000000000 ]
check "no core dumps: $(limit "$pp" 'Max core file size')" \
    [ "$(limit "$pp" 'Max core file size')" = "0 0" ]
nof=$(limit "$pp" 'Max open files')
check "open files: its soft limit, the hard one kept for engines ($nof)" \
    sh -c 'set -- $1; [ "$1" -lt "$2" ] && [ "$1" -ge 64 ] &&
    [ "$2" = "$(ulimit -Hn)" ]' - "$nof"
check "answered through its engine" answered $P before.example.test

# --- a reload onto a privileged port -------------------------------------
echo "listen on 127.0.0.1 port $PRIV" >>"$W/r.conf"
n=$(nready)
kill -HUP "$pp"
check "reload: the new engine reports ready" waitfor 10 sincenready "$n"
check "reload: the parent bound port $PRIV (below 1024)" \
    sh -c 'ss -Hlnup "sport = :$1" | grep -q "pid=$2," &&
    ss -Hlntp "sport = :$1" | grep -q "pid=$2,"' - $PRIV "$pp"
check "reload: port $PRIV answered over UDP and TCP" \
    sh -c 'dig @127.0.0.1 -p "$1" +time=3 +tries=1 +short a.example.test A |
    grep -qx "192\.0\.2\.1" &&
    dig @127.0.0.1 -p "$1" +tcp +time=3 +tries=1 +short b.example.test A |
    grep -qx "192\.0\.2\.1"' - $PRIV
e=$(lastengine)
check "reload: the new engine runs as _dotproxy, chrooted, sandboxed" \
    sh -c '[ "$(sed -n "s/^Uid:[[:space:]]*\([0-9]*\).*/\1/p" /proc/$1/status)" = \
    "$(id -u _dotproxy)" ] && [ "$(readlink /proc/$1/root)" = /var/empty ] &&
    [ "$(sed -n "s/^Seccomp_filters:[[:space:]]*//p" /proc/$1/status)" = 2 ]' \
    - "${e:-0}"

# --- an engine killed ----------------------------------------------------
n=$(nready)
kill -9 "${e:-0}"
check "kill -9: the engine is restarted" waitfor 10 sincenready "$n"
check "kill -9: answered again" waitfor 5 answered $P after.example.test
check "the control socket answers" \
    sh -c '"$1" -s "$2" show stats | grep -q .' - "$TOP/dotproxyctl" \
    "$W/ctl/r.conf.sock"
check "the metrics process was started and answers" \
    waitfor 5 sh -c 'python3 "$1" "$2" /metrics | grep -q "^dotproxy_"' - \
    "$TOP/regress/http.py" $P2
check "no sandbox violation, no engine failure in any of it" \
    sh -c '! grep -E "sandbox|exited with status" "$1"' - "$W/r.err"

# --- SIGTERM -------------------------------------------------------------
kill -TERM "$pp"
waitfor 5 gone "$pp"
wait "$pp"
rc=$?
check "SIGTERM: exit status 0 ($rc)" [ "$rc" -eq 0 ]
check "SIGTERM: the log says it stopped and the control socket is gone" \
    sh -c 'grep -q "dotproxy stopped" "$1" && [ ! -e "$2" ]' - \
    "$W/r.err" "$W/ctl/r.conf.sock"

# --- a call outside the filter -------------------------------------------
# getsid(2) is in no filter.  gdb makes the parent call it: with -d it is
# named on stderr and the parent dies of SIGSYS; its engines follow.
if [ "${E2E_BUILD:-}" = valgrind ]; then
	# parentsandbox.c: that build loads no filter in the parent, and
	# waiting out the checks below would only cost minutes at its speed
	echo "ok - a call outside the parent's filter kills it # SKIP the valgrind build has no parent filter"
elif command -v gdb >/dev/null 2>&1; then
	conf "$W/v.conf" $P3 $UP 'user "_dotproxy"' 'chroot "/var/empty"'
	proxy v "$W/v.conf" || notok "dotproxy starts again"
	vp=$(proxypid v)
	ve=$(enginepid "$vp")
	timeout 20 gdb -p "$vp" -batch -nx -ex 'call (int)getsid(0)' \
	    >"$W/gdb.out" 2>&1
	waitfor 5 gone "$vp"
	# one that outlives the call (a build without the filter) is killed,
	# so that the script never waits on it
	gone "$vp" || kill -9 "$vp" 2>/dev/null
	wait "$vp"
	rc=$?
	check "violation: the parent dies of SIGSYS (status $rc)" \
	    [ "$rc" -eq $((128 + 31)) ]
	check "violation: -d names the call (getsid)" \
	    grep -q 'parent killed by its sandbox: system call getsid (' \
	    "$W/v.err"
	check "violation: its engine exits with it" waitfor 5 gone "${ve:-0}"

	# without -d the filter kills at once: no handler to name it
	conf "$W/k.conf" $P3 $UP 'user "_dotproxy"' 'chroot "/var/empty"'
	"$DOTPROXY" -f "$W/k.conf" 2>"$W/k.err"
	waitfor 10 sh -c 'ss -Hlnup "sport = :$1" | grep -q pid=' - $P3
	# whatever its name (under valgrind it is valgrind's)
	kp=$(ss -Hlnup "sport = :$P3" | sed -n 's/.*",pid=\([0-9]*\),.*/\1/p' |
	    head -1)
	# never 0: the cleanup would signal the whole process group
	[ -n "$kp" ] && PIDS="$PIDS $kp"
	kp=${kp:-999999999}
	# the ports are bound before it locks itself down
	check "daemon: the parent is under its filter" \
	    waitfor 10 sh -c '[ "$(sed -n "s/^Seccomp:[[:space:]]*//p" \
	    /proc/$1/status)" = 2 ]' - "$kp"
	timeout 20 gdb -p "$kp" -batch -nx -ex 'call (int)getsid(0)' \
	    >"$W/gdb2.out" 2>&1
	check "daemon: a call outside the filter kills the parent" \
	    waitfor 5 gone "$kp"
	gone "$kp" || kill -9 "$kp" 2>/dev/null
else
	echo "ok - a call outside the parent's filter kills it # SKIP gdb not installed"
fi
