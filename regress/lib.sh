# Shared helpers for the end-to-end tests in regress/e2e.  Sourced, not run.
#
# Every test script picks its own port block (BASE) so scripts never share a
# port; E2E_PORT_SHIFT moves every block, so that two checkouts can run their
# tests at once.  A script starts what it needs through these functions and
# leaves cleanup to the EXIT trap, which stops only the processes this script
# started, by PID.
# Results are TAP-like lines: "ok - name" or "not ok - name".
#
# The sanitizer and valgrind runs (regress/memcheck.sh) point DOTPROXY
# and DOTSERVER at their own build; DOTPROXY may then be a script that
# starts the daemon under valgrind, DOTPROXY_BIN is the binary itself.
# E2E_TIME_SCALE multiplies the waits of waitfor, q and cleanup there.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
DOTPROXY=${DOTPROXY:-$TOP/dotproxy}
DOTPROXY_BIN=${DOTPROXY_BIN:-$DOTPROXY}
DOTSERVER=${DOTSERVER:-$TOP/build/dotserver}
CERTS=$TOP/build/certs
SCALE=${E2E_TIME_SCALE:-1}
W=$(mktemp -d /tmp/dotproxy-e2e.XXXXXX)
chmod 0755 "$W"
# control sockets (conf below): a daemon started as another user makes
# its own here
mkdir -m 1777 "$W/ctl"
PIDS=""

# alive PIDS...: one of them still runs (a zombie does not count).
alive()
{
	for _p; do
		case $(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' \
		    "/proc/$_p/status" 2>/dev/null) in
		''|Z) ;;
		*) return 0 ;;
		esac
	done
	return 1
}

# A daemon told to stop gets time to exit cleanly (its engines drain for
# up to a second), so that valgrind and LeakSanitizer check it at exit.
cleanup()
{
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	_t=$((30 * SCALE))
	while [ "$_t" -gt 0 ] && alive $PIDS; do
		sleep 0.1
		_t=$((_t - 1))
	done
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

ok()
{
	echo "ok - $*"
}

notok()
{
	echo "not ok - $*"
}

# check NAME CMD...: one result line from the exit status of CMD.
check()
{
	_n=$1
	shift
	if "$@"; then ok "$_n"; else notok "$_n"; fi
}

# The test PKI is made once per build tree and shared by every script.
certs()
{
	if [ ! -f "$CERTS/server.pem" ]; then
		mkdir -p "$CERTS.tmp.$$"
		sh "$TOP/regress/mkcerts.sh" "$CERTS.tmp.$$" >/dev/null 2>&1 &&
		    mv "$CERTS.tmp.$$" "$CERTS" 2>/dev/null
		rm -rf "$CERTS.tmp.$$"
	fi
	[ -f "$CERTS/server.pem" ]
}

# waitfor SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
waitfor()
{
	_t=$(($1 * 10 * SCALE))
	shift
	while [ "$_t" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}

# dotserver NAME PORT [ARGS...]: start the regress DoT server on 127.0.0.1
# with the good certificate unless ARGS say otherwise.  Its log is
# $W/NAME.log, its pid $W/NAME.pid.
dotserver()
{
	_name=$1 _port=$2
	shift 2
	rm -f "$W/$_name.pid"
	"$DOTSERVER" -c "$CERTS/server.pem" -k "$CERTS/server.key" \
	    -l 127.0.0.1 -p "$_port" -L "$W/$_name.log" \
	    -w "$W/$_name.pid" "$@" >"$W/$_name.out" 2>&1 &
	PIDS="$PIDS $!"
	waitfor 5 test -s "$W/$_name.pid"
}

stopserver()
{
	[ -s "$W/$1.pid" ] && kill "$(cat "$W/$1.pid")" 2>/dev/null
	rm -f "$W/$1.pid"
	sleep 0.1
}

# DNS queries the upstream NAME logged.
upqueries()
{
	grep -c '^query' "$W/$1.log" 2>/dev/null
}

# proxy NAME CONF [ENV...]: start dotproxy in the foreground with the
# configuration file CONF and wait until its engine is ready.
proxy()
{
	_name=$1 _conf=$2
	shift 2
	: >"$W/$_name.err"
	env "$@" "$DOTPROXY" -d -v -f "$_conf" >"$W/$_name.err" 2>&1 &
	_pid=$!
	PIDS="$PIDS $_pid"
	echo "$_pid" >"$W/$_name.pid"
	waitfor 10 grep -q 'ready, pid' "$W/$_name.err"
}

proxypid()
{
	cat "$W/$1.pid"
}

# engines PID: the engines among the children of the parent PID, one pid
# a line (the metrics process, -M, is a child too; an engine runs with -E,
# under valgrind as well).
engines()
{
	for _k in $(pgrep -P "$1" 2>/dev/null); do
		tr '\0' ' ' <"/proc/$_k/cmdline" 2>/dev/null |
		    grep -q -- ' -E ' && echo "$_k"
	done
}

# nengines PID N: the parent PID runs, with N engines.
nengines()
{
	kill -0 "$1" 2>/dev/null && [ "$(engines "$1" | wc -l)" -eq "$2" ]
}

# The pid of the (first) engine of the parent PID.
enginepid()
{
	engines "$1" | head -1
}

# conf FILE PORT UPPORT [LINES...]: write a configuration that listens on
# 127.0.0.1 and ::1 at PORT and forwards to the regress server at UPPORT.
# One engine and no cache unless LINES say otherwise (a later statement
# wins), so that a test counting what reaches the upstream counts every
# query and one connection.
conf()
{
	_f=$1 _p=$2 _u=$3
	shift 3
	{
		echo "listen on 127.0.0.1 port $_p"
		echo "listen on ::1 port $_p"
		echo "ca-file \"$CERTS/ca.pem\""
		echo "engines 1"
		echo "cache off"
		echo "control socket \"$W/ctl/$(basename "$_f").sock\""
		[ "$_u" = none ] ||
		    echo "upstream 127.0.0.1 port $_u tls-name \"dns.test\""
		for l in "$@"; do
			echo "$l"
		done
	} >"$_f"
}

# q PORT ARGS...: dig at the proxy on 127.0.0.1, short timeouts.
q()
{
	_p=$1
	shift
	dig @127.0.0.1 -p "$_p" +time=$((3 * SCALE)) +tries=1 "$@" 2>&1
}

# rcode PORT ARGS...: only the status word of the answer (or "timeout").
rcode()
{
	_out=$(q "$@")
	case "$_out" in
	*"status: "*)
		echo "$_out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -1 ;;
	*) echo timeout ;;
	esac
}

# upanswer OUT: the dig or kdig output OUT carries the regress upstream's
# answer, 192.0.2.1.
upanswer()
{
	echo "$1" | grep -q "192.0.2.1"
}

# st ADDR PORT ARGS...: the status word of dig's answer, or "timeout".
st()
{
	_a=$1 _p=$2
	shift 2
	_out=$(dig @"$_a" -p "$_p" +time=3 +tries=1 "$@" 2>&1)
	case "$_out" in
	*"status: "*)
		echo "$_out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -1 ;;
	*) echo timeout ;;
	esac
}

# ms: the wall clock in milliseconds; since T: ms since T;
# till T MS: sleep until MS ms after T
ms()
{
	date +%s%3N
}

since()
{
	echo $(($(ms) - $1))
}

till()
{
	_d=$(($1 + $2 - $(ms)))
	[ "$_d" -gt 0 ] && sleep "$(awk -v d="$_d" 'BEGIN { printf "%.3f", d / 1000 }')"
	return 0
}

# unbound12 PORT: Unbound as a DoT upstream on 127.0.0.1 at PORT, capped
# at TLS 1.2 (libtls resumes only TLS 1.2 sessions) and closing idle
# connections after 800 ms, so that a reconnect resumes.  It is stopped
# when the script exits, even if it only half started; its start-up
# output is $W/ub.out.
unbound12()
{
	cat >"$W/tls12.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = sys
[sys]
MaxProtocol = TLSv1.2
CNF
	mkdir -p "$W/ub"
	trap 'sh "$TOP/regress/unbound-dot.sh" stop "$W/ub" >/dev/null 2>&1; cleanup' EXIT
	OPENSSL_CONF="$W/tls12.cnf" UNBOUND_TCP_IDLE=800 \
	    sh "$TOP/regress/unbound-dot.sh" start "$W/ub" "$1" "$CERTS" \
	    >"$W/ub.out" 2>&1
}

# pyclient ARGS...: the raw DNS client for malformed and pipelined traffic.
pyclient()
{
	python3 "$TOP/regress/rawdns.py" "$@"
}

# pipelined PORT RULE NAME...: the NAMEs pipelined on one TCP connection
# to the proxy.  Prints "good" when each has its reply, for its own
# question, with an rcode that RULE, an awk expression of qname and
# rcode, allows; else "bad:" and what was wrong.
pipelined()
{
	_port=$1 _rule=$2
	shift 2
	pyclient pipeline "$_port" "$@" 2>&1 | awk -v names="$*" '
	function allowed(qname, rcode) { return ('"$_rule"') }
	BEGIN { n = split(names, want, " ") }
	/^id=/ {
		split($1, i, "="); split($2, rc, "="); split($6, nm, "=")
		name[i[2]] = nm[2]; code[i[2]] = rc[2]
		next
	}
	{ bad = bad " [" $0 "]" }
	END {
		for (k = 1; k <= n; k++) {
			if (!(k in name))
				bad = bad " " want[k] " missing"
			else if (name[k] != want[k])
				bad = bad " id " k " for " name[k]
			else if (!allowed(want[k], code[k]))
				bad = bad " " want[k] " rcode " code[k]
		}
		print bad == "" ? "good" : "bad:" bad
	}'
}

certs || { notok "test PKI could be made"; exit 1; }
