#!/usr/bin/env bats
# sandod start-up: the example configs, --check-config / --print-config, the
# database lock, corrupt and newer databases, a tier renamed with its history.

load lib

teardown() { sando_teardown; }

@test "starts on the seed quickstart example and serves /state" {
	sando_config_example seed-quickstart
	sando_start
	http "$URL/state"
	[ "$CODE" = 200 ]
	[ "$(echo "$BODY" | jq -r '[.tiers[].name] | join(",")')" = "mm,a" ]
	[ "$(echo "$BODY" | jq -r '.tiers[1].nodes[0].name')" = "a-local" ]
	[ "$(echo "$BODY" | jq -r '.tiers[1].nodes[0].transport')" = "local" ]
	[ "$(echo "$BODY" | jq -r '.tiers[1].canary')" = "sequential" ]
	[ "$(echo "$BODY" | jq -r '.tiers[0].current_version')" = "null" ]
	[ "$(echo "$BODY" | jq -r '[.tiers[0].gates[].kind] | join(",")')" = "cargo_test,migration_dry_run,boot_smoke" ]
	sando_healthy
}

@test "starts on the seed bundle example, warns about its non-loopback listen" {
	sando_config_example seed-bundle
	# the original listen address: check the warning with --check-config's sibling, start-up
	sed -i 's#^listen = .*#listen = "0.0.0.0:0"#' "$WS/daemon.toml"
	sando_start
	grep -q 'non-loopback address .0.0.0.0:0. with auth = "none"' "$WS/sandod.log"
	http "$URL/state"
	[ "$CODE" = 200 ]
	[ "$(echo "$BODY" | jq -r '[.tiers[].name] | join(",")')" = "host,a,b,c" ]
	[ "$(echo "$BODY" | jq -r '.tiers[3].provisioned')" = "false" ]
	[ "$(echo "$BODY" | jq -r '.tiers[2].nodes[0].transport')" = "ssh" ]
	[ "$(echo "$BODY" | jq -r '.tiers[1].gates[1].kind')" = "burn_in" ]
	sando_healthy
}

@test "--check-config accepts all four example files unchanged" {
	local ex
	for ex in seed-quickstart seed-bundle; do
		sando_ws
		mkdir -p "$WS/$ex"
		cp "$SHARED/examples/$ex/sando.toml" "$WS/$ex/sando.toml"
		# daemon.toml itself unchanged except topology_path, which must point at a file here
		sed "s#^topology_path = .*#topology_path = \"sando.toml\"#" \
			"$SHARED/examples/$ex/daemon.toml" >"$WS/$ex/daemon.toml"
		run "$SANDOD" --check-config --config "$WS/$ex/daemon.toml"
		[ "$status" -eq 0 ]
		[[ "$output" == *"configuration ok"* ]]
	done
}

@test "--check-config exits 2 naming file:line:column" {
	sando_config
	echo 'colour = "blue"' >>"$WS/daemon.toml"
	run "$SANDOD" --check-config --config "$WS/daemon.toml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"daemon.toml:6:1: unknown key 'colour'"* ]]

	sando_config
	printf '[[tier]]\nname = "x"\ngates = [{ kind = "smoke" }]\n' >>"$WS/sando.toml"
	SANDO_CONFIG="$WS/daemon.toml" run "$SANDOD" --check-config
	[ "$status" -eq 2 ]
	[[ "$output" == *"sando.toml:"*"unknown gate kind 'smoke'"* ]]

	run "$SANDOD" --check-config
	[ "$status" -eq 2 ]
	[[ "$output" == *"no configuration"* ]]
}

@test "--print-config fills in defaults and reloads" {
	sando_config
	run "$SANDOD" --print-config --config "$WS/daemon.toml"
	[ "$status" -eq 0 ]
	[[ "$output" == *'retain_releases = 10'* ]]
	[[ "$output" == *'command = ["cargo", "build", "--release"]'* ]]
	[[ "$output" == *'canary = "sequential"'* ]]
	[[ "$output" == *"logs_root = \"$WS/work/../logs\""* ]]
}

@test "a second sandod on the same database refuses to start" {
	sando_config
	sando_start
	run "$SANDOD" --config "$WS/daemon.toml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is in use by another sandod (pid $SANDOD_PID"* ]]
	sando_healthy
}

@test "SIGTERM stops the daemon cleanly" {
	sando_config
	sando_start
	sando_stop
	[ "$STOP_STATUS" -eq 0 ]
	grep -q 'stopped' "$WS/sandod.log"
	# the database is consistent and can be opened again
	[ "$(sqlite3 "$WS/state/sando.db" 'PRAGMA integrity_check')" = ok ]
}

@test "a corrupt database fails start-up and is left alone" {
	sando_config
	mkdir -p "$WS/state"
	head -c 8192 /dev/urandom >"$WS/state/sando.db"
	cp "$WS/state/sando.db" "$WS/orig.db"
	run "$SANDOD" --config "$WS/daemon.toml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not a database"* ]]
	cmp "$WS/state/sando.db" "$WS/orig.db"
}

@test "a database from a newer sandod is refused" {
	sando_config
	sando_start
	sando_stop
	sqlite3 "$WS/state/sando.db" "INSERT INTO schema_migrations VALUES (999, 'future', 'x')"
	run "$SANDOD" --config "$WS/daemon.toml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"schema version 999, newer than this sandod supports"* ]]
}

@test "an unwritable database path fails start-up clearly" {
	sando_config
	sed -i "s#^db_path = .*#db_path = \"/proc/sando/sando.db\"#" "$WS/daemon.toml"
	run "$SANDOD" --config "$WS/daemon.toml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/proc/sando"* ]]
}

@test "renaming tier mm to host keeps its state" {
	sando_config_example seed-quickstart
	sando_start
	sando_stop
	sqlite3 "$WS/sando.db" "UPDATE tier_state SET current_version = '0.9.5', previous_version = '0.9.4' WHERE tier_id = (SELECT id FROM tiers WHERE name = 'mm')"
	sed -i 's/^name = "mm"/name = "host"\nrenamed_from = ["mm"]/' "$WS/sando.toml"
	sando_start
	grep -q "tier 'mm' renamed to 'host'" "$WS/sandod.log"
	http "$URL/state"
	[ "$(echo "$BODY" | jq -r '.tiers[0].name')" = host ]
	[ "$(echo "$BODY" | jq -r '.tiers[0].current_version')" = 0.9.5 ]
	[ "$(echo "$BODY" | jq -r '.tiers[0].previous_version')" = 0.9.4 ]
	[ "$(sqlite3 "$WS/sando.db" "SELECT count(*) FROM tiers WHERE name = 'mm'")" = 0 ]
}
