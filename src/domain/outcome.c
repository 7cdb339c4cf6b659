/* outcome.c - the typed gate outcome: its kinds, constructors and names; see outcome.h. */
#include "domain/outcome.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "domain/outcome_int.h"
#include "domain/version.h"

#define OFF(member) offsetof(struct outcome, member)

const struct outcome_kind_def outcome_kinds[OUTCOME_KIND_COUNT] = {
    [OUTCOME_NONE] = {"none", OUTCOME_STATUS_NONE, {{0}}},
    [OUTCOME_STAYED_UP] = {"stayed_up", OUTCOME_PASSED,
        {{"duration_s", OF_NUM, OFF(stayed_up.duration_s)}}},
    [OUTCOME_BURN_IN_ELAPSED] = {"burn_in_elapsed", OUTCOME_PASSED,
        {{"hours", OF_NUM, OFF(burn_in_elapsed.hours)}}},
    [OUTCOME_MIGRATED] = {"migrated", OUTCOME_PASSED,
        {{"backup", OF_STR, OFF(migrated.backup)}, {"count", OF_INT_OPT, OFF(migrated.count)}}},
    [OUTCOME_TESTS_PASSED] = {"tests_passed", OUTCOME_PASSED,
        {{"count", OF_INT_OPT, OFF(tests_passed.count)},
            {"duration_s", OF_NUM, OFF(tests_passed.duration_s)}}},
    [OUTCOME_OPERATOR_CONFIRMED] = {"operator_confirmed", OUTCOME_PASSED,
        {{"at", OF_TIME, OFF(operator_confirmed.at)}}},
    [OUTCOME_COMMAND_SUCCEEDED] = {"command_succeeded", OUTCOME_PASSED,
        {{"duration_s", OF_NUM, OFF(command_succeeded.duration_s)}}},
    [OUTCOME_CARGO_TEST] = {"cargo_test", OUTCOME_FAILED,
        {{"failed_count", OF_INT, OFF(cargo_test.failed_count)},
            {"first_failed", OF_STR_OPT, OFF(cargo_test.first_failed)}}},
    [OUTCOME_MIGRATION_DRIFT] = {"migration_drift", OUTCOME_FAILED,
        {{"migration", OF_STR_OPT, OFF(migration_drift.migration)}}},
    [OUTCOME_MIGRATION_MODIFIED] = {"migration_modified", OUTCOME_FAILED,
        {{"migration", OF_STR_OPT, OFF(migration_modified.migration)}}},
    [OUTCOME_MIGRATION_SQL_ERROR] = {"migration_sql_error", OUTCOME_FAILED,
        {{"migration", OF_STR_OPT, OFF(migration_sql_error.migration)},
            {"sqlstate", OF_SQLSTATE_OPT, OFF(migration_sql_error.sqlstate)}}},
    [OUTCOME_RESTORE_FAILED] = {"restore_failed", OUTCOME_FAILED, {{0}}},
    [OUTCOME_BOOT_PANIC] = {"boot_panic", OUTCOME_FAILED,
        {{"exit_code", OF_CODE, OFF(boot_panic.exit_code)}}},
    [OUTCOME_BOOT_EXITED_EARLY] = {"boot_exited_early", OUTCOME_FAILED,
        {{"exit_code", OF_CODE, OFF(boot_exited_early.exit_code)}}},
    [OUTCOME_SPAWN_FAILED] = {"spawn_failed", OUTCOME_FAILED,
        {{"os_error", OF_STR, OFF(spawn_failed.os_error)}}},
    [OUTCOME_TIMEOUT] = {"timeout", OUTCOME_FAILED, {{"after_s", OF_NUM, OFF(timeout.after_s)}}},
    [OUTCOME_UNCLASSIFIED] = {"unclassified", OUTCOME_FAILED,
        {{"message", OF_STR_OPT, OFF(unclassified.message)}}},
    [OUTCOME_BURN_IN_REMAINING] = {"burn_in_remaining", OUTCOME_BLOCKED,
        {{"hours", OF_NUM, OFF(burn_in_remaining.hours)},
            {"total", OF_NUM, OFF(burn_in_remaining.total)}}},
    [OUTCOME_BURN_IN_CLOCK_NOT_STARTED] = {"burn_in_clock_not_started", OUTCOME_BLOCKED, {{0}}},
    [OUTCOME_AWAITING_OPERATOR_CONFIRMATION] = {"awaiting_operator_confirmation", OUTCOME_BLOCKED,
        {{0}}},
    [OUTCOME_NO_BACKUP_AVAILABLE] = {"no_backup_available", OUTCOME_BLOCKED, {{0}}},
    [OUTCOME_SCRATCH_DB_URL_UNSET] = {"scratch_db_url_unset", OUTCOME_BLOCKED, {{0}}},
    [OUTCOME_ARTIFACT_MISSING] = {"artifact_missing", OUTCOME_BLOCKED,
        {{"version", OF_VERSION, OFF(artifact_missing.version)}}},
};

const char *const outcome_status_names[] = {"none", "passed", "failed", "blocked"};

/* ---- strings ---- */

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0; /* overlong, surrogate or above U+10FFFF */
	return len;
}

/* Whether s is a string an outcome may hold: 1..OUTCOME_STR_MAX bytes of UTF-8, no controls. */
int
outcome_str_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;

	if (n == 0 || n > OUTCOME_STR_MAX)
		return 0;
	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f || (k = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* A clean copy of s: controls and bad UTF-8 become '?', NULL or "" is "?", cut to the maximum. */
char *
outcome_str_dup(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s != NULL ? strlen(s) : 0, i = 0, k;
	struct strbuf sb = STRBUF_INIT;

	if (n == 0)
		return xstrdup("?");
	while (i < n) {
		k = (p[i] < 0x20 || p[i] == 0x7f) ? 0 : utf8_seq(p + i, n - i);
		if (sb.len + (k ? k : 1) > OUTCOME_STR_MAX)
			break;
		if (k == 0) {
			strbuf_addch(&sb, '?');
			i++;
		} else {
			strbuf_add(&sb, p + i, k);
			i += k;
		}
	}
	return strbuf_detach(&sb, NULL);
}

static char *
str_opt(const char *s)
{
	return s ? outcome_str_dup(s) : NULL;
}

static int
valid_sqlstate(const char *s)
{
	if (strlen(s) != 5)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

static int
valid_version(const char *s)
{
	return version_valid(s, strlen(s));
}

/* s after a prefix matching pattern ('d' a digit, other bytes themselves), or NULL. */
static const char *
match_digits(const char *s, const char *pattern)
{
	for (; *pattern; pattern++, s++) {
		if (*pattern == 'd' ? !(*s >= '0' && *s <= '9') : *s != *pattern)
			return NULL;
	}
	return s;
}

/* RFC 3339: 2026-06-02T10:00:00Z, optional fraction, Z or +hh:mm / -hh:mm. */
static int
valid_timestamp(const char *s)
{
	if ((s = match_digits(s, "dddd-dd-ddTdd:dd:dd")) == NULL)
		return 0;
	if (*s == '.') {
		if (!(s[1] >= '0' && s[1] <= '9'))
			return 0;
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	}
	if (*s == 'Z')
		return s[1] == '\0';
	if (*s != '+' && *s != '-')
		return 0;
	s = match_digits(s + 1, "dd:dd");
	return s != NULL && *s == '\0';
}

int
outcome_field_is_str(enum outcome_field_type type)
{
	return type >= OF_STR;
}

int
outcome_field_optional(enum outcome_field_type type)
{
	return type == OF_INT_OPT || type == OF_STR_OPT || type == OF_SQLSTATE_OPT;
}

const char *
outcome_field_invalid(enum outcome_field_type type, const char *s)
{
	switch (type) {
	case OF_TIME:
		return valid_timestamp(s) ? NULL : "an RFC 3339 time";
	case OF_VERSION:
		return valid_version(s) ? NULL : "a semver version";
	case OF_SQLSTATE_OPT:
		return valid_sqlstate(s) ? NULL : "five characters of [0-9A-Z]";
	default:
		return NULL;
	}
}

/* ---- constructors ---- */

/* A duration or number of hours as the JSON form allows: finite and >= 0. */
static double
nonneg(double d)
{
	return isfinite(d) && d > 0 ? d : 0;
}

/* An exit code as the JSON form allows: 0..255. */
static int
exit_code(int code)
{
	return code < 0 ? 0 : code > 255 ? 255 : code;
}

static void
outcome_set(struct outcome *o, enum outcome_kind kind)
{
	memset(o, 0, sizeof *o);
	o->kind = kind;
}

void
outcome_passed_stayed_up(struct outcome *o, double duration_s)
{
	outcome_set(o, OUTCOME_STAYED_UP);
	o->stayed_up.duration_s = nonneg(duration_s);
}

void
outcome_passed_burn_in_elapsed(struct outcome *o, double hours)
{
	outcome_set(o, OUTCOME_BURN_IN_ELAPSED);
	o->burn_in_elapsed.hours = nonneg(hours);
}

void
outcome_passed_migrated(struct outcome *o, const char *backup, int64_t count)
{
	outcome_set(o, OUTCOME_MIGRATED);
	o->migrated.backup = outcome_str_dup(backup);
	o->migrated.count = count < 0 ? OUTCOME_COUNT_UNKNOWN : count;
}

void
outcome_passed_tests_passed(struct outcome *o, int64_t count, double duration_s)
{
	outcome_set(o, OUTCOME_TESTS_PASSED);
	o->tests_passed.count = count < 0 ? OUTCOME_COUNT_UNKNOWN : count;
	o->tests_passed.duration_s = nonneg(duration_s);
}

void
outcome_passed_operator_confirmed(struct outcome *o, const char *at)
{
	outcome_set(o, OUTCOME_OPERATOR_CONFIRMED);
	o->operator_confirmed.at = outcome_str_dup(at);
}

void
outcome_passed_command_succeeded(struct outcome *o, double duration_s)
{
	outcome_set(o, OUTCOME_COMMAND_SUCCEEDED);
	o->command_succeeded.duration_s = nonneg(duration_s);
}

void
outcome_failed_cargo_test(struct outcome *o, int64_t failed_count, const char *first_failed)
{
	outcome_set(o, OUTCOME_CARGO_TEST);
	o->cargo_test.failed_count = failed_count < 0 ? 0 : failed_count;
	o->cargo_test.first_failed = str_opt(first_failed);
}

void
outcome_failed_migration_drift(struct outcome *o, const char *migration)
{
	outcome_set(o, OUTCOME_MIGRATION_DRIFT);
	o->migration_drift.migration = str_opt(migration);
}

void
outcome_failed_migration_modified(struct outcome *o, const char *migration)
{
	outcome_set(o, OUTCOME_MIGRATION_MODIFIED);
	o->migration_modified.migration = str_opt(migration);
}

void
outcome_failed_migration_sql_error(struct outcome *o, const char *migration, const char *sqlstate)
{
	outcome_set(o, OUTCOME_MIGRATION_SQL_ERROR);
	o->migration_sql_error.migration = str_opt(migration);
	if (sqlstate != NULL && valid_sqlstate(sqlstate))
		o->migration_sql_error.sqlstate = xstrdup(sqlstate);
}

void
outcome_failed_restore_failed(struct outcome *o)
{
	outcome_set(o, OUTCOME_RESTORE_FAILED);
}

void
outcome_failed_boot_panic(struct outcome *o, int code)
{
	outcome_set(o, OUTCOME_BOOT_PANIC);
	o->boot_panic.exit_code = exit_code(code);
}

void
outcome_failed_boot_exited_early(struct outcome *o, int code)
{
	outcome_set(o, OUTCOME_BOOT_EXITED_EARLY);
	o->boot_exited_early.exit_code = exit_code(code);
}

void
outcome_failed_spawn_failed(struct outcome *o, const char *os_error)
{
	outcome_set(o, OUTCOME_SPAWN_FAILED);
	o->spawn_failed.os_error = outcome_str_dup(os_error);
}

void
outcome_failed_timeout(struct outcome *o, double after_s)
{
	outcome_set(o, OUTCOME_TIMEOUT);
	o->timeout.after_s = nonneg(after_s);
}

void
outcome_failed_unclassified(struct outcome *o, const char *log_ref, const char *message)
{
	if (log_ref == NULL)
		fatalx("unclassified outcome without a log");
	outcome_set(o, OUTCOME_UNCLASSIFIED);
	o->log_ref = outcome_str_dup(log_ref);
	o->unclassified.message = str_opt(message);
}

void
outcome_blocked_burn_in_remaining(struct outcome *o, double hours, double total)
{
	outcome_set(o, OUTCOME_BURN_IN_REMAINING);
	o->burn_in_remaining.hours = nonneg(hours);
	o->burn_in_remaining.total = nonneg(total);
}

void
outcome_blocked_burn_in_clock_not_started(struct outcome *o)
{
	outcome_set(o, OUTCOME_BURN_IN_CLOCK_NOT_STARTED);
}

void
outcome_blocked_awaiting_operator_confirmation(struct outcome *o)
{
	outcome_set(o, OUTCOME_AWAITING_OPERATOR_CONFIRMATION);
}

void
outcome_blocked_no_backup_available(struct outcome *o)
{
	outcome_set(o, OUTCOME_NO_BACKUP_AVAILABLE);
}

void
outcome_blocked_scratch_db_url_unset(struct outcome *o)
{
	outcome_set(o, OUTCOME_SCRATCH_DB_URL_UNSET);
}

void
outcome_blocked_artifact_missing(struct outcome *o, const char *version)
{
	outcome_set(o, OUTCOME_ARTIFACT_MISSING);
	o->artifact_missing.version = outcome_str_dup(version);
}

void
outcome_set_log_ref(struct outcome *o, const char *log_ref)
{
	if (log_ref == NULL && o->kind == OUTCOME_UNCLASSIFIED)
		return;
	free(o->log_ref);
	o->log_ref = str_opt(log_ref);
}

void
outcome_release(struct outcome *o)
{
	const struct outcome_kind_def *k;
	int i;

	if ((unsigned)o->kind < OUTCOME_KIND_COUNT) {
		k = &outcome_kinds[o->kind];
		for (i = 0; i < OUTCOME_FIELDS_MAX && k->fields[i].name != NULL; i++)
			if (outcome_field_is_str(k->fields[i].type))
				free(*FIELD_AT(o, &k->fields[i], char *));
	}
	free(o->log_ref);
	memset(o, 0, sizeof *o);
}

/* ---- names ---- */

enum outcome_status
outcome_status(const struct outcome *o)
{
	return (unsigned)o->kind < OUTCOME_KIND_COUNT ? outcome_kinds[o->kind].status
	                                              : OUTCOME_STATUS_NONE;
}

const char *
outcome_status_name(enum outcome_status status)
{
	return (unsigned)status <= OUTCOME_BLOCKED ? outcome_status_names[status] : "none";
}

const char *
outcome_kind_name(enum outcome_kind kind)
{
	return (unsigned)kind < OUTCOME_KIND_COUNT ? outcome_kinds[kind].name : "none";
}

enum outcome_color
outcome_color(const struct outcome *o)
{
	switch (outcome_status(o)) {
	case OUTCOME_PASSED:
		return OUTCOME_GREEN;
	case OUTCOME_BLOCKED:
		return OUTCOME_YELLOW;
	case OUTCOME_FAILED:
		return OUTCOME_RED;
	default:
		return OUTCOME_COLOR_NONE;
	}
}

const char *
outcome_color_name(enum outcome_color color)
{
	static const char *const names[] = {"", "green", "yellow", "red"};

	return (unsigned)color <= OUTCOME_RED ? names[color] : "";
}
