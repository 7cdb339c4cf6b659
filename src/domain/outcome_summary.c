/* outcome_summary.c - the one-line operator summary of an outcome; see outcome.h. */
#include "domain/outcome.h"

#include <math.h>

/* Append d: whole numbers (and numbers within 0.05 of one: 0.9997 h reads
 * "1", not "1.0") without decimals, others with one (two digits if tiny). */
static void
add_num(struct strbuf *sb, double d)
{
	int in_range = isfinite(d) && d > -1e15 && d < 1e15;
	double whole = in_range ? (double)(long long)(d < 0 ? d - 0.5 : d + 0.5) : 0;

	if (in_range && d == (double)(long long)d)
		strbuf_addf(sb, "%.0f", d);
	else if (d > 0 && d < 0.05)
		strbuf_addf(sb, "%.2g", d);
	else if (in_range && whole != 0 && d - whole < 0.05 && whole - d < 0.05)
		strbuf_addf(sb, "%.0f", whole);
	else
		strbuf_addf(sb, "%.1f", d);
}

static void
summary_passed(const struct outcome *o, struct strbuf *sb)
{
	switch (o->kind) {
	case OUTCOME_STAYED_UP:
		strbuf_addstr(sb, "stayed up ");
		add_num(sb, o->stayed_up.duration_s);
		strbuf_addstr(sb, " s");
		break;
	case OUTCOME_BURN_IN_ELAPSED:
		strbuf_addstr(sb, "burn-in done: ");
		add_num(sb, o->burn_in_elapsed.hours);
		strbuf_addstr(sb, " h");
		break;
	case OUTCOME_MIGRATED:
		strbuf_addstr(sb, "migrated");
		if (o->migrated.count >= 0)
			strbuf_addf(sb, ": %lld applied", (long long)o->migrated.count);
		strbuf_addf(sb, " on backup '%s'", o->migrated.backup);
		break;
	case OUTCOME_TESTS_PASSED:
		strbuf_addstr(sb, "tests passed");
		if (o->tests_passed.count >= 0)
			strbuf_addf(sb, ": %lld", (long long)o->tests_passed.count);
		break;
	case OUTCOME_OPERATOR_CONFIRMED:
		strbuf_addf(sb, "confirmed at %s", o->operator_confirmed.at);
		break;
	default: /* OUTCOME_COMMAND_SUCCEEDED */
		strbuf_addstr(sb, "succeeded in ");
		add_num(sb, o->command_succeeded.duration_s);
		strbuf_addstr(sb, " s");
		break;
	}
}

/* "migration X failed: 42P01", with whatever of the two is known. */
static void
summary_sql_error(const struct outcome *o, struct strbuf *sb)
{
	strbuf_addstr(sb, "migration");
	if (o->migration_sql_error.migration != NULL)
		strbuf_addf(sb, " %s", o->migration_sql_error.migration);
	strbuf_addf(sb, " failed: %s",
	    o->migration_sql_error.sqlstate ? o->migration_sql_error.sqlstate : "SQL error");
}

static void
summary_failed(const struct outcome *o, struct strbuf *sb)
{
	const char *m;

	switch (o->kind) {
	case OUTCOME_CARGO_TEST:
		strbuf_addf(sb, "tests failed: %lld", (long long)o->cargo_test.failed_count);
		if (o->cargo_test.first_failed != NULL)
			strbuf_addf(sb, " (first: %s)", o->cargo_test.first_failed);
		break;
	case OUTCOME_MIGRATION_DRIFT:
		m = o->migration_drift.migration;
		strbuf_addf(
		    sb, "migration drift: %s was applied but is missing", m ? m : "a migration");
		break;
	case OUTCOME_MIGRATION_MODIFIED:
		m = o->migration_modified.migration;
		strbuf_addf(sb, "%s%s was modified after it was applied",
		    m ? "migration " : "a migration", m ? m : "");
		break;
	case OUTCOME_MIGRATION_SQL_ERROR:
		summary_sql_error(o, sb);
		break;
	case OUTCOME_RESTORE_FAILED:
		strbuf_addstr(sb, "backup restore failed");
		break;
	case OUTCOME_BOOT_PANIC:
		strbuf_addf(sb, "boot panic (exit %d)", o->boot_panic.exit_code);
		break;
	case OUTCOME_BOOT_EXITED_EARLY:
		strbuf_addf(sb, "exited early (exit %d)", o->boot_exited_early.exit_code);
		break;
	case OUTCOME_SPAWN_FAILED:
		strbuf_addf(sb, "could not start: %s", o->spawn_failed.os_error);
		break;
	case OUTCOME_TIMEOUT:
		strbuf_addstr(sb, "timed out after ");
		add_num(sb, o->timeout.after_s);
		strbuf_addstr(sb, " s");
		break;
	default: /* OUTCOME_UNCLASSIFIED */
		m = o->unclassified.message;
		strbuf_addf(sb, "failed%s%s (see log)", m ? ": " : "", m ? m : "");
		break;
	}
}

static void
summary_blocked(const struct outcome *o, struct strbuf *sb)
{
	switch (o->kind) {
	case OUTCOME_BURN_IN_REMAINING:
		strbuf_addstr(sb, "burn-in: ");
		add_num(sb, o->burn_in_remaining.hours);
		strbuf_addstr(sb, " h left");
		break;
	case OUTCOME_BURN_IN_CLOCK_NOT_STARTED:
		strbuf_addstr(sb, "burn-in clock not started");
		break;
	case OUTCOME_AWAITING_OPERATOR_CONFIRMATION:
		strbuf_addstr(sb, "awaiting confirmation");
		break;
	case OUTCOME_NO_BACKUP_AVAILABLE:
		strbuf_addstr(sb, "no backup available");
		break;
	case OUTCOME_SCRATCH_DB_URL_UNSET:
		strbuf_addstr(sb, "scratch_db_url not set");
		break;
	default: /* OUTCOME_ARTIFACT_MISSING */
		strbuf_addf(sb, "artifact %s missing", o->artifact_missing.version);
		break;
	}
}

void
outcome_summary(const struct outcome *o, struct strbuf *sb)
{
	switch (outcome_status(o)) {
	case OUTCOME_PASSED:
		summary_passed(o, sb);
		break;
	case OUTCOME_FAILED:
		summary_failed(o, sb);
		break;
	case OUTCOME_BLOCKED:
		summary_blocked(o, sb);
		break;
	default:
		strbuf_addstr(sb, "no outcome");
		break;
	}
}
