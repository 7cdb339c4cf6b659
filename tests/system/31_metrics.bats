#!/usr/bin/env bats
# GET /metrics: Prometheus text (format 0.0.4) that promtool accepts, with the
# history of a real build and promote, the tiers, HTTP requests and the
# process; refusals like every other route.

load lib

teardown() { sando_teardown; }

TIERS='[[tier]]
name = "host"
gates = [ { kind = "burn_in", hours = 1 } ]
[[tier]]
name = "staging"
[[tier.node]]
name = "s-1"
ssh_target = "local"'

metrics() { # fetch /metrics into $WS/metrics (body) and $WS/headers
	curl -sS -m 10 -D "$WS/headers" -o "$WS/metrics" "$URL/metrics"
}

# The value of the sample whose line starts with $1 (name and labels).
sample() {
	awk -v k="$1 " 'index($0, k) == 1 {print $NF}' "$WS/metrics"
}

start_metrics_demo() { # [staging tier keys]
	sando_config_build "" "$(echo "$TIERS" | sed "s#^name = \"staging\"#&\n${1:-}#")
release_root = \"$WS/nodes/s-1\""
	sando_start
	sando_app
}

@test "metrics after a build and a promote: promtool accepts them, values are plausible" {
	command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
	start_metrics_demo
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	promote staging '{"hotfix": true}' # the host tier's burn-in has an hour to go
	echo "$BODY"
	[ "$CODE" = 202 ]
	p=$(wait_promote "$(echo "$BODY" | jq -r .promote_id)")
	[ "$(echo "$p" | jq -r .status)" = ok ]
	metrics
	grep -q '^HTTP/1.1 200' "$WS/headers"
	grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WS/headers"
	run promtool check metrics <"$WS/metrics"
	echo "$output"
	[ "$status" -eq 0 ]
	# every family has HELP and TYPE
	for f in builds_total build_duration_seconds gate_runs_total gate_run_duration_seconds \
		deploys_total promote_duration_seconds rollbacks_total tier_info \
		tier_burn_in_remaining_seconds http_requests_total websocket_subscribers \
		process_resident_memory_bytes process_cpu_seconds_total build_info \
		dora_deployment_frequency dora_lead_time_seconds dora_change_failure_rate \
		dora_time_to_restore_seconds; do
		grep -q "^# HELP sando_$f " "$WS/metrics"
		grep -q "^# TYPE sando_$f " "$WS/metrics"
	done
	[ "$(sample 'sando_builds_total{status="ok"}')" = 1 ]
	[ "$(sample 'sando_build_duration_seconds_count')" = 1 ]
	[ "$(sample 'sando_build_duration_seconds_bucket{le="+Inf"}')" = 1 ]
	[ "$(sample 'sando_deploys_total{tier="staging",outcome="ok"}')" = 1 ]
	[ "$(sample 'sando_promote_duration_seconds_count{tier="staging"}')" = 1 ]
	[ "$(sample 'sando_tier_info{tier="host",current_version="1.0.0",previous_version=""}')" = 1 ]
	[ "$(sample 'sando_tier_info{tier="staging",current_version="1.0.0",previous_version=""}')" = 1 ]
	left=$(sample 'sando_tier_burn_in_remaining_seconds{tier="host"}')
	[ "${left%.*}" -gt 3000 ] && [ "${left%.*}" -le 3600 ]
	! grep -q 'sando_tier_burn_in_remaining_seconds{tier="staging"}' "$WS/metrics"
	# one successful promote in 30 days; lead time from staging; no failures
	[ "$(sample 'sando_dora_deployment_frequency{tier="staging"}' | cut -c1-6)" = 0.0333 ]
	[ "$(sample 'sando_dora_change_failure_rate{tier="staging"}')" = 0 ]
	lead=$(sample 'sando_dora_lead_time_seconds{tier="staging"}')
	[ "${lead%.*}" -ge 0 ] && [ "${lead%.*}" -lt 120 ]
	! grep -q 'sando_dora_time_to_restore_seconds{' "$WS/metrics"
	[ "$(sample 'sando_http_requests_total{route="/promote/{tier}",method="POST",code="202"}')" = 1 ]
	[ "$(sample 'sando_http_requests_total{route="/metrics",method="GET",code="200"}')" = 1 ]
	[ "$(sample 'sando_build_info{version="0.1.0"}')" = 1 ]
	[ "$(sample 'sando_process_resident_memory_bytes')" -gt 100000 ]
	[ "$(sample 'sando_websocket_subscribers')" = 0 ]
	sando_healthy
}

@test "metrics count requests live, see a failed promote, and cache the store's part" {
	command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
	start_metrics_demo 'restart = ["false"]' # a restart that fails fails the deploy
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	promote staging '{"hotfix": true}' # the host tier's burn-in has an hour to go
	echo "$BODY"
	[ "$CODE" = 202 ]
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = failed ]
	for _ in 1 2 3; do curl -s "$URL/state" >/dev/null; done
	metrics
	run promtool check metrics <"$WS/metrics"
	[ "$status" -eq 0 ]
	[ "$(sample 'sando_http_requests_total{route="/state",method="GET",code="200"}')" = 3 ]
	grep -q '^sando_deploys_total{tier="staging",outcome="failed",failure="[a-z_]*"} 1$' "$WS/metrics"
	[ "$(sample 'sando_dora_change_failure_rate{tier="staging"}')" = 1 ]
	[ "$(sample 'sando_dora_deployment_frequency{tier="staging"}')" = 0 ]
	# within the same second and generation the store's part is reused; the
	# request counter is live either way
	metrics
	[ "$(sample 'sando_http_requests_total{route="/metrics",method="GET",code="200"}')" = 2 ]
	sando_healthy
}

@test "metrics refuse other methods like every route; answers are counted by code" {
	sando_config
	sando_start
	http -X POST "$URL/metrics"
	[ "$CODE" = 405 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = method_not_allowed ]
	run curl -sS -m 5 -I "$URL/metrics"
	[[ "$output" == "HTTP/1.1 405"* ]]
	[[ "$output" == *"Allow: GET"* ]]
	http "$URL/metrics/"
	[ "$CODE" = 404 ]
	http "$URL/metrics?x=1"
	[ "$CODE" = 200 ]
	http "$URL/events" # not a WebSocket upgrade
	[ "$CODE" = 400 ]
	http -X POST -H 'Content-Type: application/json' -d '{"sha":' "$URL/rebuild"
	[ "$CODE" = 400 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = malformed_json ]
	http -X FOO "$URL/metrics" # llhttp knows no such method: malformed
	[ "$CODE" = 400 ]
	# a WebSocket upgrade (101), left by curl when no event came within a second
	run curl -s -m 1 -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' \
		-H 'Connection: Upgrade' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Protocol: sando.v1' \
		"$URL/events"
	echo "$output"
	[ "$output" = 101 ]
	metrics
	if command -v promtool >/dev/null; then
		run promtool check metrics <"$WS/metrics"
		echo "$output"
		[ "$status" -eq 0 ]
	fi
	# the answer being rendered counts itself
	[ "$(sample 'sando_http_requests_total{route="/metrics",method="GET",code="200"}')" = 2 ]
	[ "$(sample 'sando_http_requests_total{route="/events",method="GET",code="400"}')" = 1 ]
	[ "$(sample 'sando_http_requests_total{route="/events",method="GET",code="101"}')" = 1 ]
	[ "$(sample 'sando_http_requests_total{route="/rebuild",method="POST",code="400"}')" = 1 ]
	# what matched no route: a fixed label, never the raw path
	[ "$(sample 'sando_http_requests_total{route="unmatched",method="GET",code="404"}')" = 1 ]
	[ "$(sample 'sando_http_requests_total{route="unmatched",method="POST",code="405"}')" = 1 ]
	[ "$(sample 'sando_http_requests_total{route="unmatched",method="HEAD",code="405"}')" = 1 ]
	[ "$(sample 'sando_http_requests_total{route="unmatched",method="other",code="400"}')" = 1 ]
	! grep -q 'route="/metrics/"' "$WS/metrics"
	[ "$(grep -c '^sando_http_requests_total{' "$WS/metrics")" = 8 ]
	sando_healthy
}
