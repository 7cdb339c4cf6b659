#!/usr/bin/env bats
# Promote and rollback onto local nodes (directories): rsync with hard links,
# verification, the atomic current swap, restart and health check, the
# sequential canary switching nodes back after a failure, rollback, refusals
# (each reason), hotfix and reset_burn_in, locks, freezes.

load lib

teardown() {
	[ -z "${STUB_PID:-}" ] || kill "$STUB_PID" 2>/dev/null || true
	sando_teardown
}

V=0.1.0
V2=0.2.0

# node NAME [TIER-KEYS]: a [[tier.node]] block for a local node.
node() {
	printf '[[tier.node]]\nname = "%s"\nssh_target = "local"\nrelease_root = "%s/nodes/%s"\n' "$1" "$WS" "$1"
}

# Tiers: build (gates $1) -> staging (nodes $2..., keys $STAGING_KEYS) -> prod (one node).
three_tiers() {
	local gates=$1; shift
	printf '[[tier]]\nname = "build"\ngates = %s\n' "$gates"
	printf '[[tier]]\nname = "staging"\n%s\n' "${STAGING_KEYS:-canary = \"sequential\"}"
	printf 'gates = %s\n' "${STAGING_GATES:-[]}"
	for n in "$@"; do node "$n"; done
	printf '[[tier]]\nname = "prod"\n'
	node prod-1
}

start_promote_demo() { # build-gates nodes...
	sando_ws
	start_stub
	STAGING_KEYS="health_url = \"$STUB_URL\"
restart = [\"$WS/restart.sh\"]${STAGING_KEYS:+
$STAGING_KEYS}"
	sando_config_demo 'health_timeout_s = 2' "$(three_tiers "$@")"
	sando_start
	sando_demo_app
}

@test "promote through three tiers: files on the nodes, hard links, rows, events, state" {
	start_promote_demo '[]' s-1 s-2
	build_version $V
	promote staging
	[ "$CODE" = 202 ]
	id=$(echo "$BODY" | jq -r .promote_id)
	p=$(wait_promote "$id")
	[ "$(echo "$p" | jq -r .status)" = ok ]
	[ "$(echo "$p" | jq '[.deploys[] | select(.status == "ok")] | length')" = 2 ]
	for n in s-1 s-2; do
		[ "$(readlink "$WS/nodes/$n/current")" = "releases/$V" ]
		[ -x "$WS/nodes/$n/current/demo-app" ]
		[ -f "$WS/nodes/$n/current/static/index.html" ]
		[ ! -e "$WS/nodes/$n/releases/$V.partial" ]
		[ ! -e "$WS/nodes/$n/current.new" ]
	done
	cmp "$WS/releases/$V/demo-app" "$WS/nodes/s-1/current/demo-app"
	# restarted in order, after the swap, each healthy
	[ "$(cut -d' ' -f1,2 "$WS/restarts.log" | paste -sd,)" = "s-1 releases/$V,s-2 releases/$V" ]
	s=$(curl -s "$URL/state")
	[ "$(echo "$s" | jq -r '.tiers[1].current_version')" = $V ]
	[ "$(echo "$s" | jq -r '.tiers[1].burn_in_started_at')" != null ]
	[ "$(echo "$s" | jq -r '[.tiers[1].nodes[].current_version] | join(",")')" = "$V,$V" ]
	db="$WS/state/sando.db"
	[ "$(sqlite3 "$db" "SELECT group_concat(kind, ',') FROM (SELECT kind FROM events WHERE kind IN ('promote_start','deploy_start','deploy_ok','promote_complete') ORDER BY seq)")" = promote_start,deploy_start,deploy_ok,deploy_start,deploy_ok,promote_complete ]
	[ "$(sqlite3 "$db" "SELECT actor || ' ' || action || ' ' || tier FROM audit WHERE action = 'promote'")" = "local promote staging" ]
	[ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE json_extract(body_json, '$.kind') != kind")" = 0 ]
	[ "$(sqlite3 "$db" "SELECT count(*) FROM tier_state WHERE lock_holder IS NOT NULL")" = 0 ]
	# on to prod (no gates on staging), then a second version: unchanged files are hard links
	promote prod
	[ "$CODE" = 202 ]
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	[ "$(readlink "$WS/nodes/prod-1/current")" = "releases/$V" ]
	build_version $V2
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	[ "$(readlink "$WS/nodes/s-1/current")" = "releases/$V2" ]
	[ "$(stat -c %i "$WS/nodes/s-1/releases/$V/static/index.html")" = "$(stat -c %i "$WS/nodes/s-1/releases/$V2/static/index.html")" ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[1].previous_version')" = $V ]
	http "$URL/deploys?tier=staging&version=$V2"
	[ "$(echo "$BODY" | jq length)" = 2 ]
	[ "$(echo "$BODY" | jq -r '[.[].from_version] | unique | join(",")')" = $V ]
	sando_healthy
}

@test "promote refusals: each reason, clearly" {
	STAGING_GATES='[ { kind = "manual_confirm" } ]'
	start_promote_demo '[ { kind = "burn_in", hours = 1 }, { kind = "manual_confirm" } ]' s-1
	sed -i 's/^name = "prod"$/name = "prod"\nprovisioned = false/' "$WS/sando.toml"
	sando_stop; sando_start
	promote nope; [ "$CODE" = 404 ]; [ "$(echo "$BODY" | jq -r .error.code)" = unknown_tier ]
	promote build; [ "$CODE" = 400 ]; [ "$(echo "$BODY" | jq -r .error.code)" = first_tier ]
	promote staging; [ "$CODE" = 409 ]; [ "$(echo "$BODY" | jq -r .error.code)" = no_version ]
	promote prod; [ "$CODE" = 409 ]; [ "$(echo "$BODY" | jq -r .error.code)" = unprovisioned ]
	build_version $V
	for body in '[1]' '{"version": 3}' '{"hotfix": "yes"}' '{"force": true}' '{"version": "1.0.0"' ; do
		promote staging "$body"
		[ "$CODE" = 400 ] || [ "$CODE" = 415 ]
	done
	for v in '../../etc' '0.1.0/../x' '--help' '0.1' 'a b'; do
		promote staging "{\"version\": \"$v\"}"
		[ "$CODE" = 400 ]
		[ "$(echo "$BODY" | jq -r .error.code)" = invalid_version ]
	done
	promote staging '{"version": "9.9.9"}'; [ "$CODE" = 404 ]; [ "$(echo "$BODY" | jq -r .error.code)" = unknown_version ]
	# the predecessor's gates: burn-in running and no confirmation yet
	promote staging
	[ "$CODE" = 422 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = gates_not_passed ]
	[ "$(echo "$BODY" | jq -r '[.error.reasons[].outcome.reason.kind] | join(",")')" = burn_in_remaining,awaiting_operator_confirmation ]
	# hotfix waives burn_in only
	promote staging '{"hotfix": true}'
	[ "$CODE" = 422 ]
	[ "$(echo "$BODY" | jq -r '[.error.reasons[].gate] | join(",")')" = manual_confirm ]
	curl -s -X POST "$URL/confirm/build" >/dev/null
	promote staging
	[ "$CODE" = 422 ]
	[ "$(echo "$BODY" | jq -r '[.error.reasons[].gate] | join(",")')" = burn_in ]
	promote staging '{"hotfix": true, "reset_burn_in": true}'
	[ "$CODE" = 202 ]
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT json_extract(detail_json, '$.hotfix') FROM audit WHERE action = 'promote'")" = 1 ]
	# reset_burn_in cleared the source tier's clock
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].burn_in_started_at')" = null ]
	promote staging "{\"version\": \"$V\"}"
	[ "$CODE" = 409 ]; [ "$(echo "$BODY" | jq -r .error.code)" = already_current ]
	sando_healthy
}

@test "sequential canary: node 2 of 3 fails its health check; node 1 is switched back; the tier does not move" {
	start_promote_demo '[]' s-1 s-2 s-3
	build_version $V
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	build_version $V2
	touch "$WS/fail-s-2"
	: >"$WS/restarts.log"
	promote staging
	p=$(wait_promote "$(echo "$BODY" | jq -r .promote_id)")
	[ "$(echo "$p" | jq -r .status)" = failed ]
	[ "$(echo "$p" | jq -r '.deploys | map(.node + ":" + .status) | sort | join(",")')" = "s-1:reverted,s-2:failed" ]
	f=$(echo "$p" | jq -c '.deploys[] | select(.node == "s-2") | .outcome')
	[ "$(echo "$f" | jq -r .failure.kind)" = health_failed ]
	[ "$(echo "$f" | jq -r .failure.status)" = 503 ]
	for n in s-1 s-2 s-3; do [ "$(readlink "$WS/nodes/$n/current")" = "releases/$V" ]; done
	# s-1: new, s-2: new (failed), then s-1 and s-2 switched back and restarted
	grep -q "^s-1 releases/$V2" "$WS/restarts.log"
	[ "$(grep -c "releases/$V $V\$" "$WS/restarts.log")" = 2 ]
	! grep -q '^s-3' "$WS/restarts.log"
	s=$(curl -s "$URL/state")
	[ "$(echo "$s" | jq -r '.tiers[1].current_version')" = $V ]
	[ "$(echo "$s" | jq -r '[.tiers[1].nodes[].current_version] | join(",")')" = "$V,$V,$V" ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM events WHERE kind = 'deploy_failed'")" = 1 ]
	# the lock is free again: fixed, the next promote works
	rm "$WS/fail-s-2"
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
}

@test "rollback swaps every node back to the previous version; 409 without one" {
	start_promote_demo '[]' s-1 s-2
	build_version $V
	http -X POST "$URL/rollback/staging"
	[ "$CODE" = 409 ]; [ "$(echo "$BODY" | jq -r .error.code)" = no_previous_version ]
	http -X POST "$URL/rollback/nope"
	[ "$CODE" = 404 ]
	promote staging
	wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
	build_version $V2
	promote staging
	wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
	http -X POST "$URL/rollback/staging"
	[ "$CODE" = 202 ]
	p=$(wait_promote "$(echo "$BODY" | jq -r .promote_id)")
	[ "$(echo "$p" | jq -r .status)" = ok ]
	[ "$(echo "$p" | jq -r .kind)" = rollback ]
	for n in s-1 s-2; do [ "$(readlink "$WS/nodes/$n/current")" = "releases/$V" ]; done
	s=$(curl -s "$URL/state")
	[ "$(echo "$s" | jq -r '.tiers[1].current_version')" = $V ]
	[ "$(echo "$s" | jq -r '.tiers[1].previous_version')" = $V2 ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT json_extract(body_json, '$.version') FROM events WHERE kind = 'rollback'")" = $V ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM audit WHERE action = 'rollback'")" = 1 ]
}

@test "20 concurrent promotes to one tier: one runs, the others get 409 naming the holder" {
	start_promote_demo '[]' s-1
	build_version $V
	for i in $(seq 20); do
		curl -s -o "$WS/p.$i" -w '%{http_code}\n' -X POST "$URL/promote/staging" >"$WS/code.$i" &
	done
	wait_all=$(jobs -p | grep -v "^$SANDOD_PID\$" | grep -v "^$STUB_PID\$")
	for p in $wait_all; do wait "$p" || true; done
	[ "$(cat "$WS"/code.* | grep -c 202)" = 1 ]
	[ "$(cat "$WS"/code.* | grep -c 409)" = 19 ]
	grep -h tier_locked "$WS"/p.* | head -1 | jq -r .error.message | grep -q 'locked by promote:'
	id=$(cat "$WS"/p.* | jq -r 'select(.promote_id) | .promote_id')
	[ "$(wait_promote "$id" | jq -r .status)" = ok ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM promotes")" = 1 ]
}

@test "freeze stops promotes (per tier and globally) until lifted; rollback still works" {
	start_promote_demo '[]' s-1
	build_version $V
	http -X POST -H 'Content-Type: application/json' -d '{"reason": "incident 42"}' "$URL/freeze/staging"
	[ "$CODE" = 200 ]
	promote staging
	[ "$CODE" = 409 ]; [ "$(echo "$BODY" | jq -r .error.code)" = frozen ]
	[[ "$(echo "$BODY" | jq -r .error.message)" == *"incident 42"* ]]
	http -X POST "$URL/unfreeze/staging"
	[ "$CODE" = 200 ]
	http -X POST "$URL/freeze"
	[ "$(curl -s "$URL/state" | jq -r .freeze.frozen)" = true ]
	promote staging
	[ "$CODE" = 409 ]
	http -X POST "$URL/unfreeze"
	promote staging
	[ "$CODE" = 202 ]
	wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
	http -X POST "$URL/freeze/nope"
	[ "$CODE" = 404 ]
	http -X POST -H 'Content-Type: application/json' -d '{"reason": 5}' "$URL/freeze"
	[ "$CODE" = 400 ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT group_concat(action) FROM audit WHERE action LIKE '%freeze'")" = freeze,unfreeze,freeze,unfreeze ]
}

@test "an unreachable ssh node fails the promote as unreachable" {
	sando_ws
	start_stub
	sando_config_demo 'health_timeout_s = 2' "$(printf '[[tier]]\nname = "build"\n[[tier]]\nname = "far"\n[[tier.node]]\nname = "far-1"\nssh_target = "nobody@127.0.0.1:1"\nrelease_root = "/srv/app"\n')"
	sando_start
	sando_demo_app
	build_version $V
	promote far
	p=$(wait_promote "$(echo "$BODY" | jq -r .promote_id)")
	[ "$(echo "$p" | jq -r .status)" = failed ]
	[ "$(echo "$p" | jq -r '.deploys[0].outcome.failure.kind')" = unreachable ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[1].current_version')" = null ]
}

@test "current read in a tight loop during 100 swaps always resolves" {
	start_promote_demo '[]' s-1
	build_version $V
	promote staging; wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
	build_version $V2
	promote staging; wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
	( while [ ! -e "$WS/stop" ]; do
		[ -f "$WS/nodes/s-1/current/demo-app" ] || echo broken >>"$WS/reader.out"
	done ) &
	reader=$!
	for i in $(seq 50); do
		http -X POST "$URL/rollback/staging"
		[ "$CODE" = 202 ]
		wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
		http -X POST "$URL/rollback/staging"
		wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
	done
	touch "$WS/stop"
	wait "$reader"
	[ ! -e "$WS/reader.out" ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM promotes WHERE kind = 'rollback' AND status = 'ok'")" = 100 ]
}

# Kill sandod with SIGKILL once $1 (a shell test) holds during a promote of
# V2 over V, restart it, and check that every node is whole and on the
# recorded version, the rows are interrupted and the next promote works.
kill_during_promote() {
	start_promote_demo '[]' s-1 s-2
	build_version $V
	promote staging; wait_promote "$(echo "$BODY" | jq -r .promote_id)" >/dev/null
	build_version $V2
	[ -z "${SLOW_RESTART:-}" ] || touch "$WS/slow-restart"
	promote staging
	id=$(echo "$BODY" | jq -r .promote_id)
	for i in $(seq 2000); do eval "$1" && break; sleep 0.005; done
	kill -KILL "$SANDOD_PID"
	wait "$SANDOD_PID" || true
	SANDOD_PID=
	pkill -f 'sleep 3621' || true
	rm -f "$WS/slow-restart"
	sando_start
	for i in $(seq 200); do
		[ "$(curl -s "$URL/state" | jq '[.tiers[1].nodes[].check.status | select(. == "pending")] | length')" = 0 ] && break
		sleep 0.05
	done
	s=$(curl -s "$URL/state")
	[ "$(echo "$s" | jq -r '.tiers[1].current_version')" = $V ]
	for n in s-1 s-2; do
		[ "$(readlink "$WS/nodes/$n/current")" = "releases/$V" ]
		[ -f "$WS/nodes/$n/current/.sando/manifest.json" ]
		[ ! -e "$WS/nodes/$n/current.new" ] || [ "$(readlink "$WS/nodes/$n/current.new")" != "releases/$V2.partial" ]
	done
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT status FROM promotes WHERE id = $id")" = interrupted ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM deploys WHERE promote_id = $id AND status IS NULL")" = 0 ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM tier_state WHERE lock_holder IS NOT NULL")" = 0 ]
	echo "$s" | jq -r '.tiers[1].nodes[].check.status' >"$WS/check.out"
	promote staging
	[ "$CODE" = 202 ]
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	for n in s-1 s-2; do [ "$(readlink "$WS/nodes/$n/current")" = "releases/$V2" ]; done
}

@test "sandod killed after a node's transfer: the node stays whole, the next promote works" {
	kill_during_promote '[ -d "$WS/nodes/s-1/releases/$V2.partial" ] || [ -d "$WS/nodes/s-1/releases/$V2" ]'
}

@test "sandod killed after a node's swap: the node is switched back at start-up" {
	kill_during_promote '[ "$(readlink "$WS/nodes/s-1/current")" = "releases/$V2" ]'
	grep -q repaired "$WS/check.out" || grep -q ok "$WS/check.out"
}

@test "sandod killed during a node's restart: switched back and restarted at start-up, audited" {
	SLOW_RESTART=1 kill_during_promote 'grep -q "^s-1 releases/$V2" "$WS/restarts.log" 2>/dev/null'
	grep -q repaired "$WS/check.out"
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM audit WHERE action = 'repair'")" -ge 1 ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM events WHERE kind = 'node_repaired'")" -ge 1 ]
	# the repair restarted the node on the recorded version
	grep -q "^s-1 releases/$V $V\$" "$WS/restarts.log"
}

@test "retention: node and staged releases beyond retain_releases are pruned; a failed one is kept aside" {
	sando_ws
	start_stub
	sando_config_demo "health_timeout_s = 2
retain_releases = 2" "$(STAGING_KEYS="health_url = \"$STUB_URL\"
restart = [\"$WS/restart.sh\"]" three_tiers '[]' s-1)"
	sando_start
	sando_demo_app
	for v in 0.1.0 0.2.0 0.3.0 0.4.0; do
		build_version $v
		promote staging
		[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	done
	sleep 0.5 # pruning runs in the background
	[ "$(ls "$WS/nodes/s-1/releases" | paste -sd,)" = 0.3.0,0.4.0 ]
	[ "$(ls "$WS/releases" | paste -sd,)" = 0.3.0,0.4.0 ]
	# 0.5.0 fails on the node, 0.6.0 goes through: 0.5.0 is kept aside there
	build_version 0.5.0
	touch "$WS/fail-s-1"
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = failed ]
	rm "$WS/fail-s-1"
	build_version 0.6.0
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	sleep 0.5
	[ "$(ls "$WS/nodes/s-1/releases" | paste -sd,)" = 0.4.0,0.6.0 ]
	[ "$(ls "$WS/nodes/s-1/failed" | paste -sd,)" = 0.5.0 ]
	[ "$(readlink "$WS/nodes/s-1/current")" = releases/0.6.0 ]
	# staged: current and previous of every tier, and the failed one for inspection
	[ "$(ls "$WS/releases" | paste -sd,)" = 0.4.0,0.5.0,0.6.0 ]
}

@test "boot_smoke on a promoted tier watches its nodes' health for its seconds" {
	STAGING_GATES='[ { kind = "boot_smoke", seconds = 2 } ]'
	start_promote_demo '[]' s-1 s-2
	build_version $V
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	o=$(run_of "$(wait_gates staging $V 1)" boot_smoke | jq -c .outcome)
	[ "$(echo "$o" | jq -r .note.kind)" = stayed_up ]
	# nothing was started on the controller for it
	! grep -q "starting '" "$WS/logs/gates/1.log"
	grep -q "must answer 2xx" "$WS/logs/gates/1.log"
	build_version $V2
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	echo 503 >"$WS/health.status"
	o=$(run_of "$(wait_gates staging $V2 1)" boot_smoke | jq -c .outcome)
	[ "$(echo "$o" | jq -r .status)" = failed ]
	[[ "$(echo "$o" | jq -r .failure.message)" == "health check failed: node 's-"*"answered 503"* ]]
}

@test "parallel canary: at most max_parallel nodes at once; a failure switches every switched node back" {
	STAGING_KEYS='canary = "parallel"
max_parallel = 2'
	start_promote_demo '[]' p-1 p-2 p-3 p-4
	# restarts take a moment and record how many run at once
	cat >"$WS/slow.sh" <<'EOT'
#!/bin/sh
ws=$(dirname "$0")
mkdir "$ws/running.$SANDO_NODE"
ls -d "$ws"/running.* | wc -l >>"$ws/concurrency.log"
sleep 0.3
rmdir "$ws/running.$SANDO_NODE"
[ -e "$ws/fail-restart-$SANDO_NODE" ] && [ "$SANDO_VERSION" = 0.2.0 ] && exit 1
exec "$ws/restart.sh"
EOT
	chmod +x "$WS/slow.sh"
	sed -i "s#restart = \[\"$WS/restart.sh\"\]#restart = [\"$WS/slow.sh\"]#" "$WS/sando.toml"
	sando_stop; sando_start
	build_version $V
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	[ "$(sort -n "$WS/concurrency.log" | tail -1)" = 2 ]
	for n in p-1 p-2 p-3 p-4; do [ "$(readlink "$WS/nodes/$n/current")" = "releases/$V" ]; done
	build_version $V2
	touch "$WS/fail-restart-p-3"
	promote staging
	p=$(wait_promote "$(echo "$BODY" | jq -r .promote_id)")
	[ "$(echo "$p" | jq -r .status)" = failed ]
	[ "$(echo "$p" | jq -r '.deploys[] | select(.node == "p-3") | .outcome.failure.kind')" = restart_failed ]
	for n in p-1 p-2 p-3 p-4; do [ "$(readlink "$WS/nodes/$n/current")" = "releases/$V" ]; done
	[ "$(curl -s "$URL/state" | jq -r '.tiers[1].current_version')" = $V ]
}

@test "restart warning: the app is told, sando waits, then restarts; the token is on no command line" {
	sando_ws
	start_stub
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	echo "tok-$RANDOM-secret" >"$WS/warn.token"
	STAGING_KEYS="restart_warning_url = \"http://127.0.0.1:$port/restart-warning\"
restart_warning_token_file = \"$WS/warn.token\"
restart_warning_seconds = 1"
	start_promote_demo '[]' s-1
	build_version $V
	(cd "$WS/releases/$V" && PORT=$port RESTART_WARNING_TOKEN=$(cat "$WS/warn.token") exec ./demo-app 2>"$WS/app.log") &
	app=$!
	for i in $(seq 100); do grep -q listening "$WS/app.log" && break; sleep 0.05; done
	t0=$(date +%s%N)
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	t1=$(date +%s%N)
	kill "$app"
	grep -q '"POST /restart-warning" 204' "$WS/app.log" || { cat "$WS/app.log"; false; }
	grep -q "restart warning sent (204); restarting in 1 s" "$WS/logs/promotes/1.log"
	[ $(( (t1 - t0) / 1000000 )) -ge 1000 ]
	! grep -q "$(cat "$WS/warn.token")" "$WS/sandod.log" "$WS/logs/promotes/1.log" "$WS/app.log"
	# a warning that fails (the app is gone) is logged; the promote goes on
	build_version $V2
	promote staging
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	grep -q "restart warning failed" "$WS/logs/promotes/2.log"
}
