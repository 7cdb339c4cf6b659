#!/bin/bash
# Run demo-app's test suites (unit, end-to-end, migrate) from the demo-app
# directory; each prints "ok - name" / "not ok - name" lines.  Closes with
# "N passed, N failed" and exits 1 if anything failed.
set -u
cd "$(dirname "$0")/.." || exit 1
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

passed=0
failed=0
for suite in ./build/test_unit tests/e2e.sh tests/migrate.sh; do
	echo "# $suite"
	"$suite" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $suite exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
