#!/bin/sh
#
# Copyright (c) 2026 The dotproxy developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# bench.sh -- `make bench`: dnsperf against dotproxy, the peers and the
# no-proxy reference, all forwarding to one local Unbound DoT upstream.
#
# Everything runs on 127.0.0.1 on this machine: dnsperf, the upstream
# (regress/unbound-dot.sh: DoT on BASE, plain DNS on BASE+1, *.bench.test
# answers A 192.0.2.7 for any name) and the forwarder under test share the
# cores, so each row also reports the CPU time the forwarder used.
#
# Rows (each one dnsperf run of BENCH_DURATION seconds):
#   reference   dnsperf straight to the upstream's plain port (UDP, TCP)
#   dotproxy    hits UDP (a warmed set of 1009 names), misses UDP (names
#               never asked before), pipelined TCP (misses)
#   stubby      misses UDP, TCP (it has no cache)
#   unbound     Unbound as a DoT forwarder: hits UDP, misses UDP, TCP
#   dnsdist     outgoing DoT backend: misses UDP, TCP
# Peers that are not installed are skipped.  Then the hit-CPU comparison:
# dotproxy, dotproxy with `engines 1` (dotproxy1) and dnsdist with its
# packet cache (dnsdist+pc) run side by side, warmed; dnsdist+pc gets one
# hits UDP row at full speed, then BENCH_ROUNDS rounds each measure all
# three at the same fixed offered load, one after the other.  Interleaved
# rounds and the median per target keep a minute of noise from another
# tenant of this machine out of the ratio.  Between dotproxy's rows and
# the peers' comes its resident memory (VmRSS of the parent and its
# engines) before and after 100,000 unique names went through a fresh
# instance with `cache size 100000`.
#
# Columns: QPS and mean latency as dnsperf reports them; p99 from the
# per-query latencies of `dnsperf -v` (Debian 12's dnsperf 2.10 has no
# percentile or histogram output), sorted, the value at rank ceil(.99 n)
# of the n answered queries; lost = dnsperf's lost (timed-out) queries;
# rcode!=0 = answers that were not NOERROR (SERVFAIL, REFUSED...: dnsperf
# counts them as completed); CPU = user+sys seconds of the forwarder's
# processes from /proc/PID/stat before and after (all threads; for
# dotproxy the parent plus every engine); us/q = that CPU per answered
# query; up CPU = the same for the upstream Unbound; busy = share of the
# whole machine's CPU in use during the run (from /proc/stat).
#
# Environment: BENCH_DURATION (s, 10), BENCH_CLIENTS (dnsperf -c, 8),
# BENCH_OUTSTANDING (dnsperf -q, 200), BENCH_LOAD (offered QPS of the
# fixed-load hit rows; default 40 % of the reference UDP QPS, rounded
# down to 1000), BENCH_ROUNDS (rounds of the fixed-load hit rows, 3),
# BENCH_LOAD_OUTSTANDING (their -q, BENCH_OUTSTANDING:
# dnsperf sends its first -q queries in one burst whatever -Q says, and
# a burst much larger than a socket's default receive buffer, about 250
# datagrams, is lost at any server), BENCH_PORT (first of the ports used, 47000),
# BENCH_ENGINES (adds `engines N` to dotproxy's configuration; without it
# dotproxy runs its default), BENCH_UNBOUND_THREADS (threads of the Unbound
# forwarder peer, 2), UNBOUND_THREADS (threads of the upstream, 1),
# KEEP=1 keeps the work directory.  The table is also written to
# build/bench.txt.

set -u

cd "$(dirname "$0")/.." || exit 2
TOP=$(pwd)
CERTS=$TOP/build/certs
DOTPROXY=$TOP/dotproxy
OUT=$TOP/build/bench.txt

DUR=${BENCH_DURATION:-10}
CLIENTS=${BENCH_CLIENTS:-8}
OUTST=${BENCH_OUTSTANDING:-200}
LOADQ=${BENCH_LOAD_OUTSTANDING:-$OUTST}
ROUNDS=${BENCH_ROUNDS:-3}
BASE=${BENCH_PORT:-47000}
FWD_THREADS=${BENCH_UNBOUND_THREADS:-2}
HITNAMES=1009		# prime: dnsperf's round-robin over its sockets
			# then sends every name from every socket
MEMNAMES=100000

UP_TLS=$BASE
UP_PLAIN=$((BASE + 1))
P_DOTPROXY=$((BASE + 10))
P_STUBBY=$((BASE + 20))
P_UNBOUND=$((BASE + 30))
P_DNSDIST=$((BASE + 40))
P_DNSDISTPC=$((BASE + 41))
P_MEM=$((BASE + 50))
P_DOTPROXY1=$((BASE + 51))

HZ=$(getconf CLK_TCK)
START=$(date +%s)

W=$(mktemp -d /tmp/dotproxy-bench.XXXXXX) || exit 1
chmod 0755 "$W"
PIDS=""
UPDIR=$W/upstream
ROWS=$W/rows
NOTES=$W/notes
: >"$ROWS"
: >"$NOTES"

cleanup()
{
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	sh "$TOP/regress/unbound-dot.sh" stop "$UPDIR" 2>/dev/null
	sleep 0.3
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	if [ -n "${KEEP:-}" ]; then
		echo "work directory kept: $W" >&2
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

say()
{
	echo "bench: $*" >&2
}

die()
{
	say "$*"
	exit 1
}

note()
{
	echo "$*" >>"$NOTES"
}

have()
{
	command -v "$1" >/dev/null 2>&1
}

# stop PID: end one process this script started.
stop()
{
	_p=$1
	kill "$_p" 2>/dev/null || return 0
	_n=0
	while kill -0 "$_p" 2>/dev/null && [ $_n -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	return 0
}

# answers PORT: the forwarder on PORT answers a test name over UDP.
answers()
{
	kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short www.example.test A \
	    2>/dev/null | grep -q '^192\.0\.2\.53$'
}

# waitready PORT PID: wait up to 15 s for PORT to answer while PID lives.
waitready()
{
	_n=0
	while [ $_n -lt 75 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		answers "$1" && return 0
		sleep 0.2
		_n=$((_n + 1))
	done
	return 1
}

# tree PID: PID and all its descendants.
tree()
{
	echo "$1"
	for _c in $(pgrep -P "$1" 2>/dev/null); do
		tree "$_c"
	done
}

# ticks PID...: user+sys clock ticks of the processes (all their threads).
# The command name in /proc/PID/stat may hold spaces, so cut after ')'.
ticks()
{
	for _p in "$@"; do
		sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null
	done | awk '{ t += $12 + $13 } END { print t + 0 }'
}

# machine: "busy total" jiffies of all CPUs.
machine()
{
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i;
	    print t - $5 - $6, t }' /proc/stat
}

# rss PID...: summed VmRSS in KiB.
rss()
{
	for _p in "$@"; do
		cat "/proc/$_p/status" 2>/dev/null
	done | awk '$1 == "VmRSS:" { k += $2 } END { print k + 0 }'
}

# names FILE PREFIX COUNT: COUNT unique names PREFIX-N.bench.test.
names()
{
	awk -v p="$2" -v n="$3" 'BEGIN {
	    for (i = 1; i <= n; i++) printf "%s-%d.bench.test A\n", p, i }' >"$1"
}

# One unique-name file per run, so no name is ever asked twice of a cache.
# (Called in the current shell, not in $(...), so RUN counts.)
NMISS=$((DUR * 150000))
MISS=$W/miss.txt
RUN=0
newmiss()
{
	RUN=$((RUN + 1))
	names "$MISS" "r$RUN-$$" "$NMISS"
}

# measure TARGET SCENARIO PID PORT MODE FILE [DNSPERF ARGS...]: one dnsperf
# run of DUR seconds against PORT; appends a row.  PID is the forwarder
# (0 for none); its descendants count too.
measure()
{
	_t=$1 _s=$2 _pid=$3 _port=$4 _mode=$5 _file=$6
	shift 6
	_flags=""
	_pids=""
	[ "$_pid" = 0 ] || _pids=$(tree "$_pid")
	_offered=max
	_q=$OUTST
	case " $* " in
	*" -Q "*)
		_offered=$(echo "$*" | sed 's/.*-Q \([0-9]*\).*/\1/')
		_q=$LOADQ
		;;
	esac
	say "$_t: $_s ($_mode, ${DUR}s)"
	_c0=0
	[ -z "$_pids" ] || _c0=$(ticks $_pids)
	_u0=$(ticks "$UPPID")
	_m0=$(machine)
	dnsperf -m "$_mode" -s 127.0.0.1 -p "$_port" -d "$_file" -l "$DUR" \
	    -c "$CLIENTS" -q "$_q" -v "$@" >"$W/dnsperf.out" \
	    2>"$W/dnsperf.err"
	_m1=$(machine)
	_u1=$(ticks "$UPPID")
	_c1=0
	if [ -n "$_pids" ]; then
		_c1=$(ticks $_pids)
		for _p in $_pids; do
			kill -0 "$_p" 2>/dev/null || _flags="${_flags}D"
		done
		[ "$(tree "$_pid" | sort | tr '\n' ' ')" = \
		    "$(echo "$_pids" | sort | tr '\n' ' ')" ] ||
		    _flags="${_flags}R"
	fi
	if ! grep -q 'Queries per second' "$W/dnsperf.out"; then
		say "dnsperf failed:"
		cat "$W/dnsperf.err" >&2
		_flags="${_flags}F"
	fi
	_sent=$(awk '/Queries sent:/ { print $3 }' "$W/dnsperf.out")
	[ "$_file" != "$MISS" ] || [ "${_sent:-0}" -le "$NMISS" ] ||
	    _flags="${_flags}W"
	# "> NOERROR name type latency" per answer; "> T name type" per
	# timeout, which counts as lost, not in the percentile.
	_p99=$(awk '$1 == ">" && $2 != "T" && NF == 5 { print $5 }' \
	    "$W/dnsperf.out" |
	    LC_ALL=C sort -n | awk '{ v[NR] = $1 } END {
	    if (NR == 0) { print "-"; exit }
	    r = int(NR * 0.99); if (r < NR * 0.99) r++;
	    printf "%.2f", v[r] * 1000 }')
	awk -v t="$_t" -v s="$_s" -v o="$_offered" -v c0="$_c0" -v c1="$_c1" \
	    -v u0="$_u0" -v u1="$_u1" -v m0="$_m0" -v m1="$_m1" -v hz="$HZ" \
	    -v p99="$_p99" -v fl="$_flags" -v haspid="$_pid" '
	/Queries completed:/ { done = $3 }
	/Queries lost:/ { lost = $3 }
	/Queries per second:/ { qps = $4 }
	/Average Latency/ && mean == "" { mean = $4 }
	/Response codes:/ {
		sub(/.*Response codes:/, "")
		n = split($0, a, /, */)
		for (i = 1; i <= n; i++) {
			split(a[i], b, " ")
			if (b[1] != "NOERROR") bad += b[2]
		}
	}
	END {
		split(m0, x, " "); split(m1, y, " ")
		busy = (y[2] - x[2]) > 0 ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0
		cpu = (c1 - c0) / hz
		if (haspid == 0) { cpus = "-"; per = "-" }
		else {
			cpus = sprintf("%.2f", cpu)
			per = done > 0 ? sprintf("%.1f", cpu * 1e6 / done) : "-"
		}
		printf "%s|%s|%s|%.0f|%.2f|%s|%d|%d|%s|%s|%.2f|%.0f|%d|%s\n",
		    t, s, o, qps, mean * 1000, p99, lost, bad, cpus, per,
		    (u1 - u0) / hz, busy, done, fl
	}' "$W/dnsperf.out" >>"$ROWS"
	tail -1 "$ROWS" | awk -F'|' '{ printf "bench:   %s qps, mean %s ms, p99 %s ms, lost %s, cpu %s s\n", $4, $5, $6, $7, $9 }' >&2
}

# warm PORT: ask the hit set from 16 sockets, 20 passes, so that every
# name reached every engine (SO_REUSEPORT spreads sockets over engines).
warm()
{
	dnsperf -s 127.0.0.1 -p "$1" -d "$W/hits.txt" -n 20 -c 16 -q 100 \
	    >"$W/warm.out" 2>&1
}

# cachecheck PORT: does a repeated name come back with a lower TTL than
# the upstream's 60, i.e. from a cache?  Prints yes or no.
cachecheck()
{
	for _i in 1 2 3 4 5 6 7 8; do
		kdig @127.0.0.1 -p "$1" +time=1 +retry=0 cachecheck.bench.test A \
		    >/dev/null 2>&1
	done
	sleep 2.2
	for _i in 1 2 3 4 5 6 7 8; do
		kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +noall +answer \
		    cachecheck.bench.test A 2>/dev/null
	done | awk '$2 ~ /^[0-9]+$/ && $2 < 60 { y = 1 } END {
	    print y ? "yes" : "no" }'
}

# ---------------------------------------------------------------- set-up

for t in dnsperf unbound unbound-checkconf kdig openssl pgrep; do
	have "$t" || die "$t missing: run 'sh regress/deps.sh bench' as root"
done
[ -x "$DOTPROXY" ] || die "$DOTPROXY missing: run make"

if [ ! -f "$CERTS/ca.pem" ]; then
	say "making the test PKI in $CERTS"
	sh regress/mkcerts.sh "$CERTS" || die "mkcerts.sh failed"
fi
CA=$CERTS/ca.pem

say "starting the upstream: Unbound, DoT on $UP_TLS, plain on $UP_PLAIN"
UPPID=$(sh regress/unbound-dot.sh start "$UPDIR" "$UP_TLS" "$CERTS") ||
    die "upstream did not start"

names "$W/hits.txt" hit "$HITNAMES"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# -------------------------------------------------------------- reference

newmiss
measure reference "plain UDP" 0 "$UP_PLAIN" udp "$MISS"
REFQPS=$(tail -1 "$ROWS" | cut -d'|' -f4)
newmiss
measure reference "plain TCP" 0 "$UP_PLAIN" tcp "$MISS"
if [ -n "${BENCH_LOAD:-}" ]; then
	LOAD=$BENCH_LOAD
else
	LOAD=$((REFQPS * 4 / 10 / 1000 * 1000))
	[ "$LOAD" -ge 1000 ] || LOAD=1000
fi

# --------------------------------------------------------------- dotproxy

# dpconf PORT FILE [ENGINES]
dpconf()
{
	{
		echo "listen on 127.0.0.1 port $1"
		echo "ca-file \"$CA\""
		echo "upstream 127.0.0.1 port $UP_TLS tls-name \"dns.test\""
		echo "cache size $MEMNAMES"
		if [ -n "${3:-}" ]; then
			echo "engines $3"
		elif [ -n "${BENCH_ENGINES:-}" ]; then
			echo "engines $BENCH_ENGINES"
		fi
	} >"$2"
}

# dpstart PORT NAME [ENGINES]: start dotproxy, set DPPID.
dpstart()
{
	dpconf "$1" "$W/$2.conf" "${3:-}"
	"$DOTPROXY" -d -f "$W/$2.conf" >"$W/$2.log" 2>&1 </dev/null &
	DPPID=$!
	PIDS="$PIDS $DPPID"
	if ! waitready "$1" "$DPPID"; then
		cat "$W/$2.log" >&2
		die "dotproxy did not start"
	fi
}

dpstart "$P_DOTPROXY" dotproxy
ENGINES=$(pgrep -P "$DPPID" | wc -l)
CACHE=$(cachecheck "$P_DOTPROXY")
say "dotproxy: $ENGINES engine(s), cache answers: $CACHE"
warm "$P_DOTPROXY"
measure dotproxy "hits UDP" "$DPPID" "$P_DOTPROXY" udp "$W/hits.txt"
newmiss
measure dotproxy "misses UDP" "$DPPID" "$P_DOTPROXY" udp "$MISS"
newmiss
measure dotproxy "misses TCP" "$DPPID" "$P_DOTPROXY" tcp "$MISS"
DPWARN=$(grep -c -i -E 'warn|error|fail|died|killed|restart' "$W/dotproxy.log")
stop "$DPPID"

# Memory: a fresh instance, 100,000 unique names at a rate it sustains.
say "dotproxy: resident memory with $MEMNAMES names"
dpstart "$P_MEM" dotproxy-mem
sleep 0.5
RSS0=$(rss $(tree "$DPPID"))
names "$W/mem.txt" "mem-$$" "$MEMNAMES"
MEMQPS=20000
dnsperf -s 127.0.0.1 -p "$P_MEM" -d "$W/mem.txt" -n 1 -c 16 -q 200 \
    -Q "$MEMQPS" >"$W/mem.out" 2>&1
MEMLOST=$(awk '/Queries lost:/ { print $3 }' "$W/mem.out")
sleep 0.5
RSS1=$(rss $(tree "$DPPID"))
MEMPROCS=$(tree "$DPPID" | wc -l)
stop "$DPPID"

# ------------------------------------------------------------------ peers

if have stubby; then
	cat >"$W/stubby.yml" <<EOF
resolution_type: GETDNS_RESOLUTION_STUB
dns_transport_list:
  - GETDNS_TRANSPORT_TLS
tls_authentication: GETDNS_AUTHENTICATION_REQUIRED
tls_ca_file: "$CA"
tls_query_padding_blocksize: 128
edns_client_subnet_private: 1
idle_timeout: 10000
appdata_dir: "$W"
listen_addresses:
  - 127.0.0.1@$P_STUBBY
upstream_recursive_servers:
  - address_data: 127.0.0.1
    tls_port: $UP_TLS
    tls_auth_name: "dns.test"
EOF
	stubby -C "$W/stubby.yml" >"$W/stubby.log" 2>&1 </dev/null &
	SPID=$!
	PIDS="$PIDS $SPID"
	if waitready "$P_STUBBY" "$SPID"; then
		newmiss
		measure stubby "misses UDP" "$SPID" "$P_STUBBY" udp "$MISS"
		newmiss
		measure stubby "misses TCP" "$SPID" "$P_STUBBY" tcp "$MISS"
	else
		note "stubby did not start; its log:"
		sed 's/^/    /' "$W/stubby.log" >>"$NOTES"
	fi
	stop "$SPID"
else
	note "stubby not installed: skipped"
fi

if [ "$FWD_THREADS" -gt 1 ]; then reuse=yes; else reuse=no; fi
mkdir -p "$W/unbound"
cat >"$W/unbound/unbound.conf" <<EOF
server:
	verbosity: 1
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$W/unbound"
	pidfile: "$W/unbound/unbound.pid"
	use-syslog: no
	logfile: ""
	num-threads: $FWD_THREADS
	so-reuseport: $reuse
	interface: 127.0.0.1@$P_UNBOUND
	do-ip4: yes
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	tls-cert-bundle: "$CA"
	module-config: "iterator"
	qname-minimisation: no
	minimal-responses: yes
	num-queries-per-thread: 4096
	outgoing-num-tcp: 64
	msg-cache-size: 64m
	rrset-cache-size: 128m
	# test. is one of Unbound's built-in local zones; forward it.
	local-zone: "test." nodefault
forward-zone:
	name: "."
	forward-tls-upstream: yes
	forward-addr: 127.0.0.1@$UP_TLS#dns.test
remote-control:
	control-enable: no
EOF
if unbound-checkconf "$W/unbound/unbound.conf" >"$W/unbound/log" 2>&1; then
	unbound -d -c "$W/unbound/unbound.conf" >"$W/unbound/log" 2>&1 \
	    </dev/null &
	FPID=$!
	PIDS="$PIDS $FPID"
	if waitready "$P_UNBOUND" "$FPID"; then
		warm "$P_UNBOUND"
		measure unbound "hits UDP" "$FPID" "$P_UNBOUND" udp "$W/hits.txt"
		newmiss
		measure unbound "misses UDP" "$FPID" "$P_UNBOUND" udp "$MISS"
		newmiss
		measure unbound "misses TCP" "$FPID" "$P_UNBOUND" tcp "$MISS"
	else
		note "unbound forwarder did not start; its log:"
		sed 's/^/    /' "$W/unbound/log" >>"$NOTES"
	fi
	stop "$FPID"
else
	note "unbound forwarder configuration rejected:"
	sed 's/^/    /' "$W/unbound/log" >>"$NOTES"
fi

# dnsdist NAME PORT [LUA]: start dnsdist with the DoT backend, set DDPID.
dnsdist_start()
{
	cat >"$W/$1.conf" <<EOF
setSecurityPollSuffix("")
setLocal("127.0.0.1:$2")
setACL({"127.0.0.0/8"})
newServer{address="127.0.0.1:$UP_TLS", tls="openssl", subjectName="dns.test",
    caStore="$CA", validateCertificates=true, checkName="www.example.test."}
${3:-}
EOF
	dnsdist --supervised --disable-syslog -C "$W/$1.conf" \
	    >"$W/$1.log" 2>&1 </dev/null &
	DDPID=$!
	PIDS="$PIDS $DDPID"
	waitready "$2" "$DDPID" && return 0
	note "$1 did not start; its log:"
	sed 's/^/    /' "$W/$1.log" >>"$NOTES"
	stop "$DDPID"
	return 1
}

if have dnsdist; then
	if dnsdist_start dnsdist "$P_DNSDIST"; then
		newmiss
		measure dnsdist "misses UDP" "$DDPID" "$P_DNSDIST" udp "$MISS"
		newmiss
		measure dnsdist "misses TCP" "$DDPID" "$P_DNSDIST" tcp "$MISS"
		stop "$DDPID"
	fi
else
	note "dnsdist not installed: skipped"
fi

# ------------------------------------------- hit CPU at a fixed offered load

# dotproxy1 runs one engine, as dnsdist runs one listener thread: per-CPU
# engines split the datagrams, so each wake-up carries fewer of them.
dpstart "$P_DOTPROXY" dotproxy-hit
HPID=$DPPID
dpstart "$P_DOTPROXY1" dotproxy1 1
H1PID=$DPPID
warm "$P_DOTPROXY"
warm "$P_DOTPROXY1"
PCPID=""
if have dnsdist && dnsdist_start dnsdist-pc "$P_DNSDISTPC" \
    'getPool(""):setCache(newPacketCache(100000))'; then
	PCPID=$DDPID
	warm "$P_DNSDISTPC"
	measure dnsdist+pc "hits UDP" "$PCPID" "$P_DNSDISTPC" udp "$W/hits.txt"
fi
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	measure dotproxy "hits UDP" "$HPID" "$P_DOTPROXY" udp "$W/hits.txt" \
	    -Q "$LOAD"
	[ -z "$PCPID" ] || measure dnsdist+pc "hits UDP" "$PCPID" \
	    "$P_DNSDISTPC" udp "$W/hits.txt" -Q "$LOAD"
	measure dotproxy1 "hits UDP" "$H1PID" "$P_DOTPROXY1" udp \
	    "$W/hits.txt" -Q "$LOAD"
done
HITWARN=$(cat "$W/dotproxy-hit.log" "$W/dotproxy1.log" |
    grep -c -i -E 'warn|error|fail|died|killed|restart')
DPWARN=$((DPWARN + HITWARN))
stop "$HPID"
stop "$H1PID"
[ -z "$PCPID" ] || stop "$PCPID"

# ------------------------------------------------------------------ table

END=$(date +%s)

row()	# row TARGET SCENARIO OFFERED FIELD: FIELD of that row
{
	awk -F'|' -v t="$1" -v s="$2" -v o="$3" -v f="$4" \
	    '$1 == t && $2 == s && $3 == o { print $f; exit }' "$ROWS"
}

# best TARGETS... SCENARIO: "qps target" of the best peer in SCENARIO.
best()
{
	awk -F'|' -v s="$1" '$2 == s && $3 == "max" && $1 != "dotproxy" &&
	    $1 != "reference" && $4 > b { b = $4; n = $1 }
	    END { if (n != "") print b, n }' "$ROWS"
}

# all TARGET SCENARIO OFFERED FIELD: FIELD of each row, in order.
all()
{
	awk -F'|' -v t="$1" -v s="$2" -v o="$3" -v f="$4" \
	    '$1 == t && $2 == s && $3 == o { printf "%s%s", n++ ? " " : "", $f }' \
	    "$ROWS"
}

# med TARGET SCENARIO OFFERED FIELD: the median of FIELD over the rows.
med()
{
	all "$@" | tr ' ' '\n' | LC_ALL=C sort -g | awk 'NF { v[++n] = $1 }
	    END { if (n > 0) print n % 2 ? v[(n + 1) / 2] :
	        (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0)
	        print "n/a"; else printf "%.2f", a / b }'
}

report()
{
	echo "dotproxy benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), took $((END - START)) s"
	echo "machine: $(nproc) CPU ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); load before: $LOAD0"
	echo "dotproxy $(git describe --always --dirty 2>/dev/null || echo '?'), $ENGINES engine(s)${BENCH_ENGINES:+ (engines $BENCH_ENGINES)}, cache size $MEMNAMES, cache answers: $CACHE"
	echo "upstream: $(unbound -V 2>/dev/null | awk '/^Version/ { print "Unbound " $2; exit }'), ${UNBOUND_THREADS:-1} thread(s), DoT on 127.0.0.1:$UP_TLS; peers: $(have stubby && stubby -V 2>/dev/null | head -1)${FWD_THREADS:+, Unbound forwarder $FWD_THREADS thread(s)}$(have dnsdist && dnsdist --version 2>/dev/null | awk 'NR == 1 { print ", " $1 " " $2 }')"
	echo "dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'): -l $DUR -c $CLIENTS -q $OUTST -v; misses: a fresh set of unique names per row; hits: $HITNAMES names asked 20 times each first; fixed load: -Q $LOAD -q $LOADQ"
	echo
	printf '%-10s %-10s %7s %8s %7s %7s %6s %6s %6s %6s %6s %5s %s\n' \
	    target scenario offered QPS "mean ms" "p99 ms" lost "rc!=0" \
	    "CPU s" "us/q" "up s" busy flags
	awk -F'|' '{ printf "%-10s %-10s %7s %8s %7s %7s %6s %6s %6s %6s %6s %4s%% %s\n",
	    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14 }' "$ROWS"
	echo
	echo "flags: W dnsperf ran through its file twice (names repeated); D a process"
	echo "died during the row; R the process tree changed (engine restart); F dnsperf failed."
	echo

	dmu=$(row dotproxy "misses UDP" max 4)
	dmt=$(row dotproxy "misses TCP" max 4)
	dhu=$(row dotproxy "hits UDP" max 4)
	set -- $(best "misses UDP")
	bu=${1:-} bun=${2:-none}
	set -- $(best "misses TCP")
	bt=${1:-} btn=${2:-none}
	echo "ratios (targets of issue 4 in brackets):"
	echo "  misses UDP: dotproxy / best peer ($bun) = $(ratio "$dmu" "$bu")  [>= 1.5]"
	echo "  misses TCP: dotproxy / best peer ($btn) = $(ratio "$dmt" "$bt")  [>= 1.5]"
	echo "  hits UDP QPS: dotproxy / no-proxy reference = $(ratio "$dhu" "$REFQPS")  [>= 0.95]"
	dq=$(med dotproxy "hits UDP" "$LOAD" 4)
	pq=$(med dnsdist+pc "hits UDP" "$LOAD" 4)
	dc=$(med dotproxy "hits UDP" "$LOAD" 10)
	pc=$(med dnsdist+pc "hits UDP" "$LOAD" 10)
	d1=$(med dotproxy1 "hits UDP" "$LOAD" 10)
	echo "  hits CPU/query at $LOAD QPS offered, medians of $ROUNDS interleaved rounds:"
	echo "    dotproxy / dnsdist+pc = $(ratio "$dc" "$pc") ($dc / ${pc:-n/a} us)  [<= 0.8]"
	echo "    the same with one engine (engines 1): $(ratio "$d1" "$pc") ($d1 us)"
	echo "    us/q per round: dotproxy $(all dotproxy "hits UDP" "$LOAD" 10); dnsdist+pc $(all dnsdist+pc "hits UDP" "$LOAD" 10); dotproxy1 $(all dotproxy1 "hits UDP" "$LOAD" 10)"
	echo "    answered at that load: dotproxy $dq QPS ($(ratio "$dq" "$LOAD") of offered), dnsdist+pc ${pq:-n/a} QPS ($(ratio "$pq" "$LOAD") of offered)  [>= 0.95]"
	echo "    lost at that load, per round: dotproxy $(all dotproxy "hits UDP" "$LOAD" 7); dotproxy1 $(all dotproxy1 "hits UDP" "$LOAD" 7); dnsdist+pc $(all dnsdist+pc "hits UDP" "$LOAD" 7)  [0]"
	for s in "misses UDP" "misses TCP" "hits UDP"; do
		line=""
		for p in reference stubby unbound dnsdist dnsdist+pc; do
			case "$s" in hits*) [ "$p" = reference ] && continue ;; esac
			v=$(row "$p" "$s" max 4)
			[ "$p" = reference ] && case "$s" in
			    *UDP) v=$REFQPS ;; *TCP) v=$(row reference "plain TCP" max 4) ;; esac
			[ -n "$v" ] && line="$line  $p $(ratio "$(row dotproxy "$s" max 4)" "$v")"
		done
		echo "  $s, dotproxy QPS / each:$line"
	done
	echo "  upstream Unbound during the reference UDP row: $(awk -F'|' -v d="$DUR" '$1 == "reference" && $2 == "plain UDP" { printf "%.0f", 100 * $11 / d }' "$ROWS")% of one CPU with ${UNBOUND_THREADS:-1} thread(s) (near 100 % per thread would make it the bottleneck)"
	echo "  resident memory (VmRSS, parent + engines, $MEMPROCS processes): $((RSS0 / 1024)) MiB at start, $((RSS1 / 1024)) MiB after $MEMNAMES unique names at $MEMQPS QPS (lost ${MEMLOST:-?})  [< 64 MiB]"
	[ "$CACHE" = yes ] ||
	    echo "  NOTE: dotproxy answered a repeated name with the upstream's TTL: no cache, its \"hits\" rows are forwarded queries"
	[ "${DPWARN:-0}" -eq 0 ] ||
	    echo "  NOTE: dotproxy logged $DPWARN warning/error lines during the rows"
	if [ -s "$NOTES" ]; then
		cat "$NOTES"
	fi
}

mkdir -p build
report | tee "$OUT"
