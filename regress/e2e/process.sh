#!/bin/sh
# Processes: the engine's sandbox as /proc shows it (user, groups, chroot,
# no_new_privs, seccomp), SIGHUP with a good and with a broken
# configuration while queries keep flowing, an engine killed with SIGKILL
# or by a sandbox violation is restarted, SIGTERM stops everything, and a
# non-root start still sandboxes its engine.
. "$(dirname "$0")/../lib.sh"
BASE=$((25430 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP1=$((BASE + 1)) UP2=$((BASE + 2)) PN=$((BASE + 3)) PR=$((BASE + 4))

# field PID NAME: the value of a /proc/PID/status line, blanks squeezed.
field()
{
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null |
	    tr -s ' \t' '  ' | sed 's/ *$//'
}

# ids4 VALUE LIST: LIST is exactly four ids (real, effective, saved, fs),
# each VALUE.
ids4()
{
	_v=$1
	shift
	[ $# -eq 4 ] || return 1
	for _x in "$@"; do
		[ "$_x" = "$_v" ] || return 1
	done
}

# gone PID: no such process any more, or only its zombie.
gone()
{
	_s=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null)
	[ -z "$_s" ] || [ "$_s" = Z ]
}

# policy PID: the scheduling policy in /proc/PID/stat (field 41: 0
# SCHED_OTHER, 2 SCHED_RR, 3 SCHED_BATCH); the name may hold spaces.
policy()
{
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $39 }'
}

# argv0 PID: the first word of the command line.
argv0()
{
	{ tr '\0' '\n' <"/proc/$1/cmdline"; } 2>/dev/null | head -1
}

# nlog NAME PATTERN: how many lines of the proxy log NAME match.
nlog()
{
	grep -c "$2" "$W/$1.err" 2>/dev/null
}

# answered PORT NAME: the proxy answered NAME with the upstream's address.
answered()
{
	q "$1" +short "$2" A | grep -qx '192\.0\.2\.1'
}

# seen UPSTREAM NAME: the regress server UPSTREAM logged a query for NAME.
seen()
{
	grep -q "^query .* name=$2\.\{0,1\} " "$W/$1.log" 2>/dev/null
}

duid=$(id -u _dotproxy) dgid=$(id -g _dotproxy)

dotserver up1 $UP1 || notok "first dotserver starts"
dotserver up2 $UP2 || notok "second dotserver starts"

conf "$W/d.conf" $P $UP1 'user "_dotproxy"' 'chroot "/var/empty"' \
    'cache off' 'engines 1'
# A descriptor the invoking shell left open on a file (fd 9 here) must not
# reach the sandboxed engine.
check "dotproxy starts as root and reports its engine ready" \
    proxy dp "$W/d.conf" 9>>"$W/inherited"
pp=$(proxypid dp)
e=$(enginepid "$pp")
check "the parent has an engine child ($e)" [ -n "$e" ]
e=${e:-0}

# --- the sandbox, from /proc -------------------------------------------
u=$(field "$e" Uid) g=$(field "$e" Gid) grp=$(field "$e" Groups)
check "engine runs as _dotproxy: Uid all $duid ($u)" \
    sh -c '[ "$1" -ne 0 ] && shift && [ $# -eq 4 ] &&
    for x; do [ "$x" = "$0" ] || exit 1; done' "$duid" "$duid" $u
check "engine gid is _dotproxy's, not 0: Gid all $dgid ($g)" \
    sh -c '[ "$1" -ne 0 ] && shift && [ $# -eq 4 ] &&
    for x; do [ "$x" = "$0" ] || exit 1; done' "$dgid" "$dgid" $g
# OpenBSD style setgroups(1, &gid): the only supplementary group allowed
# is the user's own gid; root's groups (or any other) must be gone.
check "engine has no supplementary group but its own gid ($grp)" \
    sh -c '[ -r "/proc/$3/status" ] &&
    for x in $1; do [ "$x" = "$2" ] || exit 1; done' - "$grp" "$dgid" "$e"
check "engine has no_new_privs set ($(field "$e" NoNewPrivs))" \
    [ "$(field "$e" NoNewPrivs)" = 1 ]
check "engine is under a seccomp filter, mode 2 ($(field "$e" Seccomp))" \
    [ "$(field "$e" Seccomp)" = 2 ]
r=$(readlink "/proc/$e/root" 2>&1)
check "engine is chrooted to the configured /var/empty ($r)" \
    [ "$r" = /var/empty ]
check "engine's working directory is inside its chroot" \
    [ "$(readlink "/proc/$e/cwd" 2>&1)" = /var/empty ]
u=$(field "$pp" Uid)
check "the parent is still root ($u)" ids4 0 $u
check "the engine is the parent's child" [ "$(field "$e" PPid)" = "$pp" ]
check "the engine runs as SCHED_BATCH ($(policy "$e")), the parent as SCHED_OTHER ($(policy "$pp"))" \
    [ "$(policy "$e")" = 3 -a "$(policy "$pp")" = 0 ]
a0=$(argv0 "$e") pa0=$(argv0 "$pp")
check "the engine's argv names it the engine ($a0), the parent's does not ($pa0)" \
    sh -c 'case "$1" in *engine*) ;; *) exit 1 ;; esac &&
    case "$2" in *engine*) exit 1 ;; esac' - "$a0" "$pa0"
ex=$(readlink "/proc/$e/exe" 2>/dev/null)
check "the engine runs the dotproxy binary: comm $(cat /proc/$e/comm \
    2>/dev/null), exe $ex" sh -c '[ "$(cat /proc/$1/comm 2>/dev/null)" = dotproxy ] &&
    [ "$2" -ef "$3" ]' - "$e" "$ex" "$DOTPROXY"
# Past stdin, stdout and stderr an engine has sockets, pipes, its event
# loop and its TLS session memfds, never a file: it opened none and
# inherits none.  (The sanitizer test build keeps its report file open.)
files=$(for f in /proc/$e/fd/*; do
	case "${f##*/}" in 0|1|2) continue ;; esac
	l=$(readlink "$f") || continue
	case "$l" in
	/memfd:dotproxy-session*) ;;
	"${E2E_REPORTS:-/nonexistent}"/*) ;;
	/*) echo "${f##*/}:$l" ;;
	esac
done | tr '\n' ' ')
check "the engine holds no file open past stdio (${files:-none})" \
    [ -d "/proc/$e/fd" -a -z "$files" ]

check "sandboxed engine answers a query" answered $P first.example.test
check "the query went to the first upstream" seen up1 first.example.test

# --- SIGHUP with a changed, valid configuration --------------------------
conf "$W/d.conf" $P $UP2 'user "_dotproxy"' 'chroot "/var/empty"' \
    'cache off' 'engines 1'
nready=$(nlog dp 'ready, pid')
: >"$W/during"
(
	i=0
	while [ $i -lt 25 ]; do
		echo "$(rcode $P during$i.example.test A)" >>"$W/during"
		sleep 0.05
		i=$((i + 1))
	done
) &
loop=$!
sleep 0.3
kill -HUP "$pp"
check "SIGHUP: a new engine reports ready" \
    waitfor 10 sh -c '[ "$(grep -c "ready, pid" "$1")" -gt "$2" ]' - \
    "$W/dp.err" "$nready"
check "SIGHUP: the old engine is retired" waitfor 10 gone "$e"
wait $loop
n=$(grep -c . "$W/during") bad=$(grep -vc '^NOERROR$' "$W/during")
check "queries sent during the reload all answered ($n sent, $bad not NOERROR)" \
    [ "$n" -eq 25 -a "$bad" -eq 0 ]
check "SIGHUP: the parent is the same process" kill -0 "$pp"
e2=$(enginepid "$pp")
check "SIGHUP: the new engine ($e2) is a child of the same parent ($pp)" \
    [ -n "$e2" -a "$e2" != "$e" ]
check "SIGHUP: the log says it reloaded" grep -q 'reloading configuration' \
    "$W/dp.err"
check "after reload, answers come" answered $P after-reload.example.test
check "after reload, the query reached the new upstream" \
    seen up2 after-reload.example.test
check "after reload, the old upstream no longer gets queries" \
    sh -c '! grep -q "name=after-reload" "$1"' - "$W/up1.log"
check "after reload, the new engine is sandboxed too (Seccomp $(field \
    "${e2:-0}" Seccomp), root $(readlink /proc/${e2:-0}/root 2>/dev/null))" \
    sh -c '[ "$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/$1/status)" = 2 ] &&
    [ "$(readlink /proc/$1/root)" = /var/empty ]' - "${e2:-0}"

# --- SIGHUP with a configuration that does not parse ---------------------
cp "$W/d.conf" "$W/good.conf"
conf "$W/d.conf" $P $UP1 'cache off' 'this is not a statement'
nkeep=$(nlog dp 'keeping the old')
kill -HUP "$pp"
check "SIGHUP with a broken file: the log says the old configuration stays" \
    waitfor 5 sh -c '[ "$(grep -c "keeping the old" "$1")" -gt "$2" ]' - \
    "$W/dp.err" "$nkeep"
bl=$(grep -n 'this is not' "$W/d.conf" | cut -d: -f1)
check "SIGHUP with a broken file: the parse error names file and line ($bl)" \
    grep -q "d.conf:$bl:" "$W/dp.err"
check "SIGHUP with a broken file: still answering" \
    answered $P after-bad.example.test
check "SIGHUP with a broken file: still the old (second) upstream" \
    sh -c 'grep -q "name=after-bad\." "$1" && ! grep -q "name=after-bad\." "$2"' \
    - "$W/up2.log" "$W/up1.log"
check "SIGHUP with a broken file: the engine was left alone" \
    [ "$(enginepid "$pp")" = "$e2" ]
cp "$W/good.conf" "$W/d.conf"

# --- an engine killed with SIGKILL -------------------------------------
e=$(enginepid "$pp")
t0=$(ms)
kill -9 "${e:-0}"
check "kill -9: the engine is answered again within 5 s" \
    waitfor 5 answered $P after-kill.example.test
t1=$(ms)
check "kill -9: the parent logged the engine's death ($((t1 - t0)) ms to recover)" \
    grep -q "(pid $e) killed by signal 9" "$W/dp.err"
e3=$(enginepid "$pp")
check "kill -9: a new engine ($e3) replaced $e, parent $pp unchanged" \
    sh -c '[ -n "$1" ] && [ "$1" != "$2" ] && kill -0 "$3"' - "$e3" "$e" "$pp"
check "kill -9: the replacement is sandboxed (Seccomp $(field "${e3:-0}" \
    Seccomp), Uid $(field "${e3:-0}" Uid))" \
    sh -c '[ "$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/$1/status)" = 2 ] &&
    [ "$(sed -n "s/^Uid:[[:space:]]*\([0-9]*\).*/\1/p" /proc/$1/status)" = "$2" ]' \
    - "${e3:-0}" "$duid"

# --- a seccomp violation -----------------------------------------------
# getppid(2) is not on the allowlist.  gdb makes the engine call it; the
# filter must kill the engine with SIGSYS and the parent must say so.
if command -v gdb >/dev/null 2>&1; then
	e=$(enginepid "$pp")
	timeout 20 gdb -p "${e:-0}" -batch -nx -ex 'call (int)getppid()' \
	    >"$W/gdb.out" 2>&1
	sys=$(python3 -c 'import signal; print(int(signal.SIGSYS))')
	check "sandbox violation: the engine is killed by SIGSYS ($sys)" \
	    waitfor 5 grep -q "(pid $e) killed by signal $sys\>" "$W/dp.err"
	check "sandbox violation: the parent logs it as a sandbox violation" \
	    grep -q "(pid $e) killed by signal .*sandbox violation" "$W/dp.err"
	check "sandbox violation: a new engine answers again" \
	    waitfor 8 answered $P after-sigsys.example.test
else
	echo "ok - sandbox violation kills the engine # SKIP gdb not installed"
fi

# --- SIGTERM ------------------------------------------------------------
kids=$(pgrep -P "$pp" | tr '\n' ' ')
t0=$(ms)
kill -TERM "$pp"
waitfor 4 gone "$pp"
t1=$(ms)
check "SIGTERM: the parent exits within 3 s ($((t1 - t0)) ms)" \
    sh -c '[ "$1" -le 3500 ] && ! grep -q "^State:[[:space:]]*[^Z]" \
    /proc/$2/status 2>/dev/null' - $((t1 - t0)) "$pp"
wait "$pp"
rc=$?
check "SIGTERM: exit status 0 ($rc)" [ "$rc" -eq 0 ]
check "SIGTERM: no engine remains (had: $kids)" \
    sh -c '[ -n "$1" ] || exit 1; for k in $1; do
    s=$(sed -n "s/^State:[[:space:]]*\(.\).*/\1/p" /proc/$k/status 2>/dev/null)
    [ -z "$s" ] || [ "$s" = Z ] || exit 1; done' - "$kids"
check "SIGTERM: the log says it stopped" grep -q 'dotproxy stopped' "$W/dp.err"
check "SIGTERM: the port is free again" \
    sh -c '! ss -Hlnu "sport = :$1" | grep -q . && ! ss -Hlnt "sport = :$1" | grep -q .' \
    - "$P"

# --- started under a scheduling policy the operator chose ----------------
# SCHED_RR rather than SCHED_IDLE: an idle-class daemon may not get the
# CPU at all while the machine is busy, and this check must not hang on
# that.  A container without CAP_SYS_NICE cannot set it: skipped there.
if chrt -r 1 true 2>/dev/null; then
	conf "$W/rr.conf" $PR $UP1 'engines 1'
	# proxy runs env ARGS... dotproxy: env runs chrt, which execs it
	proxy rr "$W/rr.conf" chrt -r 1
	rpp=$(proxypid rr)
	re=$(enginepid "$rpp")
	re=${re:-0}
	check "started under SCHED_RR, the engine keeps it ($(policy "$re")), not SCHED_BATCH" \
	    [ "$(policy "$re")" = 2 ]
	check "started under SCHED_RR, it answers" answered $PR rr.example.test
	kill -TERM "$rpp" 2>/dev/null
	waitfor 4 gone "$rpp"
	wait "$rpp" 2>/dev/null
else
	echo "ok - an operator's scheduling policy is kept # SKIP chrt -r not permitted"
fi

# --- started as a non-root user ------------------------------------------
nuid=$(id -u nobody)
conf "$W/n.conf" $PN $UP1 'cache off' 'engines 1'
chmod 0644 "$W/n.conf"
: >"$W/nr.err"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$DOTPROXY" -d -v -f "$W/n.conf" >"$W/nr.err" 2>&1 &
npp=$!
PIDS="$PIDS $npp"
check "non-root: dotproxy starts and its engine reports ready" \
    waitfor 10 grep -q 'ready, pid' "$W/nr.err"
check "non-root: it warns that it is not root" grep -qi 'not running as root' \
    "$W/nr.err"
check "non-root: the parent runs as nobody ($(field "$npp" Uid))" \
    ids4 "$nuid" $(field "$npp" Uid)
ne=$(enginepid "$npp")
ne=${ne:-0}
check "non-root: it answers" answered $PN nonroot.example.test
check "non-root: the engine runs as nobody ($(field "$ne" Uid))" \
    ids4 "$nuid" $(field "$ne" Uid)
check "non-root: the engine has no_new_privs set ($(field "$ne" NoNewPrivs))" \
    [ "$(field "$ne" NoNewPrivs)" = 1 ]
check "non-root: the engine is under a seccomp filter ($(field "$ne" Seccomp))" \
    [ "$(field "$ne" Seccomp)" = 2 ]
kill -TERM "$npp" 2>/dev/null
waitfor 4 gone "$npp"
wait "$npp"
rc=$?
check "non-root: SIGTERM stops it with status 0 ($rc)" [ "$rc" -eq 0 ]
