#!/bin/sh
# chaos.sh -- `make chaos`: the soak run of issue 16.  dotproxy with one
# upstream, the regress DoT server, which answers every query after
# CHAOS_DELAY ms (like a public resolver, so that queries are in flight
# when a connection ends); dnsperf sends
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
# (500:2000), CHAOS_DELAY (20), CHAOS_ENGINES (2).
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/regress/lib.sh"
QUERIES=${CHAOS_QUERIES:-100000}
QPS=${CHAOS_QPS:-2000}
LIFE=${CHAOS_LIFE:-500:2000}
ENGINES=${CHAOS_ENGINES:-2}
DELAY=${CHAOS_DELAY:-20}
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
	c_run=$1 c_port=$2 c_up=$3
	shift 3
	dotserver "${c_run}up" "$c_up" -d "$DELAY" "$@" || { echo "dotserver $c_run failed"; exit 2; }
	conf "$W/$c_run.conf" "$c_port" "$c_up" "engines $ENGINES"
	proxy "$c_run" "$W/$c_run.conf" || { echo "dotproxy $c_run failed"; exit 2; }
	for c_tr in udp tcp; do
		echo "chaos: $c_run $c_tr, $half queries at $QPS qps" >&2
		dnsperf -s 127.0.0.1 -p "$c_port" -m $c_tr -d "$W/$c_tr.names" \
		    -c 8 -q 100 -Q "$QPS" -n 1 -t 5 -v \
		    >"$W/$c_run.$c_tr" 2>&1
		# "> RCODE name type latency" per answer, "> T ..." per timeout
		awk '$1 == ">" && $2 != "T" && NF == 5 { print $5 }' \
		    "$W/$c_run.$c_tr" | sort -n >"$W/lat"
		_n=$(wc -l <"$W/lat")
		_i=$((_n * 99 / 100))
		[ "$_i" -ge 1 ] || _i=1
		_p99=$(sed -n "${_i}p" "$W/lat")
		awk -v run="$c_run" -v tr="$c_tr" -v n="$_n" -v p="${_p99:-0}" '
		$1 == ">" && $2 != "T" && NF == 5 { rc[$2]++ }
		/Queries lost:/ { lost = $3 }
		END {
			printf "%s|%s|%d|%d|%d|%d|%.2f\n", run, tr, n + lost,
			    rc["NOERROR"], rc["SERVFAIL"], lost, p * 1000
		}' "$W/$c_run.$c_tr" >>"$W/table"
	done
	sleep 1.5	# one stats report
	printf '%s|%s|%s|%s|%s|%s\n' "$c_run" "$(counter "$c_run" retries)" \
	    "$(counter "$c_run" 'connections lost')" \
	    "$(counter "$c_run" failures)" "$(counter "$c_run" handshakes)" \
	    "$(for w in notify fin rst alert; do
		printf '%s %s ' $w "$(grep -c "^end $w" "$W/${c_run}up.log")"; done)" \
	    >>"$W/counters"
}

: >"$W/counters"
run calm $BASE $((BASE + 1))
run chaos $((BASE + 2)) $((BASE + 3)) -x "$LIFE" -E notify,fin,rst,alert

{
	echo "make chaos: $QUERIES queries per run ($half UDP, $half TCP) at $QPS qps, one upstream answering in $DELAY ms, cache off, engines $ENGINES"
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
