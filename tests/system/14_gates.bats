#!/usr/bin/env bats
# The gate engine with the demo app: test and boot_smoke gates after a build,
# their rows, events, logs and classified outcomes; timeouts, cancellation by
# a newer build, the minimal environment, the burn-in timer, and the log
# routes' validation.

load lib

teardown() { sando_teardown; }

SANDO_CLI() { "$(dirname "$SANDOD")/../client/sando" --daemon "$URL" "$@"; }

V=0.1.0

# One first tier "build" with the gates $1 and a second tier "staging".
tiers() {
	printf '[[tier]]\nname = "build"\ngates = %s\n[[tier]]\nname = "staging"\n' "$1"
}

boot_gate() { # args-json
	tiers "[ { kind = \"boot_smoke\", seconds = 2, health_url = \"http://127.0.0.1:{port}/healthz\", args = $1 } ]"
}

start_demo() { # gates [daemon lines]
	sando_config_demo "${2:-}" "$(tiers "$1")"
	sando_start
	sando_demo_app
}

state() { curl -s "$URL/state"; }

@test "passing test and boot_smoke gates run in order, are recorded, and advance the first tier" {
	start_demo '[ { kind = "test", command = ["make", "check"] }, { kind = "boot_smoke", seconds = 2, health_url = "http://127.0.0.1:${PORT}/healthz" }, { kind = "manual_confirm" } ]'
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	runs=$(wait_gates build $V 2)
	[ "$(echo "$runs" | jq -r 'map(.gate) | reverse | join(",")')" = test,boot_smoke ]
	t=$(run_of "$runs" test)
	[ "$(echo "$t" | jq -r .status)" = passed ]
	[ "$(echo "$t" | jq -r .outcome.note.kind)" = tests_passed ]
	[ "$(echo "$t" | jq -r .outcome.note.count)" -ge 40 ]
	b=$(run_of "$runs" boot_smoke)
	[ "$(echo "$b" | jq -r .outcome.note.kind)" = stayed_up ]
	[ "$(echo "$b" | jq -r '.outcome.note.duration_s >= 2')" = true ]
	# the tier advanced; manual_confirm is not run, it waits at promote time
	for i in $(seq 50); do [ "$(state | jq -r '.tiers[0].current_version')" = $V ] && break; sleep 0.1; done
	[ "$(state | jq -r '.tiers[0].current_version')" = $V ]
	[ "$(state | jq -r '.tiers[0].gates[0].outcome.note.kind')" = tests_passed ]
	[ "$(state | jq -r '.tiers[0].gates[2].outcome.reason.kind')" = awaiting_operator_confirmation ]
	[ "$(state | jq -r '.tiers[0].pending_version')" = null ]
	# the staging tier sees the version pending from its predecessor
	[ "$(state | jq -r '.tiers[1].pending_version')" = $V ]
	# events, in order, with the typed outcome
	db="$WS/state/sando.db"
	[ "$(sqlite3 "$db" "SELECT group_concat(kind || ':' || json_extract(body_json, '$.gate'), ',') FROM (SELECT * FROM events WHERE kind LIKE 'gate_%' ORDER BY seq)")" = gate_start:test,gate_done:test,gate_start:boot_smoke,gate_done:boot_smoke ]
	[ "$(sqlite3 "$db" "SELECT json_extract(body_json, '$.outcome.note.kind') FROM events WHERE kind = 'gate_done' ORDER BY seq LIMIT 1")" = tests_passed ]
	# every stored event's body names its own kind
	[ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE json_extract(body_json, '$.kind') != kind")" = 0 ]
	[ "$(sqlite3 "$db" "SELECT json_extract(body_json, '$.gate_kind') FROM events WHERE kind = 'gate_start' LIMIT 1")" = test ]
	# the rows: finished, with a log
	[ "$(sqlite3 "$db" "SELECT count(*) FROM gate_runs WHERE status = 'passed' AND log_ref LIKE 'gates/%' AND finished_at IS NOT NULL")" = 2 ]
	# logs by version and gate, and by run id
	http "$URL/logs/$V/test?tier=build"
	[ "$CODE" = 200 ]
	[[ "$BODY" == *"passed, 0 failed"* ]]
	http "$URL/logs/$V/boot_smoke"
	[ "$CODE" = 200 ]
	[[ "$BODY" == *"listening on 127.0.0.1"* ]]
	[[ "$BODY" == *"answered 200"* ]]
	id=$(echo "$t" | jq -r .id)
	http "$URL/gate-runs/$id"
	[ "$CODE" = 200 ]
	[ "$(echo "$BODY" | jq -r .gate)" = test ]
	http "$URL/gate-runs/999999"
	[ "$CODE" = 404 ]
	# the booted binary was stopped
	[ "$(procs_matching "$WS/releases/$V/demo-app")" = 0 ]
	sando_healthy
}

@test "a failing test fails the gate with the test's name; later gates do not run; no advance" {
	start_demo '[ { kind = "test", command = ["make", "check"] }, { kind = "boot_smoke", seconds = 1 } ]'
	sed -i '2i echo "not ok - deliberately broken"' "$WS/app/tests/e2e.sh"
	sando_commit broken >/dev/null
	sando_push
	wait_build 1 >/dev/null
	runs=$(wait_gates build $V 1)
	[ "$(echo "$runs" | jq length)" = 1 ]
	t=$(run_of "$runs" test)
	[ "$(echo "$t" | jq -r .status)" = failed ]
	[ "$(echo "$t" | jq -r .outcome.failure.kind)" = cargo_test ]
	[ "$(echo "$t" | jq -r .outcome.failure.failed_count)" = 1 ]
	[ "$(echo "$t" | jq -r .outcome.failure.first_failed)" = "deliberately broken" ]
	[ "$(echo "$t" | jq -r .outcome.log_ref)" = "$(echo "$t" | jq -r .log_ref)" ]
	sleep 0.3
	[ "$(state | jq -r '.tiers[0].current_version')" = null ]
	# /state shows the pending version's outcomes on the first tier
	[ "$(state | jq -r '.tiers[0].pending_version')" = $V ]
	[ "$(state | jq -r '.tiers[0].pending_gates[0].outcome.failure.kind')" = cargo_test ]
	[ "$(state | jq -r '.tiers[0].pending_gates[1].outcome')" = null ]
}

@test "boot_smoke: a binary that panics at boot is boot_panic" {
	start_demo "$(boot_gate '["--boot", "panic"]' | sed -n 's/^gates = //p')"
	sando_push
	o=$(run_of "$(wait_gates build $V 1)" boot_smoke | jq -c .outcome)
	[ "$(echo "$o" | jq -r .failure.kind)" = boot_panic ]
	[ "$(echo "$o" | jq -r .failure.exit_code)" = 101 ]
}

@test "boot_smoke: a binary that exits early is boot_exited_early with its code" {
	start_demo "$(boot_gate '["--boot", "exit"]' | sed -n 's/^gates = //p')"
	sando_push
	o=$(run_of "$(wait_gates build $V 1)" boot_smoke | jq -c .outcome)
	[ "$(echo "$o" | jq -r .failure.kind)" = boot_exited_early ]
	[ "$(echo "$o" | jq -r .failure.exit_code)" = 3 ]
}

@test "boot_smoke: a binary that stays up but fails its health URL is unclassified with the reason" {
	start_demo "$(boot_gate '["--boot", "unhealthy"]' | sed -n 's/^gates = //p')"
	sando_push
	o=$(run_of "$(wait_gates build $V 1)" boot_smoke | jq -c .outcome)
	[ "$(echo "$o" | jq -r .status)" = failed ]
	[ "$(echo "$o" | jq -r .failure.kind)" = unclassified ]
	[[ "$(echo "$o" | jq -r .failure.message)" == "health check failed: "*"answered 503"* ]]
	[ "$(echo "$o" | jq -r .log_ref)" != null ]
	[ "$(procs_matching "$WS/releases/$V/demo-app")" = 0 ]
}

@test "a program that cannot be started is spawn_failed with the OS error" {
	start_demo '[ { kind = "command", name = "ghost", run = ["/nonexistent/prog"] } ]'
	sando_push
	o=$(run_of "$(wait_gates build $V 1)" ghost | jq -c .outcome)
	[ "$(echo "$o" | jq -r .failure.kind)" = spawn_failed ]
	[[ "$(echo "$o" | jq -r .failure.os_error)" == *"no such file"* ]]
}

@test "a gate that overruns its timeout is timeout, and its process group is killed" {
	start_demo '[ { kind = "command", name = "slow", run = ["sh", "-c", "sleep 3611 & sleep 3612"], timeout_s = 1 } ]'
	sando_push
	o=$(run_of "$(wait_gates build $V 1)" slow | jq -c .outcome)
	[ "$(echo "$o" | jq -r .failure.kind)" = timeout ]
	[ "$(echo "$o" | jq -r .failure.after_s)" = 1 ]
	sleep 0.5
	[ "$(procs_matching 'sleep 361[12]')" = 0 ]
}

@test "a newer build cancels the gates of an older one still running" {
	start_demo '[ { kind = "command", name = "slow", run = ["sleep", "3613"] } ]'
	sando_push
	wait_build 1 >/dev/null
	for i in $(seq 100); do [ "$(procs_matching 'sleep 3613')" = 1 ] && break; sleep 0.1; done
	[ "$(procs_matching 'sleep 3613')" = 1 ]
	echo x >>"$WS/app/static/index.html"
	sando_commit again >/dev/null
	sando_push
	wait_build 2 >/dev/null
	for i in $(seq 100); do
		[ "$(sqlite3 "$WS/state/sando.db" "SELECT status FROM gate_runs WHERE id = 1")" = interrupted ] && break
		sleep 0.1
	done
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT status FROM gate_runs WHERE id = 1")" = interrupted ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT json_extract(body_json, '$.status') FROM events WHERE kind = 'gate_done'")" = interrupted ]
	# the new build's gate runs (one sleep left), and stops with the daemon
	for i in $(seq 100); do [ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM gate_runs")" = 2 ] && break; sleep 0.1; done
	sleep 0.3
	[ "$(procs_matching 'sleep 3613')" = 1 ]
	sando_stop
	[ "$STOP_STATUS" = 0 ]
	[ "$(procs_matching 'sleep 3613')" = 0 ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT group_concat(status) FROM gate_runs")" = interrupted,interrupted ]
}

@test "sandod killed during a gate: the run is interrupted on restart" {
	start_demo '[ { kind = "command", name = "slow", run = ["sleep", "3614"] } ]'
	sando_push
	for i in $(seq 200); do [ "$(procs_matching 'sleep 3614')" = 1 ] && break; sleep 0.1; done
	kill -KILL "$SANDOD_PID"
	wait "$SANDOD_PID" || true
	SANDOD_PID=
	pkill -f 'sleep 3614' || true
	sando_start
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT status FROM gate_runs")" = interrupted ]
	[ "$(state | jq -r '.tiers[0].current_version')" = null ]
}

@test "gates get a minimal environment: no daemon secrets, no SSH agent, no database URL" {
	sando_config_demo 'scratch_db_url = "postgresql://u:hunter2@127.0.0.1:1/x"' "$(tiers '[ { kind = "command", name = "env", run = ["env"] } ]')"
	SANDO_TOKEN=tok-secret SSH_AUTH_SOCK=/tmp/agent.sock DATABASE_URL=postgres://leak AWS_SECRET_ACCESS_KEY=aws-secret sando_start
	sando_demo_app
	sando_push
	[ "$(run_of "$(wait_gates build $V 1)" env | jq -r .status)" = passed ]
	http "$URL/logs/$V/env"
	[[ "$BODY" == *"SANDO_VERSION=$V"* ]]
	[[ "$BODY" == *"SANDO_TIER=build"* ]]
	[[ "$BODY" == *"PATH=/usr/local/bin:/usr/bin:/bin"* ]]
	! [[ "$BODY" == *tok-secret* ]]
	! [[ "$BODY" == *SSH_AUTH_SOCK* ]]
	! [[ "$BODY" == *DATABASE_URL* ]]
	! [[ "$BODY" == *hunter2* ]]
	! [[ "$BODY" == *aws-secret* ]]
}

@test "gate_log_chunk events stream a gate's output live; follow streams the log" {
	start_demo '[ { kind = "command", name = "talk", run = ["sh", "-c", "for i in 1 2 3 4; do echo line $i; sleep 0.4; done; printf \"caf\\303\\251 \\377 end\\n\""] } ]'
	SANDO_CLI events --json --count 400 --timeout 30 >"$WS/events.out" &
	cli=$!
	sleep 0.3
	sando_push
	for i in $(seq 200); do
		[ "$(curl -s "$URL/gate-runs?version=$V" | jq length)" = 1 ] && break
		sleep 0.05
	done
	curl -sS -N "$URL/logs/$V/talk?tier=build&follow=1" >"$WS/follow.out"
	grep -q '^line 4$' "$WS/follow.out"
	grep -q 'gate .talk. passed' "$WS/follow.out"
	kill "$cli" 2>/dev/null || true
	wait "$cli" || true
	chunks=$(jq -c 'select(.kind == "gate_log_chunk")' "$WS/events.out")
	[ -n "$chunks" ]
	# every chunk belongs to run 1, seqs count up from 1, offsets follow the text
	[ "$(echo "$chunks" | jq -r .run_id | sort -u)" = 1 ]
	[ "$(echo "$chunks" | jq -r .seq | paste -sd,)" = "$(seq 1 "$(echo "$chunks" | wc -l)" | paste -sd,)" ]
	text=$(echo "$chunks" | jq -j .text)
	[[ "$text" == *"line 1"*"line 4"*"café � end"* ]]
	# chunk events are live only: not in the replayable table
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM events WHERE kind = 'gate_log_chunk'")" = 0 ]
}

@test "the burn-in timer records the elapse and emits gate_done" {
	sando_config_demo "" "$(printf '[[tier]]\nname = "build"\ngates = [ { kind = "burn_in", hours = 0.0005 } ]\n')"
	sando_start
	sando_demo_app
	sando_push
	wait_build 1 >/dev/null
	[ "$(state | jq -r '.tiers[0].gates[0].outcome.reason.kind')" = burn_in_remaining ]
	# 0.0005 h = 1.8 s: the timer fires without anyone asking
	for i in $(seq 60); do
		[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM events WHERE kind = 'gate_done'")" = 1 ] && break
		sleep 0.1
	done
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT json_extract(body_json, '$.outcome.note.kind') FROM events WHERE kind = 'gate_done'")" = burn_in_elapsed ]
	[ "$(state | jq -r '.tiers[0].gates[0].outcome.status')" = passed ]
	# recorded once, also across a restart
	sando_stop
	sando_start
	sleep 0.3
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM gate_runs WHERE kind = 'burn_in'")" = 1 ]
}

@test "log and gate-run routes validate names, tiers and traversal" {
	start_demo '[ { kind = "command", name = "ok", run = ["true"] } ]'
	sando_push
	wait_gates build $V 1 >/dev/null
	for path in "/logs/$V/..%2f..%2fetc%2fpasswd" "/logs/$V/%2e%2e" "/logs/..%2f$V/ok" \
		"/logs/$V/ok%00" "/logs/$V/%2fetc%2fpasswd" "/logs/%2e%2e/ok" "/logs/$V/a%2fb"; do
		http --path-as-is "$URL$path"
		[ "$CODE" = 400 ] || [ "$CODE" = 404 ]
		[ "$(echo "$BODY" | jq -r .error.code)" != null ]
	done
	http --path-as-is "$URL/logs/$V/../../../etc/passwd"
	[ "$CODE" = 404 ] || [ "$CODE" = 400 ]
	http "$URL/logs/$V/ok?tier=nope"
	[ "$CODE" = 404 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = unknown_tier ]
	http "$URL/logs/$V/ok?tier=staging"
	[ "$CODE" = 404 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = unknown_gate ]
	http "$URL/logs/9.9.9/ok"
	[ "$CODE" = 404 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = no_log ]
	http "$URL/logs/$V/nosuch"
	[ "$CODE" = 404 ]
	http "$URL/logs/$V/ok?follow=2"
	[ "$CODE" = 400 ]
	http "$URL/gate-runs?version=not-a-version"
	[ "$CODE" = 400 ]
	http "$URL/gate-runs?tier=nope"
	[ "$CODE" = 404 ]
	http "$URL/gate-runs/abc"
	[ "$CODE" = 400 ]
	http "$URL/gate-runs/-1"
	[ "$CODE" = 400 ]
	http "$URL/gate-runs?tier=build&version=$V"
	[ "$CODE" = 200 ]
	[ "$(echo "$BODY" | jq length)" = 1 ]
	sando_healthy
}

@test "30 MB of gate output: a stalled subscriber costs bounded memory and is not dropped; a reader gets every byte" {
	start_demo '[ { kind = "command", name = "spew", run = ["sh", "-c", "yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c 31457280"] } ]'
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
	export ASAN_OPTIONS
	sando_stop
	sando_start
	python3 "$BATS_TEST_DIRNAME/httpprobe.py" "$PORT" wsstall "/events" 120 >"$WS/stall.out" &
	stall=$!
	SANDO_CLI events --json --timeout 60 >"$WS/events.out" &
	cli=$!
	sleep 0.5
	sando_push
	runs=$(wait_gates build $V 1)
	[ "$(run_of "$runs" spew | jq -r .status)" = passed ]
	echo "# gate took $(sqlite3 "$WS/state/sando.db" "SELECT json_extract(body_json, '$.duration_ms') FROM events WHERE kind = 'gate_done'") ms" >&3
	rss=$(awk '/VmRSS/ {print $2}' /proc/$SANDOD_PID/status)
	[ "$rss" -lt 98304 ]
	# the live reader saw gate_done after the chunks
	for i in $(seq 100); do grep -q '"kind":"gate_done"' "$WS/events.out" && break; sleep 0.1; done
	kill "$cli" 2>/dev/null || true
	wait "$cli" || true
	size=$(stat -c %s "$WS/logs/gates/1.log")
	# chunks are contiguous from offset 0 to the end of the log
	jq -r 'select(.kind == "gate_log_chunk") | "\(.offset) \(.text | utf8bytelength)"' "$WS/events.out" |
		awk -v size="$size" 'BEGIN { at = 0 } $1 != at { print "gap at " at ": " $1; exit 1 } { at += $2 } END { if (at != size) { print "got " at " of " size; exit 1 } }'
	kill -0 "$stall" || { cat "$WS/stall.out"; date; false; }
	kill "$stall" 2>/dev/null || true
	sando_healthy
}
