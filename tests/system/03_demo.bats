#!/usr/bin/env bats
# `make demo`'s script: generates its workspace and starts sandod on it.

load lib

teardown() {
	[ -z "${DEMO_PID:-}" ] || { kill -TERM "$DEMO_PID"; wait "$DEMO_PID" || true; }
	for f in "$BATS_TEST_TMPDIR"/demo/nodes/*/app.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
}

@test "the demo: host -> a (2 nodes) -> b, the app pushed, host green, a promote that runs the app" {
	local port i
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	SANDO_DEMO_DIR="$BATS_TEST_TMPDIR/demo" SANDO_DEMO_PORT=$port \
		"$SANDO_TOP/tools/demo.sh" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	DEMO_PID=$!
	for i in $(seq 1200); do grep -q 'Ctrl-C' "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	grep -q "API on http://127.0.0.1:$port" "$BATS_TEST_TMPDIR/out"
	grep -q "0.1.0 passed make check and the boot smoke test on host" "$BATS_TEST_TMPDIR/out"
	s=$(curl -sS "http://127.0.0.1:$port/state")
	[ "$(echo "$s" | jq -r '[.tiers[].name] | join(",")')" = "host,a,b" ]
	[ "$(echo "$s" | jq -r '[.tiers[].nodes[].name] | join(",")')" = "a-1,a-2,b-1" ]
	[ "$(echo "$s" | jq -r '.tiers[0].current_version')" = 0.1.0 ]
	[ -x "$BATS_TEST_TMPDIR/demo/releases/0.1.0/demo-app" ]
	# the next step the demo prints works: the app runs on both nodes of a
	"$(dirname "$SANDOD")/../client/sando" --daemon "http://127.0.0.1:$port" promote a
	curl -fsS "http://127.0.0.1:$((port + 11))/healthz" | grep -q '"version":"0.1.0"'
	curl -fsS "http://127.0.0.1:$((port + 12))/healthz" | grep -q ok
}
