#!/usr/bin/env bats
# Gates that are checked rather than run: burn_in (a clock from the version
# becoming current) and manual_confirm (POST /confirm/{tier}), as /state shows
# them; the first tier advances when it has no automated gates.

load lib

teardown() { sando_teardown; }

TIERS='[[tier]]
name = "host"
gates = [ { kind = "burn_in", hours = 0.001 }, { kind = "manual_confirm" } ]
[[tier]]
name = "staging"
gates = [ { kind = "boot_smoke" } ]'

gate_outcome() { # tier-index gate-index
	curl -s "$URL/state" | jq -c ".tiers[$1].gates[$2].outcome"
}

@test "burn-in counts down from the version becoming current, then passes" {
	sando_config_build "" "$TIERS"
	sando_start
	[ "$(gate_outcome 0 0)" = null ]
	sando_app
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = 1.0.0 ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].burn_in_started_at')" != null ]
	o=$(gate_outcome 0 0)
	[ "$(echo "$o" | jq -r .status)" = blocked ]
	[ "$(echo "$o" | jq -r .reason.kind)" = burn_in_remaining ]
	[ "$(echo "$o" | jq -r .reason.total)" = 0.001 ]
	# 0.001 h = 3.6 s
	sleep 4.2
	o=$(gate_outcome 0 0)
	[ "$(echo "$o" | jq -r .status)" = passed ]
	[ "$(echo "$o" | jq -r .note.kind)" = burn_in_elapsed ]
	# a tier whose version never changed has no clock (and no version): null
	[ "$(gate_outcome 1 0)" = null ]
}

@test "manual_confirm waits for the operator, POST /confirm records it" {
	sando_config_build "" "$TIERS"
	sando_start
	http -X POST "$URL/confirm/host"
	[ "$CODE" = 409 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = no_current_version ]
	sando_app
	sando_push
	wait_build 1 >/dev/null
	[ "$(gate_outcome 0 1 | jq -r .reason.kind)" = awaiting_operator_confirmation ]
	http -X POST "$URL/confirm/host"
	[ "$CODE" = 200 ]
	[ "$(echo "$BODY" | jq -r .version)" = 1.0.0 ]
	[ "$(echo "$BODY" | jq -r .outcome.note.kind)" = operator_confirmed ]
	o=$(gate_outcome 0 1)
	[ "$(echo "$o" | jq -r .status)" = passed ]
	[ "$(echo "$o" | jq -r .note.kind)" = operator_confirmed ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT actor || ' ' || action || ' ' || tier FROM audit")" = "local confirm host" ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT json_extract(body_json, '$.version') FROM events WHERE kind = 'manual_confirm'")" = 1.0.0 ]
	# a new version needs a new confirmation
	echo x >>"$WS/app/static/index.html"; sando_commit next >/dev/null
	sando_push
	wait_build 2 >/dev/null
	[ "$(gate_outcome 0 1 | jq -r .reason.kind)" = awaiting_operator_confirmation ]
}

@test "POST /confirm refuses unknown tiers, tiers without the gate, and bodies" {
	sando_config_build "" "$TIERS"
	sando_start
	http -X POST "$URL/confirm/nope"
	[ "$CODE" = 404 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = unknown_tier ]
	http -X POST "$URL/confirm/staging"
	[ "$CODE" = 409 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = no_manual_confirm ]
	http -X POST -H 'Content-Type: application/json' -d '{"force": true}' "$URL/confirm/host"
	[ "$CODE" = 400 ]
	http -X POST --path-as-is "$URL/confirm/..%2f..%2fetc"
	[ "$CODE" = 404 ]
	http -X GET "$URL/confirm/host"
	[ "$CODE" = 405 ]
	sando_healthy
}
