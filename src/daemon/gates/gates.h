/*
 * gates: the gate engine (DESIGN.md sections 1, 2 and 5).
 *
 * When a version lands on a tier (after its build for the first tier, after a
 * promote for the others), gates_start runs the tier's automated gates
 * (cargo_test, test, migration_dry_run, boot_smoke, command) one after the
 * other in their configured order.  Each run is a gate_runs row written
 * before it starts (status NULL) and finished after with its typed outcome
 * and log_ref; events gate_start, gate_log_chunk (live only) and gate_done
 * tell subscribers.  The sequence stops at the first failed gate (blocked
 * ones do not stop it).  When every automated gate of the first tier passed,
 * the first tier's state advances to the version.  burn_in and
 * manual_confirm are not run: they are evaluated (burn_in on a timer that
 * records a passing run when a clock runs out, see gates_burn_in_schedule).
 *
 * One sequence per tier at a time: starting another cancels the one in
 * flight (its running gate is recorded interrupted).  The engine's state
 * hangs off struct daemon and lives until gates_shutdown.
 */
#ifndef SANDO_GATES_H
#define SANDO_GATES_H

#include <stdint.h>

#include "core/strbuf.h"

struct daemon;
struct tier_config;

/* Set up the engine (the burn-in timer) once the store and loop are ready. */
void gates_init(struct daemon *d);

/* Run tier t's automated gates for version (staged by build build_id, whose
 * worktree test gates run in); a sequence already running on t is cancelled
 * first.  0, or -1 with err. */
int gates_start(struct daemon *d, const struct tier_config *t, const char *version,
    int64_t build_id, struct strbuf *err);

/* Cancel the sequence running on t, if any (why goes to its log and event). */
void gates_cancel(struct daemon *d, const struct tier_config *t, const char *why);

/* Whether gate run id is still running (its log may still grow). */
int gates_run_active(const struct daemon *d, int64_t run_id);

/* The id of the run in flight for gate on tier at version, or 0. */
int64_t gates_running_id(
    const struct daemon *d, const char *tier, const char *version, const char *gate);

/* Re-arm the burn-in timer for the tiers' current clocks (after any change
 * of a tier's current version or burn-in start). */
void gates_burn_in_schedule(struct daemon *d);

/* Cancel every sequence and close the engine's handles (daemon shutdown). */
void gates_shutdown(struct daemon *d);

/* Free the engine after the loop has stopped. */
void gates_free(struct daemon *d);

#endif
