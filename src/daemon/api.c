#include "daemon/api.h"

#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/store.h"

static void
handle_healthz(struct http_request *req, void *ctx)
{
	http_respond_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void
handle_state(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;

	/* burn-in clocks move with time: a cached document lives one second at most */
	if (!d->state_valid || d->state_generation != store_generation(d->store) ||
	    d->state_time != time(NULL)) {
		strbuf_reset(&d->state_cache);
		if (api_state_render(d, &d->state_cache, &err) == -1) {
			log_warnx("GET /state: %s", err.buf);
			http_respond_error(req, 500, "internal", "cannot read state: %s", err.buf);
			strbuf_release(&err);
			return;
		}
		d->state_generation = store_generation(d->store);
		d->state_time = time(NULL);
		d->state_valid = 1;
	}
	http_respond(req, 200, "application/json", d->state_cache.buf, d->state_cache.len);
	strbuf_release(&err);
}

const struct route api_routes[] = {
    {"GET", "/healthz", ROLE_PUBLIC, handle_healthz},
    {"GET", "/state", ROLE_VIEWER, handle_state},
    {"POST", "/rebuild", ROLE_OPERATOR, api_rebuild},
    {"GET", "/builds", ROLE_VIEWER, api_builds},
    {"GET", "/builds/{id}", ROLE_VIEWER, api_build},
    {"GET", "/builds/{id}/log", ROLE_VIEWER, api_build_log},
    {"GET", "/versions", ROLE_VIEWER, api_versions},
    {"GET", "/events", ROLE_VIEWER, api_events},
    {"POST", "/confirm/{tier}", ROLE_OPERATOR, api_confirm},
    {"GET", "/logs/{version}/{gate}", ROLE_VIEWER, api_version_log},
    {"GET", "/gate-runs", ROLE_VIEWER, api_gate_runs},
    {"POST", "/promote/{tier}", ROLE_OPERATOR, api_promote},
    {"POST", "/rollback/{tier}", ROLE_OPERATOR, api_rollback},
    {"POST", "/freeze", ROLE_OPERATOR, api_freeze},
    {"POST", "/freeze/{tier}", ROLE_OPERATOR, api_freeze},
    {"POST", "/unfreeze", ROLE_OPERATOR, api_unfreeze},
    {"POST", "/unfreeze/{tier}", ROLE_OPERATOR, api_unfreeze},
    {"GET", "/deploys", ROLE_VIEWER, api_deploys},
    {"GET", "/promotes", ROLE_VIEWER, api_promotes},
    {"GET", "/promotes/{id}", ROLE_VIEWER, api_promote_get},
    {"GET", "/gate-runs/{id}", ROLE_VIEWER, api_gate_run},
    {"GET", "/metrics", ROLE_VIEWER, api_metrics},
    {"POST", "/backup/fetch", ROLE_OPERATOR, api_backup_fetch},
    {"GET", "/backups", ROLE_VIEWER, api_backups},
    {"GET", "/backups/{id}", ROLE_VIEWER, api_backup_get},
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

int
api_authorize(struct http_request *req, enum role required, void *ctx)
{
	struct daemon *d = ctx;

	switch (d->cfg.auth) {
	case AUTH_NONE:
		req->identity = (void *)"local";
		return 0;
	}
	http_respond_error(req, 500, "internal", "unknown auth mode");
	return -1;
}
