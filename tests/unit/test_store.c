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

/* The running totals of migration 0007 against a recount from the views that
 * define what each row contributes: the same groups (those still counting)
 * with the same numbers, and promote_dora the same as its view. */
static void
assert_metric_sums_match(struct store *st)
{
	static const char recount[] =
	    "WITH r AS (SELECT family, tier_id, l1, l2, dur FROM builds_metric_rows UNION ALL "
	    "SELECT family, tier_id, l1, l2, dur FROM gate_runs_metric_rows UNION ALL "
	    "SELECT family, tier_id, l1, l2, dur FROM deploys_metric_rows UNION ALL "
	    "SELECT family, tier_id, l1, l2, dur FROM promotes_metric_rows), "
	    "c AS (SELECT family, tier_id, l1, l2, count(*), coalesce(sum(dur), 0), "
	    "sum(coalesce(dur <= 1, 0)), sum(coalesce(dur <= 15, 0)), sum(coalesce(dur <= 3600, "
	    "0)) "
	    "FROM r GROUP BY 1, 2, 3, 4), "
	    "s AS (SELECT family, tier_id, l1, l2, n, sum, b0, b2, b9 FROM metric_sums WHERE n != "
	    "0) "
	    "SELECT (SELECT count(*) FROM (SELECT * FROM c EXCEPT SELECT * FROM s)) + "
	    "(SELECT count(*) FROM (SELECT * FROM s EXCEPT SELECT * FROM c)) + "
	    "(SELECT count(*) FROM (SELECT * FROM promote_dora EXCEPT "
	    "SELECT * FROM promotes_dora_rows)) + (SELECT count(*) FROM (SELECT * FROM "
	    "promotes_dora_rows EXCEPT SELECT * FROM promote_dora))";

	cr_expect_eq(count_rows(st, recount), 0, "metric_sums differ from a recount");
}

static void
exec_ok(struct store *st, const char *sql)
{
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(store_exec(st, sql, &err), 0, "%s", err.buf);
	strbuf_release(&err);
}

static void
metric_row_text(const struct store_metric_row *row, void *arg)
{
	struct strbuf *out = arg;

	for (int i = 0; i < STORE_METRICS_NLABELS && row->label[i]; i++)
		strbuf_addf(out, "%s,", row->label[i]);
	strbuf_addf(out, "%g,%g;", row->v[0], row->v[1]);
}

static void
dora_row_text(const struct store_metric_row *row, void *arg)
{
	strbuf_addf(arg, "%s,%g,%g,%g,%g,%g;", row->label[0], row->v[0], row->v[1], row->v[2],
	    row->v[3], row->v[4]);
}

#define T(ago) "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-" #ago " seconds')"

Test(store, metric_sums_follow_every_write)
{
	char *path = tmp_path("sando.db");
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct store *st;
	int changed;

	/* history written before the migration that keeps the totals */
	cr_assert_eq(store_open(&st, path, store_migrations, 6, &err), 0, "%s", err.buf);
	exec_ok(
	    st, "INSERT INTO tiers(name, position) VALUES ('b', 1), ('a', 0);"
	        "INSERT INTO nodes(tier_id, name, transport, target, release_root) VALUES "
	        "(1, 'n1', 'local', 'x', '/r');"
	        "INSERT INTO versions(version, sha, staged_at) VALUES ('1.0.0', printf('%040d', "
	        "1), " T(
	            7200) ");"
	                  "INSERT INTO builds(sha, status, requested_at, started_at, finished_at) "
	                  "VALUES "
	                  "(printf('%040d', 1), 'ok', 'x', '2026-01-01T00:00:00Z', "
	                  "'2026-01-01T00:00:07Z'),"
	                  "(printf('%040d', 2), 'running', 'x', '2026-01-01T00:00:00Z', NULL);"
	                  "INSERT INTO gate_runs(tier_id, version, gate, kind, status, started_at, "
	                  "finished_at) VALUES (1, '1.0.0', 't', 'test', 'passed', " T(100) ", " T(
	                      90) "),"
	                          "(2, '1.0.0', 't', 'test', 'failed', " T(100) ", " T(
	                              40) "),"
	                                  "(2, '1.0.0', 'c', 'manual_confirm', 'passed', " T(100) ", " T(
	                                      40) "),"
	                                          "(2, '1.0.0', 't', 'test', NULL, " T(
	                                              10) ", NULL);"
	                                                  "INSERT INTO promotes(kind, tier_id, "
	                                                  "version, actor, status, started_at, "
	                                                  "finished_at) VALUES ('promote', 1, "
	                                                  "'1.0.0', 'l', 'failed', " T(3600) ", " T(
	                                                      3590) "), ('promote', 1, '1.0.0', "
	                                                            "'l', NULL, " T(60) ", NULL);"
	                                                                                "INSERT "
	                                                                                "INTO "
	                                                                                "deploys("
	                                                                                "promote_"
	                                                                                "id, kind, "
	                                                                                "tier_id, "
	                                                                                "node_id, "
	                                                                                "version, "
	                                                                                "status, "
	                                                                                "outcome_"
	                                                                                "json, "
	                                                                                "started_"
	                                                                                "at) "
	                                                                                "VALUES "
	                                                                                "(1, "
	                                                                                "'promote',"
	                                                                                " 1, 1, "
	                                                                                "'1.0.0', "
	                                                                                "'failed', "
	                                                                                "'{"
	                                                                                "\"failure"
	                                                                                "\":{"
	                                                                                "\"kind\":"
	                                                                                "\"health_"
	                                                                                "failed\"}}"
	                                                                                "', 'x'), "
	                                                                                "(2, "
	                                                                                "'promote',"
	                                                                                " 1, 1, "
	                                                                                "'1.0.0', "
	                                                                                "NULL, "
	                                                                                "NULL, "
	                                                                                "'x');");
	store_close(st);
	cr_assert_eq(
	    store_open(&st, path, store_migrations, store_nmigrations, &err), 0, "%s", err.buf);
	assert_metric_sums_match(st);
	cr_assert_eq(store_metrics_gate_runs(st, metric_row_text, metric_row_text, &out, &err), 0);
	/* tiers by position, then labels; counts, then the histogram's count and sum */
	cr_expect_str_eq(
	    out.buf, "a,c,passed,1,0;a,t,failed,1,0;b,t,passed,1,0;a,t,1,60;b,t,1,10;");
	/* things finish, a deploy is reverted, a row goes, a restart recovers */
	exec_ok(st,
	    "UPDATE builds SET status = 'failed', finished_at = '2026-01-01T00:01:00Z' "
	    "WHERE id = 2; UPDATE gate_runs SET status = 'passed', finished_at = " T(
	        5) " WHERE id = 4; UPDATE promotes SET status = 'ok', finished_at = " T(30) " WHERE"
	                                                                                    " id = "
	                                                                                    "2; "
	                                                                                    "UPDATE"
	                                                                                    " deplo"
	                                                                                    "ys "
	                                                                                    "SET "
	                                                                                    "status"
	                                                                                    " = "
	                                                                                    "'ok', "
	                                                                                    "finish"
	                                                                                    "ed_at "
	                                                                                    "= 'x' "
	                                                                                    "WHERE "
	                                                                                    "id = "
	                                                                                    "2; "
	                                                                                    "UPDATE"
	                                                                                    " deplo"
	                                                                                    "ys "
	                                                                                    "SET "
	                                                                                    "status"
	                                                                                    " = "
	                                                                                    "'rever"
	                                                                                    "ted' "
	                                                                                    "WHERE "
	                                                                                    "id = "
	                                                                                    "2;"
	                                                                                    "DELETE"
	                                                                                    " FROM "
	                                                                                    "gate_"
	                                                                                    "runs "
	                                                                                    "WHERE "
	                                                                                    "id = "
	                                                                                    "1;"
	                                                                                    "INSERT"
	                                                                                    " INTO "
	                                                                                    "promot"
	                                                                                    "es("
	                                                                                    "kind, "
	                                                                                    "tier_"
	                                                                                    "id, "
	                                                                                    "versio"
	                                                                                    "n, "
	                                                                                    "actor,"
	                                                                                    " start"
	                                                                                    "ed_at)"
	                                                                                    " VALUE"
	                                                                                    "S "
	                                                                                    "('"
	                                                                                    "rollba"
	                                                                                    "ck', "
	                                                                                    "2, "
	                                                                                    "'1.0."
	                                                                                    "0', "
	                                                                                    "'l',"
	                                                                                    " " T(
	                                                                                        20) ");");
	assert_metric_sums_match(st);
	cr_assert_eq(store_recover(st, &changed, &err), 0, "%s", err.buf);
	assert_metric_sums_match(st);
	/* DORA: b failed then recovered 3560 s later, 7170 s after staging; a's
	 * interrupted rollback is a failure not restored yet */
	strbuf_reset(&out);
	cr_assert_eq(store_metrics_dora(st, 30, dora_row_text, &out, &err), 0, "%s", err.buf);
	cr_expect_str_eq(out.buf, "a,0,nan,0,1,nan;b,1,7170,2,1,3560;");
	store_close(st);
	strbuf_release(&out);
	strbuf_release(&err);
	free(path);
}
