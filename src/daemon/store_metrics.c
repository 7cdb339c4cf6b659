/*
 * store_metrics: the aggregates behind GET /metrics (see store.h).
 *
 * Counters and histograms are read from metric_sums, the running totals that
 * migration 0007's triggers keep in step with every write to builds,
 * gate_runs, deploys and promotes (the history itself is never scanned: that
 * cost ~12 ms for 10,000 gate runs, bench/metrics.sh).  A group is a family,
 * a tier id (0: none) and two labels ('' for an absent one); its tier id
 * becomes the tier's name and groups come out sorted by the tier's position,
 * then labels.  Durations are whole seconds.  Only finished rows count: a
 * running build, gate run, deploy or promote shows up once it has ended.
 *
 * DORA figures depend on the time window: they are aggregated from
 * promote_dora (one small row per finished promote or rollback, kept by the
 * same migration's triggers), reading only the window's rows.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "daemon/store_int.h"

/* The bounds of metric_sums.b0..b9 (migration 0007). */
const double store_metrics_bounds[STORE_METRICS_NBOUNDS] = {
    1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600};

/* Fill row from a group of metric_sums (stepped stmt): the tier's name first
 * when tiered, then nlabels labels ('' as NULL), then n, or with hist n, sum
 * and the buckets.  0 if the group's tier is unknown. */
static int
sums_row(sqlite3_stmt *stmt, int tiered, int nlabels, int hist, struct store_metric_row *row)
{
	int k = 0;

	memset(row, 0, sizeof(*row));
	if (tiered && (row->label[k++] = (const char *)sqlite3_column_text(stmt, 0)) == NULL)
		return 0;
	for (int i = 0; i < nlabels; i++) {
		const char *l = (const char *)sqlite3_column_text(stmt, 1 + i);

		row->label[k++] = l && *l ? l : NULL;
	}
	for (int i = 0; i < (hist ? STORE_METRICS_NVALUES : 1); i++)
		row->v[i] = sqlite3_column_double(stmt, 3 + i);
	return 1;
}

/* Pass each group of family to fn (see sums_row); an untiered histogram
 * without labels and without groups is passed as zeros. */
static int
sums_read(struct store *st, const char *family, int tiered, int nlabels, int hist,
    store_metric_fn fn, void *arg, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT t.name, s.l1, s.l2, s.n, s.sum, s.b0, s.b1, s.b2, s.b3, s.b4, s.b5, s.b6, "
	    "s.b7, s.b8, s.b9 FROM metric_sums s LEFT JOIN tiers t ON t.id = s.tier_id "
	    "WHERE s.family = ?1 AND s.n != 0 ORDER BY t.position, t.id, s.l1, s.l2",
	    err, "s", family);
	struct store_metric_row row;
	int rc, nrows = 0;

	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sums_row(stmt, tiered, nlabels, hist, &row)) {
			fn(&row, arg);
			nrows++;
		}
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "read metrics");
	if (nrows == 0 && hist && !tiered && nlabels == 0) {
		memset(&row, 0, sizeof(row));
		fn(&row, arg);
	}
	return 0;
}

int
store_metrics_builds(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn, void *arg,
    struct strbuf *err)
{
	if (sums_read(st, "builds", 0, 1, 0, count_fn, arg, err) == -1)
		return -1;
	return sums_read(st, "build_seconds", 0, 0, 1, hist_fn, arg, err);
}

int
store_metrics_gate_runs(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn,
    void *arg, struct strbuf *err)
{
	if (sums_read(st, "gate_runs", 1, 2, 0, count_fn, arg, err) == -1)
		return -1;
	return sums_read(st, "gate_run_seconds", 1, 1, 1, hist_fn, arg, err);
}

int
store_metrics_deploys(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn,
    void *arg, struct strbuf *err)
{
	return sums_read(st, "deploys", 1, 2, 0, count_fn, arg, err);
}

int
store_metrics_promotes(struct store *st, store_metric_fn count_fn, store_metric_fn hist_fn,
    void *arg, struct strbuf *err)
{
	if (sums_read(st, "rollbacks", 1, 1, 0, count_fn, arg, err) == -1)
		return -1;
	return sums_read(st, "promote_seconds", 1, 0, 1, hist_fn, arg, err);
}

/* Step stmt to the end, calling fn with each row: its first nlabels columns
 * as labels, the others as numbers (NULL as NaN). */
static int
metric_rows(struct store *st, sqlite3_stmt *stmt, int nlabels, store_metric_fn fn, void *arg,
    struct strbuf *err)
{
	struct store_metric_row row;
	int rc, ncols;

	if (stmt == NULL)
		return -1;
	ncols = sqlite3_column_count(stmt);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		for (int i = 0; i < ncols; i++) {
			if (i < nlabels && i < STORE_METRICS_NLABELS)
				row.label[i] = (const char *)sqlite3_column_text(stmt, i);
			else if (i >= nlabels && i - nlabels < STORE_METRICS_NVALUES)
				row.v[i - nlabels] = sqlite3_column_type(stmt, i) == SQLITE_NULL
				                         ? NAN
				                         : sqlite3_column_double(stmt, i);
		}
		fn(&row, arg);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "read metrics");
}

int
store_metrics_tiers(struct store *st, store_metric_fn fn, void *arg, struct strbuf *err)
{
	return metric_rows(st,
	    store_prepare(st,
	        "SELECT t.name, s.current_version, s.previous_version, s.burn_in_started_at, "
	        "unixepoch(s.burn_in_started_at) FROM tiers t "
	        "LEFT JOIN tier_state s ON s.tier_id = t.id "
	        "WHERE t.retired_at IS NULL ORDER BY t.position",
	        err, ""),
	    4, fn, arg, err);
}

/*
 * The finished promotes of the window come from promote_dora's covering
 * index; a failure's time to restore runs to the next successful promote of
 * its tier (by id), found through the other index.
 */
int
store_metrics_dora(
    struct store *st, int64_t days, store_metric_fn fn, void *arg, struct strbuf *err)
{
	int64_t since = (int64_t)time(NULL) - days * 86400;

	return metric_rows(st,
	    store_prepare(st,
	        "SELECT t.name, total(d.ok), avg(d.lead), total(1 - d.rollback), total(d.failed), "
	        "avg(CASE WHEN d.failed THEN (SELECT n.done FROM promote_dora n WHERE n.tier_id = "
	        "d.tier_id AND n.ok = 1 AND n.id > d.id ORDER BY n.id LIMIT 1) - d.done END) "
	        "FROM tiers t LEFT JOIN promote_dora d ON d.tier_id = t.id AND d.done >= ?1 "
	        "WHERE t.retired_at IS NULL GROUP BY t.id ORDER BY t.position, t.id",
	        err, "i", since),
	    1, fn, arg, err);
}
