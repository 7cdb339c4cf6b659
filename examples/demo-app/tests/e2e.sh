#!/bin/bash
# End-to-end: start ./demo-app on a kernel-chosen loopback port, talk HTTP to
# it over bash's /dev/tcp, SIGTERM it; then the DEMO_BOOT modes.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
version=$(cat VERSION)

# start NAME [VAR=value...]: run ./demo-app in the background with PORT=0,
# wait for its "listening" line, set $pid and $port.
start() {
	local log=$tmp/$1.log tries=50
	shift
	env -u DEMO_BOOT -u RESTART_WARNING_TOKEN PORT=0 "$@" ./demo-app 2>"$log" &
	pid=$!
	port=
	while [ -z "$port" ] && [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		port=$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
		tries=$((tries - 1))
	done
	[ -n "$port" ]
}

if start main RESTART_WARNING_TOKEN=e2e-token; then
	pass "server starts and reports its port"
else
	fail "server starts and reports its port" "$(cat "$tmp/main.log")"
	exit 1
fi

http "$port" GET /healthz
check "GET /healthz answers 200 with the version" \
	test "$STATUS:$BODY" = "200:{\"status\":\"ok\",\"version\":\"$version\"}"

http "$port" GET /version
check "GET /version answers the version" test "$STATUS:$BODY" = "200:$version"

http "$port" GET /static/index.html
printf '%s\n' "$BODY" >"$tmp/index.html"
check "GET /static/index.html serves the file" \
	test "$STATUS" = 200 -a "$(cat "$tmp/index.html")" = "$(cat static/index.html)"

http "$port" GET /static/img/dot.svg
check "GET /static/img/dot.svg serves a nested file" test "$STATUS" = 200

http "$port" GET /no-such-page
check "GET /no-such-page answers 404" test "$STATUS" = 404

http "$port" GET /static/../VERSION
check "GET /static/../VERSION is refused" test "$STATUS" = 400

http "$port" GET /static/%2e%2e/VERSION
check "GET /static/%2e%2e/VERSION is refused" test "$STATUS" = 400

http "$port" POST /restart-warning '{"seconds": 5}' 'Authorization: Bearer e2e-token'
check "POST /restart-warning with the token answers 204" test "$STATUS" = 204

http "$port" POST /restart-warning '{"seconds": 5}' 'Authorization: Bearer wrong'
check "POST /restart-warning with a wrong token answers 401" test "$STATUS" = 401

http "$port" GET /healthz
check "the server still answers after bad requests" test "$STATUS" = 200

kill -TERM "$pid"
wait_exit "$pid" 5
pid=
check "SIGTERM stops the server with status 0" test "$EXIT_STATUS" = 0

log=$(cat "$tmp/main.log")
check "one log line per request" \
	test "$(grep -c '" [0-9][0-9][0-9] [0-9]*$' "$tmp/main.log")" = 10
check "the request log names method, path and status" \
	grep -q '"GET /no-such-page" 404' "$tmp/main.log"
check "the restart warning is logged" grep -q 'restarting in 5 seconds' "$tmp/main.log"
check "the token never reaches the log" test "${log#*e2e-token}" = "$log"

env DEMO_BOOT=panic PORT=0 ./demo-app 2>"$tmp/panic.log" &
wait_exit $! 5
check "DEMO_BOOT=panic exits 101 with a panic line" test "$EXIT_STATUS" = 101 -a \
	"$(cat "$tmp/panic.log")" = "thread 'main' panicked at src/main.c:1:1: demo panic"

start=$(date +%s)
env DEMO_BOOT=exit PORT=0 ./demo-app 2>/dev/null &
wait_exit $! 5
check "DEMO_BOOT=exit exits 3 after about a second" \
	test "$EXIT_STATUS" = 3 -a "$(($(date +%s) - start))" -ge 1

if start unhealthy DEMO_BOOT=unhealthy; then
	http "$port" GET /healthz
	check "DEMO_BOOT=unhealthy keeps serving, /healthz answers 503" test "$STATUS" = 503
	kill -TERM "$pid"
	wait_exit "$pid" 5
	pid=
else
	fail "DEMO_BOOT=unhealthy keeps serving, /healthz answers 503" "$(cat "$tmp/unhealthy.log")"
fi

env -u DEMO_BOOT PORT=not-a-port ./demo-app 2>/dev/null
check "an invalid PORT exits 2" test $? = 2

[ "$failures" -eq 0 ]
