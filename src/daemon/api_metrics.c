/*
 * GET /metrics: Prometheus text exposition (format 0.0.4) of the history in
 * the store, the tiers' state, DORA figures per tier and the process itself.
 *
 * The part read from the store comes from running totals that the database
 * keeps up to date itself and from the window's DORA rows (store_metrics.c,
 * migration 0007), so its cost does not grow with the history; it is cached on the store's write generation for at most
 * one second (burn-in clocks and the DORA window move with time), like
 * /state; the live part (HTTP requests, subscribers, memory, CPU) is appended
 * to every answer.  The cache and the request counters are per process (one
 * daemon per process).
 *
 * HTTP requests are counted by route, method and the status code sent, as
 * the HTTP server tells its observer (api_metrics_observe) of each answer it
 * writes (101 for a WebSocket upgrade included, answers to clients that had
 * gone not).  Labels stay bounded: a routed request is labelled with its
 * route's pattern and method, any other (404, 405, a malformed request) with
 * route "unmatched" and its method if it is a common one, else "other".  The
 * answer being rendered counts itself, as the 200 it is about to be sent as.
 *
 * DORA lead time runs from a version's staging (versions.staged_at) to its
 * successful promote: the store has no commit times yet.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/api.h"
#include "daemon/metrics.h"
#include "daemon/store.h"

#ifndef SANDO_VERSION
#define SANDO_VERSION "unknown"
#endif

#define DORA_DAYS 30

/* A family's name, type, help and label names (those of its rows, in order). */
struct family_def {
	const char *name;
	const char *type;
	const char *help;
	const char *labels[3];
};

/* One scan of the store: a counter family and, when hist.name is set, a
 * histogram family. */
struct source {
	store_metric_scan scan;
	struct family_def count, hist;
};

static const struct source sources[] = {
    {store_metrics_builds,
        {"sando_builds_total", "counter", "Finished builds by status.", {"status"}},
        {"sando_build_duration_seconds", "histogram", "Duration of finished (ok or failed) builds.",
            {NULL}}},
    {store_metrics_gate_runs,
        {"sando_gate_runs_total", "counter", "Finished gate runs by tier, gate and status.",
            {"tier", "gate", "status"}},
        {"sando_gate_run_duration_seconds", "histogram",
            "Duration of passed or failed runs of automated gates.", {"tier", "gate"}}},
    {store_metrics_deploys,
        {"sando_deploys_total", "counter",
            "Finished node deploys by tier and outcome (failure: the failed ones' kind).",
            {"tier", "outcome", "failure"}},
        {NULL, NULL, NULL, {NULL}}},
    {store_metrics_promotes,
        {"sando_rollbacks_total", "counter", "Finished rollbacks by tier and status.",
            {"tier", "status"}},
        {"sando_promote_duration_seconds", "histogram", "Duration of successful promotes.",
            {"tier"}}},
};

static struct {
	struct strbuf text; /* the store's part */
	const struct store *store;
	uint64_t generation;
	time_t time;
	int valid;
} cache = {STRBUF_INIT, NULL, 0, 0, 0};

/* Answers sent by route (an index into api_routes; api_nroutes: unmatched),
 * method and status, sorted by those three. */
static struct http_count {
	size_t route;
	const char *method; /* a route's, or one of unmatched_methods */
	int code;
	uint64_t n;
} * http_counts;
static size_t http_ncounts, http_acounts;

/* The method labels of unmatched requests; any other method is "other". */
static const char *const unmatched_methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"};

/* Where one family's rows go. */
struct family_out {
	struct strbuf text;
	const struct family_def *def;
};

/* The labels of row named by def (NULL values left out); their number. */
static size_t
row_labels(
    const struct family_def *def, const struct store_metric_row *row, struct metrics_label *l)
{
	size_t n = 0;

	for (size_t i = 0; i < 3 && def->labels[i]; i++)
		if (row->label[i])
			l[n++] = (struct metrics_label){def->labels[i], row->label[i]};
	return n;
}

static void
count_row(const struct store_metric_row *row, void *arg)
{
	struct family_out *f = arg;
	struct metrics_label l[3];
	size_t n = row_labels(f[0].def, row, l);

	metrics_sample(&f[0].text, f[0].def->name, l, n, row->v[0]);
}

static void
hist_row(const struct store_metric_row *row, void *arg)
{
	struct family_out *f = arg;
	struct metrics_label l[3];
	size_t n = row_labels(f[1].def, row, l);
	struct metrics_histogram h = {
	    store_metrics_bounds, row->v + 2, STORE_METRICS_NBOUNDS, row->v[0], row->v[1]};

	metrics_histogram(&f[1].text, f[1].def->name, l, n, &h);
}

static int
render_source(struct daemon *d, const struct source *s, struct strbuf *out, struct strbuf *err)
{
	struct family_out f[2] = {{STRBUF_INIT, &s->count}, {STRBUF_INIT, &s->hist}};
	int rc = s->scan(d->store, count_row, hist_row, f, err);

	for (int i = 0; i < 2; i++) {
		if (f[i].def->name) {
			metrics_family(out, f[i].def->name, f[i].def->type, f[i].def->help);
			strbuf_addbuf(out, &f[i].text);
		}
		strbuf_release(&f[i].text);
	}
	return rc;
}

static int
render_families(struct daemon *d, struct strbuf *out, struct strbuf *err)
{
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (render_source(d, &sources[i], out, err) == -1)
			return -1;
	return 0;
}

struct tiers_ctx {
	struct daemon *d;
	struct strbuf info, burn_in;
	time_t now;
};

/* The burn_in gate of the tier called name, or NULL. */
static const struct gate_config *
tier_burn_in(struct daemon *d, const char *name)
{
	const struct tier_config *t = topology_tier(&d->topo, name, strlen(name));

	for (size_t i = 0; t && i < t->ngates; i++)
		if (t->gates[i].kind == GATE_BURN_IN)
			return &t->gates[i];
	return NULL;
}

static void
tier_row(const struct store_metric_row *row, void *arg)
{
	struct tiers_ctx *c = arg;
	const struct gate_config *g = tier_burn_in(c->d, row->label[0]);
	struct metrics_label l[3] = {{"tier", row->label[0]}, {"current_version", row->label[1]},
	    {"previous_version", row->label[2]}};

	metrics_sample(&c->info, "sando_tier_info", l, 3, 1);
	if (g && !isnan(row->v[0])) {
		double left = g->hours * 3600 - difftime(c->now, (time_t)row->v[0]);

		metrics_sample(
		    &c->burn_in, "sando_tier_burn_in_remaining_seconds", l, 1, left > 0 ? left : 0);
	}
}

static int
render_tiers(struct daemon *d, struct strbuf *out, struct strbuf *err)
{
	struct tiers_ctx c = {d, STRBUF_INIT, STRBUF_INIT, time(NULL)};
	int rc = store_metrics_tiers(d->store, tier_row, &c, err);

	metrics_family(out, "sando_tier_info", "gauge", "A tier's current and previous versions.");
	strbuf_addbuf(out, &c.info);
	metrics_family(out, "sando_tier_burn_in_remaining_seconds", "gauge",
	    "Seconds left on a tier's burn-in clock (tiers with a burn_in gate and a running "
	    "clock).");
	strbuf_addbuf(out, &c.burn_in);
	strbuf_release(&c.info);
	strbuf_release(&c.burn_in);
	return rc;
}

/* DORA: four families from one query, so each gets its own buffer. */
struct dora_ctx {
	struct strbuf fam[4];
};

static const char *const dora_names[4][2] = {
    {"sando_dora_deployment_frequency", "Successful promotes per day over the last 30 days."},
    {"sando_dora_lead_time_seconds",
        "Mean seconds from staging a version to its successful promote (last 30 days)."},
    {"sando_dora_change_failure_rate",
        "Failed promotes and rollbacks over finished promotes (last 30 days, at most 1)."},
    {"sando_dora_time_to_restore_seconds",
        "Mean seconds from a failed promote or a rollback to the next successful promote."},
};

static void
dora_row(const struct store_metric_row *row, void *arg)
{
	struct dora_ctx *c = arg;
	struct metrics_label l = {"tier", row->label[0]};
	double promotes = row->v[2], failures = row->v[3];

	metrics_sample(&c->fam[0], dora_names[0][0], &l, 1, row->v[0] / DORA_DAYS);
	if (!isnan(row->v[1]))
		metrics_sample(&c->fam[1], dora_names[1][0], &l, 1, row->v[1]);
	if (promotes > 0)
		metrics_sample(&c->fam[2], dora_names[2][0], &l, 1,
		    failures < promotes ? failures / promotes : 1);
	if (!isnan(row->v[4]))
		metrics_sample(&c->fam[3], dora_names[3][0], &l, 1, row->v[4]);
}

static int
render_dora(struct daemon *d, struct strbuf *out, struct strbuf *err)
{
	struct dora_ctx c;
	int rc;

	for (int i = 0; i < 4; i++)
		strbuf_init(&c.fam[i], 0);
	rc = store_metrics_dora(d->store, DORA_DAYS, dora_row, &c, err);
	for (int i = 0; i < 4; i++) {
		metrics_family(out, dora_names[i][0], "gauge", dora_names[i][1]);
		strbuf_addbuf(out, &c.fam[i]);
		strbuf_release(&c.fam[i]);
	}
	return rc;
}

/* The process's resident set in bytes, or NaN. */
static double
process_rss(void)
{
	struct strbuf s = STRBUF_INIT;
	unsigned long long size, resident;
	double v = NAN;

	if (strbuf_read_file(&s, "/proc/self/statm", 4096) == 0 &&
	    sscanf(s.buf, "%llu %llu", &size, &resident) == 2)
		v = (double)resident * (double)sysconf(_SC_PAGESIZE);
	strbuf_release(&s);
	return v;
}

static void
render_process(struct daemon *d, struct strbuf *out)
{
	struct rusage ru;
	struct metrics_label l = {"version", SANDO_VERSION};
	double cpu = NAN;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	metrics_family(out, "sando_websocket_subscribers", "gauge", "Open /events subscribers.");
	metrics_sample(out, "sando_websocket_subscribers", NULL, 0, (double)d->events.nsubs);
	metrics_family(out, "sando_process_resident_memory_bytes", "gauge",
	    "Resident memory of sandod in bytes.");
	metrics_sample(out, "sando_process_resident_memory_bytes", NULL, 0, process_rss());
	metrics_family(out, "sando_process_cpu_seconds_total", "counter",
	    "User and system CPU time of sandod in seconds.");
	metrics_sample(out, "sando_process_cpu_seconds_total", NULL, 0, cpu);
	metrics_family(out, "sando_build_info", "gauge", "The version of sandod.");
	metrics_sample(out, "sando_build_info", &l, 1, 1);
}

static int
http_count_cmp(const struct http_count *a, size_t route, const char *method, int code)
{
	int c;

	if (a->route != route)
		return a->route < route ? -1 : 1;
	if ((c = strcmp(a->method, method)) != 0)
		return c;
	return a->code < code ? -1 : a->code > code;
}

/* Add delta to the count of (route, method, code), inserting it in order. */
static void
http_count_add(size_t route, const char *method, int code, int64_t delta)
{
	size_t i = 0;
	int c = 1;

	while (i < http_ncounts && (c = http_count_cmp(&http_counts[i], route, method, code)) < 0)
		i++;
	if (i == http_ncounts || c != 0) {
		if (http_ncounts == http_acounts) {
			http_acounts = http_acounts ? 2 * http_acounts : 32;
			http_counts =
			    xreallocarray(http_counts, http_acounts, sizeof(*http_counts));
		}
		memmove(&http_counts[i + 1], &http_counts[i],
		    (http_ncounts - i) * sizeof(*http_counts));
		http_counts[i] = (struct http_count){route, method, code, 0};
		http_ncounts++;
	}
	http_counts[i].n += (uint64_t)delta;
}

void
api_metrics_observe(const struct route *route, const char *method, int status, void *ctx)
{
	size_t i = route ? (size_t)(route - api_routes) : api_nroutes, m = 0;

	if (i >= api_nroutes) {
		i = api_nroutes;
		while (m + 1 < sizeof(unmatched_methods) / sizeof(unmatched_methods[0]) &&
		       strcmp(unmatched_methods[m], method) != 0)
			m++;
		method = unmatched_methods[m];
	} else {
		method = route->method;
	}
	http_count_add(i, method, status, 1);
}

/* The answers counted so far, and req's own 200 about to be sent. */
static void
render_http(struct strbuf *out, const struct http_request *req)
{
	size_t self = (size_t)(req->route - api_routes);
	char code[16];

	http_count_add(self, req->route->method, 200, 1);
	metrics_family(out, "sando_http_requests_total", "counter",
	    "HTTP answers sent, by route pattern (\"unmatched\" for none), method and status "
	    "code.");
	for (size_t i = 0; i < http_ncounts; i++) {
		const struct http_count *h = &http_counts[i];
		struct metrics_label l[3] = {
		    {"route", h->route < api_nroutes ? api_routes[h->route].pattern : "unmatched"},
		    {"method", h->method}, {"code", code}};

		if (h->n == 0)
			continue;
		snprintf(code, sizeof(code), "%d", h->code);
		metrics_sample(out, "sando_http_requests_total", l, 3, (double)h->n);
	}
	http_count_add(self, req->route->method, 200, -1);
}

int
api_metrics_render(struct daemon *d, struct strbuf *out, struct strbuf *err)
{
	if (render_families(d, out, err) == -1 || render_tiers(d, out, err) == -1 ||
	    render_dora(d, out, err) == -1)
		return -1;
	return 0;
}

void
api_metrics(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	if (!cache.valid || cache.store != d->store ||
	    cache.generation != store_generation(d->store) || cache.time != time(NULL)) {
		strbuf_reset(&cache.text);
		cache.valid = 0;
		if (api_metrics_render(d, &cache.text, &err) == -1) {
			log_warnx("GET /metrics: %s", err.buf);
			http_respond_error(
			    req, 500, "internal", "cannot read metrics: %s", err.buf);
			strbuf_release(&err);
			return;
		}
		cache.store = d->store;
		cache.generation = store_generation(d->store);
		cache.time = time(NULL);
		cache.valid = 1;
	}
	strbuf_addbuf(&out, &cache.text);
	render_http(&out, req);
	render_process(d, &out);
	http_respond(req, 200, METRICS_CONTENT_TYPE, out.buf, out.len);
	strbuf_release(&out);
	strbuf_release(&err);
}
