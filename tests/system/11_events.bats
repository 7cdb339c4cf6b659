#!/usr/bin/env bats
# /events over WebSocket with `sando events`: live, replay with --since,
# refusals, and readers that stop reading.

load lib

teardown() { sando_teardown; }

SANDO_CLI() { "$(dirname "$SANDOD")/../client/sando" --daemon "$URL" "$@"; }

@test "sando events streams a build's events live, in seq order" {
	sando_config_build
	sando_start
	sando_app
	SANDO_CLI events --json --count 3 --timeout 20 >"$WS/events.out" &
	cli=$!
	sleep 0.5
	sando_push
	wait "$cli"
	[ "$(jq -r .kind "$WS/events.out" | paste -sd,)" = rebuild_requested,build_start,build_ok ]
	[ "$(jq -r .seq "$WS/events.out" | paste -sd,)" = 1,2,3 ]
	[ "$(jq -r 'select(.kind == "build_ok") | .version' "$WS/events.out")" = 1.0.0 ]
	# the human format names the kind and the build
	run SANDO_CLI events --since 2 --count 1 --timeout 5
	[ "$status" -eq 0 ]
	[[ "$output" == "#3"*"build_ok"*"build=1"*"version=1.0.0"* ]]
}

@test "--since replays what was missed, then goes live" {
	sando_config_build
	sando_start
	sando_app
	sando_push
	wait_build 1 >/dev/null
	run SANDO_CLI events --json --since 0 --count 3 --timeout 5
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .seq | paste -sd,)" = 1,2,3 ]
	# a reconnecting reader with since=1 gets 2 and 3, then the next build live
	SANDO_CLI events --json --since 1 --count 5 --timeout 20 >"$WS/events.out" &
	cli=$!
	sleep 0.5
	http -X POST "$URL/rebuild"
	wait "$cli"
	[ "$(jq -r .seq "$WS/events.out" | paste -sd,)" = 2,3,4,5,6 ]
	# events survive a restart of the daemon
	sando_stop
	sando_start
	run SANDO_CLI events --json --since 5 --count 1 --timeout 5
	[ "$(echo "$output" | jq -r .seq)" = 6 ]
}

@test "non-WebSocket requests, bad since and wrong protocols are refused clearly" {
	sando_config
	sando_start
	http "$URL/events"
	[ "$CODE" = 400 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = websocket_required ]
	http "$URL/events?since=-1"
	[ "$CODE" = 400 ]
	http "$URL/events?since=abc"
	[ "$CODE" = 400 ]
	http -H 'Upgrade: websocket' -H 'Connection: Upgrade' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Protocol: sando.v0' "$URL/events"
	[ "$CODE" = 400 ]
	[[ "$(echo "$BODY" | jq -r .error.message)" == *sando.v1* ]]
	run SANDO_CLI events --count 1 --timeout 2
	[ "$status" -eq 1 ]
	sando_healthy
}

@test "10,000 events (100 MB): a reader that never reads stays bounded, another gets them all" {
	sando_config
	sando_start
	sando_stop
	# 10,000 stored events (as a long-running daemon would have)
	sqlite3 "$WS/state/sando.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
		INSERT INTO events(seq, ts, kind, body_json) SELECT i, '2026-01-01T00:00:00Z', 'build_start',
		json_object('seq', i, 'ts', '2026-01-01T00:00:00Z', 'kind', 'build_start', 'build_id', i,
		'sha', printf('%040d', i), 'pad', printf('%010000d', 0)) FROM n"
	# an ASan build keeps freed memory in quarantine; keep that small so RSS
	# measures what the daemon holds (the variable means nothing to other builds)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4 sando_start
	python3 "$BATS_TEST_DIRNAME/httpprobe.py" "$PORT" wsstall "/events?since=0" 6 >"$WS/stall.out" &
	stall=$!
	sleep 0.5
	run SANDO_CLI events --json --since 0 --count 10000 --timeout 30
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" = 10000 ]
	[ "$(echo "$output" | tail -1 | jq -r .seq)" = 10000 ]
	# the stalled reader costs at most its bounded queue (unbounded: 100 MB)
	rss=$(awk '/VmRSS/ {print $2}' /proc/$SANDOD_PID/status)
	[ "$rss" -lt 65536 ]
	wait "$stall"
	grep -q "101 Switching Protocols" "$WS/stall.out"
	sando_healthy
}

# The first $2 text messages of the WebSocket at $URL$1, one a line (a raw
# client: sando events has no --last).
ws_read() {
	python3 - "$PORT" "$1" "$2" <<'PY'
import socket, struct, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Protocol: sando.v1\r\n\r\n" % path).encode())
f = s.makefile("rb")
assert f.readline().split()[1] == b"101"
while f.readline() not in (b"\r\n", b""):
    pass
for _ in range(n):
    b0, b1 = f.read(2)
    ln = b1 & 0x7F
    if ln == 126:
        ln = struct.unpack(">H", f.read(2))[0]
    elif ln == 127:
        ln = struct.unpack(">Q", f.read(8))[0]
    print(f.read(ln).decode(), flush=True)
PY
}

@test "?last=N (and sando events --last N) replays the last N events, then goes live; bad values are 400" {
	sando_config_build
	sando_start
	sando_app
	sando_push
	wait_build 1 >/dev/null
	[ "$(ws_read '/events?last=2' 2 | jq -r .seq | paste -sd,)" = 2,3 ]
	[ "$(ws_read '/events?last=1000' 3 | jq -r .seq | paste -sd,)" = 1,2,3 ]
	# the CLI's --last asks for the same
	run SANDO_CLI events --json --last 2 --count 2 --timeout 5
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .seq | paste -sd,)" = 2,3 ]
	for bad in "--last 1001" "--last x" "--last 1 --since 1"; do
		# shellcheck disable=SC2086 # the words are the options
		run SANDO_CLI events $bad --count 1 --timeout 1
		[ "$status" -eq 2 ]
	done
	run SANDO_CLI events --last 1 --since 1
	[[ "$output" == *"--since and --last exclude each other"* ]]
	# then live: the next event is the rebuild's (sent after the replayed one
	# arrived; the replay reads the table until it is caught up, so no gap)
	ws_read '/events?last=1' 2 >"$WS/live.out" &
	reader=$!
	for i in $(seq 200); do
		[ -s "$WS/live.out" ] && break
		sleep 0.05
	done
	http -X POST "$URL/rebuild"
	wait "$reader"
	[ "$(jq -r .seq "$WS/live.out" | paste -sd,)" = 3,4 ]
	# last=0 is accepted: live only, like no parameter
	ws_read '/events?last=0' 0
	for v in -1 abc "" 1x 1001 99999999999999999999; do
		http "$URL/events?last=$v"
		[ "$CODE" = 400 ]
		[ "$(echo "$BODY" | jq -r .error.message)" = "'last' must be an integer from 0 to 1000" ]
	done
	http "$URL/events?last=5&since=1"
	[ "$CODE" = 400 ]
	[ "$(echo "$BODY" | jq -r .error.message)" = "'since' and 'last' exclude each other" ]
	http "$URL/events?last=5"
	[ "$(echo "$BODY" | jq -r .error.code)" = websocket_required ]
	sando_healthy
}
