/*
 * The state store: migrations (fresh, upgrade in place, newer refused), the
 * lock against a second daemon, corrupt files, recovery and topology sync
 * (including renaming a tier with its history).
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "daemon/store.h"
#include "daemon/store_int.h"
#include "daemon/topology.h"

static char tmpdir[] = "/tmp/sando-test-store-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd[] = {"rm", "-rf", tmpdir, NULL};
	pid_t pid = fork();

	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

TestSuite(store, .init = setup, .fini = teardown);

static char *
tmp_path(const char *name)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s", tmpdir, name) > 0);
	return p;
}

static int64_t
count_rows(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt;
	int64_t n = -1;

	cr_assert_eq(sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL), SQLITE_OK, "%s",
	    sqlite3_errmsg(st->db));
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

static void
load_topology(struct topology *topo, const char *text)
{
	char *path = tmp_path("sando.toml");
	struct strbuf err = STRBUF_INIT;
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	cr_assert_eq(topology_load(topo, path, &err), 0, "%s", err.buf);
	strbuf_release(&err);
	free(path);
}

Test(store, fresh_database_has_full_schema)
{
	struct store *st;
	struct strbuf err = STRBUF_INIT;
	static const char *const tables[] = {"versions", "builds", "tiers", "nodes", "tier_state",
	    "gate_runs", "deploys", "backups", "events", "audit", "schema_migrations", NULL};

	cr_assert_eq(store_open(&st, ":memory:", store_migrations, store_nmigrations, &err), 0,
	    "%s", err.buf);
	cr_expect_eq(store_schema_version(st), (int)store_nmigrations);
	for (int i = 0; tables[i]; i++) {
		char *sql = NULL;

		cr_assert(asprintf(&sql,
		              "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
		              "AND name = '%s' AND sql LIKE '%%STRICT%%'",
		              tables[i]) > 0);
		cr_expect_eq(count_rows(st, sql), 1, "table %s missing or not STRICT", tables[i]);
		free(sql);
	}
	cr_expect_eq(count_rows(st, "PRAGMA foreign_keys"), 1);
	store_close(st);
	strbuf_release(&err);
}

Test(store, file_database_is_wal)
{
	char *path = tmp_path("wal.db");
	struct store *st;
	struct strbuf err = STRBUF_INIT;
	sqlite3_stmt *stmt;

	cr_assert_eq(
	    store_open(&st, path, store_migrations, store_nmigrations, &err), 0, "%s", err.buf);
	cr_assert_eq(sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
	cr_expect_str_eq((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	store_close(st);
	strbuf_release(&err);
	free(path);
}

Test(store, upgrade_in_place_keeps_data)
{
	char *path = tmp_path("up.db");
	struct store *st;
	struct strbuf err = STRBUF_INIT;

	/* a database written by a sandod that knew only the first migration */
	cr_assert_eq(store_open(&st, path, store_migrations, 1, &err), 0, "%s", err.buf);
	cr_assert_eq(store_schema_version(st), 1);
	cr_assert_eq(store_exec(st, "INSERT INTO tiers(name, position) VALUES ('old', 0)", &err), 0,
	    "%s", err.buf);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'events'"), 0);
	store_close(st);

	cr_assert_eq(
	    store_open(&st, path, store_migrations, store_nmigrations, &err), 0, "%s", err.buf);
	cr_expect_eq(store_schema_version(st), (int)store_nmigrations);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM tiers WHERE name = 'old'"), 1);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'events'"), 1);
	store_close(st);
	strbuf_release(&err);
	free(path);
}

Test(store, newer_schema_refused)
{
	char *path = tmp_path("new.db");
	struct store *st;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(
	    store_open(&st, path, store_migrations, store_nmigrations, &err), 0, "%s", err.buf);
	store_close(st);
	cr_assert_eq(store_open(&st, path, store_migrations, 1, &err), -1);
	cr_expect_not_null(strstr(err.buf, "newer than this sandod supports"), "%s", err.buf);
	strbuf_release(&err);
	free(path);
}

Test(store, failed_migration_rolls_back)
{
	static const struct store_migration bad[] = {
	    {1, "good", "CREATE TABLE a (x INTEGER) STRICT;"},
	    {2, "bad", "CREATE TABLE b (x INTEGER) STRICT; INSERT INTO nope VALUES (1);"},
	};
	char *path = tmp_path("bad.db");
	struct store *st;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(store_open(&st, path, bad, 2, &err), -1);
	cr_expect_not_null(strstr(err.buf, "migration 0002_bad failed"), "%s", err.buf);
	cr_assert_eq(store_open(&st, path, bad, 1, &err), 0, "%s", err.buf);
	cr_expect_eq(store_schema_version(st), 1);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'b'"), 0);
	store_close(st);
	strbuf_release(&err);
	free(path);
}

Test(store, second_open_refused_by_lock)
{
	char *path = tmp_path("lock.db");
	struct store *st, *st2;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(
	    store_open(&st, path, store_migrations, store_nmigrations, &err), 0, "%s", err.buf);
	cr_assert_eq(store_open(&st2, path, store_migrations, store_nmigrations, &err), -1);
	cr_expect_not_null(strstr(err.buf, "in use by another sandod"), "%s", err.buf);
	store_close(st);
	cr_assert_eq(
	    store_open(&st, path, store_migrations, store_nmigrations, &err), 0, "%s", err.buf);
	store_close(st);
	strbuf_release(&err);
	free(path);
}

Test(store, corrupt_file_refused_and_kept)
{
	char *path = tmp_path("corrupt.db");
	struct store *st;
	struct strbuf err = STRBUF_INIT, after = STRBUF_INIT;
	FILE *f = fopen(path, "w");

	for (int i = 0; i < 512; i++)
		fputs("this is not a database, ", f);
	fclose(f);
	cr_assert_eq(store_open(&st, path, store_migrations, store_nmigrations, &err), -1);
	cr_expect_not_null(strstr(err.buf, "not a database"), "%s", err.buf);
	cr_assert_eq(strbuf_read_file(&after, path, 0), 0);
	cr_expect_eq(strncmp(after.buf, "this is not a database", 22), 0, "file was changed");
	strbuf_release(&err);
	strbuf_release(&after);
	free(path);
}

Test(store, unopenable_path_refused)
{
	struct store *st;
	struct strbuf err = STRBUF_INIT;
	char *path = tmp_path("missing-dir/sub/x.db");

	cr_assert_eq(store_open(&st, path, store_migrations, store_nmigrations, &err), -1);
	cr_expect_not_null(strstr(err.buf, "missing-dir"), "%s", err.buf);
	strbuf_release(&err);
	free(path);
}

#define TOPO_MM                                                                             \
	"[repo]\nbare_path = \"/r.git\"\n[[tier]]\nname = \"mm\"\n[[tier]]\nname = \"a\"\n" \
	"[[tier.node]]\nname = \"a-1\"\nssh_target = \"local\"\nrelease_root = \"/opt/a\"\n"
#define TOPO_HOST                                                                              \
	"[repo]\nbare_path = \"/r.git\"\n[[tier]]\nname = \"host\"\nrenamed_from = [\"mm\"]\n" \
	"[[tier]]\nname = \"a\"\n[[tier.node]]\nname = \"a-1\"\nssh_target = \"u@h:2222\"\n"   \
	"release_root = \"/opt/a\"\n"

Test(store, rename_tier_keeps_history)
{
	struct store *st;
	struct topology topo;
	struct strbuf err = STRBUF_INIT;
	struct store_tier_state ts;

	cr_assert_eq(store_open(&st, ":memory:", store_migrations, store_nmigrations, &err), 0);
	load_topology(&topo, TOPO_MM);
	cr_assert_eq(store_sync_topology(st, &topo, &err), 0, "%s", err.buf);
	topology_release(&topo);
	cr_assert_eq(
	    store_exec(st,
	        "UPDATE tier_state SET current_version = '0.9.5', previous_version = "
	        "'0.9.4' WHERE tier_id = (SELECT id FROM tiers WHERE name = 'mm');"
	        "INSERT INTO gate_runs(tier_id, version, gate, kind, status, started_at) "
	        "SELECT id, '0.9.5', 'cargo_test', 'cargo_test', 'passed', 'now' FROM tiers "
	        "WHERE name = 'mm';",
	        &err),
	    0, "%s", err.buf);

	load_topology(&topo, TOPO_HOST);
	cr_assert_eq(store_sync_topology(st, &topo, &err), 0, "%s", err.buf);
	cr_assert_eq(store_tier_state(st, "host", &ts, &err), 0, "%s", err.buf);
	cr_expect_str_eq(ts.current_version, "0.9.5");
	cr_expect_str_eq(ts.previous_version, "0.9.4");
	store_tier_state_release(&ts);
	cr_expect_eq(store_tier_state(st, "mm", &ts, &err), -1);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM gate_runs g JOIN tiers t ON "
	                            "t.id = g.tier_id WHERE t.name = 'host'"),
	    1);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM nodes WHERE target = 'u@h:2222' AND "
	                            "transport = 'ssh'"),
	    1);
	/* syncing again is a no-op */
	cr_assert_eq(store_sync_topology(st, &topo, &err), 0, "%s", err.buf);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM tiers"), 2);
	topology_release(&topo);
	store_close(st);
	strbuf_release(&err);
}

Test(store, removed_tier_is_retired_not_deleted)
{
	struct store *st;
	struct topology topo;
	struct strbuf err = STRBUF_INIT;
	struct store_tier_state ts;

	cr_assert_eq(store_open(&st, ":memory:", store_migrations, store_nmigrations, &err), 0);
	load_topology(&topo, TOPO_MM);
	cr_assert_eq(store_sync_topology(st, &topo, &err), 0, "%s", err.buf);
	topology_release(&topo);
	load_topology(&topo, "[repo]\nbare_path = \"/r.git\"\n[[tier]]\nname = \"mm\"\n");
	cr_assert_eq(store_sync_topology(st, &topo, &err), 0, "%s", err.buf);
	cr_assert_eq(store_tier_state(st, "a", &ts, &err), 0, "%s", err.buf);
	cr_expect_eq(ts.retired, 1);
	store_tier_state_release(&ts);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM nodes WHERE retired_at IS NOT NULL"), 1);
	topology_release(&topo);
	store_close(st);
	strbuf_release(&err);
}

Test(store, rename_conflict_refused)
{
	struct store *st;
	struct topology topo;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(store_open(&st, ":memory:", store_migrations, store_nmigrations, &err), 0);
	load_topology(&topo, "[repo]\nbare_path = \"/r.git\"\n[[tier]]\nname = \"mm\"\n"
	                     "[[tier]]\nname = \"host\"\n");
	cr_assert_eq(store_sync_topology(st, &topo, &err), 0, "%s", err.buf);
	topology_release(&topo);
	load_topology(&topo, "[repo]\nbare_path = \"/r.git\"\n[[tier]]\nname = \"host\"\n"
	                     "renamed_from = [\"mm\"]\n");
	cr_assert_eq(store_sync_topology(st, &topo, &err), -1);
	cr_expect_not_null(strstr(err.buf, "history under both names"), "%s", err.buf);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM tiers WHERE name = 'mm'"), 1);
	topology_release(&topo);
	store_close(st);
	strbuf_release(&err);
}

Test(store, recover_marks_in_flight_interrupted)
{
	struct store *st;
	struct strbuf err = STRBUF_INIT;
	int changed;

	cr_assert_eq(store_open(&st, ":memory:", store_migrations, store_nmigrations, &err), 0);
	cr_assert_eq(store_exec(st,
	                 "INSERT INTO builds(sha, status, requested_at) VALUES "
	                 "('0123456789012345678901234567890123456789', 'running', 'x'),"
	                 "('0123456789012345678901234567890123456789', 'ok', 'x');"
	                 "INSERT INTO tiers(name, position) VALUES ('t', 0);"
	                 "INSERT INTO tier_state(tier_id, lock_holder, lock_pid, updated_at) "
	                 "VALUES (1, 'promote:1', 99999, 'x');",
	                 &err),
	    0, "%s", err.buf);
	cr_assert_eq(store_recover(st, &changed, &err), 0, "%s", err.buf);
	cr_expect_eq(changed, 3); /* the build, the audit row of the unlock, the lock */
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM builds WHERE status = 'interrupted'"), 1);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM audit WHERE action = 'unlock' AND "
	                            "json_extract(detail_json, '$.holder') = 'promote:1'"),
	    1);
	cr_expect_eq(count_rows(st, "SELECT count(*) FROM builds WHERE status = 'ok'"), 1);
	cr_expect_eq(
	    count_rows(st, "SELECT count(*) FROM tier_state WHERE lock_holder IS NULL"), 1);
	store_close(st);
	strbuf_release(&err);
}

Test(store, audit_is_append_only)
{
	struct store *st;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(store_open(&st, ":memory:", store_migrations, store_nmigrations, &err), 0);
	cr_assert_eq(store_exec(st,
	                 "INSERT INTO audit(ts, actor, action) VALUES ('t', 'local', "
	                 "'promote')",
	                 &err),
	    0, "%s", err.buf);
	cr_expect_eq(store_exec(st, "DELETE FROM audit", &err), -1);
	cr_expect_not_null(strstr(err.buf, "append-only"), "%s", err.buf);
	cr_expect_eq(store_exec(st, "UPDATE audit SET actor = 'x'", &err), -1);
	store_close(st);
	strbuf_release(&err);
}

Test(store, gate_runs_row_before_start_finished_after)
{
	struct store *st;
	struct topology topo;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	json_t *rows;
	int64_t id, id2;

	cr_assert_eq(store_open(&st, ":memory:", store_migrations, store_nmigrations, &err), 0);
	load_topology(&topo, TOPO_HOST);
	cr_assert_eq(store_sync_topology(st, &topo, &err), 0, "%s", err.buf);
	topology_release(&topo);
	cr_expect_eq(store_gate_run_start(st, "nope", "1.0.0", "t", "test", &err), -1);
	cr_expect(strstr(err.buf, "unknown tier 'nope'") != NULL, "%s", err.buf);
	id = store_gate_run_start(st, "host", "1.0.0", "cargo_test", "cargo_test", &err);
	cr_assert_gt(id, 0, "%s", err.buf);
	cr_assert_eq(store_gate_run_set_log(st, id, "gates/1.log", &err), 0);
	/* running: no outcome yet, not the latest finished run */
	cr_expect_eq(store_gate_latest(st, "host", "1.0.0", "cargo_test", &out, &err), 0);
	cr_expect_eq(store_gate_pending_version(st, "host", &out, &err), 1);
	cr_expect_str_eq(out.buf, "1.0.0");
	cr_expect_eq(store_gate_run_find(st, NULL, "1.0.0", "cargo_test", &out, &err), id);
	cr_expect_str_eq(out.buf, "gates/1.log");
	cr_assert_eq(store_gate_run_finish(st, id, "passed",
	                 "{\"status\":\"passed\",\"note\":{\"kind\":\"tests_passed\"}}", &err),
	    0, "%s", err.buf);
	/* a finished run is left alone */
	cr_assert_eq(store_gate_run_finish(st, id, "failed", NULL, &err), 0);
	cr_expect_eq(store_gate_latest(st, "host", "1.0.0", "cargo_test", &out, &err), 1);
	cr_expect(strstr(out.buf, "tests_passed") != NULL);
	id2 = store_gate_run_start(st, "host", "1.1.0", "cargo_test", "cargo_test", &err);
	rows = store_gate_runs_json(st, 0, "host", NULL, 10, &err);
	cr_assert_eq(json_array_size(rows), 2);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(rows, 0), "id")), id2);
	cr_expect_str_eq(json_string_value(json_object_get(
	                     json_object_get(json_array_get(rows, 1), "outcome"), "status")),
	    "passed");
	cr_expect(json_is_null(json_object_get(json_array_get(rows, 0), "outcome")));
	json_decref(rows);
	rows = store_gate_runs_json(st, 0, NULL, "1.0.0", 10, &err);
	cr_expect_eq(json_array_size(rows), 1);
	json_decref(rows);
	cr_expect_eq(store_gate_run_find(st, "host", "2.0.0", "cargo_test", &out, &err), 0);
	store_close(st);
	strbuf_release(&err);
	strbuf_release(&out);
}
