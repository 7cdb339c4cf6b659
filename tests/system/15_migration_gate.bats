#!/usr/bin/env bats
# migration_dry_run against a real PostgreSQL (pg.bash: a throwaway server run
# by an unprivileged user on loopback): the scratch database is emptied,
# the backup restored (plain SQL with psql, custom format with pg_restore),
# and the demo app's own `migrate` run on top; clean, failing and modified
# migrations, a broken backup, the blocked cases, and the scratch URL's
# password kept out of logs, events, the database and command lines.

load lib
load pg

FIXTURE="$SANDO_TOP/tests/fixtures/backup/demo_0001.sql"
V=0.1.0

setup_file() {
	pg_available || return 0
	pg_start
}

teardown_file() { pg_stop; }

setup() {
	pg_available || skip "no PostgreSQL server binaries (initdb, pg_ctl) found"
}

teardown() { sando_teardown; }

# A daemon for the demo app whose first tier runs migration_dry_run with
# scratch_db_url $1 (none when empty) and the backup at $WS/backup.sql.
start_migration() {
	local url=${1:-}
	sando_config_demo "${url:+scratch_db_url = \"$url\"}" \
		"$(printf '[backup]\nsource = "file:///nonexistent"\nlocal_path = "%s/backup.sql"\n[[tier]]\nname = "build"\ngates = [ { kind = "migration_dry_run" } ]\n' "$WS")"
	sando_start
	sando_demo_app
}

outcome() { run_of "$(wait_gates build $V 1)" migration_dry_run | jq -c .outcome; }

@test "a clean migration on the restored backup passes with migrated {backup, count}" {
	sando_ws
	cp "$FIXTURE" "$WS/backup.sql"
	# a schema left over from an earlier run is dropped first
	psql -X -q -d "$PG_PW_URL" -c 'CREATE SCHEMA leftover; CREATE TABLE leftover.t (x int)'
	start_migration "postgresql://sando_pw:$PG_PASSWORD_ENC@127.0.0.1:$PG_PORT/scratch"
	sando_push
	o=$(outcome)
	[ "$(echo "$o" | jq -r .status)" = passed ]
	[ "$(echo "$o" | jq -r .note.kind)" = migrated ]
	[ "$(echo "$o" | jq -r .note.backup)" = backup.sql ]
	[ "$(echo "$o" | jq -r .note.count)" = 1 ]
	# the scratch database holds the backup's rows, migrated
	[ "$(psql -X -At -d "$PG_PW_URL" -c 'SELECT count(*) FROM items WHERE price_cents = 0')" = 2 ]
	[ "$(psql -X -At -d "$PG_PW_URL" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'leftover'")" = 0 ]
	for i in $(seq 50); do [ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = $V ] && break; sleep 0.1; done
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = $V ]
	# the password never shows: not in the daemon's log, the gate's log, the
	# events, the database (WAL included) or /state
	! grep -rqF "s3cret" "$WS/sandod.log" "$WS/logs"
	sqlite3 "$WS/state/sando.db" .dump >"$WS/dump.sql"
	! grep -qF "s3cret" "$WS/dump.sql"
	! curl -s "$URL/state" | grep -qF s3cret
	http "$URL/logs/$V/migration_dry_run"
	[[ "$BODY" == *"applied 1 migrations"* ]]
}

@test "a custom-format backup is restored with pg_restore" {
	sando_ws
	psql -X -q -d "$PG_URL" -c 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public'
	psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -f "$FIXTURE"
	pg_dump -Fc --no-owner --no-privileges -f "$WS/backup.sql" "$PG_URL"
	start_migration "$PG_URL"
	sando_push
	o=$(outcome)
	[ "$(echo "$o" | jq -r .note.kind)" = migrated ]
	http "$URL/logs/$V/migration_dry_run"
	[[ "$BODY" == *"custom format"* ]]
}

@test "a failing migration is migration_sql_error with the migration and its SQLSTATE" {
	sando_ws
	cp "$FIXTURE" "$WS/backup.sql"
	start_migration "$PG_URL"
	echo 'ALTER TABLE no_such_table ADD COLUMN x integer;' >"$WS/app/migrations/0003_broken.sql"
	sando_commit broken >/dev/null
	sando_push
	o=$(outcome)
	[ "$(echo "$o" | jq -r .status)" = failed ]
	[ "$(echo "$o" | jq -r .failure.kind)" = migration_sql_error ]
	[ "$(echo "$o" | jq -r .failure.migration)" = 0003_broken ]
	[ "$(echo "$o" | jq -r .failure.sqlstate)" = 42P01 ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = null ]
}

@test "a migration changed after it was applied is migration_modified" {
	sando_ws
	cp "$FIXTURE" "$WS/backup.sql"
	start_migration "$PG_URL"
	echo '-- edited after release' >>"$WS/app/migrations/0001_create_items.sql"
	sando_commit edited >/dev/null
	sando_push
	o=$(outcome)
	[ "$(echo "$o" | jq -r .failure.kind)" = migration_modified ]
	[ "$(echo "$o" | jq -r .failure.migration)" = 0001_create_items ]
}

@test "a backup that does not restore is restore_failed; the migration does not run" {
	sando_ws
	printf 'CREATE TABLE ok (x int);\nTHIS IS NOT SQL;\n' >"$WS/backup.sql"
	start_migration "$PG_URL"
	sando_push
	o=$(outcome)
	[ "$(echo "$o" | jq -r .failure.kind)" = restore_failed ]
	http "$URL/logs/$V/migration_dry_run"
	[[ "$BODY" == *"syntax error"* ]]
	! [[ "$BODY" == *"applied"*"migrations"* ]]
	# single transaction: nothing of the broken restore stays
	[ "$(psql -X -At -d "$PG_URL" -c "SELECT count(*) FROM pg_tables WHERE tablename = 'ok'")" = 0 ]
}

@test "an unreachable scratch database is restore_failed with the reason in the log" {
	sando_ws
	cp "$FIXTURE" "$WS/backup.sql"
	start_migration "postgresql://nobody:pw-not-shown@127.0.0.1:1/scratch"
	sando_push
	o=$(outcome)
	[ "$(echo "$o" | jq -r .failure.kind)" = restore_failed ]
	http "$URL/logs/$V/migration_dry_run"
	[[ "$BODY" == *"cannot empty the scratch database"* ]]
	! grep -rqF "pw-not-shown" "$WS/sandod.log" "$WS/logs"
}

@test "without scratch_db_url or without a backup the gate is blocked, not failed" {
	sando_ws
	cp "$FIXTURE" "$WS/backup.sql"
	start_migration ""
	sando_push
	o=$(outcome)
	[ "$(echo "$o" | jq -r .status)" = blocked ]
	[ "$(echo "$o" | jq -r .reason.kind)" = scratch_db_url_unset ]
	# blocked does not advance the tier either
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = null ]
	sando_stop
	rm "$WS/backup.sql"
	sed -i "1i scratch_db_url = \"$PG_URL\"" "$WS/daemon.toml"
	sando_start
	curl -s -X POST "$URL/rebuild" >/dev/null
	for i in $(seq 100); do
		[ "$(curl -s "$URL/gate-runs?version=$V" | jq '[.[] | select(.status != null)] | length')" = 2 ] && break
		sleep 0.1
	done
	o=$(curl -s "$URL/gate-runs?version=$V" | jq -c '.[0].outcome')
	[ "$(echo "$o" | jq -r .reason.kind)" = no_backup_available ]
	: >"$WS/backup.sql"
	curl -s -X POST "$URL/rebuild" >/dev/null
	for i in $(seq 100); do
		[ "$(curl -s "$URL/gate-runs?version=$V" | jq '[.[] | select(.status != null)] | length')" = 3 ] && break
		sleep 0.1
	done
	[ "$(curl -s "$URL/gate-runs?version=$V" | jq -r '.[0].outcome.reason.kind')" = no_backup_available ]
}
