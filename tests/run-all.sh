#!/bin/bash
# Run every test suite against each build directory given (the plain build and
# the ASan/UBSan build) and end with one line 'N passed, N failed'.
#   unit:        every Criterion program build/tests/unit/test_*
#   conformance: the toml-test corpus against build/src/core/toml-decoder
#   system:      the bats suites in tests/system against build/src/daemon/sandod
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
conf="$top/../shared/conformance/toml-test/run"
[ $# -gt 0 ] || set -- build
passed=0 failed=0
log=$(mktemp -d "${TMPDIR:-/tmp}/sando-tests.XXXXXX")

count() { passed=$((passed + $1)); failed=$((failed + $2)); }

run_unit() {
	local b=$1 t out p f
	for t in "$b"/tests/unit/test_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		out="$log/$(basename "$b")-$(basename "$t").out"
		# --no-early-exit: workers exit normally, so LeakSanitizer gets to report
		"$t" --jobs 2 --no-early-exit >"$out" 2>&1
		# Criterion's closing line: [====] Synthesis: Tested: N | Passing: P | Failing: F | Crashing: C
		p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' "$out" | tail -1)
		f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' "$out" | tail -1)
		if [ -z "$p" ]; then
			echo "FAIL $t: no synthesis line"; cat "$out"; count 0 1; continue
		fi
		if grep -qE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$out"; then
			echo "FAIL $t: sanitizer report"; grep -E -A12 'ERROR: |runtime error:' "$out" | head -40
			f=$((f + 1))
		fi
		[ "$f" -eq 0 ] || grep -E '\[(FAIL|----)\]' "$out" | head -40
		echo "unit $(basename "$b")/$(basename "$t"): $p passed, $f failed"
		count "$p" "$f"
	done
}

run_conformance() {
	local b=$1 out line p f
	out="$log/$(basename "$b")-toml-test.out"
	if [ ! -x "$conf" ]; then
		echo "FAIL toml-test corpus not found at $conf"; count 0 1; return
	fi
	python3 "$conf" "$b/src/core/toml-decoder" >"$out" 2>&1
	line=$(tail -1 "$out")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then echo "FAIL toml-test: $line"; count 0 1; return; fi
	[ "$f" -eq 0 ] || grep '^FAIL' "$out" | head -40
	echo "toml-test $(basename "$b"): $p passed, $f failed"
	count "$p" "$f"
}

run_system() {
	local b=$1 out p f
	out="$log/$(basename "$b")-bats.out"
	# files run two at a time (most of a system test is waiting on daemons,
	# builds and sleeps); the tests of one file stay in order
	set -- --tap
	if [ "${SANDO_TEST_JOBS:-2}" -gt 1 ] && command -v parallel >/dev/null; then
		set -- "$@" --jobs "${SANDO_TEST_JOBS:-2}" --no-parallelize-within-files
	fi
	SANDOD="$top/$b/src/daemon/sandod" SANDO_TOP="$top" \
		bats "$@" "$top/tests/system" >"$out" 2>&1
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	# every planned test must report: a run cut short is a failure
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -1)
	if [ -n "$plan" ] && [ $((p + f)) -lt "$plan" ]; then
		echo "FAIL bats reported $((p + f)) of $plan tests"; tail -20 "$out"
		f=$((f + plan - p - f))
	fi
	[ "$f" -eq 0 ] || grep -A30 '^not ok ' "$out" | head -150
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL bats ran no test"; tail -20 "$out"; count 0 1; return
	fi
	echo "system $(basename "$b"): $p passed, $f failed"
	count "$p" "$f"
}

for b in "$@"; do
	run_unit "$b"
	run_conformance "$b"
	run_system "$b"
done
echo "logs: $log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
