#!/usr/bin/env bats
# The PostgreSQL harness (pg.bash) that migration_dry_run's tests stand on: a
# throwaway server run by an unprivileged user, the demo_0001 backup fixture
# restored the way the gate restores (psql / pg_restore with the connection in
# the PG* environment, never on the command line), demo-app's own migrate on
# top of it, and a pg_stop that leaves no process behind.

load lib
load pg

FIXTURE="$SANDO_TOP/tests/fixtures/backup/demo_0001.sql"

setup_file() {
	pg_available || return 0
	# the demo app is built in a copy: no build products in the tree
	cp -r "$SANDO_TOP/examples/demo-app" "$BATS_FILE_TMPDIR/demo-app"
	make -C "$BATS_FILE_TMPDIR/demo-app" >"$BATS_FILE_TMPDIR/make.log" 2>&1
}

setup() {
	pg_available || skip "no PostgreSQL server binaries (initdb, pg_ctl) found"
	DEMO_APP="$BATS_FILE_TMPDIR/demo-app/demo-app"
	pg_start
}

teardown() { pg_stop; }

# The PG* environment of a postgresql://user[:password]@host:port/db URL,
# as pgscratch_env gives it to psql and pg_restore.
pg_env_of() {
	local rest=${1#postgresql://} user host
	user=${rest%%@*} rest=${rest#*@}
	host=${rest%%/*}
	echo "PGUSER=${user%%:*} PGHOST=${host%:*} PGPORT=${host##*:} PGDATABASE=${rest#*/}"
}

# Run demo-app migrate against $1 with the migrations given ($2...).
demo_migrate() {
	local url=$1 run="$BATS_TEST_TMPDIR/run"
	shift
	rm -rf "$run" && mkdir -p "$run/migrations"
	cp "$@" "$run/migrations/"
	(cd "$run" && DATABASE_URL="$url" "$DEMO_APP" migrate)
}

q() { # url sql
	psql -X -q -tA -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

@test "pg_start: a server of an unprivileged user on loopback; pg_stop leaves no process" {
	[ "$(q "$PG_URL" 'SELECT current_database()')" = scratch ]
	[ "$(q "$PG_URL" 'SHOW listen_addresses')" = 127.0.0.1 ]
	[ "$(q "$PG_URL" 'SHOW fsync')" = off ]
	[[ "$PG_URL" == postgresql://*@127.0.0.1:$PG_PORT/scratch ]]
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/postgres" ]
	pids=$(pg_pids)
	[ "$(echo "$pids" | wc -l)" -ge 2 ]
	owner=$(ps -o user= -p "$(echo "$pids" | head -1)")
	if [ "$(id -u)" -eq 0 ]; then
		[ "$owner" = nobody ]
	else
		[ "$owner" = "$(id -un)" ]
	fi
	# the password role needs its password; everyone else is trusted on TCP
	run env PGPASSWORD= psql -X -w -d "postgresql://sando_pw@127.0.0.1:$PG_PORT/scratch" -c ''
	[ "$status" -ne 0 ]
	[[ "$output" == *"no password supplied"* ]]
	[ "$(q "$PG_PW_URL" 'SELECT current_user')" = sando_pw ]
	dir=$PG_DIR
	pg_stop
	[ -z "$(pg_running $pids)" ]
	[ -z "$(pgrep -f -- "$dir" || true)" ]
	[ ! -e "$dir" ]
	run psql -X -w -d "$PG_URL" -c 'SELECT 1'
	[ "$status" -ne 0 ]
	pg_stop # a second stop is harmless
}

@test "demo_0001.sql restores with psql, then demo-app migrate applies 0002 on top" {
	[ "$(head -c 5 "$FIXTURE")" != PGDMP ]
	env $(pg_env_of "$PG_URL") \
		psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$FIXTURE"
	[ "$(q "$PG_URL" 'SELECT version FROM _demo_migrations')" = 0001_create_items ]
	sum=$(sha256sum "$SANDO_TOP/examples/demo-app/migrations/0001_create_items.sql" | cut -d' ' -f1)
	[ "$(q "$PG_URL" 'SELECT checksum FROM _demo_migrations')" = "$sum" ]
	[ "$(q "$PG_URL" 'SELECT string_agg(name, $$,$$ ORDER BY id) FROM items')" = apple,pear ]

	run demo_migrate "$PG_URL" "$SANDO_TOP"/examples/demo-app/migrations/*.sql
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "migration 0002_add_price applied" ]
	[ "${lines[1]}" = "applied 1 migrations" ]
	[ "$(q "$PG_URL" 'SELECT string_agg(version, $$,$$ ORDER BY version) FROM _demo_migrations')" = \
		0001_create_items,0002_add_price ]
	[ "$(q "$PG_URL" 'SELECT sum(price_cents) FROM items')" = 0 ]
	run demo_migrate "$PG_URL" "$SANDO_TOP"/examples/demo-app/migrations/*.sql
	[ "$output" = "applied 0 migrations" ]
}

@test "demo_0001.sql records 0001's checksum: an edited 0001 is reported as modified" {
	env $(pg_env_of "$PG_URL") \
		psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$FIXTURE"
	cp "$SANDO_TOP/examples/demo-app/migrations/0001_create_items.sql" "$BATS_TEST_TMPDIR/"
	echo '-- edited' >>"$BATS_TEST_TMPDIR/0001_create_items.sql"
	run demo_migrate "$PG_URL" "$BATS_TEST_TMPDIR/0001_create_items.sql"
	[ "$status" -eq 3 ]
	[[ "$output" == *"migration 0001_create_items was modified after it was applied"* ]]
}

@test "a custom-format backup restores with pg_restore -d '' and the password in PGPASSWORD" {
	env $(pg_env_of "$PG_URL") \
		psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$FIXTURE"
	pg_dump -Fc -f "$BATS_TEST_TMPDIR/demo.dump" "$PG_URL"
	[ "$(head -c 5 "$BATS_TEST_TMPDIR/demo.dump")" = PGDMP ]
	q "$PG_ADMIN_URL" 'CREATE DATABASE restored OWNER sando_pw'
	restored="${PG_URL%/scratch}/restored"
	pgenv=$(pg_env_of "${PG_PW_URL%/scratch}/restored")
	# without -d, pg_restore does not restore: it refuses (15) or prints SQL (< 12)
	run env $pgenv PGPASSWORD="$PG_PASSWORD" pg_restore --no-owner --no-privileges \
		--exit-on-error "$BATS_TEST_TMPDIR/demo.dump"
	[ "$status" -ne 0 ] || [[ "$output" == *"CREATE TABLE"* ]]
	[ "$(q "$restored" 'SELECT count(*) FROM pg_tables WHERE schemaname = $$public$$')" = 0 ]
	# an empty -d: the database, user and password all come from the environment
	run env $pgenv PGPASSWORD="$PG_PASSWORD" pg_restore --no-owner --no-privileges \
		--exit-on-error --single-transaction -d '' "$BATS_TEST_TMPDIR/demo.dump"
	[ "$status" -eq 0 ]
	[ "$(q "$restored" 'SELECT tableowner FROM pg_tables WHERE tablename = $$items$$')" = sando_pw ]
	[ "$(q "$restored" 'SELECT count(*) FROM items')" = 2 ]
	# and without the password, the same restore is refused
	run env $pgenv PGPASSWORD= pg_restore -w --no-owner -d '' "$BATS_TEST_TMPDIR/demo.dump"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no password supplied"* ]]
}
