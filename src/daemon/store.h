/*
 * store: the daemon's state in SQLite (DESIGN.md section 6).
 *
 * store_open takes an exclusive lock file beside the database (a second
 * sandod on the same database is refused, naming the holder's pid), opens the
 * database read-write (never creating it over a corrupt or unreadable file),
 * sets WAL and foreign keys, and applies the numbered migrations that are not
 * yet applied, each in its own transaction.  A database whose schema is newer
 * than the migrations given is refused.  Then store_recover marks what was in
 * flight when the last daemon died as interrupted and frees tier locks.
 *
 * Every function returns 0 or -1 with a message in err (lowercase, values
 * quoted); strings handed out are owned by the caller.
 */
#ifndef SANDO_STORE_H
#define SANDO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/strbuf.h"
#include "core/strvec.h"

struct store;
struct topology;

struct store_migration {
	int version;
	const char *name;
	const char *sql;
};

/* The migrations built into sandod (generated from src/daemon/migrations/). */
extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;

/* Open path (":memory:" allowed, without a lock file) and migrate it with
 * migrations[0..n).  0 with *out set, or -1 with err. */
int store_open(struct store **out, const char *path, const struct store_migration *migrations,
    size_t n, struct strbuf *err);

/* Close the database (checkpointing WAL) and release the lock file. */
void store_close(struct store *st);

/* The highest applied migration version. */
int store_schema_version(struct store *st);

/* Mark rows left in flight by a dead daemon 'interrupted' and clear stale
 * tier locks; the number of rows changed goes to *changed. */
int store_recover(struct store *st, int *changed, struct strbuf *err);

/* Bring tiers and nodes in line with the topology in one transaction:
 * renamed_from tiers take over their old rows, new tiers and nodes are added,
 * tiers and nodes that left are kept and marked retired. */
int store_sync_topology(struct store *st, const struct topology *topo, struct strbuf *err);

/* A tier's row of tier_state; strings NULL when unset.  Release with
 * store_tier_state_release. */
struct store_tier_state {
	char *current_version;
	char *previous_version;
	char *burn_in_started_at;
	int frozen;
	int retired;
};

/* Read tier name's state; -1 with err if the tier is unknown. */
int store_tier_state(
    struct store *st, const char *tier, struct store_tier_state *out, struct strbuf *err);

/* Free the strings of a tier state. */
void store_tier_state_release(struct store_tier_state *ts);

/* The current version of node name into out ("" and 1 returned if unset, 0 if
 * set, -1 on error). */
int store_node_version(struct store *st, const char *node, struct strbuf *out, struct strbuf *err);

/* Insert a running build of sha; its id, or -1. */
int64_t store_build_insert(
    struct store *st, const char *sha, const char *log_ref, struct strbuf *err);

/* Set a build's log reference (relative to logs_root). */
int store_build_set_log(struct store *st, int64_t id, const char *log_ref, struct strbuf *err);

/* Record the process group of a running build's command. */
int store_build_set_pgid(struct store *st, int64_t id, int64_t pgid, struct strbuf *err);

/* Call fn for each build still marked running that recorded a process group
 * (before store_recover marks them interrupted). */
int store_running_builds(struct store *st, void (*fn)(int64_t id, int64_t pgid, void *arg),
    void *arg, struct strbuf *err);

/* Finish a running build with status ok/failed/aborted (version and error may
 * be NULL); a build that is no longer running is left alone. */
int store_build_finish(struct store *st, int64_t id, const char *status, const char *version,
    const char *error, struct strbuf *err);

/* The sha a version was staged from: 1 and sha set, 0 if not staged, -1. */
int store_version_sha(
    struct store *st, const char *version, struct strbuf *sha, struct strbuf *err);

/* Record a staged version. */
int store_version_insert(struct store *st, const char *version, const char *sha, int64_t build_id,
    const char *digest, struct strbuf *err);

/* Make version the tier's current one (the old current becomes previous; the
 * burn-in clock restarts); nothing changes if it already is current. */
int store_tier_advance(struct store *st, const char *tier, const char *version, struct strbuf *err);

/* Builds, newest first, as JSON objects (id 0: all, up to limit). */
json_t *store_builds_json(struct store *st, int64_t id, int64_t limit, struct strbuf *err);

/* Staged versions, newest first. */
json_t *store_versions_json(struct store *st, int64_t limit, struct strbuf *err);

/* The version staged last into out: 1, 0 if none yet, -1. */
int store_latest_version(struct store *st, struct strbuf *out, struct strbuf *err);

/* The build that staged version: its id, 0 if unknown, -1 on error. */
int64_t store_version_build(struct store *st, const char *version, struct strbuf *err);

/* Record a finished gate run of tier for version (outcome as JSON text);
 * its id, or -1. */
int64_t store_gate_run_record(struct store *st, const char *tier, const char *version,
    const char *gate, const char *kind, const char *status, const char *outcome_json,
    struct strbuf *err);

/* Insert a running gate run (status NULL) of gate on tier for version, before
 * the gate starts; its id, or -1 (unknown tier included). */
int64_t store_gate_run_start(struct store *st, const char *tier, const char *version,
    const char *gate, const char *kind, struct strbuf *err);

/* Set a gate run's log reference (relative to logs_root). */
int store_gate_run_set_log(struct store *st, int64_t id, const char *log_ref, struct strbuf *err);

/* Finish a running gate run with status passed/failed/blocked/interrupted and
 * its outcome (JSON text, may be NULL); a finished run is left alone. */
int store_gate_run_finish(
    struct store *st, int64_t id, const char *status, const char *outcome_json, struct strbuf *err);

/* Gate runs, newest first, filtered by id (0: any), tier and version (NULL:
 * any), as JSON objects with the outcome parsed. */
json_t *store_gate_runs_json(struct store *st, int64_t id, const char *tier, const char *version,
    int64_t limit, struct strbuf *err);

/* The newest run of gate for version (on tier, or any tier when NULL) that has
 * a log: its id with log_ref set, 0 if none, -1 on error. */
int64_t store_gate_run_find(struct store *st, const char *tier, const char *version,
    const char *gate, struct strbuf *log_ref, struct strbuf *err);

/* The version of the newest automated gate run on tier into out: 1, 0 if the
 * tier never ran one, -1 on error. */
int store_gate_pending_version(
    struct store *st, const char *tier, struct strbuf *out, struct strbuf *err);

/* The latest finished run of gate on tier for version as outcome JSON text
 * into out: 1 if there is one, 0 if not, -1 on error. */
int store_gate_latest(struct store *st, const char *tier, const char *version, const char *gate,
    struct strbuf *out, struct strbuf *err);

/* Take tier's promote/rollback lock for holder ("promote:12") held by
 * process pid: 1 taken, 0 when someone holds it (held_by names the holder
 * and since when), -1 on error. */
int store_tier_lock(struct store *st, const char *tier, const char *holder, int64_t pid,
    struct strbuf *held_by, struct strbuf *err);

/* Release tier's lock if holder holds it. */
int store_tier_unlock(struct store *st, const char *tier, const char *holder, struct strbuf *err);

/* Insert a running promote or rollback (kind) of tier to version; its id. */
int64_t store_promote_insert(struct store *st, const char *kind, const char *tier,
    const char *version, const char *from, int hotfix, const char *actor, struct strbuf *err);

/* Finish a running promote with status ok/failed (error may be NULL). */
int store_promote_finish(
    struct store *st, int64_t id, const char *status, const char *error, struct strbuf *err);

/* Set a promote's log reference (relative to logs_root). */
int store_promote_set_log(struct store *st, int64_t id, const char *log_ref, struct strbuf *err);

/* Insert a running deploy of version (from from) to node for a promote; its id. */
int64_t store_deploy_insert(struct store *st, int64_t promote_id, const char *kind,
    const char *tier, const char *node, const char *version, const char *from, struct strbuf *err);

/* Finish a deploy: ok/failed (while running), or reverted (after ok). */
int store_deploy_finish(
    struct store *st, int64_t id, const char *status, const char *outcome_json, struct strbuf *err);

/* Record the release a deploy's node had before (known after its probe). */
int store_deploy_set_from(struct store *st, int64_t id, const char *from, struct strbuf *err);

/* Record what a node's current and previous releases are. */
int store_node_set_versions(struct store *st, const char *node, const char *current,
    const char *previous, struct strbuf *err);

/* Set a tier's current and previous versions; restart_clock restarts burn-in. */
int store_tier_set_versions(struct store *st, const char *tier, const char *current,
    const char *previous, int restart_clock, struct strbuf *err);

/* Clear a tier's burn-in clock (reset_burn_in). */
int store_tier_clear_burn_in(struct store *st, const char *tier, struct strbuf *err);

/* Freeze or unfreeze tier (NULL: the global freeze) with a reason. */
int store_freeze(
    struct store *st, const char *tier, int frozen, const char *reason, struct strbuf *err);

/* Whether promotes to tier are frozen (globally or on the tier): 1 with the
 * reason in out, 0, or -1. */
int store_frozen(struct store *st, const char *tier, struct strbuf *out, struct strbuf *err);

/* Deploys, newest first, filtered by tier/version (NULL: any) and promote (0: any). */
json_t *store_deploys_json(struct store *st, const char *tier, const char *version,
    int64_t promote_id, int64_t limit, struct strbuf *err);

/* Promotes and rollbacks, newest first, by id (0: any) and tier (NULL: any). */
json_t *store_promotes_json(
    struct store *st, int64_t id, const char *tier, int64_t limit, struct strbuf *err);

/* What retention keeps (retain_releases = n): for tier, its current and
 * previous versions and the newest n promoted to it; for tier NULL (the
 * staged releases), every tier's current and previous, the newest n that
 * reached any tier, and everything staged since the first tier's current.
 * aside gets the versions whose latest promote failed (kept for inspection). */
int store_retention(struct store *st, const char *tier, int64_t n, struct strvec *keep,
    struct strvec *aside, struct strbuf *err);

/* Insert a running backup fetch (status NULL) of source (redacted) to
 * local_path; its id, or -1. */
int64_t store_backup_insert(
    struct store *st, const char *source, const char *local_path, struct strbuf *err);

/* Finish a running backup with status ok/failed/interrupted; size_bytes < 0
 * and sha256, error NULL are stored as NULL. */
int store_backup_finish(struct store *st, int64_t id, const char *status, int64_t size_bytes,
    const char *sha256, const char *error, struct strbuf *err);

/* Backups, newest first, by id (0: any), up to limit. */
json_t *store_backups_json(struct store *st, int64_t id, int64_t limit, struct strbuf *err);

/* Append to the audit log. */
int store_audit(struct store *st, const char *actor, const char *action, const char *tier,
    const char *detail_json, struct strbuf *err);

/* Metrics (store_metrics.c): aggregates over the history in a stable order
 * (tiers by position, then labels), read from running totals that the
 * database keeps up to date itself (triggers of migration 0007).  Callbacks
 * get each group: its text labels (NULL when absent; valid during the call
 * only) and its numbers (NULL as NaN).  A counter's row is its labels and
 * count; a histogram's is its labels, then count, sum and the cumulative
 * counts at each of the STORE_METRICS_NBOUNDS bounds of store_metrics_bounds
 * (seconds, increasing; fixed by that migration). */
#define STORE_METRICS_NBOUNDS 10
#define STORE_METRICS_NLABELS 4
#define STORE_METRICS_NVALUES (STORE_METRICS_NBOUNDS + 2)
extern const double store_metrics_bounds[STORE_METRICS_NBOUNDS];
struct store_metric_row {
	const char *label[STORE_METRICS_NLABELS];
	double v[STORE_METRICS_NVALUES];
};
typedef void (*store_metric_fn)(const struct store_metric_row *row, void *arg);

/* Counters (count_fn) and a histogram (hist_fn) of one table, e.g.
 * store_metrics_builds; the functions below have this type. */
typedef int (*store_metric_scan)(struct store *st, store_metric_fn count_fn,
    store_metric_fn hist_fn, void *arg, struct strbuf *err);

/* Finished builds by status; durations of ok and failed ones (no labels). */
int store_metrics_builds(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn,
    void *arg, struct strbuf *err);

/* Finished gate runs by tier, gate, status; durations of passed and failed
 * runs of automated gates by tier, gate. */
int store_metrics_gate_runs(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn,
    void *arg, struct strbuf *err);

/* Finished deploys by tier, status and failure kind (failed ones only); no
 * histogram (hist_fn is not called). */
int store_metrics_deploys(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn,
    void *arg, struct strbuf *err);

/* Finished rollbacks by tier, status; durations of successful promotes by tier. */
int store_metrics_promotes(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn,
    void *arg, struct strbuf *err);

/* Tiers in use: name, current, previous, burn-in start; that start in epoch seconds. */
int store_metrics_tiers(struct store *st, store_metric_fn fn, void *arg, struct strbuf *err);

/* DORA per tier in use over the last days (by finish time): tier;
 * successful promotes, their mean seconds since their version's staging,
 * finished promotes, failures (failed promotes and rollbacks), mean seconds
 * from a failure to the next successful promote of its tier. */
int store_metrics_dora(
    struct store *st, int64_t days, store_metric_fn fn, void *arg, struct strbuf *err);

/* A counter bumped by every write through this store; readers cache on it. */
uint64_t store_generation(const struct store *st);

/* Append the current UTC time as RFC 3339 ("2026-06-02T10:00:00Z"). */
void store_now(struct strbuf *out);

#endif
