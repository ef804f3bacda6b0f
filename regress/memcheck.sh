#!/bin/sh
# make test-asan and make test-valgrind: the tests against a test build in
# build/asan or build/valgrind (see the Makefile), then one result per
# kind of process saying that no sanitizer or valgrind report was
# written.  A test that passes can still have made an engine die of a
# report (the parent starts a new one), so the reports decide, not only
# the tests.  usage: memcheck.sh asan|valgrind
#
# asan: every test, with the daemon, the unit tests and the regress DoT
# server built with -fsanitize=address,undefined; reports go to
# build/asan/logs/asan.PROGRAM.PID (an engine opens its file before its
# sandbox closes, so an empty engine file is the normal case).
# valgrind: the end-to-end tests with the daemon under valgrind and each
# engine too (the test build execs them through valgrind); one log per
# process, build/valgrind/logs/vg.PID.  An error, or a definite or
# indirect leak at exit, fails.
# The waits of the tests are stretched by E2E_TIME_SCALE (2 and 10);
# the checks regress/asan.skip and regress/valgrind.skip list are skipped.
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
kind=$1
B=build/$kind
L=$top/$B/logs
case $kind in
asan|valgrind) ;;
*) echo "usage: $0 asan|valgrind" >&2; exit 2 ;;
esac
rm -rf "$L"
mkdir -p "$L" || exit 2
# engines started as nobody (process.sh) write here too
chmod 1777 "$L"
out=$(mktemp)
res=$(mktemp)
trap 'rm -f "$out" "$res"' EXIT
t0=$(date +%s)

# E2E_REPORTS: process.sh lets an engine hold its report file open;
# E2E_BUILD: root.sh leaves out what the valgrind build does not have;
# podman.sh is left out: its image holds the production binaries in
# every build, which make test has already run.
export BUILD=$B DOTPROXY_BIN=$top/$B/dotproxy E2E_REPORTS=$L E2E_BUILD=$kind
export E2E_EXCLUDE="podman"

case $kind in
asan)
	o="log_path=$L/asan:log_exe_name=1"
	export ASAN_OPTIONS="$o:verify_asan_link_order=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
	export UBSAN_OPTIONS="$o:print_stacktrace=1:halt_on_error=1"
	export DOTPROXY=$DOTPROXY_BIN DOTSERVER=$top/$B/dotserver
	export E2E_TIME_SCALE=${E2E_TIME_SCALE:-2}
	export E2E_SKIP=$top/regress/asan.skip
	;;
valgrind)
	export VALGRIND_OPTS="--vgdb=no --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --num-callers=30 --log-file=$L/vg.%p"
	# the parent under valgrind too; its engines are the test build's
	printf '#!/bin/sh\nexec valgrind "%s" "$@"\n' "$DOTPROXY_BIN" \
	    >"$top/$B/vg-dotproxy"
	chmod 0755 "$top/$B/vg-dotproxy"
	export DOTPROXY=$top/$B/vg-dotproxy DOTSERVER=$top/$B/dotserver
	export UNIT=no E2E_TIME_SCALE=${E2E_TIME_SCALE:-10}
	export E2E_SCRIPT_TIMEOUT=${E2E_SCRIPT_TIMEOUT:-900}
	export E2E_SKIP=$top/regress/valgrind.skip
	;;
esac

sh regress/run.sh | tee "$out" | grep -v '^[0-9]* passed, [0-9]* failed$'

# Orphaned engines may still be writing their reports.
n=600
while [ $n -gt 0 ] && pgrep -f "$DOTPROXY_BIN" >/dev/null; do
	sleep 0.1
	n=$((n - 1))
done

echo "== $kind reports ($L)"

# asan_result KIND FILES...: ok when no file of KIND holds a report.
# (An engine's file name has a space: "asan.dotproxy: engine.PID".)
asan_result()
{
	_k=$1
	shift
	_n=0 _nbad=0
	for _f; do
		[ -e "$_f" ] || continue
		_n=$((_n + 1))
		[ -s "$_f" ] && _nbad=$((_nbad + 1))
	done
	if [ "$_nbad" -eq 0 ]; then
		echo "ok - asan: no report from the $_k ($_n report files, all empty)"
		return
	fi
	echo "not ok - asan: no report from the $_k ($_nbad of $_n report files written)"
	for _f; do
		[ -s "$_f" ] || continue
		echo "--- $_f"
		cat "$_f"
	done
}

# vgkind LOG: engine, parent or other, from the command valgrind ran.
vgkind()
{
	_c=$(sed -n 's/^==[0-9]*== Command: //p' "$1" | head -1)
	case "$_c" in
	*dotproxy" -E"*) echo engine ;;
	*dotproxy*) echo parent ;;
	*) echo other ;;
	esac
}

# vgbad LOG: the log has an error or a definite or indirect leak.  A
# process killed before its exit has no summary: any stack trace in its
# log is an error.
vgbad()
{
	if grep -q '== ERROR SUMMARY:' "$1"; then
		! grep -q '== ERROR SUMMARY: 0 errors' "$1" ||
		    grep -Eq '(definitely|indirectly) lost: [1-9]' "$1"
	else
		grep -Eq '^==[0-9]+== +(at|by) 0x' "$1"
	fi
}

vg_result()
{
	_k=$1
	_n=0 _done=0 _bad=""
	for _f in "$L"/vg.*; do
		[ -e "$_f" ] && [ "$(vgkind "$_f")" = "$_k" ] || continue
		_n=$((_n + 1))
		grep -q '== ERROR SUMMARY:' "$_f" && _done=$((_done + 1))
		vgbad "$_f" && _bad="$_bad $_f"
	done
	_what="valgrind: the ${_k}s: no error, no definite or indirect leak ($_n logs, $_done checked at exit"
	if [ -z "$_bad" ] && [ "$_done" -gt 0 ]; then
		echo "ok - $_what)"
	else
		echo "not ok - $_what${_bad:+, bad:$_bad})"
		for _f in $_bad; do
			echo "--- $_f"
			cat "$_f"
		done
	fi
}

{
	case $kind in
	asan)
		asan_result parent "$L"/asan.dotproxy.[0-9]*
		asan_result engines "$L"/asan.dotproxy:\ engine.[0-9]*
		asan_result "test server" "$L"/asan.dotserver.[0-9]*
		asan_result "unit tests" "$L"/asan.test_*.[0-9]*
		asan_result "other programs" $(ls "$L"/asan.* 2>/dev/null |
		    grep -Ev '/asan\.(dotproxy|dotproxy: engine|dotserver|test_[a-z]*)\.[0-9]+$')
		ne=$(ls "$L" | grep -c '^asan\.dotproxy: engine\.')
		if [ "$ne" -gt 0 ]; then
			echo "ok - asan: the engines ran the sanitizer build ($ne engines opened their report file)"
		else
			echo "not ok - asan: the engines ran the sanitizer build (no engine report file)"
		fi
		;;
	valgrind)
		vg_result parent
		vg_result engine
		;;
	esac
} | tee "$res"

# run.sh prints only the failures; its last line counts them all
pass=$(($(sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p' "$out") + 0))
fail=$(($(sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p' "$out") + 0))
pass=$((pass + $(grep -c '^ok' "$res")))
fail=$((fail + $(grep -c '^not ok' "$res")))
echo "make test-$kind took $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
