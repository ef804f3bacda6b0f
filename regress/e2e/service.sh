#!/bin/sh
# The shipped service files against the built binary: the systemd unit
# passes systemd-analyze verify; etc/dotproxy.rc (sysvinit) starts,
# reports status, reloads, refuses a bad file and stops; etc/dotproxy.openrc
# does the same under the real openrc-run, unpacked in the build tree by
# deps.sh and run in a mount namespace of its own (OpenRC cannot be
# installed beside sysv-rc or systemd without taking over).
. "$(dirname "$0")/../lib.sh"
BASE=$((26700 + ${E2E_PORT_SHIFT:-0}))
UP=$((BASE + 10)) PRC=$((BASE + 11)) PORC=$((BASE + 12))

# gone PID...: none runs (a zombie no one reaped counts as gone).  A pid
# that now belongs to another program was reused (pid_max may be 32768,
# and an engine retired by a reload left its pid long before): gone too.
gone()
{
	[ $# -gt 0 ] || return 1
	for _p in "$@"; do
		[ -r "/proc/$_p/stat" ] || continue
		tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null |
		    grep -q dotproxy || continue
		case "$(cut -d' ' -f3 "/proc/$_p/stat")" in
		Z|X) ;;
		*) return 1 ;;
		esac
	done
}

dotserver up $UP || notok "dotserver starts"

# -- systemd.  The unit as shipped, but for the binary's path (which
# verify checks exists), and man pages where man(1) finds them (verify
# checks Documentation= too).  Any complaint fails, not only errors.
mkdir -p "$W/unit" "$W/man/man8" "$W/man/man5"
sed "s|/usr/local/sbin/dotproxy|$DOTPROXY|g" "$TOP/etc/dotproxy.service" \
    >"$W/unit/dotproxy.service"
cp "$TOP/man/dotproxy.8" "$W/man/man8/"
cp "$TOP/dotproxy.conf.5" "$W/man/man5/"
MANPATH=$W/man systemd-analyze verify "$W/unit/dotproxy.service" \
    >"$W/verify.out" 2>&1
rc=$?
check "systemd-analyze verify passes on etc/dotproxy.service (status $rc, $(wc -l <"$W/verify.out") complaints)" \
    sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' - "$rc" "$W/verify.out"
[ -s "$W/verify.out" ] && sed 's/^/# /' "$W/verify.out"
for d in Type=notify NotifyAccess=main 'ExecStart=.* -d$' \
    ProtectSystem=strict PrivateTmp=yes ProtectHome=yes \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$' LockPersonality=yes \
    MemoryDenyWriteExecute=yes SystemCallArchitectures=native \
    ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
    RestrictNamespaces=yes; do
	check "the unit has $d" grep -q "^$d" "$TOP/etc/dotproxy.service"
done

# -- sysvinit: the script's settings come from the environment here.
conf "$W/rc.conf" $PRC $UP
rc()
{
	env DAEMON="$DOTPROXY" CONFFILE="$W/rc.conf" PIDFILE="$W/rc.pid" \
	    LOGFILE="$W/rc.log" DAEMON_ARGS=-v sh "$TOP/etc/dotproxy.rc" "$@" \
	    >"$W/rc.out" 2>&1
}
check "dotproxy.rc: sh -n" sh -n "$TOP/etc/dotproxy.rc"
rc status
check "dotproxy.rc status before start: 3" [ $? -eq 3 ]
check "dotproxy.rc start" rc start
[ -s "$W/rc.pid" ] && PIDS="$PIDS $(cat "$W/rc.pid")"
check "dotproxy.rc: the engine is ready" \
    waitfor 10 grep -q 'ready, pid' "$W/rc.log"
check "dotproxy.rc status: running" rc status
check "dotproxy.rc: status names the pid" \
    grep -q "is running (pid $(cat "$W/rc.pid"))" "$W/rc.out"
check "dotproxy.rc: the daemon answers" \
    [ "$(rcode $PRC rc.example.test A)" = NOERROR ]
check "dotproxy.rc reload" rc reload
check "dotproxy.rc reload: the daemon reloads, a new engine serves" \
    waitfor 10 sh -c '[ "$(grep -c "ready, pid" "$1")" -ge 2 ] &&
    grep -q "reloading configuration" "$1"' - "$W/rc.log"
cp "$W/rc.conf" "$W/rc.good"
echo 'not a configuration' >"$W/rc.conf"
rc reload
check "dotproxy.rc reload of a bad file fails (status $?)" \
    grep -q 'configuration error, not reloading' "$W/rc.out"
check "dotproxy.rc: the daemon still runs and answers" \
    sh -c '"$@" >/dev/null && [ "$(dig @127.0.0.1 -p '$PRC' +time=3 +tries=1 +short after.example.test A)" != "" ]' - \
    env DAEMON="$DOTPROXY" CONFFILE="$W/rc.good" PIDFILE="$W/rc.pid" \
    sh "$TOP/etc/dotproxy.rc" status
cp "$W/rc.good" "$W/rc.conf"
old=$(cat "$W/rc.pid")
check "dotproxy.rc restart" rc restart
[ -s "$W/rc.pid" ] && PIDS="$PIDS $(cat "$W/rc.pid")"
check "dotproxy.rc restart: a new pid" [ "$(cat "$W/rc.pid")" != "$old" ]
check "dotproxy.rc restart: answers" \
    waitfor 10 sh -c '[ -n "$(dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short restart.example.test A)" ]' - $PRC
pid=$(cat "$W/rc.pid")
check "dotproxy.rc stop" rc stop
check "dotproxy.rc stop: the daemon is gone" gone "$pid"
rc status
check "dotproxy.rc status after stop: 3" [ $? -eq 3 ]

# -- OpenRC
check "dotproxy.openrc: sh -n" sh -n "$TOP/etc/dotproxy.openrc"
ORC=$TOP/build/openrc
if [ ! -x "$ORC/sbin/openrc-run" ] || [ "$(id -u)" -ne 0 ] ||
    ! unshare -m true 2>/dev/null; then
	ok "dotproxy.openrc under openrc-run # SKIP no openrc-run unpacked, or not root"
	exit 0
fi
mkdir -p "$W/orc/init.d" "$W/orc/conf.d"
cp -p "$TOP/etc/dotproxy.openrc" "$W/orc/init.d/dotproxy"
conf "$W/orc.conf" $PORC $UP
cat >"$W/orc/conf.d/dotproxy" <<CONF
DOTPROXY_BIN=$DOTPROXY
DOTPROXY_CONF=$W/orc.conf
DOTPROXY_LOG=$W/orc.log
DOTPROXY_OPTS=-v
export DOTPROXY_E2E_MARK=openrc
CONF
# In the namespace: OpenRC's /sbin and /lib/rc over the real ones, an
# empty /run with the state directories a booted OpenRC has.  Each
# command's status and output go to $W/orc.N.
cat >"$W/orc.sh" <<'INNER'
orc=$1 w=$2 port=$3
mount -t overlay overlay -o "lowerdir=$orc/sbin:/usr/sbin" /usr/sbin &&
    mount -t overlay overlay -o "lowerdir=$orc/lib:/usr/lib" /usr/lib &&
    mount -t tmpfs tmpfs /run || exit 99
for d in started starting stopping inactive wasinactive exclusive failed \
    hotplugged daemons options scheduled tmp; do
	mkdir -p /run/openrc/$d
done
touch /run/openrc/softlevel
n=0
r()
{
	n=$((n + 1))
	"$w/orc/init.d/dotproxy" "$@" >"$w/orc.$n" 2>&1
	echo $? >"$w/orc.$n.rc"
}
r status			# 1
r start				# 2
cp /run/supervise-dotproxy.pid "$w/orc.spid" 2>/dev/null
r status			# 3
i=0
while [ $i -lt 100 ] && ! grep -q 'ready, pid' "$w/orc.log"; do
	sleep 0.1; i=$((i + 1))
done
dig @127.0.0.1 -p "$port" +time=3 +tries=1 +short openrc.example.test A \
    >"$w/orc.dig" 2>&1
pgrep -f "^$(cat "$w/orc.conf.d.bin") " >"$w/orc.dpid"
for p in $(cat "$w/orc.dpid"); do
	tr '\0' '\n' <"/proc/$p/environ"
done >"$w/orc.env"
r reload			# 4
i=0
while [ $i -lt 100 ] && [ "$(grep -c 'ready, pid' "$w/orc.log")" -lt 2 ]; do
	sleep 0.1; i=$((i + 1))
done
pgrep -f "^$(cat "$w/orc.conf.d.bin") " >"$w/orc.dpid2"
cp "$w/orc.conf" "$w/orc.good"
echo 'not a configuration' >"$w/orc.conf"
r reload			# 5
cp "$w/orc.good" "$w/orc.conf"
r stop				# 6
r status			# 7
INNER
echo "$DOTPROXY" >"$W/orc.conf.d.bin"
unshare -m sh "$W/orc.sh" "$ORC" "$W" $PORC
urc=$?
# anything the namespace left running is ours to stop
[ -s "$W/orc.spid" ] && PIDS="$PIDS $(cat "$W/orc.spid")"
[ -s "$W/orc.dpid" ] && PIDS="$PIDS $(cat "$W/orc.dpid")"
if [ "$urc" -eq 99 ]; then
	ok "dotproxy.openrc under openrc-run # SKIP no overlay mounts here"
	exit 0
fi
# orcis N STATUS PATTERN: command N ended with STATUS and said PATTERN
orcis()
{
	[ "$(cat "$W/orc.$1.rc")" = "$2" ] && grep -q -- "$3" "$W/orc.$1"
}
check "openrc: status before start: stopped (3)" orcis 1 3 'status: stopped'
check "openrc: start" orcis 2 0 'Starting dotproxy'
check "openrc: status: started" orcis 3 0 'status: started'
check "openrc: the daemon answers" grep -q '^192\.0\.2\.' "$W/orc.dig"
check "openrc: the daemon has conf.d's exported environment" \
    grep -q '^DOTPROXY_E2E_MARK=openrc$' "$W/orc.env"
check "openrc: reload" orcis 4 0 'Reloading dotproxy'
check "openrc: reload: the same daemon reloaded, a new engine served" \
    sh -c '[ "$(grep -c "ready, pid" "$1")" -ge 2 ] &&
    grep -q "reloading configuration" "$1" && [ -s "$2" ] &&
    cmp -s "$2" "$3"' - "$W/orc.log" "$W/orc.dpid" "$W/orc.dpid2"
check "openrc: reload of a bad file fails" orcis 5 1 'configuration error'
check "openrc: stop" orcis 6 0 'Stopping dotproxy'
check "openrc: status after stop: stopped (3)" orcis 7 3 'status: stopped'
left=$(for p in $(cat "$W/orc.dpid"); do
	gone "$p" || echo "$p:$(cut -d' ' -f2,3 "/proc/$p/stat" 2>/dev/null)"
done)
check "openrc: the daemon is gone (still running: ${left:-none})" \
    gone $(cat "$W/orc.dpid")
