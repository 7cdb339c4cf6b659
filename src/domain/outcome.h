/*
 * outcome: the typed gate outcome of DESIGN.md section 5, shared by daemon,
 * client and agent.  A gate run ends in exactly one outcome:
 *
 * - passed, with a note: stayed_up {duration_s}, burn_in_elapsed {hours},
 *   migrated {backup, count?}, tests_passed {count?, duration_s},
 *   operator_confirmed {at}, command_succeeded {duration_s};
 * - failed, with a classified failure: cargo_test {failed_count,
 *   first_failed?}, migration_drift {migration?}, migration_modified
 *   {migration?}, migration_sql_error {migration?, sqlstate?},
 *   restore_failed, boot_panic {exit_code}, boot_exited_early {exit_code},
 *   spawn_failed {os_error}, timeout {after_s}, unclassified {message?};
 * - blocked, with a reason that is not a defect: burn_in_remaining {hours,
 *   total}, burn_in_clock_not_started, awaiting_operator_confirmation,
 *   no_backup_available, scratch_db_url_unset, artifact_missing {version}.
 *
 * Fields marked '?' are optional (see "Additions" below); every other field
 * is required.  Any outcome may carry a log_ref (the id of the gate's log);
 * an unclassified failure always does.
 *
 * JSON (the only string form; outcomes are parsed once at the edge with
 * outcome_from_json and never lowered back to strings inside the program):
 *
 *   {"status":"passed","note":{"kind":"tests_passed","count":44,"duration_s":1.5}}
 *   {"status":"failed","failure":{"kind":"cargo_test","failed_count":3,
 *    "first_failed":"foo::bar"},"log_ref":"..."}
 *   {"status":"blocked","reason":{"kind":"burn_in_remaining","hours":47,"total":48}}
 *
 * The member holding the kind is "note", "failure" or "reason" by status.
 * Whole numbers are written as JSON integers (47, not 47.0).  Optional
 * fields that are unset are left out.  Parsing is strict: an unknown status
 * or kind, a kind under the wrong status, a missing required field, a field
 * of the wrong type or out of range, or the member of another status is an
 * error.  Members the reader does not know are ignored, so fields can be
 * added later (like /state's "more fields may be added").
 *
 * Additions to DESIGN.md's list: the passed note
 * command_succeeded {duration_s} for `command` gates; the optional fields
 * tests_passed.count and migrated.count (unknown when the output printed no
 * count), cargo_test.first_failed, migration_drift.migration and
 * migration_modified.migration, migration_sql_error.migration and .sqlstate
 * (a tool may name neither), and unclassified.message (a short cause such as
 * "exit status 2", "killed by SIGSEGV" or "health check failed: ...").
 *
 * Ownership: a struct outcome owns its strings (log_ref and every string
 * field).  Constructors and outcome_from_json initialise the whole struct
 * and copy the strings they are given; they do not free what o held before,
 * so release an outcome before building another in it.  outcome_release
 * frees the strings and leaves o zeroed (kind OUTCOME_NONE), which is also
 * the state of `struct outcome o = {0}`; releasing twice is harmless.
 * Strings are copied "clean": control characters and bytes that are not
 * UTF-8 become '?', an empty string becomes "?", and the copy is cut to
 * OUTCOME_STR_MAX bytes, so an outcome is always valid JSON and safe to print
 * on a terminal; outcome_from_json refuses strings that are not clean.
 * exit_code is the exit status, or 128 + the signal number for a process
 * ended by a signal (the shell's convention).
 */
#ifndef SANDO_DOMAIN_OUTCOME_H
#define SANDO_DOMAIN_OUTCOME_H

#include <jansson.h>
#include <stdint.h>

#include "core/strbuf.h"

enum outcome_status {
	OUTCOME_STATUS_NONE, /* no outcome (zeroed or released); not valid JSON */
	OUTCOME_PASSED,
	OUTCOME_FAILED,
	OUTCOME_BLOCKED,
};

enum outcome_kind {
	OUTCOME_NONE,
	/* passed */
	OUTCOME_STAYED_UP,
	OUTCOME_BURN_IN_ELAPSED,
	OUTCOME_MIGRATED,
	OUTCOME_TESTS_PASSED,
	OUTCOME_OPERATOR_CONFIRMED,
	OUTCOME_COMMAND_SUCCEEDED,
	/* failed */
	OUTCOME_CARGO_TEST,
	OUTCOME_MIGRATION_DRIFT,
	OUTCOME_MIGRATION_MODIFIED,
	OUTCOME_MIGRATION_SQL_ERROR,
	OUTCOME_RESTORE_FAILED,
	OUTCOME_BOOT_PANIC,
	OUTCOME_BOOT_EXITED_EARLY,
	OUTCOME_SPAWN_FAILED,
	OUTCOME_TIMEOUT,
	OUTCOME_UNCLASSIFIED,
	/* blocked */
	OUTCOME_BURN_IN_REMAINING,
	OUTCOME_BURN_IN_CLOCK_NOT_STARTED,
	OUTCOME_AWAITING_OPERATOR_CONFIRMATION,
	OUTCOME_NO_BACKUP_AVAILABLE,
	OUTCOME_SCRATCH_DB_URL_UNSET,
	OUTCOME_ARTIFACT_MISSING,
	OUTCOME_KIND_COUNT
};

/* The colour every client shows an outcome in. */
enum outcome_color {
	OUTCOME_COLOR_NONE, /* no outcome: the client's default */
	OUTCOME_GREEN,      /* passed */
	OUTCOME_YELLOW,     /* blocked */
	OUTCOME_RED,        /* failed */
};

/* An optional count (tests_passed.count, migrated.count) that is unset. */
#define OUTCOME_COUNT_UNKNOWN (-1)

/* The longest string an outcome holds, in bytes. */
#define OUTCOME_STR_MAX 512

struct outcome {
	enum outcome_kind kind;
	char *log_ref; /* NULL: none; never NULL for OUTCOME_UNCLASSIFIED */
	union {
		struct {
			double duration_s;
		} stayed_up, command_succeeded;
		struct {
			double hours;
		} burn_in_elapsed;
		struct {
			char *backup;
			int64_t count;
		} migrated;
		struct {
			int64_t count;
			double duration_s;
		} tests_passed;
		struct {
			char *at; /* RFC 3339 */
		} operator_confirmed;
		struct {
			int64_t failed_count;
			char *first_failed;
		} cargo_test;
		struct {
			char *migration;
		} migration_drift, migration_modified;
		struct {
			char *migration;
			char *sqlstate; /* five characters of [0-9A-Z] */
		} migration_sql_error;
		struct {
			int exit_code;
		} boot_panic, boot_exited_early;
		struct {
			char *os_error;
		} spawn_failed;
		struct {
			double after_s;
		} timeout;
		struct {
			char *message;
		} unclassified;
		struct {
			double hours, total;
		} burn_in_remaining;
		struct {
			char *version; /* semver */
		} artifact_missing;
	};
};

/*
 * Constructors: each initialises all of o (see Ownership) with clean copies of
 * its strings.  Numbers are clamped to what the JSON form allows (durations and
 * hours >= 0, exit codes 0..255), so outcome_to_json's output always parses
 * back; the callers pass at as RFC 3339 and version as a valid semver.
 */
void outcome_passed_stayed_up(struct outcome *o, double duration_s);
void outcome_passed_burn_in_elapsed(struct outcome *o, double hours);
/* count may be OUTCOME_COUNT_UNKNOWN. */
void outcome_passed_migrated(struct outcome *o, const char *backup, int64_t count);
/* count may be OUTCOME_COUNT_UNKNOWN. */
void outcome_passed_tests_passed(struct outcome *o, int64_t count, double duration_s);
void outcome_passed_operator_confirmed(struct outcome *o, const char *at);
void outcome_passed_command_succeeded(struct outcome *o, double duration_s);
/* first_failed may be NULL. */
void outcome_failed_cargo_test(struct outcome *o, int64_t failed_count, const char *first_failed);
/* migration may be NULL. */
void outcome_failed_migration_drift(struct outcome *o, const char *migration);
/* migration may be NULL. */
void outcome_failed_migration_modified(struct outcome *o, const char *migration);
/* migration and sqlstate may be NULL. */
void outcome_failed_migration_sql_error(
    struct outcome *o, const char *migration, const char *sqlstate);
void outcome_failed_restore_failed(struct outcome *o);
void outcome_failed_boot_panic(struct outcome *o, int exit_code);
void outcome_failed_boot_exited_early(struct outcome *o, int exit_code);
void outcome_failed_spawn_failed(struct outcome *o, const char *os_error);
void outcome_failed_timeout(struct outcome *o, double after_s);
/* log_ref is required (a NULL log_ref is a programming error: fatalx); message may be NULL. */
void outcome_failed_unclassified(struct outcome *o, const char *log_ref, const char *message);
void outcome_blocked_burn_in_remaining(struct outcome *o, double hours, double total);
void outcome_blocked_burn_in_clock_not_started(struct outcome *o);
void outcome_blocked_awaiting_operator_confirmation(struct outcome *o);
void outcome_blocked_no_backup_available(struct outcome *o);
void outcome_blocked_scratch_db_url_unset(struct outcome *o);
void outcome_blocked_artifact_missing(struct outcome *o, const char *version);

/* Replace o's log_ref with a copy of log_ref (NULL clears it, except for unclassified). */
void outcome_set_log_ref(struct outcome *o, const char *log_ref);

/* Free o's strings and leave it zeroed (OUTCOME_NONE). */
void outcome_release(struct outcome *o);

/* The outcome's status, derived from its kind. */
enum outcome_status outcome_status(const struct outcome *o);

/* The status's JSON name ("passed"), or "none". */
const char *outcome_status_name(enum outcome_status status);

/* The kind's JSON name ("cargo_test"), or "none". */
const char *outcome_kind_name(enum outcome_kind kind);

/* A new JSON object for o (caller decrefs); json null for OUTCOME_NONE. */
json_t *outcome_to_json(const struct outcome *o);

/* Parse j into o: 0, or -1 with a message in err and o zeroed. */
int outcome_from_json(struct outcome *o, const json_t *j, struct strbuf *err);

/* Append the one-line operator summary ("tests failed: 3 (first: foo::bar)") to sb. */
void outcome_summary(const struct outcome *o, struct strbuf *sb);

/* Green for passed, yellow for blocked, red for failed. */
enum outcome_color outcome_color(const struct outcome *o);

/* The colour's name ("green"), for CSS classes and --json output; "" for none. */
const char *outcome_color_name(enum outcome_color color);

#endif
