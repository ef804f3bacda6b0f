#!/bin/sh
# Runs every test: the unit test binaries, then each end-to-end script in
# regress/e2e.  Each prints "ok - ..." / "not ok - ..." lines; the last
# line of this script is the total, "N passed, N failed".
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
export TOP="$top"
results=$(mktemp)
trap 'rm -f "$results" "$results.unit"' EXIT

for t in build/test_dns build/test_ipc build/test_config build/test_cache \
    build/test_ratelimit build/test_coalesce build/test_clients \
    build/test_stats build/test_frame; do
	echo "== $t"
	if [ ! -x "$t" ]; then
		echo "not ok - $t was built" | tee -a "$results"
		continue
	fi
	"./$t" >"$results.unit"
	rc=$?
	grep -E '^(not )?ok' "$results.unit" | tee -a "$results" | grep '^not ok'
	# a crash prints no "not ok" of its own
	[ "$rc" -gt 128 ] && echo "not ok - $t died (status $rc)" |
	    tee -a "$results"
done

for t in regress/e2e/*.sh; do
	[ -n "$E2E_ONLY" ] && case "$t" in *"$E2E_ONLY"*) ;; *) continue ;; esac
	echo "== $t"
	sh "$t" 2>&1 | tee -a "$results" | grep -vE '^ok'
done

pass=$(grep -c '^ok' "$results")
fail=$(grep -c '^not ok' "$results")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
