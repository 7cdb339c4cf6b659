/*
 * The typed gate outcome: every variant's JSON both ways and its summary and
 * colour, strict parsing errors, string cleaning, number forms.
 *
 * Expected JSON is written with single quotes (turned into double quotes
 * before parsing) to keep the C strings readable.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "domain/outcome.h"

/* Parse text with ' for ". */
static json_t *
load_json(const char *text)
{
	char *s = strdup(text), *p;
	json_error_t e;
	json_t *j;

	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, JSON_DECODE_ANY, &e);
	cr_assert_not_null(j, "bad test JSON %s: %s", s, e.text);
	free(s);
	return j;
}

static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* o's JSON equals want, parses back to the same JSON, and has this summary and colour. */
static void
check_variant(struct outcome *o, const char *want, const char *summary, enum outcome_color color)
{
	json_t *w = load_json(want), *j = outcome_to_json(o), *j2;
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct outcome back;
	char *got = dump(j), *wanted = dump(w);

	cr_expect(json_equal(j, w), "got %s, want %s", got, wanted);
	cr_assert_eq(outcome_from_json(&back, j, &err), 0, "%s: %s", got, err.buf);
	cr_expect_eq(back.kind, o->kind);
	j2 = outcome_to_json(&back);
	cr_expect(json_equal(j, j2), "round trip of %s differs", got);
	outcome_summary(o, &sb);
	cr_expect_str_eq(sb.buf, summary);
	strbuf_reset(&sb);
	outcome_summary(&back, &sb);
	cr_expect_str_eq(sb.buf, summary);
	cr_expect_eq(outcome_color(o), color);
	outcome_release(&back);
	outcome_release(o);
	cr_expect_eq(o->kind, OUTCOME_NONE);
	cr_expect_null(o->log_ref);
	outcome_release(o); /* twice is harmless */
	json_decref(j);
	json_decref(j2);
	json_decref(w);
	free(got);
	free(wanted);
	strbuf_release(&err);
	strbuf_release(&sb);
}

#define VARIANT(name, build, want, summary, color)       \
	Test(outcome_variant, name)                      \
	{                                                \
		struct outcome o;                        \
		build;                                   \
		check_variant(&o, want, summary, color); \
	}

/* passed */
VARIANT(stayed_up, outcome_passed_stayed_up(&o, 10),
    "{'status':'passed','note':{'kind':'stayed_up','duration_s':10}}", "stayed up 10 s",
    OUTCOME_GREEN)
VARIANT(burn_in_elapsed, outcome_passed_burn_in_elapsed(&o, 48),
    "{'status':'passed','note':{'kind':'burn_in_elapsed','hours':48}}", "burn-in done: 48 h",
    OUTCOME_GREEN)
VARIANT(migrated, outcome_passed_migrated(&o, "backup-2026-06-02.sql", 2),
    "{'status':'passed','note':{'kind':'migrated','backup':'backup-2026-06-02.sql','count':2}}",
    "migrated: 2 applied on backup 'backup-2026-06-02.sql'", OUTCOME_GREEN)
VARIANT(migrated_count_unknown, outcome_passed_migrated(&o, "b.sql", OUTCOME_COUNT_UNKNOWN),
    "{'status':'passed','note':{'kind':'migrated','backup':'b.sql'}}", "migrated on backup 'b.sql'",
    OUTCOME_GREEN)
VARIANT(tests_passed, outcome_passed_tests_passed(&o, 44, 1.5),
    "{'status':'passed','note':{'kind':'tests_passed','count':44,'duration_s':1.5}}",
    "tests passed: 44", OUTCOME_GREEN)
VARIANT(tests_passed_count_unknown, outcome_passed_tests_passed(&o, OUTCOME_COUNT_UNKNOWN, 2),
    "{'status':'passed','note':{'kind':'tests_passed','duration_s':2}}", "tests passed",
    OUTCOME_GREEN)
VARIANT(operator_confirmed, outcome_passed_operator_confirmed(&o, "2026-06-02T10:00:00Z"),
    "{'status':'passed','note':{'kind':'operator_confirmed','at':'2026-06-02T10:00:00Z'}}",
    "confirmed at 2026-06-02T10:00:00Z", OUTCOME_GREEN)
VARIANT(command_succeeded, outcome_passed_command_succeeded(&o, 2.5),
    "{'status':'passed','note':{'kind':'command_succeeded','duration_s':2.5}}",
    "succeeded in 2.5 s", OUTCOME_GREEN)

/* failed */
VARIANT(cargo_test,
    (outcome_failed_cargo_test(&o, 3, "foo::bar"), outcome_set_log_ref(&o, "0.9.5/cargo_test")),
    "{'status':'failed','failure':{'kind':'cargo_test','failed_count':3,"
    "'first_failed':'foo::bar'},'log_ref':'0.9.5/cargo_test'}",
    "tests failed: 3 (first: foo::bar)", OUTCOME_RED)
VARIANT(cargo_test_no_name, outcome_failed_cargo_test(&o, 2, NULL),
    "{'status':'failed','failure':{'kind':'cargo_test','failed_count':2}}", "tests failed: 2",
    OUTCOME_RED)
VARIANT(migration_drift, outcome_failed_migration_drift(&o, "20240103000000"),
    "{'status':'failed','failure':{'kind':'migration_drift','migration':'20240103000000'}}",
    "migration drift: 20240103000000 was applied but is missing", OUTCOME_RED)
VARIANT(migration_drift_unnamed, outcome_failed_migration_drift(&o, NULL),
    "{'status':'failed','failure':{'kind':'migration_drift'}}",
    "migration drift: a migration was applied but is missing", OUTCOME_RED)
VARIANT(migration_modified, outcome_failed_migration_modified(&o, "0002_add_price"),
    "{'status':'failed','failure':{'kind':'migration_modified','migration':'0002_add_price'}}",
    "migration 0002_add_price was modified after it was applied", OUTCOME_RED)
VARIANT(migration_modified_unnamed, outcome_failed_migration_modified(&o, NULL),
    "{'status':'failed','failure':{'kind':'migration_modified'}}",
    "a migration was modified after it was applied", OUTCOME_RED)
VARIANT(migration_sql_error, outcome_failed_migration_sql_error(&o, "0002_add_price", "42P01"),
    "{'status':'failed','failure':{'kind':'migration_sql_error','migration':'0002_add_price',"
    "'sqlstate':'42P01'}}",
    "migration 0002_add_price failed: 42P01", OUTCOME_RED)
VARIANT(migration_sql_error_no_code, outcome_failed_migration_sql_error(&o, "0003", NULL),
    "{'status':'failed','failure':{'kind':'migration_sql_error','migration':'0003'}}",
    "migration 0003 failed: SQL error", OUTCOME_RED)
VARIANT(migration_sql_error_bare, outcome_failed_migration_sql_error(&o, NULL, NULL),
    "{'status':'failed','failure':{'kind':'migration_sql_error'}}", "migration failed: SQL error",
    OUTCOME_RED)
VARIANT(restore_failed, outcome_failed_restore_failed(&o),
    "{'status':'failed','failure':{'kind':'restore_failed'}}", "backup restore failed", OUTCOME_RED)
VARIANT(boot_panic, outcome_failed_boot_panic(&o, 101),
    "{'status':'failed','failure':{'kind':'boot_panic','exit_code':101}}", "boot panic (exit 101)",
    OUTCOME_RED)
VARIANT(boot_exited_early, outcome_failed_boot_exited_early(&o, 3),
    "{'status':'failed','failure':{'kind':'boot_exited_early','exit_code':3}}",
    "exited early (exit 3)", OUTCOME_RED)
VARIANT(spawn_failed, outcome_failed_spawn_failed(&o, "no such file or directory"),
    "{'status':'failed','failure':{'kind':'spawn_failed','os_error':'no such file or directory'}}",
    "could not start: no such file or directory", OUTCOME_RED)
VARIANT(timeout, outcome_failed_timeout(&o, 1800),
    "{'status':'failed','failure':{'kind':'timeout','after_s':1800}}", "timed out after 1800 s",
    OUTCOME_RED)
VARIANT(unclassified, outcome_failed_unclassified(&o, "0.9.5/command-lint", "exit status 2"),
    "{'status':'failed','failure':{'kind':'unclassified','message':'exit status 2'},"
    "'log_ref':'0.9.5/command-lint'}",
    "failed: exit status 2 (see log)", OUTCOME_RED)
VARIANT(unclassified_no_message, outcome_failed_unclassified(&o, "x", NULL),
    "{'status':'failed','failure':{'kind':'unclassified'},'log_ref':'x'}", "failed (see log)",
    OUTCOME_RED)

/* blocked */
VARIANT(burn_in_remaining, outcome_blocked_burn_in_remaining(&o, 47, 48),
    "{'status':'blocked','reason':{'kind':'burn_in_remaining','hours':47,'total':48}}",
    "burn-in: 47 h left", OUTCOME_YELLOW)
VARIANT(burn_in_remaining_fraction, outcome_blocked_burn_in_remaining(&o, 0.5, 48),
    "{'status':'blocked','reason':{'kind':'burn_in_remaining','hours':0.5,'total':48}}",
    "burn-in: 0.5 h left", OUTCOME_YELLOW)
/* a clock started seconds ago: one hour left, not "1.0" */
VARIANT(burn_in_remaining_almost_whole, outcome_blocked_burn_in_remaining(&o, 0.9997, 1),
    "{'status':'blocked','reason':{'kind':'burn_in_remaining','hours':0.9997,'total':1}}",
    "burn-in: 1 h left", OUTCOME_YELLOW)
VARIANT(burn_in_clock_not_started, outcome_blocked_burn_in_clock_not_started(&o),
    "{'status':'blocked','reason':{'kind':'burn_in_clock_not_started'}}",
    "burn-in clock not started", OUTCOME_YELLOW)
VARIANT(awaiting_operator_confirmation, outcome_blocked_awaiting_operator_confirmation(&o),
    "{'status':'blocked','reason':{'kind':'awaiting_operator_confirmation'}}",
    "awaiting confirmation", OUTCOME_YELLOW)
VARIANT(no_backup_available, outcome_blocked_no_backup_available(&o),
    "{'status':'blocked','reason':{'kind':'no_backup_available'}}", "no backup available",
    OUTCOME_YELLOW)
VARIANT(scratch_db_url_unset, outcome_blocked_scratch_db_url_unset(&o),
    "{'status':'blocked','reason':{'kind':'scratch_db_url_unset'}}", "scratch_db_url not set",
    OUTCOME_YELLOW)
VARIANT(artifact_missing, outcome_blocked_artifact_missing(&o, "0.9.5"),
    "{'status':'blocked','reason':{'kind':'artifact_missing','version':'0.9.5'}}",
    "artifact 0.9.5 missing", OUTCOME_YELLOW)

/* Parsing text must fail with a message containing what. */
static void
check_bad(const char *text, const char *what)
{
	json_t *j = load_json(text);
	struct strbuf err = STRBUF_INIT;
	struct outcome o;

	cr_expect_eq(outcome_from_json(&o, j, &err), -1, "accepted %s", text);
	cr_expect_not_null(strstr(err.buf, what), "want '%s' in '%s'", what, err.buf);
	cr_expect_eq(o.kind, OUTCOME_NONE);
	cr_expect_null(o.log_ref);
	outcome_release(&o);
	json_decref(j);
	strbuf_release(&err);
}

#define BAD(name, text, what)          \
	Test(outcome_bad, name)        \
	{                              \
		check_bad(text, what); \
	}

BAD(not_an_object, "['passed']", "must be a JSON object")
BAD(null, "null", "must be a JSON object")
BAD(missing_status, "{}", "missing string 'status'")
BAD(status_not_string, "{'status':1}", "missing string 'status'")
BAD(unknown_status, "{'status':'ok'}", "unknown status 'ok'")
BAD(missing_member, "{'status':'failed'}", "status 'failed' needs a 'failure' object")
BAD(member_not_object, "{'status':'failed','failure':'timeout'}", "'failure' must be an object")
BAD(missing_kind, "{'status':'failed','failure':{}}", "'failure' needs a string 'kind'")
BAD(unknown_kind, "{'status':'failed','failure':{'kind':'segfault'}}",
    "unknown failure kind 'segfault'")
BAD(kind_of_other_status, "{'status':'passed','note':{'kind':'timeout','after_s':3}}",
    "'timeout' is not a note kind (it is failed)")
BAD(member_of_other_status,
    "{'status':'passed','note':{'kind':'stayed_up','duration_s':1},"
    "'failure':{'kind':'timeout','after_s':3}}",
    "'failure' is not allowed with status 'passed'")
BAD(missing_field, "{'status':'failed','failure':{'kind':'timeout'}}",
    "failure 'timeout': missing 'after_s'")
BAD(null_required_field, "{'status':'failed','failure':{'kind':'timeout','after_s':null}}",
    "missing 'after_s'")
BAD(number_as_string, "{'status':'failed','failure':{'kind':'timeout','after_s':'3'}}",
    "'after_s' must be a non-negative number")
BAD(negative_number, "{'status':'passed','note':{'kind':'stayed_up','duration_s':-1}}",
    "'duration_s' must be a non-negative number")
BAD(real_count, "{'status':'failed','failure':{'kind':'cargo_test','failed_count':1.5}}",
    "'failed_count' must be a non-negative integer")
BAD(negative_count, "{'status':'passed','note':{'kind':'tests_passed','count':-2,'duration_s':1}}",
    "'count' must be a non-negative integer")
BAD(exit_code_range, "{'status':'failed','failure':{'kind':'boot_panic','exit_code':300}}",
    "'exit_code' must be an integer from 0 to 255")
BAD(string_as_number, "{'status':'failed','failure':{'kind':'spawn_failed','os_error':2}}",
    "'os_error' must be a non-empty one-line string")
BAD(empty_string, "{'status':'failed','failure':{'kind':'spawn_failed','os_error':''}}",
    "'os_error' must be a non-empty one-line string")
BAD(control_character,
    "{'status':'failed','failure':{'kind':'cargo_test','failed_count':1,"
    "'first_failed':'a\\u001b[31mb'}}",
    "'first_failed' must be a non-empty one-line string")
BAD(newline, "{'status':'failed','failure':{'kind':'spawn_failed','os_error':'a\\nb'}}",
    "'os_error' must be a non-empty one-line string")
BAD(bad_sqlstate, "{'status':'failed','failure':{'kind':'migration_sql_error','sqlstate':'42p01'}}",
    "'sqlstate' must be five characters of [0-9A-Z], not '42p01'")
BAD(bad_version, "{'status':'blocked','reason':{'kind':'artifact_missing','version':'latest'}}",
    "'version' must be a semver version, not 'latest'")
BAD(bad_time, "{'status':'passed','note':{'kind':'operator_confirmed','at':'2026-06-02 10:00'}}",
    "'at' must be an RFC 3339 time")
BAD(unclassified_without_log, "{'status':'failed','failure':{'kind':'unclassified'}}",
    "an unclassified failure needs a 'log_ref'")
BAD(log_ref_not_string, "{'status':'failed','failure':{'kind':'restore_failed'},'log_ref':['a']}",
    "'log_ref' must be a non-empty one-line string")

Test(outcome_bad, string_too_long)
{
	struct strbuf text = STRBUF_INIT;

	strbuf_addstr(&text, "{'status':'failed','failure':{'kind':'spawn_failed','os_error':'");
	for (int i = 0; i < OUTCOME_STR_MAX + 1; i++)
		strbuf_addch(&text, 'x');
	strbuf_addstr(&text, "'}}");
	check_bad(text.buf, "at most 512 bytes");
	strbuf_release(&text);
}

Test(outcome, unknown_members_are_ignored)
{
	json_t *j = load_json("{'status':'passed','note':{'kind':'stayed_up','duration_s':3,"
	                      "'pid':42},'run_id':7}");
	struct strbuf err = STRBUF_INIT;
	struct outcome o;

	cr_assert_eq(outcome_from_json(&o, j, &err), 0, "%s", err.buf);
	cr_expect_eq(o.kind, OUTCOME_STAYED_UP);
	cr_expect_eq(o.stayed_up.duration_s, 3);
	outcome_release(&o);
	json_decref(j);
	strbuf_release(&err);
}

Test(outcome, optional_fields_may_be_null)
{
	json_t *j = load_json("{'status':'failed','failure':{'kind':'cargo_test','failed_count':1,"
	                      "'first_failed':null},'log_ref':null}");
	struct strbuf err = STRBUF_INIT;
	struct outcome o;

	cr_assert_eq(outcome_from_json(&o, j, &err), 0, "%s", err.buf);
	cr_expect_null(o.cargo_test.first_failed);
	cr_expect_null(o.log_ref);
	outcome_release(&o);
	json_decref(j);
	strbuf_release(&err);
}

Test(outcome, whole_numbers_are_integers)
{
	struct outcome o;
	json_t *j;
	char *s;

	outcome_blocked_burn_in_remaining(&o, 47.0, 48.0);
	j = outcome_to_json(&o);
	s = dump(j);
	cr_expect_str_eq(s,
	    "{\"reason\":{\"hours\":47,\"kind\":\"burn_in_remaining\",\"total\":48},"
	    "\"status\":\"blocked\"}");
	free(s);
	json_decref(j);
	outcome_release(&o);
	outcome_passed_tests_passed(&o, 44, 1.5);
	j = outcome_to_json(&o);
	s = dump(j);
	cr_expect_str_eq(s, "{\"note\":{\"count\":44,\"duration_s\":1.5,\"kind\":\"tests_passed\"},"
	                    "\"status\":\"passed\"}");
	free(s);
	json_decref(j);
	outcome_release(&o);
}

Test(outcome, strings_are_cleaned)
{
	struct outcome o;
	char long_name[OUTCOME_STR_MAX + 100];
	json_t *j;

	outcome_failed_cargo_test(&o, 1, "a\x1b[31mb\n\xff\xc3\xa9");
	cr_expect_str_eq(o.cargo_test.first_failed, "a?[31mb??\xc3\xa9");
	j = outcome_to_json(&o);
	cr_expect_not_null(j);
	cr_expect_not_null(json_object_get(j, "failure"));
	json_decref(j);
	outcome_release(&o);
	memset(long_name, 'x', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	outcome_failed_spawn_failed(&o, long_name);
	cr_expect_eq(strlen(o.spawn_failed.os_error), OUTCOME_STR_MAX);
	outcome_release(&o);
	outcome_failed_spawn_failed(&o, "");
	cr_expect_str_eq(o.spawn_failed.os_error, "?");
	outcome_release(&o);
}

Test(outcome, bad_sqlstate_is_dropped_by_the_constructor)
{
	struct outcome o;

	outcome_failed_migration_sql_error(&o, "0002", "syntax");
	cr_expect_null(o.migration_sql_error.sqlstate);
	outcome_release(&o);
}

Test(outcome, none)
{
	struct outcome o = {0};
	struct strbuf sb = STRBUF_INIT;
	json_t *j = outcome_to_json(&o);

	cr_expect(json_is_null(j));
	cr_expect_eq(outcome_status(&o), OUTCOME_STATUS_NONE);
	cr_expect_eq(outcome_color(&o), OUTCOME_COLOR_NONE);
	cr_expect_str_eq(outcome_color_name(outcome_color(&o)), "");
	outcome_summary(&o, &sb);
	cr_expect_str_eq(sb.buf, "no outcome");
	outcome_release(&o);
	json_decref(j);
	strbuf_release(&sb);
}

Test(outcome, names)
{
	cr_expect_str_eq(outcome_status_name(OUTCOME_PASSED), "passed");
	cr_expect_str_eq(outcome_status_name(OUTCOME_FAILED), "failed");
	cr_expect_str_eq(outcome_status_name(OUTCOME_BLOCKED), "blocked");
	cr_expect_str_eq(outcome_kind_name(OUTCOME_CARGO_TEST), "cargo_test");
	cr_expect_str_eq(outcome_kind_name(OUTCOME_KIND_COUNT), "none");
	cr_expect_str_eq(outcome_color_name(OUTCOME_GREEN), "green");
	cr_expect_str_eq(outcome_color_name(OUTCOME_YELLOW), "yellow");
	cr_expect_str_eq(outcome_color_name(OUTCOME_RED), "red");
}

/* Every kind has a distinct name, and a status whose colour is not "none". */
Test(outcome, every_kind_is_named)
{
	struct outcome o = {0};

	for (int i = 1; i < OUTCOME_KIND_COUNT; i++) {
		cr_expect_str_neq(outcome_kind_name(i), "none", "kind %d", i);
		for (int k = 1; k < i; k++)
			cr_expect_str_neq(outcome_kind_name(i), outcome_kind_name(k));
		o.kind = i;
		cr_expect_neq(outcome_status(&o), OUTCOME_STATUS_NONE, "kind %d", i);
	}
}

Test(outcome, log_ref_is_replaced_and_kept_for_unclassified)
{
	struct outcome o;

	outcome_failed_timeout(&o, 3);
	outcome_set_log_ref(&o, "a");
	outcome_set_log_ref(&o, "b");
	cr_expect_str_eq(o.log_ref, "b");
	outcome_set_log_ref(&o, NULL);
	cr_expect_null(o.log_ref);
	outcome_release(&o);
	outcome_failed_unclassified(&o, "log", NULL);
	outcome_set_log_ref(&o, NULL);
	cr_expect_str_eq(o.log_ref, "log");
	outcome_release(&o);
}

Test(outcome, time_forms)
{
	static const char *const good[] = {"2026-06-02T10:00:00Z", "2026-06-02T10:00:00.123Z",
	    "2026-06-02T12:00:00+02:00", "2026-06-02T05:00:00-05:00"};
	struct strbuf err = STRBUF_INIT;
	struct outcome o;
	json_t *j;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		j = json_pack("{s:s, s:{s:s, s:s}}", "status", "passed", "note", "kind",
		    "operator_confirmed", "at", good[i]);
		cr_expect_eq(outcome_from_json(&o, j, &err), 0, "%s: %s", good[i], err.buf);
		outcome_release(&o);
		json_decref(j);
	}
	strbuf_release(&err);
}

Test(outcome, constructors_keep_json_valid)
{
	struct strbuf err = STRBUF_INIT;
	struct outcome o, back;
	json_t *j;

	outcome_failed_boot_exited_early(&o, 300);
	cr_expect_eq(o.boot_exited_early.exit_code, 255);
	outcome_release(&o);
	outcome_failed_timeout(&o, -3);
	cr_expect_eq(o.timeout.after_s, 0);
	outcome_release(&o);
	outcome_failed_cargo_test(&o, -1, NULL);
	cr_expect_eq(o.cargo_test.failed_count, 0);
	outcome_release(&o);
	outcome_failed_spawn_failed(&o, NULL);
	j = outcome_to_json(&o);
	cr_expect_eq(outcome_from_json(&back, j, &err), 0, "%s", err.buf);
	cr_expect_str_eq(back.spawn_failed.os_error, "?");
	outcome_release(&back);
	outcome_release(&o);
	json_decref(j);
	strbuf_release(&err);
}
