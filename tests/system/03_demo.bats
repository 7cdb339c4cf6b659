#!/usr/bin/env bats
# `make demo`'s script: generates its workspace and starts sandod on it.

load lib

teardown() {
	[ -z "${DEMO_PID:-}" ] || { kill -TERM "$DEMO_PID"; wait "$DEMO_PID" || true; }
}

@test "the demo starts with three tiers of local nodes" {
	local port i
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	SANDO_DEMO_DIR="$BATS_TEST_TMPDIR/demo" SANDO_DEMO_PORT=$port \
		"$SANDO_TOP/tools/demo.sh" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	DEMO_PID=$!
	for i in $(seq 200); do grep -q 'Ctrl-C' "$BATS_TEST_TMPDIR/out" && break; sleep 0.05; done
	grep -q "API on http://127.0.0.1:$port" "$BATS_TEST_TMPDIR/out"
	run curl -sS "http://127.0.0.1:$port/state"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.tiers[].name] | join(",")')" = "build,staging,prod" ]
	[ "$(echo "$output" | jq -r '[.tiers[].nodes[].transport] | unique | join(",")')" = "local" ]
	[ -f "$BATS_TEST_TMPDIR/demo/state/sando.db" ]
	# the demo pushed the sample app, and its build is staged
	for i in $(seq 200); do
		st=$(curl -sS "http://127.0.0.1:$port/builds" | jq -r '.[0].status')
		[ "$st" = running ] || [ "$st" = null ] || break
		sleep 0.1
	done
	[ "$st" = ok ]
	[ -x "$BATS_TEST_TMPDIR/demo/releases/0.1.0/demo-app" ]
	[ -f "$BATS_TEST_TMPDIR/demo/releases/0.1.0/static/index.html" ]
	[ -d "$BATS_TEST_TMPDIR/demo/releases/0.1.0/migrations" ]
}
