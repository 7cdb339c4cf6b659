/*
 * classify: pure functions from a gate's raw result (how its process ended,
 * how long it ran, its log text) to a typed outcome (domain/outcome.h), one
 * per gate kind, as DESIGN.md section 5 asks.  No I/O, no clock, no globals:
 * the same input always gives the same outcome, so every rule is unit-tested
 * on captured logs (tests/fixtures/classify/).
 *
 * Rules:
 * - Every classifier first checks what every kind shares (classify_common):
 *   a program that could not be started is spawn_failed {os_error}, and one
 *   stopped by its timeout is timeout {after_s}.  boot_smoke is the
 *   exception for the timeout: there the runner stopping the process at the
 *   end of the window is the passing case.
 * - What a classifier cannot recognise is unclassified, with a short message
 *   ("exit status 2", "killed by SIGSEGV") and always the log_ref.
 * - Every outcome a classifier returns carries raw->log_ref (when set), not
 *   only the failures.  raw->log_ref must be set for any run that may end
 *   unclassified (that is, every run: a gate's log always exists).
 * - The log is the text the gate printed (stdout and stderr merged), not
 *   necessarily NUL-terminated and possibly containing NUL bytes; lines end
 *   in "\n" or "\r\n".  Counts summed over the whole log (cargo prints one
 *   `test result:` line per test binary) need the whole log: pass the log
 *   file, not only proc's in-memory tail, when it may exceed that tail.
 *
 * Ownership: the classifiers read raw and its strings and write *out, which
 * they initialise completely (release it first if it held an outcome); the
 * caller releases *out with outcome_release.
 */
#ifndef SANDO_CLASSIFY_H
#define SANDO_CLASSIFY_H

#include <stddef.h>

#include "core/proc.h"
#include "domain/outcome.h"

/* How a gate's process ended, and what it printed. */
struct gate_raw {
	int spawned;             /* 0: the program could not be started */
	const char *spawn_error; /* why not ("no such file or directory"), or NULL */
	int exited;              /* 1: exited normally with exit_status */
	int exit_status;
	int term_signal;   /* the signal that ended it, or 0 */
	int timed_out;     /* stopped by the runner at timeout_s */
	double timeout_s;  /* the gate's timeout */
	double duration_s; /* how long it ran */
	const char *log;   /* the output, log_len bytes */
	size_t log_len;
	const char *log_ref; /* the id of the gate's log, for the outcome */
};

/* Fill raw from a proc result (its in-memory tail as the log); log_ref is borrowed. */
void gate_raw_from_proc(
    struct gate_raw *raw, const struct proc_result *r, double timeout_s, const char *log_ref);

/* The spawn_failed or timeout outcome when raw is one: 1 with *out set, else 0. */
int classify_common(const struct gate_raw *raw, struct outcome *out);

/* cargo_test and test: tests_passed {count, duration_s} on exit 0, else cargo_test
 * {failed_count, first_failed} from cargo's, TAP's or an "N passed, M failed" summary. */
void classify_test(const struct gate_raw *raw, struct outcome *out);

/* boot_smoke: stayed_up when the process ran required_s (the runner stopped it),
 * boot_panic on a Rust panic or exit 101, boot_exited_early otherwise; health_error
 * (NULL when the health check passed or there is none) makes a process that stayed
 * up unclassified with "health check failed: <health_error>". */
void classify_boot(
    const struct gate_raw *raw, double required_s, const char *health_error, struct outcome *out);

/* migration_dry_run: restore_failed when the caller's restore of the backup failed
 * (the command did not run), migrated {backup, count} on exit 0, else
 * migration_modified, migration_drift or migration_sql_error from the output. */
void classify_migration(
    const struct gate_raw *raw, const char *backup, int restore_failed, struct outcome *out);

/* command: command_succeeded {duration_s} on exit 0, else unclassified. */
void classify_command(const struct gate_raw *raw, struct outcome *out);

#endif
