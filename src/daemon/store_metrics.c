/*
 * store_metrics: the aggregates behind GET /metrics (see store.h).
 *
 * Each table is read in one plain scan (in rowid order, no join, no GROUP BY)
 * and grouped here, in a small hash table: SQLite's GROUP BY sorts every row
 * first, its date functions parse generic dates, and a join to tiers looks up
 * each row, which for 10,000 gate runs cost ~12, ~3 and ~2 ms where the bare
 * scan costs ~1.5 (bench/metrics.sh).  A scan's columns are: the tier id (or
 * NULL), the other labels, whether the row counts (0/1), and its start and
 * finish times (observed by the histogram when both are set).  Tier ids
 * become names and positions through one read of tiers; groups come out
 * sorted by position, then labels.  Durations are whole seconds.  Only
 * finished rows count: a running build, gate run, deploy or promote shows up
 * once it has ended.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xmalloc.h"
#include "daemon/store_int.h"

/* The tiers table: id -> position and name (retired ones included). */
struct tier_map {
	size_t n;
	struct tier_entry {
		int64_t id, pos;
		char *name;
		int retired;
	} * t;
};

struct agg_group {
	int64_t tier; /* tier id while grouping, then its position */
	char *label[STORE_METRICS_NLABELS];
	double v[STORE_METRICS_NVALUES]; /* count, sum, cumulative buckets */
};

/* Rows grouped by tier and the first nlabels other labels. */
struct agg {
	int nlabels;
	const double *bounds; /* NULL: count only */
	struct agg_group *groups;
	size_t n, alloc;
	size_t *slots; /* open addressing: group index + 1, 0 when empty */
	size_t nslots;
};

static int
tier_map_load(struct store *st, struct tier_map *m, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT id, position, name, retired_at IS NOT NULL FROM tiers ORDER BY position, id",
	    err, "");
	int rc;

	memset(m, 0, sizeof(*m));
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct tier_entry *e;

		m->t = xreallocarray(m->t, m->n + 1, sizeof(*m->t));
		e = &m->t[m->n++];
		e->id = sqlite3_column_int64(stmt, 0);
		e->pos = sqlite3_column_int64(stmt, 1);
		e->name = store_column_dup(stmt, 2);
		e->retired = sqlite3_column_int(stmt, 3);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "read tiers");
}

static const struct tier_entry *
tier_map_find(const struct tier_map *m, int64_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i].id == id)
			return &m->t[i];
	return NULL;
}

static void
tier_map_release(struct tier_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->t[i].name);
	free(m->t);
}

/* Seconds since the epoch of the store's "YYYY-MM-DDTHH:MM:SSZ" (days from
 * the civil date as in Howard Hinnant's algorithm), or -1. */
static int64_t
epoch(const unsigned char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int64_t f[6] = {0}, y, m, era, yoe, doy, doe;
	int k = 0;

	if (s == NULL || strlen((const char *)s) != sizeof(shape) - 1)
		return -1;
	for (int i = 0; shape[i]; i++) {
		if (shape[i] != 'd') {
			k += shape[i] != 'Z';
			if (s[i] != shape[i])
				return -1;
		} else if (s[i] >= '0' && s[i] <= '9') {
			f[k] = f[k] * 10 + (s[i] - '0');
		} else {
			return -1;
		}
	}
	y = f[1] <= 2 ? f[0] - 1 : f[0];
	m = f[1];
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + f[2] - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return ((era * 146097 + doe - 719468) * 24 + f[3]) * 3600 + f[4] * 60 + f[5];
}

static uint64_t
agg_hash(int64_t tier, const char *const *l, int n)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)tier;

	for (int i = 0; i < n; i++) {
		for (const char *c = l[i] ? l[i] : "\x01"; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

static int
agg_same(const struct agg_group *g, int64_t pos, const char *const *l, int n)
{
	if (g->tier != pos)
		return 0;
	for (int i = 0; i < n; i++)
		if ((g->label[i] == NULL) != (l[i] == NULL) || (l[i] && strcmp(g->label[i], l[i])))
			return 0;
	return 1;
}

static void
agg_rehash(struct agg *a)
{
	free(a->slots);
	a->nslots = a->nslots ? a->nslots * 2 : 64;
	a->slots = xcalloc(a->nslots, sizeof(*a->slots));
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_group *g = &a->groups[i];
		size_t h = agg_hash(g->tier, (const char *const *)g->label, a->nlabels);

		while (a->slots[h & (a->nslots - 1)])
			h++;
		a->slots[h & (a->nslots - 1)] = i + 1;
	}
}

/* The group of (pos, l), added if new. */
static struct agg_group *
agg_group(struct agg *a, int64_t pos, const char *const *l)
{
	struct agg_group *g;
	size_t h;

	if (2 * (a->n + 1) > a->nslots)
		agg_rehash(a);
	for (h = agg_hash(pos, l, a->nlabels);; h++) {
		size_t slot = a->slots[h & (a->nslots - 1)];

		if (slot == 0)
			break;
		if (agg_same(&a->groups[slot - 1], pos, l, a->nlabels))
			return &a->groups[slot - 1];
	}
	if (a->n == a->alloc) {
		a->alloc = a->alloc ? 2 * a->alloc : 16;
		a->groups = xreallocarray(a->groups, a->alloc, sizeof(*a->groups));
	}
	g = &a->groups[a->n++];
	memset(g, 0, sizeof(*g));
	g->tier = pos;
	for (int i = 0; i < a->nlabels; i++)
		g->label[i] = l[i] ? xstrdup(l[i]) : NULL;
	a->slots[h & (a->nslots - 1)] = a->n;
	return g;
}

static void
agg_add(struct agg *a, int64_t pos, const char *const *l, double d)
{
	struct agg_group *g = agg_group(a, pos, l);

	g->v[0]++;
	if (a->bounds == NULL)
		return;
	g->v[1] += d;
	for (int i = 0; i < STORE_METRICS_NBOUNDS; i++)
		g->v[2 + i] += d <= a->bounds[i];
}

static int
agg_cmp(const void *pa, const void *pb)
{
	const struct agg_group *a = pa, *b = pb;

	if (a->tier != b->tier)
		return a->tier < b->tier ? -1 : 1;
	for (int i = 0; i < STORE_METRICS_NLABELS; i++) {
		int c = !a->label[i] || !b->label[i] ? !!a->label[i] - !!b->label[i]
		                                     : strcmp(a->label[i], b->label[i]);

		if (c)
			return c;
	}
	return 0;
}

/* Sort the groups (tier ids become positions), pass each to fn with the
 * tier's name as its first label when tiered, and free them. */
static void
agg_finish(struct agg *a, const struct tier_map *m, int tiered, store_metric_fn fn, void *arg)
{
	struct store_metric_row row;

	if (a->n == 0 && a->nlabels == 0 && !tiered && a->bounds) /* empty: zeros */
		agg_group(a, 0, NULL);
	for (size_t i = 0; i < a->n; i++) {
		const struct tier_entry *e = tiered ? tier_map_find(m, a->groups[i].tier) : NULL;

		a->groups[i].tier = e ? e->pos : INT64_MAX;
		a->groups[i].label[STORE_METRICS_NLABELS - 1] = (char *)(e ? e->name : NULL);
	}
	if (a->n > 1)
		qsort(a->groups, a->n, sizeof(*a->groups), agg_cmp);
	for (size_t i = 0; i < a->n; i++) {
		struct agg_group *g = &a->groups[i];
		int k = 0;

		memset(&row, 0, sizeof(row));
		if (tiered)
			row.label[k++] = g->label[STORE_METRICS_NLABELS - 1];
		for (int j = 0; j < a->nlabels; j++)
			row.label[k++] = g->label[j];
		memcpy(row.v, g->v, sizeof(row.v));
		if (fn && (!tiered || row.label[0]))
			fn(&row, arg);
		for (int j = 0; j < a->nlabels; j++)
			free(g->label[j]);
	}
	free(a->groups);
	free(a->slots);
}

/* Step stmt (tier id, nlabels labels, counted, start, finish) into counts
 * (by every label) and hist (rows with both times, by the first hist->nlabels). */
static int
metric_scan(
    struct store *st, sqlite3_stmt *stmt, struct agg *counts, struct agg *hist, struct strbuf *err)
{
	const char *l[STORE_METRICS_NLABELS];
	int n = counts->nlabels, rc;

	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t tier = sqlite3_column_int64(stmt, 0), t0, t1;

		for (int i = 0; i < n; i++)
			l[i] = (const char *)sqlite3_column_text(stmt, 1 + i);
		if (sqlite3_column_int(stmt, 1 + n))
			agg_add(counts, tier, l, 0);
		if (hist == NULL || (t0 = epoch(sqlite3_column_text(stmt, 2 + n))) == -1 ||
		    (t1 = epoch(sqlite3_column_text(stmt, 3 + n))) == -1)
			continue;
		agg_add(hist, tier, l, (double)(t1 - t0));
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "read metrics");
}

/* Scan stmt with nlabels labels besides the tier (histograms by the first
 * nhist of them), then hand the groups to count_fn and hist_fn. */
static int
metric_run(struct store *st, sqlite3_stmt *stmt, int tiered, int nlabels, int nhist,
    const double *bounds, store_metric_fn count_fn, store_metric_fn hist_fn, void *arg,
    struct strbuf *err)
{
	struct agg counts = {.nlabels = nlabels}, hist = {.nlabels = nhist, .bounds = bounds};
	struct tier_map m = {0, NULL};
	int rc = stmt ? tier_map_load(st, &m, err) : -1;

	if (rc == 0)
		rc = metric_scan(st, stmt, &counts, bounds ? &hist : NULL, err);
	agg_finish(&counts, &m, tiered, rc == 0 ? count_fn : NULL, arg);
	agg_finish(&hist, &m, tiered, rc == 0 && bounds ? hist_fn : NULL, arg);
	tier_map_release(&m);
	return rc;
}

int
store_metrics_builds(struct store *st, const double *bounds, store_metric_fn count_fn,
    store_metric_fn hist_fn, void *arg, struct strbuf *err)
{
	return metric_run(st,
	    store_prepare(st,
	        "SELECT NULL, status, 1, CASE WHEN status IN ('ok', 'failed') THEN started_at END, "
	        "finished_at FROM builds WHERE status != 'running'",
	        err, ""),
	    0, 1, 0, bounds, count_fn, hist_fn, arg, err);
}

int
store_metrics_gate_runs(struct store *st, const double *bounds, store_metric_fn count_fn,
    store_metric_fn hist_fn, void *arg, struct strbuf *err)
{
	return metric_run(st,
	    store_prepare(st,
	        "SELECT tier_id, gate, status, 1, CASE WHEN status IN ('passed', 'failed') AND "
	        "kind NOT IN ('burn_in', 'manual_confirm') THEN started_at END, finished_at "
	        "FROM gate_runs WHERE status IS NOT NULL",
	        err, ""),
	    1, 2, 1, bounds, count_fn, hist_fn, arg, err);
}

int
store_metrics_deploys(struct store *st, const double *bounds, store_metric_fn count_fn,
    store_metric_fn hist_fn, void *arg, struct strbuf *err)
{
	return metric_run(st,
	    store_prepare(st,
	        "SELECT tier_id, status, CASE WHEN status = 'failed' AND json_valid(outcome_json) "
	        "THEN json_extract(outcome_json, '$.failure.kind') END, 1, NULL, NULL "
	        "FROM deploys WHERE status IS NOT NULL",
	        err, ""),
	    1, 2, 0, NULL, count_fn, hist_fn, arg, err);
}

int
store_metrics_promotes(struct store *st, const double *bounds, store_metric_fn count_fn,
    store_metric_fn hist_fn, void *arg, struct strbuf *err)
{
	return metric_run(st,
	    store_prepare(st,
	        "SELECT tier_id, status, kind = 'rollback', CASE WHEN kind = 'promote' AND "
	        "status = 'ok' THEN started_at END, finished_at FROM promotes "
	        "WHERE status IS NOT NULL",
	        err, ""),
	    1, 1, 0, bounds, count_fn, hist_fn, arg, err);
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

/* DORA sums of one tier over the window. */
struct dora {
	double ok, lead_sum, lead_n, finished, failures, restore_sum, restore_n;
	int64_t pending[64]; /* failures (finish times) not yet restored; oldest dropped */
	size_t npending;
};

/* Account one finished promote or rollback (rows come in id order). */
static void
dora_row(
    struct dora *d, int rollback, const char *status, int64_t done, int64_t staged, int64_t since)
{
	int ok = !rollback && strcmp(status, "ok") == 0;
	int failed = rollback || strcmp(status, "failed") == 0;

	if (ok) {
		for (size_t i = 0; i < d->npending; i++)
			d->restore_sum += (double)(done - d->pending[i]);
		d->restore_n += (double)d->npending;
		d->npending = 0;
	}
	if (done < since)
		return;
	d->ok += ok;
	d->finished += !rollback && (ok || failed);
	d->failures += failed;
	if (ok && staged != -1) {
		d->lead_sum += (double)(done - staged);
		d->lead_n++;
	}
	if (failed && d->npending < sizeof(d->pending) / sizeof(d->pending[0]))
		d->pending[d->npending++] = done;
}

static void
dora_emit(const struct tier_map *m, const struct dora *d, store_metric_fn fn, void *arg)
{
	for (size_t i = 0; i < m->n; i++) {
		struct store_metric_row row = {{m->t[i].name}, {0}};
		const struct dora *t = &d[i];

		if (m->t[i].retired)
			continue;
		row.v[0] = t->ok;
		row.v[1] = t->lead_n ? t->lead_sum / t->lead_n : NAN;
		row.v[2] = t->finished;
		row.v[3] = t->failures;
		row.v[4] = t->restore_n ? t->restore_sum / t->restore_n : NAN;
		fn(&row, arg);
	}
}

int
store_metrics_dora(
    struct store *st, int64_t days, store_metric_fn fn, void *arg, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT p.tier_id, p.kind = 'rollback', p.status, p.finished_at, CASE WHEN p.kind = "
	    "'promote' AND p.status = 'ok' THEN (SELECT v.staged_at FROM versions v WHERE "
	    "v.version = p.version) END FROM promotes p WHERE p.status IN ('ok', 'failed') OR "
	    "(p.kind = 'rollback' AND p.status IS NOT NULL) ORDER BY p.id",
	    err, "");
	int64_t since = (int64_t)time(NULL) - days * 86400;
	struct tier_map m = {0, NULL};
	struct dora *d;
	int rc;

	if (stmt == NULL || tier_map_load(st, &m, err) == -1) {
		tier_map_release(&m);
		return -1;
	}
	d = xcalloc(m.n + 1, sizeof(*d));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const struct tier_entry *e = tier_map_find(&m, sqlite3_column_int64(stmt, 0));
		int64_t done = epoch(sqlite3_column_text(stmt, 3));

		if (e && done != -1)
			dora_row(&d[e - m.t], sqlite3_column_int(stmt, 1),
			    (const char *)sqlite3_column_text(stmt, 2), done,
			    epoch(sqlite3_column_text(stmt, 4)), since);
	}
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		dora_emit(&m, d, fn, arg);
	free(d);
	tier_map_release(&m);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "read promotes");
}
