/*
 * The promote routes: POST /promote/{tier}, /rollback/{tier}, /freeze[/{tier}],
 * /unfreeze[/{tier}], GET /deploys, /promotes, /promotes/{id}.
 *
 * POST /promote refuses up front what it can decide before deploying: a
 * malformed body (400), an unknown tier (404), the first tier (400: it gets
 * its versions from builds), an unprovisioned tier (409), no version to
 * promote (409), a version that is not a semantic version (400) or not
 * staged (404), the tier's current version (409), a freeze (409), a gate of
 * the predecessor tier not passed for that version (422, with each gate's
 * typed outcome; hotfix waives burn_in only) and a tier locked by another
 * promote or rollback (409 naming the holder).  Then 202 with the id.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/api.h"
#include "daemon/deploy/promote.h"
#include "daemon/store.h"
#include "domain/version.h"

struct promote_body {
	const char *version; /* NULL: the predecessor's current */
	int hotfix;
	int reset_burn_in;
};

/* Parse the body; 0, or -1 after answering 400. */
static int
promote_body(struct http_request *req, struct promote_body *b)
{
	const char *key;
	json_t *v;

	memset(b, 0, sizeof(*b));
	if (req->json == NULL)
		return 0;
	if (!json_is_object(req->json))
		goto bad;
	json_object_foreach(req->json, key, v)
	{
		if (strcmp(key, "version") == 0 && (json_is_string(v) || json_is_null(v)))
			b->version = json_string_value(v);
		else if (strcmp(key, "hotfix") == 0 && json_is_boolean(v))
			b->hotfix = json_is_true(v);
		else if (strcmp(key, "reset_burn_in") == 0 && json_is_boolean(v))
			b->reset_burn_in = json_is_true(v);
		else
			goto bad;
	}
	return 0;
bad:
	http_respond_error(req, 400, "bad_request",
	    "body must be {\"version\": string, \"hotfix\": bool, \"reset_burn_in\": bool}, each "
	    "optional");
	return -1;
}

/* The tier named by the path, or NULL after answering 404. */
static const struct tier_config *
path_tier(struct http_request *req, struct daemon *d)
{
	struct strbuf name = STRBUF_INIT;
	const struct tier_config *t;

	route_param(&req->params, "tier", &name);
	t = topology_tier(&d->topo, name.buf, name.len);
	if (t == NULL)
		http_respond_error(req, 404, "unknown_tier", "no tier named '%s'", name.buf);
	strbuf_release(&name);
	return t;
}

static const char *
actor(const struct http_request *req)
{
	return req->identity ? req->identity : "local";
}

/* The predecessor's gates not passed for version, as typed reasons (an
 * empty array when all passed); NULL with err on a store error. */
static json_t *
gate_reasons(struct daemon *d, const struct tier_config *pred, const char *version, int hotfix,
    struct strbuf *err)
{
	struct store_tier_state ps;
	json_t *reasons = json_array();
	time_t now = time(NULL);

	if (store_tier_state(d->store, pred->name, &ps, err) == -1)
		return json_decref(reasons), NULL;
	for (size_t i = 0; i < pred->ngates; i++) {
		const struct gate_config *g = &pred->gates[i];
		int current = ps.current_version && strcmp(ps.current_version, version) == 0;
		json_t *o = api_gate_outcome(
		    d, pred, g, version, current ? ps.burn_in_started_at : NULL, now, err);
		const char *status = json_string_value(json_object_get(o, "status"));

		if (o == NULL) {
			json_decref(reasons);
			reasons = NULL;
			break;
		}
		if ((status && strcmp(status, "passed") == 0) ||
		    (hotfix && g->kind == GATE_BURN_IN))
			json_decref(o);
		else
			json_array_append_new(
			    reasons, json_pack("{s:s, s:s, s:s, s:o}", "tier", pred->name, "gate",
			                 g->name, "kind", gate_kind_name(g->kind), "outcome", o));
	}
	store_tier_state_release(&ps);
	return reasons;
}

/* Start the promote or rollback rq and answer 202, or 409 when locked. */
static void
start(struct http_request *req, struct daemon *d, const struct promote_request *rq,
    json_t *audit_detail)
{
	struct strbuf held = STRBUF_INIT, err = STRBUF_INIT;
	int64_t id = promote_start(d, rq, &held, &err);
	char *detail;

	if (id == 0) {
		http_respond_error(
		    req, 409, "tier_locked", "tier '%s' is locked by %s", rq->tier->name, held.buf);
	} else if (id < 0) {
		http_respond_error(req, 500, "internal", "cannot start: %s", err.buf);
	} else {
		json_object_set_new(audit_detail, "promote_id", json_integer(id));
		detail = json_dumps(audit_detail, JSON_COMPACT);
		if (store_audit(d->store, rq->actor, rq->kind == ROLLBACK ? "rollback" : "promote",
		        rq->tier->name, detail, &err) == -1)
			log_warnx("audit: %s", err.buf);
		free(detail);
		http_respond_json(req, 202,
		    json_pack("{s:I, s:s, s:s, s:s}", "promote_id", (json_int_t)id, "kind",
		        rq->kind == ROLLBACK ? "rollback" : "promote", "tier", rq->tier->name,
		        "version", rq->version));
	}
	json_decref(audit_detail);
	strbuf_release(&held);
	strbuf_release(&err);
}

/* The checks on the tier and version before the gates; 0 or -1 (answered). */
static int
promote_refusals(struct http_request *req, struct daemon *d, const struct tier_config *t,
    const char *version, const struct store_tier_state *ts, struct strbuf *err)
{
	struct strbuf sha = STRBUF_INIT, why = STRBUF_INIT;
	int rc = -1, staged;

	if (t == &d->topo.tiers[0])
		http_respond_error(req, 400, "first_tier",
		    "tier '%s' is the first tier: it gets its versions from builds", t->name);
	else if (!t->provisioned)
		http_respond_error(
		    req, 409, "unprovisioned", "tier '%s' is not provisioned", t->name);
	else if (version == NULL)
		http_respond_error(req, 409, "no_version",
		    "tier '%s' has no current version to promote", t[-1].name);
	else if (!version_valid(version, strlen(version)))
		http_respond_error(
		    req, 400, "invalid_version", "'version' is not a semantic version");
	else if ((staged = store_version_sha(d->store, version, &sha, err)) != 1)
		staged == 0 ? http_respond_error(req, 404, "unknown_version",
		                  "version '%s' was never staged", version)
		            : http_respond_error(req, 500, "internal", "%s", err->buf);
	else if (ts->current_version && strcmp(ts->current_version, version) == 0)
		http_respond_error(req, 409, "already_current", "'%s' is already current on '%s'",
		    version, t->name);
	else if ((staged = store_frozen(d->store, t->name, &why, err)) != 0)
		staged == 1 ? http_respond_error(req, 409, "frozen",
		                  "promotes to '%s' are frozen: %s", t->name, why.buf)
		            : http_respond_error(req, 500, "internal", "%s", err->buf);
	else
		rc = 0;
	strbuf_release(&sha);
	strbuf_release(&why);
	return rc;
}

static void
promote_checked(struct http_request *req, struct daemon *d, const struct tier_config *t,
    const struct promote_body *b, const char *version, const char *from)
{
	struct strbuf err = STRBUF_INIT;
	json_t *reasons = gate_reasons(d, t - 1, version, b->hotfix, &err);
	struct promote_request rq = {PROMOTE, t, version, from, b->hotfix, actor(req)};

	if (reasons == NULL) {
		http_respond_error(req, 500, "internal", "%s", err.buf);
	} else if (json_array_size(reasons) > 0) {
		http_respond_json(req, 422,
		    json_pack("{s:{s:s, s:s, s:O}}", "error", "code", "gates_not_passed", "message",
		        "gates of the predecessor tier have not passed for this version", "reasons",
		        reasons));
	} else {
		start(req, d, &rq,
		    json_pack("{s:s, s:b, s:b}", "version", version, "hotfix", b->hotfix,
		        "reset_burn_in", b->reset_burn_in));
		if (b->reset_burn_in && store_tier_clear_burn_in(d->store, t[-1].name, &err) == -1)
			log_warnx("tier '%s': %s", t[-1].name, err.buf);
	}
	json_decref(reasons);
	strbuf_release(&err);
}

void
api_promote(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct store_tier_state ts, ps;
	struct strbuf err = STRBUF_INIT;
	struct promote_body b;
	const struct tier_config *t;
	const char *version;

	memset(&ts, 0, sizeof(ts));
	memset(&ps, 0, sizeof(ps));
	if (promote_body(req, &b) == -1 || (t = path_tier(req, d)) == NULL)
		return;
	if (store_tier_state(d->store, t->name, &ts, &err) == -1 ||
	    (t != &d->topo.tiers[0] && store_tier_state(d->store, t[-1].name, &ps, &err) == -1)) {
		http_respond_error(req, 500, "internal", "%s", err.buf);
	} else {
		version = b.version ? b.version : ps.current_version;
		if (promote_refusals(req, d, t, version, &ts, &err) == 0)
			promote_checked(req, d, t, &b, version, ts.current_version);
	}
	store_tier_state_release(&ts);
	store_tier_state_release(&ps);
	strbuf_release(&err);
}

void
api_rollback(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct store_tier_state ts;
	struct strbuf err = STRBUF_INIT;
	const struct tier_config *t;

	memset(&ts, 0, sizeof(ts));
	if (req->json && (!json_is_object(req->json) || json_object_size(req->json) > 0)) {
		http_respond_error(req, 400, "bad_request", "POST /rollback takes no body (or {})");
		return;
	}
	if ((t = path_tier(req, d)) == NULL)
		return;
	if (store_tier_state(d->store, t->name, &ts, &err) == -1) {
		http_respond_error(req, 500, "internal", "%s", err.buf);
	} else if (ts.previous_version == NULL) {
		http_respond_error(
		    req, 409, "no_previous_version", "tier '%s' has no previous version", t->name);
	} else {
		struct promote_request rq = {
		    ROLLBACK, t, ts.previous_version, ts.current_version, 0, actor(req)};

		start(req, d, &rq,
		    json_pack("{s:s, s:o}", "version", ts.previous_version, "from_version",
		        ts.current_version ? json_string(ts.current_version) : json_null()));
	}
	store_tier_state_release(&ts);
	strbuf_release(&err);
}

/* POST /freeze[/{tier}] and /unfreeze[/{tier}] with an optional {"reason"}. */
static void
freeze(struct http_request *req, struct daemon *d, int frozen)
{
	struct strbuf name = STRBUF_INIT, err = STRBUF_INIT;
	const struct tier_config *t = NULL;
	json_t *r = req->json ? json_object_get(req->json, "reason") : NULL;
	const char *reason = r ? json_string_value(r) : NULL;
	json_t *dj;
	char *detail;

	route_param(&req->params, "tier", &name);
	if (req->json && (!json_is_object(req->json) ||
	                     json_object_size(req->json) > (r ? 1u : 0u) || (r && !reason))) {
		http_respond_error(
		    req, 400, "bad_request", "body must be {\"reason\": string} or empty");
	} else if (name.len > 0 && (t = path_tier(req, d)) == NULL) {
		; /* answered 404 */
	} else if (store_freeze(d->store, t ? t->name : NULL, frozen, reason, &err) == -1) {
		http_respond_error(req, 500, "internal", "%s", err.buf);
	} else {
		dj = json_pack("{s:o}", "reason", reason ? json_string(reason) : json_null());
		detail = json_dumps(dj, JSON_COMPACT);
		json_decref(dj);
		store_audit(d->store, actor(req), frozen ? "freeze" : "unfreeze",
		    t ? t->name : NULL, detail, &err);
		free(detail);
		http_respond_json(req, 200,
		    json_pack("{s:o, s:b, s:o}", "tier", t ? json_string(t->name) : json_null(),
		        "frozen", frozen, "reason", reason ? json_string(reason) : json_null()));
	}
	strbuf_release(&name);
	strbuf_release(&err);
}

void
api_freeze(struct http_request *req, void *ctx)
{
	freeze(req, ctx, 1);
}

void
api_unfreeze(struct http_request *req, void *ctx)
{
	freeze(req, ctx, 0);
}

void
api_deploys(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf tier = STRBUF_INIT, v = STRBUF_INIT, err = STRBUF_INIT;
	const char *t, *ver;

	if (api_query_filters(req, d, &tier, &v, &t, &ver) == 0)
		api_respond_rows(
		    req, store_deploys_json(d->store, t, ver, 0, 500, &err), &err, NULL);
	strbuf_release(&tier);
	strbuf_release(&v);
	strbuf_release(&err);
}

void
api_promotes(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;

	api_respond_rows(req, store_promotes_json(d->store, 0, NULL, 100, &err), &err, NULL);
	strbuf_release(&err);
}

void
api_promote_get(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;
	int64_t id = api_param_id(req, "id");
	json_t *rows;

	if (id <= 0)
		return;
	rows = store_promotes_json(d->store, id, NULL, 1, &err);
	if (rows && json_array_size(rows) == 1)
		json_object_set_new(json_array_get(rows, 0), "deploys",
		    store_deploys_json(d->store, NULL, NULL, id, 1000, &err));
	api_respond_rows(req, rows, &err, "unknown_promote");
	strbuf_release(&err);
}
