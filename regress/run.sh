#!/bin/sh
# Runs every test: the unit test binaries, then each end-to-end script in
# regress/e2e.  Each prints "ok - ..." / "not ok - ..." lines; the last
# line of this script is the total, "N passed, N failed".
# BUILD is where the test programs are (build, or a test build's tree);
# UNIT=no runs the end-to-end scripts only.  E2E_SKIP names a list of
# checks that cannot hold in a test build (regress/valgrind.skip): their
# failures count as skipped, each shown as "ok - NAME # SKIP ...".
# Results with a # comment are shown as well as failures.
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
export TOP="$top"
BUILD=${BUILD:-build}
results=$(mktemp)
trap 'rm -f "$results" "$results.unit"' EXIT

# test_upconn, test_plainconn and test_query talk to dotserver with the
# test PKI, which regress/lib.sh would otherwise make for the first
# end-to-end script.
[ "${UNIT:-yes}" = no ] || sh regress/mkcerts.sh build/certs >/dev/null 2>&1
[ "${UNIT:-yes}" = no ] ||
for t in $BUILD/test_dns $BUILD/test_ipc $BUILD/test_config $BUILD/test_cache \
    $BUILD/test_ratelimit $BUILD/test_coalesce $BUILD/test_clients \
    $BUILD/test_stats $BUILD/test_frame $BUILD/test_proc $BUILD/test_upconn \
    $BUILD/test_plainconn $BUILD/test_query $BUILD/test_zone; do
	echo "== $t"
	if [ ! -x "$t" ]; then
		echo "not ok - $t was built" | tee -a "$results"
		continue
	fi
	"$t" >"$results.unit"
	rc=$?
	grep -E '^(not )?ok' "$results.unit" | tee -a "$results" | grep '^not ok'
	# a crash prints no "not ok" of its own
	[ "$rc" -gt 128 ] && echo "not ok - $t died (status $rc)" |
	    tee -a "$results"
done

# skiplisted: failures named by a pattern of $E2E_SKIP (one ERE per line,
# matched against the whole name) become skips.
skiplisted()
{
	if [ -z "${E2E_SKIP:-}" ]; then
		cat
		return
	fi
	awk -v f="$E2E_SKIP" 'BEGIN {
		while ((getline l < f) > 0)
			if (l !~ /^#/ && l != "")
				pat[n++] = "^(" l ")$"
	}
	/^not ok - / {
		name = substr($0, 10)
		for (i = 0; i < n; i++)
			if (name ~ pat[i]) {
				print "ok - " name " # SKIP listed in " f
				fflush()
				next
			}
	}
	{ print; fflush() }'
}

# E2E_SCRIPT_TIMEOUT: seconds one script may take (600; memcheck.sh
# gives the valgrind build more).
tmo=${E2E_SCRIPT_TIMEOUT:-600}
# E2E_EXCLUDE: scripts left out (substrings, space-separated), for the
# test builds: podman.sh runs the production binaries in any build.
for t in regress/e2e/*.sh; do
	[ -n "$E2E_ONLY" ] && case "$t" in *"$E2E_ONLY"*) ;; *) continue ;; esac
	_skip=0
	for x in ${E2E_EXCLUDE:-}; do
		case "$t" in *"$x"*) _skip=1 ;; esac
	done
	[ "$_skip" -eq 0 ] || continue
	echo "== $t"
	_t0=$(date +%s)
	# a script that hangs fails, and the rest still run: TERM runs its
	# cleanup (lib.sh traps it), KILL follows if that hangs too
	# (124: timed out and ended by TERM; 137: KILL had to follow)
	{ timeout -k 30 "$tmo" sh "$t" 2>&1
	  case $? in 124|137)
	    echo "not ok - $t finished within $tmo s (E2E_SCRIPT_TIMEOUT)" ;;
	  esac; } |
	    skiplisted | tee -a "$results" | grep -vE '^ok - [^#]*$'
	echo "# $t: $(($(date +%s) - _t0)) s"
done

pass=$(grep -c '^ok' "$results")
fail=$(grep -c '^not ok' "$results")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
