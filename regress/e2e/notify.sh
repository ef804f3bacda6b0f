#!/bin/sh
# The service manager's readiness protocol (sd_notify(3), Type=notify):
# regress/notifyd.py plays systemd on a datagram socket of its own.
# READY=1 only once every engine serves; STATUS=; RELOADING=1 with
# MONOTONIC_USEC and READY=1 around SIGHUP; a file that does not parse
# gives a STATUS saying so and the daemon serves on; STOPPING=1 on
# SIGTERM.  Then the same daemonised (no -d) on an abstract socket.  The
# engines never see NOTIFY_SOCKET.
. "$(dirname "$0")/../lib.sh"
BASE=$((26700 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) P2=$((BASE + 2))

# listen NAME SOCKET: a notify socket logging to $W/NAME.n
listen()
{
	python3 "$TOP/regress/notifyd.py" "$2" "$W/$1.n" &
	PIDS="$PIDS $!"
	waitfor 5 grep -q listening "$W/$1.n"
}

# nmsg NAME N: the Nth message in $W/NAME.n (1 is the first)
nmsg()
{
	grep '^pid=' "$W/$1.n" | sed -n "${2}p"
}

# has NAME N PATTERN: the Nth message matches PATTERN
has()
{
	nmsg "$1" "$2" | grep -q -- "$3"
}

# count NAME PATTERN: messages matching PATTERN
count()
{
	grep -c -- "$2" "$W/$1.n"
}

# noenv PID...: none of the processes has NOTIFY_SOCKET in its environment
noenv()
{
	[ $# -gt 0 ] || return 1
	for _p in "$@"; do
		[ -r "/proc/$_p/environ" ] || return 1
		tr '\0' '\n' <"/proc/$_p/environ" | grep -q '^NOTIFY_SOCKET=' &&
		    return 1
	done
	return 0
}

dotserver up $UP || notok "dotserver starts"
conf "$W/n.conf" $P $UP 'engines 2'
cp "$W/n.conf" "$W/good.conf"
listen n "$W/notify.sock" || notok "the notify listener starts"

NOTIFY_SOCKET="$W/notify.sock" "$DOTPROXY" -d -v -f "$W/n.conf" \
    >"$W/n.err" 2>&1 &
pp=$!
PIDS="$PIDS $pp"
check "READY=1 arrives" waitfor 10 grep -q 'READY=1' "$W/n.n"
# ask at once: READY=1 promises the ports answer now
check "a query right after READY=1 is answered" \
    [ "$(rcode $P after-ready.example.test A)" = NOERROR ]
# the parent logs each engine's ready before it decides to notify
before=$(sed -n '/notify: READY=1/q;p' "$W/n.err" | grep -c 'ready, pid')
check "READY=1 only after both engines reported ready ($before before it)" \
    [ "$before" -eq 2 ]
check "READY=1 comes once, as the first message" \
    sh -c '[ "$(grep -c READY=1 "$1")" -eq 1 ] &&
    grep "^pid=" "$1" | head -1 | grep -q READY=1' - "$W/n.n"
check "the message comes from the main pid $pp" has n 1 "^pid=$pp "
check "STATUS says what serves: $(nmsg n 1 | sed 's/.*STATUS=//')" \
    has n 1 'STATUS=serving on 8 sockets with 2 engines$'
check "with -d there is no MAINPID=" [ "$(count n MAINPID=)" -eq 0 ]
check "the engines have no NOTIFY_SOCKET in their environment" \
    noenv $(pgrep -P $pp)

# reload on a good file: RELOADING=1 with a monotonic time, then READY=1
kill -HUP $pp
check "SIGHUP: READY=1 again after the reload" \
    waitfor 10 sh -c '[ "$(grep -c READY=1 "$1")" -ge 2 ]' - "$W/n.n"
m2=$(nmsg n 2) m3=$(nmsg n 3)
check "SIGHUP: RELOADING=1 first" \
    sh -c 'case "$1" in *RELOADING=1*) ;; *) exit 1 ;; esac' - "$m2"
# MONOTONIC_USEC is the daemon's CLOCK_MONOTONIC when it began: at most
# a few seconds before the listener's clock when the message arrived
mu=$(echo "$m2" | sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p')
at=$(echo "$m2" | sed -n 's/.*mono=\([0-9]*\) .*/\1/p')
check "SIGHUP: MONOTONIC_USEC is CLOCK_MONOTONIC in us (${mu:-none} vs ${at:-none})" \
    sh -c '[ -n "$1" ] && [ -n "$2" ] && [ "$1" -le "$2" ] &&
    [ $(($2 - $1)) -lt 5000000 ]' - "$mu" "$at"
check "SIGHUP: then READY=1 with the new status" \
    sh -c 'case "$1" in *READY=1*"STATUS=serving on 8 sockets"*) ;;
    *) exit 1 ;; esac' - "$m3"
check "the new engines have no NOTIFY_SOCKET either" \
    noenv $(pgrep -P $pp)
check "after the reload the proxy answers" \
    [ "$(rcode $P after-reload.example.test A)" = NOERROR ]

# a file that does not parse: the old configuration serves on, and the
# manager, told RELOADING=1, is released with READY=1 and told why
echo 'this is not dotproxy.conf' >"$W/n.conf"
kill -HUP $pp
check "bad file: READY=1 again" \
    waitfor 10 sh -c '[ "$(grep -c READY=1 "$1")" -ge 3 ]' - "$W/n.n"
m4=$(nmsg n 4) m5=$(nmsg n 5)
check "bad file: RELOADING=1 first" \
    sh -c 'case "$1" in *RELOADING=1*MONOTONIC_USEC=*) ;;
    *) exit 1 ;; esac' - "$m4"
check "bad file: STATUS says the reload failed ($(echo "$m5" | sed 's/.*STATUS=//'))" \
    sh -c 'case "$1" in *READY=1*"STATUS=configuration reload failed"*)
    ;; *) exit 1 ;; esac' - "$m5"
check "bad file: the daemon still runs and answers" \
    sh -c 'kill -0 $1 && [ "$2" = NOERROR ]' - $pp \
    "$(rcode $P after-bad.example.test A)"

# an engine dies: STATUS= says so, then serving again, no second READY=1
nr=$(count n READY=1)
kill -9 "$(enginepid $pp)"
check "an engine dies: STATUS says it is restarted" \
    waitfor 10 grep -q 'STATUS=engine [0-9] died, restarting it' "$W/n.n"
check "an engine dies: STATUS says serving again once it is back" \
    waitfor 10 sh -c 'grep "^pid=" "$1" | tail -1 |
    grep -q "^pid=[0-9]* mono=[0-9]* STATUS=configuration reload failed, old configuration serving on 8 sockets with 2 engines$"' - "$W/n.n"
check "an engine dies: no READY=1 for it" [ "$(count n READY=1)" -eq "$nr" ]

cp "$W/good.conf" "$W/n.conf"
kill -TERM $pp
check "SIGTERM: the daemon exits" waitfor 10 sh -c '! kill -0 $1' - $pp
check "SIGTERM: STOPPING=1 is the last message" \
    sh -c 'grep "^pid=" "$1" | tail -1 | grep -q STOPPING=1' - "$W/n.n"

# Without -d, on an abstract socket: the daemonised parent (a new pid)
# says READY=1 with its MAINPID.
ab="@dotproxy-e2e-notify-$$"
listen a "$ab" || notok "the abstract notify listener starts"
conf "$W/a.conf" $P2 $UP
NOTIFY_SOCKET=$ab "$DOTPROXY" -f "$W/a.conf" >"$W/a.err" 2>&1
check "daemonised: READY=1 on the abstract socket" \
    waitfor 10 grep -q 'READY=1' "$W/a.n"
dp=$(nmsg a 1 | sed -n 's/.*MAINPID=\([0-9]*\).*/\1/p')
[ -n "$dp" ] && PIDS="$PIDS $dp"
check "daemonised: MAINPID=${dp:-none} is the sender" \
    sh -c '[ -n "$1" ] && grep "^pid=" "$2" | head -1 | grep -q "^pid=$1 "' \
    - "$dp" "$W/a.n"
check "daemonised: STATUS with one engine" \
    sh -c 'grep -q "STATUS=serving on 4 sockets with 1 engine$" "$1"' - \
    "$W/a.n"
check "daemonised: answers" \
    [ "$(rcode $P2 daemon.example.test A)" = NOERROR ]
check "daemonised: its engine has no NOTIFY_SOCKET" \
    noenv $(pgrep -P "${dp:-1}" 2>/dev/null)
[ -n "$dp" ] && kill -TERM "$dp"
check "daemonised: STOPPING=1 on SIGTERM" \
    waitfor 10 grep -q 'STOPPING=1' "$W/a.n"

# Not a path nor an abstract name: ignored, the daemon starts anyway.
conf "$W/x.conf" $P2 $UP
proxy x "$W/x.conf" NOTIFY_SOCKET=relative/sock
check "a bad NOTIFY_SOCKET is ignored and the daemon serves" \
    [ "$(rcode $P2 badsock.example.test A)" = NOERROR ]
check "a bad NOTIFY_SOCKET is logged" grep -q 'NOTIFY_SOCKET' "$W/x.err"
