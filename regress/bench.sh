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
# answers A 192.0.2.7 for any name) and the forwarders under test share
# the cores, as a node-local proxy shares them with the services that
# query it.  So each row also reports the CPU time each one used.
#
# Targets, all started at once and left running; every peer runs the
# configuration its own documentation recommends for throughput (each
# block below names the pages it follows):
#   reference   dnsperf straight to the upstream's plain port
#   ceiling     misses only: dnsperf -m dot straight to the upstream's TLS
#               port, the same names: what any DoT client gets from this
#               upstream, so no forwarder's misses can exceed it
#   unbound     Unbound as a DoT forwarder (a thread per CPU, so-reuseport)
#   dnsdist     misses only: dnsdist without a cache, its DoT backend
#               pipelined (maxInFlight), a reusePort listener per CPU
#   dnsdist+pc  the same with its packet cache
#   stubby      misses only: it has no cache; round robin, connection reuse
#   dotproxy    the build under test, `cache size 100000`
#   dotproxy2   only with BENCH_DOTPROXY2: another build (or the same with
#               BENCH_DOTPROXY2_CONF lines added), for an A/B comparison
# Peers that are not installed are skipped.
#
# Scenarios: miss udp / miss tcp (names never asked before: a fresh set
# per row), hit udp / hit tcp (a set of 1009 names, asked of the target
# beforehand so that every engine or thread holds them).
#
# Saturation: BENCH_ROUNDS rounds; each round runs every scenario against
# every target at full speed (dnsperf -c BENCH_CLIENTS -q
# BENCH_OUTSTANDING), the order of the targets rotated from one round to
# the next.  The table gives the median QPS of the rounds: the machine is
# shared and one round can be half as fast as the next, so the targets are
# only ever compared within the same run, and a row during which the
# hypervisor gave much of the machine to other guests (steal) is run
# again.
#
# Fixed load: then the same rounds at one offered load per scenario
# (dnsperf -Q), half the slowest target's median saturation QPS in that
# scenario (rounded down to 1000), so that every target can answer all of
# it: CPU per answer and p99 latency at equal load, medians of the rounds.
# The miss scenarios also run at a low load, BENCH_LOW_LOAD (2000 QPS),
# where every query costs its own wake-ups: CPU per forwarded query
# depends on the load, so it is given at both.  The ceiling takes part in
# saturation rows only.
#
# Between the two come dotproxy's resident memory (VmRSS of the parent
# and its engines) before and after 100,000 unique names went through a
# fresh instance with `cache size 100000`.
#
# Columns: QPS as dnsperf reports it; mean = dnsperf's average latency (a
# target that answers late in exchange for fewer wake-ups shows here
# before its p99 does); p99 from the per-query latencies of
# `dnsperf -v` (Debian 12's dnsperf 2.10 has no percentile output),
# sorted, the value at rank ceil(.99 n) of the n answered queries; lost =
# dnsperf's lost (timed-out) queries; rcode!=0 = answers that were not
# NOERROR (dnsperf counts them as completed); us/q = user+sys CPU of the
# target's processes (all threads; for dotproxy the parent plus every
# engine, for the reference the upstream itself) from /proc/PID/stat,
# per answered query; busy = share of the whole machine's CPU in use
# (from /proc/stat; steal, the share the hypervisor gave to other
# guests, counts as busy and is shown on its own in the rows file);
# client = dnsperf's own CPU in % of one CPU; reads/q, writes/q, switches/q =
# the target's read-like and write-like system calls (/proc/PID/io) and
# context switches (all threads) per answered query.
#
# Environment: BENCH_DURATION (s, 5), BENCH_CLIENTS (dnsperf -c, 4),
# BENCH_OUTSTANDING (dnsperf -q, 200), BENCH_ROUNDS (3), BENCH_LOAD_SHARE
# (the fixed load in % of the slowest target's saturation QPS, 50),
# BENCH_TARGETS, BENCH_SCENARIOS (subsets of the targets and scenarios
# above, space-separated),
# BENCH_FIXED=no (skip the fixed-load rounds), BENCH_MAX_STEAL (a row
# during which the hypervisor gave more than this % of the machine to
# other guests is run again, twice at most; 5), BENCH_PORT (first of the
# ports used, 47000), BENCH_ENGINES (adds `engines N` to dotproxy's
# configuration; without it dotproxy runs its default), BENCH_DOTPROXY2,
# BENCH_DOTPROXY2_CONF (see above), BENCH_UNBOUND_THREADS (threads of the
# Unbound forwarder peer, one per CPU), BENCH_DNSDIST_INFLIGHT (dnsdist's
# maxInFlight, 100), BENCH_LOW_LOAD (2000), UNBOUND_THREADS (threads of the upstream,
# 1), KEEP=1 keeps the work directory.  The report is also written to
# build/bench.txt, every row of every round to build/bench-rows.txt.

set -u

cd "$(dirname "$0")/.." || exit 2
TOP=$(pwd)
CERTS=$TOP/build/certs
DOTPROXY=$TOP/dotproxy
OUT=$TOP/build/bench.txt
OUTROWS=$TOP/build/bench-rows.txt

DUR=${BENCH_DURATION:-5}
CLIENTS=${BENCH_CLIENTS:-4}
OUTST=${BENCH_OUTSTANDING:-200}
ROUNDS=${BENCH_ROUNDS:-3}
SHARE=${BENCH_LOAD_SHARE:-50}
MAXSTEAL=${BENCH_MAX_STEAL:-5}
RETRIED=0
BASE=${BENCH_PORT:-47000}
NCPU=$(nproc)
FWD_THREADS=${BENCH_UNBOUND_THREADS:-$NCPU}
INFLIGHT=${BENCH_DNSDIST_INFLIGHT:-100}
LOWLOAD=${BENCH_LOW_LOAD:-2000}
HITNAMES=1009		# prime: dnsperf's round-robin over its sockets
			# then sends every name from every socket
MEMNAMES=100000
SCENARIOS=${BENCH_SCENARIOS:-"miss-udp miss-tcp hit-udp hit-tcp"}

UP_TLS=$BASE
UP_PLAIN=$((BASE + 1))
P_DOTPROXY=$((BASE + 10))
P_DOTPROXY2=$((BASE + 11))
P_STUBBY=$((BASE + 20))
P_UNBOUND=$((BASE + 30))
P_DNSDIST=$((BASE + 40))
P_DNSDISTPC=$((BASE + 41))
P_MEM=$((BASE + 50))

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

# machine: "busy total steal" jiffies of all CPUs.  Steal is the time
# the hypervisor gave our CPUs to another guest: a row with much of it
# met another tenant's burst.
machine()
{
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i;
	    print t - $5 - $6, t, $9 }' /proc/stat
}

# sysio PID...: "reads writes switches" of the processes, all their
# threads: read-like and write-like system calls (syscr and syscw of
# /proc/PID/io: read, recv, recvmmsg... and write, send, sendmmsg...) and
# context switches, voluntary and not (each thread's status): what a
# query costs in system calls and wake-ups.
sysio()
{
	for _p in "$@"; do
		cat "/proc/$_p/io" 2>/dev/null
		cat /proc/"$_p"/task/*/status 2>/dev/null
	done | awk '$1 == "syscr:" { r += $2 } $1 == "syscw:" { w += $2 }
	    /^(non)?voluntary_ctxt_switches:/ { c += $2 }
	    END { print r + 0, w + 0, c + 0 }'
}

# rss PID...: summed VmRSS in KiB.
rss()
{
	for _p in "$@"; do
		cat "/proc/$_p/status" 2>/dev/null
	done | awk '$1 == "VmRSS:" { k += $2 } END { print k + 0 }'
}

# names FILE PREFIX COUNT [ZONE]: COUNT unique names PREFIX-N.ZONE, by
# default under bench.test.
names()
{
	awk -v p="$2" -v n="$3" -v z="${4:-bench.test}" 'BEGIN {
	    for (i = 1; i <= n; i++) printf "%s-%d.%s A\n", p, i, z }' >"$1"
}

# One unique-name file per miss row, so no name is ever asked twice of a
# cache.  Their answers live 5 s: dnsdist's packet cache does not evict
# to make room, it only drops expired entries (every second, as set
# below), so misses that stayed would leave no room for the hit set.  (Called in the current shell, not in $(...), so RUN counts.)
NMISS=$((DUR * 200000))
MISS=$W/miss.txt
RUN=0
newmiss()
{
	RUN=$((RUN + 1))
	names "$MISS" "r$RUN-$$" "$NMISS" miss.bench.test
}

# Per target: its port, the PID whose process tree is its CPU, whether
# it caches (hit rows are warmed first) and the scenarios it runs.
port()
{
	case $1 in
	reference) echo "$UP_PLAIN" ;;
	ceiling) echo "$UP_TLS" ;;
	unbound) echo "$P_UNBOUND" ;;
	dnsdist) echo "$P_DNSDIST" ;;
	dnsdist+pc) echo "$P_DNSDISTPC" ;;
	stubby) echo "$P_STUBBY" ;;
	dotproxy) echo "$P_DOTPROXY" ;;
	dotproxy2) echo "$P_DOTPROXY2" ;;
	esac
}

pidof_target()
{
	case $1 in
	reference|ceiling) echo "$UPPID" ;;
	unbound) echo "$FPID" ;;
	dnsdist) echo "$DDPID" ;;
	dnsdist+pc) echo "$PCPID" ;;
	stubby) echo "$SPID" ;;
	dotproxy) echo "$DPPID1" ;;
	dotproxy2) echo "$DPPID2" ;;
	esac
}

# runs TARGET SCENARIO [OFFERED]: does TARGET take part in SCENARIO (at
# OFFERED, max when not given)?
runs()
{
	case $1:$2 in
	stubby:hit-*|dnsdist:hit-*|ceiling:hit-*) return 1 ;;
	esac
	case $1:${3:-max} in
	ceiling:max) ;;
	ceiling:*) return 1 ;;
	esac
	return 0
}

caches()
{
	case $1 in
	reference|ceiling|stubby|dnsdist) return 1 ;;
	esac
	return 0
}

# peer TARGET: a forwarder other than dotproxy, whose figures are the
# ones dotproxy's are held against.
peer()
{
	case $1 in
	reference|ceiling|dotproxy|dotproxy2) return 1 ;;
	esac
	return 0
}

# measure TARGET SCENARIO ROUND OFFERED: one dnsperf run of DUR seconds;
# appends a row.  OFFERED is "max" or the QPS given to dnsperf -Q.
measure()
{
	_t=$1 _s=$2 _r=$3 _o=$4
	_pid=$(pidof_target "$_t")
	_port=$(port "$_t")
	_mode=${_s#*-}
	[ "$_t" != ceiling ] || _mode=dot
	_flags=""
	case $_s in
	miss-*)
		newmiss
		_file=$MISS
		;;
	hit-*)
		_file=$W/hits.txt
		caches "$_t" && warm "$_port"
		;;
	esac
	set -- -m "$_mode" -s 127.0.0.1 -p "$_port" -d "$_file" -l "$DUR" \
	    -c "$CLIENTS" -q "$OUTST" -v
	[ "$_o" = max ] || set -- "$@" -Q "$_o"
	_pids=$(tree "$_pid")
	say "round $_r: $_t, $_s, offered $_o"
	_c0=$(ticks $_pids)
	_s0=$(sysio $_pids)
	_u0=$(ticks "$UPPID")
	_m0=$(machine)
	_w0=$(date +%s%N)
	# the shell's stat after wait holds dnsperf's CPU (cutime, cstime)
	sh -c 'dnsperf "$@" >"$0.out" 2>"$0.err";
	    sed "s/.*) //" /proc/$$/stat | awk "{ print \$14 + \$15 }" \
	    >"$0.cpu"' "$W/dnsperf" "$@"
	_w1=$(date +%s%N)
	_m1=$(machine)
	_u1=$(ticks "$UPPID")
	_s1=$(sysio $_pids)
	_c1=$(ticks $_pids)
	for _p in $_pids; do
		kill -0 "$_p" 2>/dev/null || _flags="${_flags}D"
	done
	[ "$(tree "$_pid" | sort | tr '\n' ' ')" = \
	    "$(echo "$_pids" | sort | tr '\n' ' ')" ] || _flags="${_flags}R"
	if ! grep -q 'Queries per second' "$W/dnsperf.out"; then
		say "dnsperf failed:"
		cat "$W/dnsperf.err" >&2
		_flags="${_flags}F"
	fi
	_sent=$(awk '/Queries sent:/ { print $3 }' "$W/dnsperf.out")
	[ "$_file" != "$MISS" ] || [ "${_sent:-0}" -le "$NMISS" ] ||
	    ! caches "$_t" || _flags="${_flags}W"
	# "> NOERROR name type latency" per answer; "> T name type" per
	# timeout, which counts as lost, not in the percentile.
	_p99=$(awk '$1 == ">" && $2 != "T" && NF == 5 { print $5 }' \
	    "$W/dnsperf.out" |
	    LC_ALL=C sort -n | awk '{ v[NR] = $1 } END {
	    if (NR == 0) { print "-"; exit }
	    r = int(NR * 0.99); if (r < NR * 0.99) r++;
	    printf "%.2f", v[r] * 1000 }')
	awk -v t="$_t" -v s="$_s" -v o="$_o" -v r="$_r" -v c0="$_c0" \
	    -v c1="$_c1" -v u0="$_u0" -v u1="$_u1" -v m0="$_m0" -v m1="$_m1" \
	    -v hz="$HZ" -v p99="$_p99" -v fl="$_flags" -v s0="$_s0" -v s1="$_s1" \
	    -v d="$(((_w1 - _w0) / 1000000))" \
	    -v cl="$(cat "$W/dnsperf.cpu" 2>/dev/null)" '
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
		steal = (y[2] - x[2]) > 0 ? 100 * (y[3] - x[3]) / (y[2] - x[2]) : 0
		cpu = (c1 - c0) / hz
		per = done > 0 ? sprintf("%.1f", cpu * 1e6 / done) : "-"
		split(s0, a0, " "); split(s1, a1, " ")
		for (i = 1; i <= 3; i++)
			io[i] = done > 0 ? sprintf("%.2f", (a1[i] - a0[i]) / done) : "-"
		printf "%s|%s|%s|%s|%.0f|%.2f|%s|%d|%d|%.2f|%s|%.2f|%.0f|%.0f|%d|%s|%.0f|%s|%s|%s\n",
		    t, s, o, r, qps, mean * 1000, p99, lost, bad, cpu, per,
		    (u1 - u0) / hz, busy, 100000 * cl / hz / d, done, fl, steal,
		    io[1], io[2], io[3]
	}' "$W/dnsperf.out" >>"$ROWS"
	tail -1 "$ROWS" | awk -F'|' '{ printf "bench:   %s qps, p99 %s ms, lost %s, %s us/q, busy %s%%, client %s%%\n", $5, $7, $8, $11, $13, $14 }' >&2
}

# row TARGET SCENARIO ROUND OFFERED: measure, again if the hypervisor
# stole more than MAXSTEAL % of the machine during the row (twice at
# most, the same rule for every target): such a row measured another
# guest's burst rather than the target.
row()
{
	_try=0
	while :; do
		measure "$@"
		_st=$(tail -1 "$ROWS" | cut -d'|' -f17)
		[ "${_st%.*}" -gt "$MAXSTEAL" ] && [ $_try -lt 2 ] || return 0
		_try=$((_try + 1))
		RETRIED=$((RETRIED + 1))
		say "  steal ${_st} % > $MAXSTEAL %: again"
		sed '$d' "$ROWS" >"$ROWS.tmp" && mv "$ROWS.tmp" "$ROWS"
	done
}

# warm PORT: ask the hit set from 16 sockets, 20 passes, so that every
# name reached every engine or thread (SO_REUSEPORT spreads sockets
# over them).  Before every hit row: the miss rows push it out of the
# caches.
warm()
{
	dnsperf -s 127.0.0.1 -p "$1" -d "$W/hits.txt" -n 20 -c 16 -q 100 \
	    >"$W/warm.out" 2>&1
}

# cachecheck PORT: does a repeated name come back with a lower TTL than
# the upstream's 3600, i.e. from a cache?  Prints yes or no.
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
	done | awk '$2 ~ /^[0-9]+$/ && $2 < 3600 { y = 1 } END {
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
WANT=${BENCH_TARGETS:-"reference ceiling unbound dnsdist dnsdist+pc stubby dotproxy dotproxy2"}
TARGETS=""
want()
{
	case " $WANT " in *" $1 "*) return 0 ;; esac
	return 1
}
want reference && TARGETS="reference"

# ---------------------------------------------------------------- targets

# dpstart PORT NAME BINARY [EXTRA]: start a dotproxy, set DPPID.
dpstart()
{
	{
		echo "listen on 127.0.0.1 port $1"
		echo "ca-file \"$CA\""
		echo "upstream 127.0.0.1 port $UP_TLS tls-name \"dns.test\""
		echo "cache size $MEMNAMES"
		[ -z "${BENCH_ENGINES:-}" ] || echo "engines $BENCH_ENGINES"
		[ -z "${4:-}" ] || printf '%s\n' "$4"
	} >"$W/$2.conf"
	"$3" -d -f "$W/$2.conf" >"$W/$2.log" 2>&1 </dev/null &
	DPPID=$!
	PIDS="$PIDS $DPPID"
	if ! waitready "$1" "$DPPID"; then
		cat "$W/$2.log" >&2
		die "$2 did not start"
	fi
}

DPPID1="" DPPID2="" FPID="" DDPID="" PCPID="" SPID=""
want ceiling && TARGETS="$TARGETS ceiling"
if want unbound; then
	if [ "$FWD_THREADS" -gt 1 ]; then reuse=yes; else reuse=no; fi
	# slabs: a power of two close to the number of threads
	slabs=1
	while [ $((slabs * 2)) -le "$FWD_THREADS" ]; do
		slabs=$((slabs * 2))
	done
	mkdir -p "$W/unbound"
	# Unbound's "Performance Tuning" page (unbound.docs.nlnetlabs.nl,
	# topics/core/performance): num-threads one per core, so-reuseport,
	# the *-slabs a power of two near num-threads, larger caches with
	# the rrset cache twice the message cache, outgoing-range and
	# num-queries-per-thread raised, 4 MB socket buffers.
	cat >"$W/unbound/unbound.conf" <<EOF2
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
	msg-cache-slabs: $slabs
	rrset-cache-slabs: $slabs
	infra-cache-slabs: $slabs
	key-cache-slabs: $slabs
	outgoing-range: 8192
	so-rcvbuf: 4m
	so-sndbuf: 4m
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
	incoming-num-tcp: 64
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
EOF2
	if unbound-checkconf "$W/unbound/unbound.conf" >"$W/unbound/log" 2>&1
	then
		unbound -d -c "$W/unbound/unbound.conf" >"$W/unbound/log" \
		    2>&1 </dev/null &
		FPID=$!
		PIDS="$PIDS $FPID"
		if waitready "$P_UNBOUND" "$FPID"; then
			TARGETS="$TARGETS unbound"
		else
			note "unbound forwarder did not start; its log:"
			sed 's/^/    /' "$W/unbound/log" >>"$NOTES"
		fi
	else
		note "unbound forwarder configuration rejected:"
		sed 's/^/    /' "$W/unbound/log" >>"$NOTES"
	fi
fi

# ddstart NAME PORT CACHE: start a dnsdist (CACHE yes: with its packet
# cache); sets DDSTARTED to its PID, or to nothing when it did not start.
# dnsdist's "Performance Tuning" page (dnsdist.org/advanced/tuning.html):
# a UDP thread per local bind, so one reusePort bind per CPU; its
# "Out-of-order" page (dnsdist.org/advanced/out-of-order.html):
# maxInFlight on the frontend (TCP clients' queries processed together)
# and on the backend (many queries in flight on one DoT connection to an
# upstream that answers out of order, as Unbound does).
ddstart()
{
	DDSTARTED=""
	{
		echo 'setSecurityPollSuffix("")'
		_i=0
		while [ $_i -lt "$NCPU" ]; do
			[ $_i -eq 0 ] && _f=setLocal || _f=addLocal
			echo "$_f(\"127.0.0.1:$2\", {reusePort=true, maxInFlight=$INFLIGHT})"
			_i=$((_i + 1))
		done
		echo 'setACL({"127.0.0.0/8"})'
		echo "newServer{address=\"127.0.0.1:$UP_TLS\", tls=\"openssl\","
		echo "    subjectName=\"dns.test\", caStore=\"$CA\","
		echo "    validateCertificates=true, maxInFlight=$INFLIGHT,"
		echo '    checkName="www.example.test."}'
		if [ "$3" = yes ]; then
			echo 'getPool(""):setCache(newPacketCache(1000000))'
			echo 'setCacheCleaningDelay(1)'
		fi
	} >"$W/$1.conf"
	dnsdist --supervised --disable-syslog -C "$W/$1.conf" \
	    >"$W/$1.log" 2>&1 </dev/null &
	_pid=$!
	PIDS="$PIDS $_pid"
	if waitready "$2" "$_pid"; then
		DDSTARTED=$_pid
		TARGETS="$TARGETS $1"
	else
		note "$1 did not start; its log:"
		sed 's/^/    /' "$W/$1.log" >>"$NOTES"
	fi
}

if { want dnsdist || want dnsdist+pc; } && ! have dnsdist; then
	note "dnsdist not installed: skipped"
else
	if want dnsdist; then
		ddstart dnsdist "$P_DNSDIST" no
		DDPID=$DDSTARTED
	fi
	if want dnsdist+pc; then
		ddstart dnsdist+pc "$P_DNSDISTPC" yes
		PCPID=$DDSTARTED
	fi
fi

if want stubby && ! have stubby; then
	note "stubby not installed: skipped"
elif want stubby; then
	# Stubby's example configuration (stubby.yml.example, "Performance
	# tuning" in the getdns/stubby documentation): round_robin_upstreams
	# to spread queries over connections, idle_timeout so that the TLS
	# connection is reused rather than opened per query.
	cat >"$W/stubby.yml" <<EOF2
resolution_type: GETDNS_RESOLUTION_STUB
round_robin_upstreams: 1
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
EOF2
	stubby -C "$W/stubby.yml" >"$W/stubby.log" 2>&1 </dev/null &
	SPID=$!
	PIDS="$PIDS $SPID"
	if waitready "$P_STUBBY" "$SPID"; then
		TARGETS="$TARGETS stubby"
	else
		note "stubby did not start; its log:"
		sed 's/^/    /' "$W/stubby.log" >>"$NOTES"
	fi
fi

if want dotproxy; then
	dpstart "$P_DOTPROXY" dotproxy "$DOTPROXY"
	DPPID1=$DPPID
	TARGETS="$TARGETS dotproxy"
	ENGINES=$(pgrep -P "$DPPID1" -f -- " -E( |$)" | wc -l)
	CACHE=$(cachecheck "$P_DOTPROXY")
	say "dotproxy: $ENGINES engine(s), cache answers: $CACHE"
fi
if want dotproxy2 && [ -n "${BENCH_DOTPROXY2:-}" ]; then
	dpstart "$P_DOTPROXY2" dotproxy2 "$BENCH_DOTPROXY2" \
	    "${BENCH_DOTPROXY2_CONF:-}"
	DPPID2=$DPPID
	TARGETS="$TARGETS dotproxy2"
fi
[ -n "$TARGETS" ] || die "no target started"
# the dotproxy builds among them, whose ratios the report gives
DPS=""
for t in $TARGETS; do
	case $t in dotproxy*) DPS="$DPS $t" ;; esac
done

# rotate N WORDS...: the words, starting at the (N mod count)th.
rotate()
{
	_k=$(($1 % ($# - 1)))
	shift
	_i=0
	_head=""
	while [ $_i -lt $_k ]; do
		_head="$_head $1"
		shift
		_i=$((_i + 1))
	done
	echo "$*$_head"
}

# ------------------------------------------------------------- saturation

r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for s in $SCENARIOS; do
		for t in $(rotate $((r - 1)) $TARGETS); do
			runs "$t" "$s" && row "$t" "$s" "$r" max
		done
	done
done

# med TARGET SCENARIO OFFERED FIELD: the median of FIELD over the rounds.
med()
{
	awk -F'|' -v t="$1" -v s="$2" -v o="$3" -v f="$4" \
	    '$1 == t && $2 == s && $3 == o && $f != "-" { print $f }' "$ROWS" |
	    LC_ALL=C sort -g | awk '{ v[++n] = $1 } END { h = n / 2
	    if (n % 2) print v[h + 0.5]; else if (n) print (v[h] + v[h + 1]) / 2 }'
}

# sum TARGET SCENARIO OFFERED FIELD: the sum of FIELD over the rounds.
sum()
{
	awk -F'|' -v t="$1" -v s="$2" -v o="$3" -v f="$4" \
	    '$1 == t && $2 == s && $3 == o { n += $f } END { print n + 0 }' \
	    "$ROWS"
}

# all TARGET SCENARIO OFFERED FIELD: FIELD of each round, in order.
all()
{
	awk -F'|' -v t="$1" -v s="$2" -v o="$3" -v f="$4" \
	    '$1 == t && $2 == s && $3 == o { printf "%s%s", n++ ? " " : "", $f }' \
	    "$ROWS"
}

# The fixed load of each scenario: SHARE % of the slowest target's median.
for s in $SCENARIOS; do
	low=""
	for t in $TARGETS; do
		runs "$t" "$s" && [ "$t" != ceiling ] || continue
		v=$(med "$t" "$s" max 5)
		[ -z "$v" ] && continue
		[ -z "$low" ] || [ "${v%.*}" -lt "$low" ] && low=${v%.*}
	done
	l=$(( ${low:-2000} * SHARE / 100 / 1000 * 1000 ))
	[ "$l" -ge 1000 ] || l=1000
	eval "LOAD_$(echo "$s" | tr - _)=$l"
done
load()
{
	eval "echo \$LOAD_$(echo "$1" | tr - _)"
}

# Memory: a fresh instance, 100,000 unique names at a rate it sustains.
RSS0="" RSS1="" MEMPROCS=0 MEMLOST=""
if want dotproxy; then
	say "dotproxy: resident memory with $MEMNAMES names"
	dpstart "$P_MEM" dotproxy-mem "$DOTPROXY"
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
fi

# ------------------------------------------------------------- fixed load

# loads SCENARIO: the fixed loads it runs at.
loads()
{
	case $1 in
	miss-*) echo "$(load "$1") $LOWLOAD" ;;
	*) load "$1" ;;
	esac
}

if [ "${BENCH_FIXED:-yes}" != no ]; then
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		r=$((r + 1))
		for s in $SCENARIOS; do
			for l in $(loads "$s"); do
				for t in $(rotate $((r - 1)) $TARGETS); do
					runs "$t" "$s" "$l" &&
					    row "$t" "$s" "$r" "$l"
				done
			done
		done
	done
fi

DPWARN=0
for f in dotproxy dotproxy2; do
	[ -f "$W/$f.log" ] || continue
	DPWARN=$((DPWARN + $(grep -c -i -E \
	    'warn|error|fail|died|killed|restart' "$W/$f.log")))
done

# ------------------------------------------------------------------ report

END=$(date +%s)

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0)
	        print "n/a"; else printf "%.2f", a / b }'
}

# best SCENARIO OFFERED FIELD low|high: "value target" of the best peer
# (not dotproxy, not the reference) by the median of FIELD.
best()
{
	_b="" _n=""
	for _t in $TARGETS; do
		peer "$_t" && runs "$_t" "$1" "$2" || continue
		_v=$(med "$_t" "$1" "$2" "$3")
		[ -n "$_v" ] || continue
		if [ -z "$_b" ] || awk -v v="$_v" -v b="$_b" -v d="$4" \
		    'BEGIN { exit !(d == "low" ? v < b : v > b) }'; then
			_b=$_v _n=$_t
		fi
	done
	[ -z "$_n" ] || echo "$_b $_n"
}

kqps()
{
	awk -v v="$1" 'BEGIN { if (v == "") print "-";
	    else printf "%.1f k", v / 1000 }'
}

report()
{
	echo "dotproxy benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), took $((END - START)) s"
	echo "machine: $(nproc) CPU ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); load before: $LOAD0"
	echo "dotproxy $(git describe --always --dirty 2>/dev/null || echo '?'), ${ENGINES:-?} engine(s)${BENCH_ENGINES:+ (engines $BENCH_ENGINES)}, cache size $MEMNAMES, cache answers: ${CACHE:-?}${BENCH_DOTPROXY2:+; dotproxy2: $BENCH_DOTPROXY2 ${BENCH_DOTPROXY2_CONF:-}}"
	echo "upstream: $(unbound -V 2>/dev/null | awk '/^Version/ { print "Unbound " $2; exit }'), ${UNBOUND_THREADS:-1} thread(s), DoT on 127.0.0.1:$UP_TLS; peers: Unbound forwarder $FWD_THREADS thread(s) (so-reuseport)$(have dnsdist && dnsdist --version 2>/dev/null | awk -v n="$NCPU" -v m="$INFLIGHT" 'NR == 1 { print ", " $1 " " $2 " (" n " reusePort listeners, DoT backend maxInFlight " m "; with and without its packet cache)" }')$(have stubby && stubby -V 2>/dev/null | head -1 | sed 's/$/ (round robin, idle_timeout 10 s)/; s/^/, /')"
	echo "dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'): -c $CLIENTS -q $OUTST -l $DUR, $ROUNDS interleaved rounds, medians; misses: a fresh set of unique names per row; hits: $HITNAMES names asked 20 times each first"
	echo
	echo "Saturation QPS (median of $ROUNDS rounds):"
	echo
	printf '| %-22s |' target
	_rule="|---|"
	for s in $SCENARIOS; do
		printf ' %9s |' "$(echo "$s" | tr - ' ')"
		_rule="$_rule---:|"
	done
	echo
	echo "$_rule"
	for t in $TARGETS; do
		case $t in
		reference) n="no proxy (reference)" ;;
		ceiling) n="DoT ceiling (-m dot)" ;;
		unbound) n="Unbound forwarder" ;;
		dnsdist+pc) n="dnsdist + packet cache" ;;
		*) n=$t ;;
		esac
		printf '| %-22s |' "$n"
		for s in $SCENARIOS; do
			if runs "$t" "$s"; then
				printf ' %9s |' "$(kqps "$(med "$t" "$s" max 5)")"
			else
				printf ' %9s |' -
			fi
		done
		echo
	done
	echo
	# the DoT ceiling: every miss row of it, whatever the scenario's
	# transport (it always speaks DoT to the upstream)
	ceil=$(awk -F'|' '$1 == "ceiling" && $3 == "max" { print $5 }' "$ROWS" |
	    LC_ALL=C sort -g | awk '{ v[++n] = $1 } END { h = n / 2
	    if (n % 2) print v[h + 0.5]; else if (n) print (v[h] + v[h + 1]) / 2 }')
	[ -z "$ceil" ] ||
	    echo "DoT ceiling (dnsperf -m dot to the upstream, median of all its rows): $(kqps "$ceil")"
	for d in $DPS; do
		echo "$d ratios at saturation (medians):"
		for s in $SCENARIOS; do
			dq=$(med "$d" "$s" max 5)
			set -- $(best "$s" max 5 high)
			printf '  %-8s / best peer (%s) %s;' "$s" "${2:-none}" \
			    "$(ratio "$dq" "${1:-}")"
			printf ' / reference %s;' \
			    "$(ratio "$dq" "$(med reference "$s" max 5)")"
			case $s in
			miss-*) [ -z "$ceil" ] ||
			    printf ' / DoT ceiling %s;' "$(ratio "$dq" "$ceil")" ;;
			esac
			printf ' lost %s\n' "$(all "$d" "$s" max 8)"
		done
	done
	echo
	echo "Saturation detail: QPS per round; lost; us/q (median); p99 ms (median); busy and client % (median); read and write system calls and context switches of the target per answer (median)"
	for s in $SCENARIOS; do
		for t in $TARGETS; do
			runs "$t" "$s" || continue
			printf '  %-8s %-11s %-22s lost %-9s %5s us/q  p99 %6s  busy %3s%%  client %3s%%  r/w/cs per q %s %s %s\n' \
			    "$s" "$t" "$(all "$t" "$s" max 5)" \
			    "$(sum "$t" "$s" max 8)" "$(med "$t" "$s" max 11)" \
			    "$(med "$t" "$s" max 7)" "$(med "$t" "$s" max 13)" \
			    "$(med "$t" "$s" max 14)" "$(med "$t" "$s" max 18)" \
			    "$(med "$t" "$s" max 19)" "$(med "$t" "$s" max 20)"
		done
	done
	if [ "${BENCH_FIXED:-yes}" != no ]; then
		echo
		echo "Fixed load ($SHARE % of the slowest target's median, and $LOWLOAD QPS for misses; medians of $ROUNDS rounds; us/q is the CPU of the target's whole process tree per answer):"
		echo
		printf '| %-8s | %7s | %-11s | %8s | %5s | %6s | %7s | %7s | %5s | %s |\n' \
		    scenario offered target answered lost "us/q" "mean ms" \
		    "p99 ms" "busy" "reads, writes, switches /q"
		echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
		for s in $SCENARIOS; do
			for l in $(loads "$s"); do
				for t in $TARGETS; do
					runs "$t" "$s" "$l" || continue
					printf '| %-8s | %7s | %-11s | %8s | %5s | %6s | %7s | %7s | %4s%% | %s %s %s |\n' \
					    "$s" "$l" "$t" "$(med "$t" "$s" "$l" 5)" \
					    "$(sum "$t" "$s" "$l" 8)" \
					    "$(med "$t" "$s" "$l" 11)" \
					    "$(med "$t" "$s" "$l" 6)" \
					    "$(med "$t" "$s" "$l" 7)" \
					    "$(med "$t" "$s" "$l" 13)" \
					    "$(med "$t" "$s" "$l" 18)" \
					    "$(med "$t" "$s" "$l" 19)" \
					    "$(med "$t" "$s" "$l" 20)"
				done
			done
		done
		echo
		for d in $DPS; do
			echo "$d ratios at fixed load (medians; below 1 is better):"
			for s in $SCENARIOS; do
				for l in $(loads "$s"); do
					set -- $(best "$s" "$l" 11 low)
					printf '  %-8s %6s QPS: CPU/answer / best peer (%s) %s;' \
					    "$s" "$l" "${2:-none}" "$(ratio \
					    "$(med "$d" "$s" "$l" 11)" "${1:-}")"
					set -- $(best "$s" "$l" 7 low)
					printf ' p99 / best peer (%s) %s\n' "${2:-none}" \
					    "$(ratio "$(med "$d" "$s" "$l" 7)" "${1:-}")"
				done
			done
		done
	fi
	echo
	[ -z "$RSS0" ] ||
	    echo "dotproxy resident memory (VmRSS, parent + engines, $MEMPROCS processes): $((RSS0 / 1024)) MiB at start, $((RSS1 / 1024)) MiB after $MEMNAMES unique names at $MEMQPS QPS (lost ${MEMLOST:-?})"
	want reference && echo "upstream Unbound in the reference miss udp rows: $(awk -F'|' -v d="$DUR" '$1 == "reference" && $2 == "miss-udp" && $3 == "max" { printf "%s%.0f%%", n++ ? " " : "", 100 * $12 / d }' "$ROWS") of one CPU with ${UNBOUND_THREADS:-1} thread(s) (near 100 % per thread: the upstream is the bottleneck)"
	echo "rows run again for steal above $MAXSTEAL %: $RETRIED; steal in the rows kept: median $(awk -F'|' '{ print $17 }' "$ROWS" | LC_ALL=C sort -g | awk '{ v[++n] = $1 } END { print v[int((n + 1) / 2)] + 0 }') %, highest $(awk -F'|' '$17 > m { m = $17 } END { print m + 0 }' "$ROWS") %"
	flags=$(awk -F'|' '$16 != "" { printf " %s/%s/%s/%s", $1, $2, $3, $16 }' "$ROWS")
	[ -z "$flags" ] ||
	    echo "FLAGGED rows (W names repeated, D a process died, R process tree changed, F dnsperf failed):$flags"
	[ "${CACHE:-yes}" = yes ] ||
	    echo "NOTE: dotproxy answered a repeated name with the upstream's TTL: no cache, its hit rows are forwarded queries"
	[ "$DPWARN" -eq 0 ] ||
	    echo "NOTE: dotproxy logged $DPWARN warning/error lines during the rows"
	if [ -s "$NOTES" ]; then
		cat "$NOTES"
	fi
}

mkdir -p build
{
	echo "target|scenario|offered|round|qps|mean ms|p99 ms|lost|rcode!=0|cpu s|us/q|upstream cpu s|busy %|client %|answered|flags|steal %|reads/q|writes/q|switches/q"
	cat "$ROWS"
} >"$OUTROWS"
report | tee "$OUT"
