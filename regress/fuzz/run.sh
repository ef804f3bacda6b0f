#!/bin/sh
# Runs each libFuzzer target named on the command line (all of them if
# none) for FUZZ_SECONDS from its seeds in regress/fuzz/corpus/TARGET.
# New inputs collect in build/fuzz/corpus/TARGET (not in git), crash
# inputs in build/fuzz/crash/.  One "ok"/"not ok" line per target with
# its executions, then "N passed, N failed"; fails on any crash.
# FUZZ_RUNS, if set, stops a target earlier, after that many executions
# (the long run: FUZZ_RUNS=10000000 and a generous FUZZ_SECONDS).
cd "$(dirname "$0")/../.." || exit 2
secs=${FUZZ_SECONDS:-30}
targets=${*:-query reply stream cache config ipc control metrics stats}
pass=0
fail=0
mkdir -p build/fuzz/crash
for t in $targets; do
	bin=build/fuzz/fuzz_$t
	log=build/fuzz/$t.log
	mkdir -p "build/fuzz/corpus/$t"
	if [ ! -x "$bin" ]; then
		echo "not ok - fuzz_$t was built"
		fail=$((fail + 1))
		continue
	fi
	# longer inputs where a message can be: IPC chunks, oversized TCP,
	# a whole stats report (6504 bytes), HTTP headers to one past the
	# bound, a control line to the bound
	case $t in
	ipc) maxlen=40000 ;;
	stats) maxlen=6600 ;;
	metrics) maxlen=4097 ;;
	control) maxlen=256 ;;
	stream) maxlen=8192 ;;
	cache) maxlen=2048 ;;
	config) maxlen=1024 ;;
	*) maxlen=4096 ;;
	esac
	limit="-max_total_time=$secs"
	[ -n "$FUZZ_RUNS" ] && limit="$limit -runs=$FUZZ_RUNS"
	"$bin" $limit -max_len=$maxlen -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="build/fuzz/crash/$t-" \
	    "build/fuzz/corpus/$t" "regress/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" |
	    tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz_$t: ${runs:-?} executions, ${rate:-?}/s"
		pass=$((pass + 1))
	else
		crash=$(sed -n 's/.*Test unit written to //p' "$log" |
		    tail -n 1)
		echo "not ok - fuzz_$t crashed after ${runs:-?} executions:" \
		    "input ${crash:-not written}, log $log"
		grep -m 3 -E 'ERROR|invariant failed|runtime error' "$log" |
		    sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
