#!/bin/sh
# chaos.sh -- `make chaos`: the soak run of issue 16.  dotproxy with one
# upstream, the regress DoT server, answers every query; dnsperf sends
# CHAOS_QUERIES distinct names (half over UDP, half over TCP, at
# CHAOS_QPS each) through it twice, the cache off so every query goes
# upstream:
#   calm   the upstream behaves;
#   chaos  the upstream ends every connection at a random moment 0.5 to
#          2 s after its handshake (CHAOS_LIFE), busy or idle, each time
#          in one of four ways drawn at random: TLS close_notify, a bare
#          FIN, a reset, a TLS alert.
# The upstream never drops or spoils a reply, so every SERVFAIL and every
# query lost is one the client could have been spared.  Prints per run
# and transport: queries, NOERROR, SERVFAIL, lost, p99 latency (from
# dnsperf -v), and dotproxy's own counters (retries, connections lost,
# failures, handshakes) and the upstream's ends by way; the table goes to
# build/chaos.txt too.  Everything runs on 127.0.0.1.  Exits 1 when the
# chaos run has a SERVFAIL or a lost query.
# Environment: CHAOS_QUERIES (100000), CHAOS_QPS (2000), CHAOS_LIFE
# (500:2000), CHAOS_ENGINES (2).
. "$(dirname "$0")/lib.sh"
QUERIES=${CHAOS_QUERIES:-100000}
QPS=${CHAOS_QPS:-2000}
LIFE=${CHAOS_LIFE:-500:2000}
ENGINES=${CHAOS_ENGINES:-2}
CTL=$TOP/dotproxyctl
BASE=$((27900 + ${E2E_PORT_SHIFT:-0}))
OUT=$TOP/build/chaos.txt
half=$((QUERIES / 2))

seq 1 "$half" | sed 's/.*/u&.chaos.test A/' >"$W/udp.names"
seq 1 "$half" | sed 's/.*/t&.chaos.test A/' >"$W/tcp.names"

# counter RUN FIELD: from dotproxyctl show upstreams
counter()
{
	"$CTL" -s "$W/ctl/$1.conf.sock" show upstreams 2>/dev/null |
	    sed -n "s/^  $2: //p" | head -1
}

fails=0
: >"$W/table"
run()
{
	_run=$1 _port=$2 _up=$3
	shift 3
	dotserver "$_run" "$_up" "$@" || { echo "dotserver $_run failed"; exit 2; }
	conf "$W/$_run.conf" "$_port" "$_up" "engines $ENGINES"
	proxy "$_run" "$W/$_run.conf" || { echo "dotproxy $_run failed"; exit 2; }
	for _tr in udp tcp; do
		echo "chaos: $_run $_tr, $half queries at $QPS qps" >&2
		dnsperf -s 127.0.0.1 -p "$_port" -m $_tr -d "$W/$_tr.names" \
		    -c 8 -q 100 -Q "$QPS" -n 1 -t 5 -v \
		    >"$W/$_run.$_tr" 2>&1
		# "> RCODE name type latency" per answer, "> T ..." per timeout
		awk '$1 == ">" && $2 != "T" && NF == 5 { print $5 }' \
		    "$W/$_run.$_tr" | sort -n >"$W/lat"
		_n=$(wc -l <"$W/lat")
		_i=$((_n * 99 / 100))
		[ "$_i" -ge 1 ] || _i=1
		_p99=$(sed -n "${_i}p" "$W/lat")
		awk -v run="$_run" -v tr="$_tr" -v n="$_n" -v p="${_p99:-0}" '
		$1 == ">" && $2 != "T" && NF == 5 { rc[$2]++ }
		/Queries lost:/ { lost = $3 }
		END {
			printf "%s|%s|%d|%d|%d|%d|%.2f\n", run, tr, n + lost,
			    rc["NOERROR"], rc["SERVFAIL"], lost, p * 1000
		}' "$W/$_run.$_tr" >>"$W/table"
	done
	sleep 1.5	# one stats report
	printf '%s|%s|%s|%s|%s|%s\n' "$_run" "$(counter "$_run" retries)" \
	    "$(counter "$_run" 'connections lost')" \
	    "$(counter "$_run" failures)" "$(counter "$_run" handshakes)" \
	    "$(for w in notify fin rst alert; do
		printf '%s %s ' $w "$(grep -c "^end $w" "$W/$_run.log")"; done)" \
	    >>"$W/counters"
}

: >"$W/counters"
run calm $BASE $((BASE + 1))
run chaos $((BASE + 2)) $((BASE + 3)) -x "$LIFE" -E notify,fin,rst,alert

{
	echo "make chaos: $QUERIES queries per run ($half UDP, $half TCP) at $QPS qps, one upstream, cache off, engines $ENGINES"
	echo "chaos: every upstream connection ends ${LIFE} ms after its handshake, by close_notify, FIN, RST or TLS alert"
	echo
	echo "| run | transport | queries | NOERROR | SERVFAIL | lost | p99 ms |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	awk -F'|' '{ printf "| %s | %s | %d | %d | %d | %d | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$W/table"
	echo
	echo "| run | retries | connections lost | failures | handshakes | upstream ends |"
	echo "|---|---:|---:|---:|---:|---|"
	awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s|\n", $1, $2, $3, $4, $5, $6 }' "$W/counters"
} | tee "$OUT"

bad=$(awk -F'|' '$1 == "chaos" { s += $5 + $6 } END { print s + 0 }' "$W/table")
[ "$bad" -eq 0 ]
