/*
 * The gate classifiers against captured logs (tests/fixtures/classify/, see
 * its README for where each came from) and a few inline edge cases.  Each
 * case gives how the process ended and the outcome expected, as JSON with
 * single quotes (turned into double quotes before parsing).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "daemon/classify/classify.h"

#define FIXTURES SANDO_TOP "/tests/fixtures/classify/"
#define LOG_REF "0.9.5/gate"

enum gate { G_TEST, G_BOOT, G_MIGRATION, G_COMMAND };

struct ccase {
	enum gate gate;
	const char *fixture;     /* a file in FIXTURES, or NULL for text */
	const char *text;        /* the log when fixture is NULL */
	int exit_status;         /* when it exited */
	int signal;              /* it was killed by this signal instead */
	int timed_out;           /* the runner stopped it (SIGTERM) */
	const char *spawn_error; /* it could not be started */
	double duration_s;
	double required_s;        /* boot_smoke's seconds */
	const char *health_error; /* boot_smoke */
	int restore_failed;       /* migration_dry_run */
	const char *want;
};

static json_t *
load_json(const char *text)
{
	char *s = strdup(text), *p;
	json_error_t e;
	json_t *j;

	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, 0, &e);
	cr_assert_not_null(j, "bad test JSON %s: %s", s, e.text);
	free(s);
	return j;
}

static void
classify(const struct ccase *c, const struct gate_raw *raw, struct outcome *o)
{
	switch (c->gate) {
	case G_TEST:
		classify_test(raw, o);
		break;
	case G_BOOT:
		classify_boot(raw, c->required_s > 0 ? c->required_s : 10, c->health_error, o);
		break;
	case G_MIGRATION:
		classify_migration(raw, "backup-2026-06-02.sql", c->restore_failed, o);
		break;
	case G_COMMAND:
		classify_command(raw, o);
		break;
	}
}

static void
make_raw(const struct ccase *c, const struct strbuf *log, struct gate_raw *raw)
{
	memset(raw, 0, sizeof *raw);
	raw->spawned = c->spawn_error == NULL;
	raw->spawn_error = c->spawn_error;
	raw->exited = raw->spawned && !c->signal && !c->timed_out;
	raw->exit_status = raw->exited ? c->exit_status : 0;
	raw->term_signal = c->timed_out ? SIGTERM : c->signal;
	raw->timed_out = c->timed_out;
	raw->timeout_s = c->gate == G_BOOT ? (c->required_s > 0 ? c->required_s : 10) : 1800;
	raw->duration_s = c->duration_s;
	raw->log = log->buf;
	raw->log_len = log->len;
	raw->log_ref = LOG_REF;
}

/* Classify the case's log and compare with want; the outcome must also parse back. */
static void
run_case(const struct ccase *c)
{
	struct strbuf log = STRBUF_INIT, err = STRBUF_INIT, path = STRBUF_INIT;
	struct gate_raw raw;
	struct outcome o, back;
	json_t *want = load_json(c->want), *got;
	char *g, *w;

	if (c->fixture != NULL) {
		strbuf_addf(&path, "%s%s", FIXTURES, c->fixture);
		cr_assert_eq(
		    strbuf_read_file(&log, path.buf, 1 << 20), 0, "cannot read %s", path.buf);
	} else if (c->text != NULL) {
		strbuf_addstr(&log, c->text);
	}
	make_raw(c, &log, &raw);
	classify(c, &raw, &o);
	got = outcome_to_json(&o);
	g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
	w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	cr_expect(
	    json_equal(got, want), "%s: got %s, want %s", c->fixture ? c->fixture : "text", g, w);
	cr_expect_eq(outcome_from_json(&back, got, &err), 0, "%s", err.buf);
	outcome_release(&back);
	outcome_release(&o);
	json_decref(got);
	json_decref(want);
	free(g);
	free(w);
	strbuf_release(&log);
	strbuf_release(&err);
	strbuf_release(&path);
}

#define CASE(suite, name, ...)                                \
	Test(suite, name)                                     \
	{                                                     \
		run_case(&(const struct ccase){__VA_ARGS__}); \
	}

/* ---- cargo_test / test ---- */

CASE(classify_test, cargo_all_pass, G_TEST, "cargo_pass.log", .duration_s = 3.25,
    .want = "{'status':'passed','note':{'kind':'tests_passed','count':9,'duration_s':3.25},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, cargo_some_fail, G_TEST, "cargo_fail.log", .exit_status = 101,
    .want = "{'status':'failed','failure':{'kind':'cargo_test','failed_count':3,"
            "'first_failed':'mul_by_one'},'log_ref':'" LOG_REF "'}")
CASE(classify_test, cargo_no_fail_fast_sums_binaries_and_doctests, G_TEST,
    "cargo_fail_no_fail_fast.log", .exit_status = 101,
    .want = "{'status':'failed','failure':{'kind':'cargo_test','failed_count':4,"
            "'first_failed':'mul_by_one'},'log_ref':'" LOG_REF "'}")
CASE(classify_test, cargo_compile_error_is_unclassified, G_TEST, "cargo_compile_error.log",
    .exit_status = 101,
    .want = "{'status':'failed','failure':{'kind':'unclassified','message':'exit status 101'},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, tap_pass, G_TEST, "tap_pass.log", .duration_s = 0.5,
    .want = "{'status':'passed','note':{'kind':'tests_passed','count':3,'duration_s':0.5},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, tap_fail_skips_todo, G_TEST, "tap_fail.log", .exit_status = 1,
    .want = "{'status':'failed','failure':{'kind':'cargo_test','failed_count':1,"
            "'first_failed':'rejects a hostile ref'},'log_ref':'" LOG_REF "'}")
CASE(classify_test, demo_make_check_pass, G_TEST, "demo_check_pass.log", .duration_s = 4,
    .want = "{'status':'passed','note':{'kind':'tests_passed','count':48,'duration_s':4},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, demo_make_check_fail, G_TEST, "demo_check_fail.log", .exit_status = 2,
    .want = "{'status':'failed','failure':{'kind':'cargo_test','failed_count':2,"
            "'first_failed':'parser: percent-decoding of paths'},'log_ref':'" LOG_REF "'}")
CASE(classify_test, timeout, G_TEST, "cargo_pass.log", .timed_out = 1, .duration_s = 1800.2,
    .want = "{'status':'failed','failure':{'kind':'timeout','after_s':1800},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, spawn_failed, G_TEST, NULL, .spawn_error = "no such file or directory",
    .want = "{'status':'failed','failure':{'kind':'spawn_failed',"
            "'os_error':'no such file or directory'},'log_ref':'" LOG_REF "'}")
CASE(classify_test, killed_without_results, G_TEST, NULL, "running 4 tests\n", .signal = SIGKILL,
    .want = "{'status':'failed','failure':{'kind':'unclassified','message':'killed by SIGKILL'},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, silent_pass_has_no_count, G_TEST, NULL, "", .duration_s = 1,
    .want = "{'status':'passed','note':{'kind':'tests_passed','duration_s':1},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, crlf_and_tap_plan_only, G_TEST, NULL, "1..7\r\n# all good\r\n", .duration_s = 1,
    .want = "{'status':'passed','note':{'kind':'tests_passed','count':7,'duration_s':1},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, summary_line_alone, G_TEST, NULL, "checking...\n12 passed, 5 failed\n",
    .exit_status = 1,
    .want = "{'status':'failed','failure':{'kind':'cargo_test','failed_count':5},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_test, cargo_failed_lines_without_result, G_TEST, NULL,
    "test a::b ... ok\ntest a::c ... FAILED\ntest a::d ... FAILED\n", .signal = SIGSEGV,
    .want = "{'status':'failed','failure':{'kind':'cargo_test','failed_count':2,"
            "'first_failed':'a::c'},'log_ref':'" LOG_REF "'}")

/* ---- boot_smoke ---- */

CASE(classify_boot, rust_panic, G_BOOT, "boot_rust_panic.log", .exit_status = 101,
    .duration_s = 0.01,
    .want = "{'status':'failed','failure':{'kind':'boot_panic','exit_code':101},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, rust_expect_panic, G_BOOT, "boot_rust_expect.log", .exit_status = 101,
    .duration_s = 0.01,
    .want = "{'status':'failed','failure':{'kind':'boot_panic','exit_code':101},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, rust_abort_on_panic, G_BOOT, "boot_rust_abort.log", .signal = SIGABRT,
    .duration_s = 0.01,
    .want = "{'status':'failed','failure':{'kind':'boot_panic','exit_code':134},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, rust_exits_early, G_BOOT, "boot_rust_exit_early.log", .exit_status = 3,
    .duration_s = 0.01,
    .want = "{'status':'failed','failure':{'kind':'boot_exited_early','exit_code':3},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, rust_stays_up, G_BOOT, "boot_rust_up.log", .timed_out = 1, .duration_s = 3,
    .required_s = 3,
    .want = "{'status':'passed','note':{'kind':'stayed_up','duration_s':3},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, demo_stays_up, G_BOOT, "demo_boot_up.log", .timed_out = 1, .duration_s = 10.5,
    .want = "{'status':'passed','note':{'kind':'stayed_up','duration_s':10.5},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, demo_panic, G_BOOT, "demo_boot_panic.log", .exit_status = 101,
    .duration_s = 0.01,
    .want = "{'status':'failed','failure':{'kind':'boot_panic','exit_code':101},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, demo_exits_early, G_BOOT, "demo_boot_exit.log", .exit_status = 3,
    .duration_s = 1,
    .want = "{'status':'failed','failure':{'kind':'boot_exited_early','exit_code':3},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, demo_unhealthy, G_BOOT, "demo_boot_unhealthy.log", .timed_out = 1,
    .duration_s = 10, .health_error = "GET http://127.0.0.1:3000/healthz: status 503",
    .want = "{'status':'failed','failure':{'kind':'unclassified','message':"
            "'health check failed: GET http://127.0.0.1:3000/healthz: status 503'},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, clean_exit_is_still_early, G_BOOT, NULL, "bye\n", .exit_status = 0,
    .duration_s = 2,
    .want = "{'status':'failed','failure':{'kind':'boot_exited_early','exit_code':0},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, killed_early, G_BOOT, NULL, "", .signal = SIGKILL, .duration_s = 2,
    .want = "{'status':'failed','failure':{'kind':'boot_exited_early','exit_code':137},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_boot, spawn_failed, G_BOOT, NULL, .spawn_error = "permission denied",
    .want = "{'status':'failed','failure':{'kind':'spawn_failed','os_error':'permission denied'},"
            "'log_ref':'" LOG_REF "'}")

/* ---- migration_dry_run ---- */

#define MIGRATED(n)                                                                       \
	"{'status':'passed','note':{'kind':'migrated','backup':'backup-2026-06-02.sql'" n \
	"},'log_ref':'" LOG_REF "'}"
#define MIG_FAILED(body) "{'status':'failed','failure':{" body "},'log_ref':'" LOG_REF "'}"

CASE(classify_migration, demo_fresh, G_MIGRATION, "demo_migrate_fresh.log",
    .want = MIGRATED(",'count':2"))
CASE(classify_migration, demo_nothing_to_do, G_MIGRATION, "demo_migrate_noop.log",
    .want = MIGRATED(",'count':0"))
CASE(classify_migration, demo_modified, G_MIGRATION, "demo_migrate_modified.log", .exit_status = 3,
    .want = MIG_FAILED("'kind':'migration_modified','migration':'0002_add_price'"))
CASE(classify_migration, demo_psql_undefined_table, G_MIGRATION, "demo_migrate_sql_error.log",
    .exit_status = 2,
    .want = MIG_FAILED(
        "'kind':'migration_sql_error','migration':'0003_order_items','sqlstate':'42P01'"))
CASE(classify_migration, demo_psql_syntax_error, G_MIGRATION, "demo_migrate_syntax_error.log",
    .exit_status = 2,
    .want = MIG_FAILED("'kind':'migration_sql_error','migration':'0003_orders','sqlstate':'42601'"))
CASE(classify_migration, psql_terse_has_no_sqlstate, G_MIGRATION, "psql_terse_error.log",
    .exit_status = 3, .want = MIG_FAILED("'kind':'migration_sql_error','migration':'0003_orders'"))
CASE(classify_migration, restore_failed, G_MIGRATION, "psql_restore_failed.log", .exit_status = 3,
    .restore_failed = 1, .want = MIG_FAILED("'kind':'restore_failed'"))
CASE(classify_migration, sqlx_cli_applied, G_MIGRATION, "sqlx_cli_applied.log",
    .want = MIGRATED(",'count':2"))
CASE(classify_migration, sqlx_cli_modified, G_MIGRATION, "sqlx_cli_modified.log", .exit_status = 1,
    .want = MIG_FAILED("'kind':'migration_modified','migration':'20240102000000'"))
CASE(classify_migration, sqlx_cli_missing, G_MIGRATION, "sqlx_cli_missing.log", .exit_status = 1,
    .want = MIG_FAILED("'kind':'migration_drift','migration':'20240103000000'"))
CASE(classify_migration, sqlx_cli_sql_error, G_MIGRATION, "sqlx_cli_sql_error.log",
    .exit_status = 1,
    .want = MIG_FAILED("'kind':'migration_sql_error','migration':'20240102000000'"))
CASE(classify_migration, sqlx_debug_sql_error, G_MIGRATION, "sqlx_app_sql_error_debug.log",
    .exit_status = 1,
    .want = MIG_FAILED(
        "'kind':'migration_sql_error','migration':'20240102000000','sqlstate':'42P01'"))
CASE(classify_migration, sqlx_debug_modified, G_MIGRATION, "sqlx_app_modified_debug.log",
    .exit_status = 1,
    .want = MIG_FAILED("'kind':'migration_modified','migration':'20240102000000'"))
CASE(classify_migration, sqlx_debug_missing, G_MIGRATION, "sqlx_app_missing_debug.log",
    .exit_status = 1, .want = MIG_FAILED("'kind':'migration_drift','migration':'20240103000000'"))
CASE(classify_migration, tokio_postgres_debug_sql_error, G_MIGRATION,
    "tokio_postgres_sql_error_debug.log", .exit_status = 1,
    .want = MIG_FAILED("'kind':'migration_sql_error','sqlstate':'42P01'"))
CASE(classify_migration, other_failure_is_unclassified, G_MIGRATION, "command_make_fail.log",
    .exit_status = 2, .want = MIG_FAILED("'kind':'unclassified','message':'exit status 2'"))
CASE(classify_migration, connection_refused_is_unclassified, G_MIGRATION, NULL,
    "error: cannot read _demo_migrations\npsql: error: connection to server at \"127.0.0.1\", "
    "port 5432 failed: Connection refused\n",
    .exit_status = 2, .want = MIG_FAILED("'kind':'unclassified','message':'exit status 2'"))
CASE(classify_migration, silent_success_has_no_count, G_MIGRATION, NULL, "", .want = MIGRATED(""))
CASE(classify_migration, timeout, G_MIGRATION, "demo_migrate_fresh.log", .timed_out = 1,
    .duration_s = 1800, .want = MIG_FAILED("'kind':'timeout','after_s':1800"))
CASE(classify_migration, sqlstate_forms, G_MIGRATION, NULL,
    "error: migration 0004_x failed\nERROR: relation \"x\" does not exist (SQLSTATE 42P01)\n",
    .exit_status = 1,
    .want = MIG_FAILED("'kind':'migration_sql_error','migration':'0004_x','sqlstate':'42P01'"))

/* ---- command ---- */

CASE(classify_command, succeeded, G_COMMAND, "command_make_ok.log", .duration_s = 0.02,
    .want = "{'status':'passed','note':{'kind':'command_succeeded','duration_s':0.02},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_command, failed, G_COMMAND, "command_make_fail.log", .exit_status = 2,
    .want = "{'status':'failed','failure':{'kind':'unclassified','message':'exit status 2'},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_command, killed, G_COMMAND, NULL, "", .signal = SIGSEGV,
    .want = "{'status':'failed','failure':{'kind':'unclassified','message':'killed by SIGSEGV'},"
            "'log_ref':'" LOG_REF "'}")
CASE(classify_command, timeout, G_COMMAND, NULL, "", .timed_out = 1, .duration_s = 1801,
    .want = "{'status':'failed','failure':{'kind':'timeout','after_s':1800},"
            "'log_ref':'" LOG_REF "'}")

Test(classify, log_with_nul_bytes)
{
	static const char log[] = "ok 1 - a\n\0garbage\nok 2 - b\nnot ok 3 - c\n";
	struct gate_raw raw = {.spawned = 1,
	    .exited = 1,
	    .exit_status = 1,
	    .log = log,
	    .log_len = sizeof log - 1,
	    .log_ref = LOG_REF};
	struct outcome o;

	classify_test(&raw, &o);
	cr_expect_eq(o.kind, OUTCOME_CARGO_TEST);
	cr_expect_eq(o.cargo_test.failed_count, 1);
	cr_expect_str_eq(o.cargo_test.first_failed, "c");
	outcome_release(&o);
}

Test(classify, gate_raw_from_proc)
{
	struct strbuf tail = STRBUF_INIT;
	struct proc_result r = {
	    .spawned = 1, .exited = 1, .exit_status = 0, .duration_ms = 1500, .tail = &tail};
	struct gate_raw raw;
	struct outcome o;

	strbuf_addstr(&tail, "test result: ok. 5 passed; 0 failed; 0 ignored\n");
	gate_raw_from_proc(&raw, &r, 1800, LOG_REF);
	cr_expect_eq(raw.duration_s, 1.5);
	classify_test(&raw, &o);
	cr_expect_eq(o.kind, OUTCOME_TESTS_PASSED);
	cr_expect_eq(o.tests_passed.count, 5);
	cr_expect_str_eq(o.log_ref, LOG_REF);
	outcome_release(&o);
	strbuf_release(&tail);
}
