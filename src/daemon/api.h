/*
 * api: sandod's HTTP routes (DESIGN.md section 3) as one table, and the
 * authorization hook every route passes.
 *
 * Routes of section 3 that later issues implement are absent from the table,
 * so they answer 404 until they land; none is stubbed.
 */
#ifndef SANDO_API_H
#define SANDO_API_H

#include <stddef.h>
#include <time.h>

#include "daemon/daemon.h"
#include "net/http.h"

/* The route table and its length. */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/* The authorization hook: with auth = "none" every caller is "local". */
int api_authorize(struct http_request *req, enum role required, void *ctx);

/* Route handlers of api_builds.c and api_logs.c. */
void api_rebuild(struct http_request *req, void *ctx);
void api_builds(struct http_request *req, void *ctx);
void api_build(struct http_request *req, void *ctx);
void api_build_log(struct http_request *req, void *ctx);
void api_versions(struct http_request *req, void *ctx);
void api_version_log(struct http_request *req, void *ctx);

/* POST /confirm/{tier}, GET /gate-runs and /gate-runs/{id} (api_gates.c). */
void api_confirm(struct http_request *req, void *ctx);
void api_gate_runs(struct http_request *req, void *ctx);
void api_gate_run(struct http_request *req, void *ctx);

/* The ?tier= and ?version= filters, validated: 0 with *tier_out / *v_out
 * set (NULL when absent), or -1 after answering 400/404. */
int api_query_filters(struct http_request *req, struct daemon *d, struct strbuf *tier,
    struct strbuf *v, const char **tier_out, const char **v_out);

/* A positive integer path parameter, or 0 after answering 400. */
int64_t api_param_id(struct http_request *req, const char *name);

/* Answer with rows (a JSON array, taken; NULL: 500 with err): all of them,
 * or with one (an error code like "unknown_build") the first, 404 if none. */
void api_respond_rows(struct http_request *req, json_t *rows, struct strbuf *err, const char *one);

/* The outcome /state shows for gate g of tier t at version (NULL: none):
 * burn_in always evaluated from its clock at now; others the latest recorded
 * run, else for manual_confirm awaiting confirmation, else null.  NULL with err on a store error. */
json_t *api_gate_outcome(struct daemon *d, const struct tier_config *t, const struct gate_config *g,
    const char *version, const char *burn_in_started, time_t now, struct strbuf *err);

/* The promote routes (api_promote.c). */
void api_promote(struct http_request *req, void *ctx);
void api_rollback(struct http_request *req, void *ctx);
void api_freeze(struct http_request *req, void *ctx);
void api_unfreeze(struct http_request *req, void *ctx);
void api_deploys(struct http_request *req, void *ctx);
void api_promotes(struct http_request *req, void *ctx);
void api_promote_get(struct http_request *req, void *ctx);

/* POST /backup/fetch, GET /backups and /backups/{id} (api_backup.c). */
void api_backup_fetch(struct http_request *req, void *ctx);
void api_backups(struct http_request *req, void *ctx);
void api_backup_get(struct http_request *req, void *ctx);

/* GET /events (api_events.c). */
void api_events(struct http_request *req, void *ctx);

/* GET /metrics (api_metrics.c): Prometheus text; api_metrics_observe, the
 * HTTP server's observer, counts each answer sent; api_metrics_render appends
 * the part read from the store. */
void api_metrics(struct http_request *req, void *ctx);
void api_metrics_observe(const struct route *route, const char *method, int status, void *ctx);
int api_metrics_render(struct daemon *d, struct strbuf *out, struct strbuf *err);

/* Build the /state document (tiers in topology order) into out. */
int api_state_render(struct daemon *d, struct strbuf *out, struct strbuf *err);

#endif
