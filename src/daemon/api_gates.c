/*
 * POST /confirm/{tier}: the operator's manual_confirm, and the evaluation of
 * the gates that are checked rather than run (burn_in, manual_confirm) for
 * /state.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/utc.h"
#include "daemon/api.h"
#include "daemon/store.h"
#include "domain/outcome.h"
#include "domain/version.h"

/* burn_in: the clock runs from the version becoming current on the tier. */
static void
eval_burn_in(const struct gate_config *g, const char *started, time_t now, struct outcome *o)
{
	time_t t0 = started ? utc_parse(started) : (time_t)-1;
	double elapsed_h;

	if (t0 == (time_t)-1) {
		outcome_blocked_burn_in_clock_not_started(o);
		return;
	}
	elapsed_h = difftime(now, t0) / 3600.0;
	if (elapsed_h >= g->hours)
		outcome_passed_burn_in_elapsed(o, g->hours);
	else
		outcome_blocked_burn_in_remaining(o, g->hours - elapsed_h, g->hours);
}

json_t *
api_gate_outcome(struct daemon *d, const struct tier_config *t, const struct gate_config *g,
    const char *version, const char *burn_in_started, time_t now, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct outcome o;
	json_t *j = NULL;
	int have;

	memset(&o, 0, sizeof(o));
	if (version == NULL)
		return json_null();
	if (g->kind == GATE_BURN_IN) {
		/* always the clock: a reset clock makes an earlier elapse moot */
		eval_burn_in(g, burn_in_started, now, &o);
		j = outcome_to_json(&o);
		outcome_release(&o);
		return j;
	}
	have = store_gate_latest(d->store, t->name, version, g->name, &text, err);
	if (have == -1)
		return NULL;
	if (have == 1)
		j = json_loads(text.buf, 0, NULL);
	else if (g->kind == GATE_MANUAL_CONFIRM)
		outcome_blocked_awaiting_operator_confirmation(&o), j = outcome_to_json(&o);
	outcome_release(&o);
	strbuf_release(&text);
	return j ? j : json_null();
}

static const struct gate_config *
tier_confirm_gate(const struct tier_config *t)
{
	for (size_t i = 0; i < t->ngates; i++)
		if (t->gates[i].kind == GATE_MANUAL_CONFIRM)
			return &t->gates[i];
	return NULL;
}

static void
confirm_record(struct http_request *req, struct daemon *d, const struct tier_config *t,
    const struct gate_config *g, const char *version)
{
	struct strbuf now = STRBUF_INIT, err = STRBUF_INIT;
	const char *actor = req->identity ? req->identity : "unknown";
	struct outcome o;
	json_t *oj;
	char *text, *detail;
	int64_t id;

	memset(&o, 0, sizeof(o));
	strbuf_addtime(&now, 0);
	outcome_passed_operator_confirmed(&o, now.buf);
	oj = outcome_to_json(&o);
	text = json_dumps(oj, JSON_COMPACT);
	id = store_gate_run_record(
	    d->store, t->name, version, g->name, "manual_confirm", "passed", text, &err);
	detail = NULL;
	if (id > 0) {
		json_t *dj =
		    json_pack("{s:s, s:I}", "version", version, "gate_run_id", (json_int_t)id);

		detail = json_dumps(dj, JSON_COMPACT);
		json_decref(dj);
	}
	if (id == -1 || store_audit(d->store, actor, "confirm", t->name, detail, &err) == -1) {
		http_respond_error(
		    req, 500, "internal", "cannot record the confirmation: %s", err.buf);
		json_decref(oj);
	} else {
		events_emit(&d->events, "manual_confirm",
		    json_pack("{s:s, s:s, s:I, s:s, s:O}", "tier", t->name, "version", version,
		        "gate_run_id", (json_int_t)id, "actor", actor, "outcome", oj));
		http_respond_json(req, 200,
		    json_pack("{s:I, s:s, s:s, s:o}", "gate_run_id", (json_int_t)id, "tier",
		        t->name, "version", version, "outcome", oj));
	}
	free(text);
	free(detail);
	outcome_release(&o);
	strbuf_release(&now);
	strbuf_release(&err);
}

void
api_confirm(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf name = STRBUF_INIT, err = STRBUF_INIT;
	const struct tier_config *t;
	const struct gate_config *g;
	struct store_tier_state ts;

	memset(&ts, 0, sizeof(ts));
	route_param(&req->params, "tier", &name);
	t = topology_tier(&d->topo, name.buf, name.len);
	if (req->json && (!json_is_object(req->json) || json_object_size(req->json) > 0))
		http_respond_error(req, 400, "bad_request", "POST /confirm takes no body (or {})");
	else if (t == NULL)
		http_respond_error(req, 404, "unknown_tier", "no tier named '%s'", name.buf);
	else if ((g = tier_confirm_gate(t)) == NULL)
		http_respond_error(
		    req, 409, "no_manual_confirm", "tier '%s' has no manual_confirm gate", t->name);
	else if (store_tier_state(d->store, t->name, &ts, &err) == -1)
		http_respond_error(req, 500, "internal", "%s", err.buf);
	else if (ts.current_version == NULL)
		http_respond_error(req, 409, "no_current_version",
		    "tier '%s' has no current version to confirm", t->name);
	else
		confirm_record(req, d, t, g, ts.current_version);
	store_tier_state_release(&ts);
	strbuf_release(&name);
	strbuf_release(&err);
}

/* The query's tier and version filters, validated: 0 with each NULL when
 * absent (tier->buf / v->buf otherwise), or -1 after answering 400/404. */
int
api_query_filters(struct http_request *req, struct daemon *d, struct strbuf *tier, struct strbuf *v,
    const char **tier_out, const char **v_out)
{
	*tier_out = http_query_get(req, "tier", tier) == 0 ? tier->buf : NULL;
	*v_out = http_query_get(req, "version", v) == 0 ? v->buf : NULL;
	if (*v_out && !version_valid(v->buf, v->len))
		http_respond_error(
		    req, 400, "invalid_version", "'version' is not a semantic version");
	else if (*tier_out && topology_tier(&d->topo, tier->buf, tier->len) == NULL)
		http_respond_error(req, 404, "unknown_tier", "no tier named '%s'", tier->buf);
	else
		return 0;
	return -1;
}

void
api_gate_runs(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf v = STRBUF_INIT, tier = STRBUF_INIT, err = STRBUF_INIT;
	const char *t, *ver;

	if (api_query_filters(req, d, &tier, &v, &t, &ver) == 0)
		api_respond_rows(
		    req, store_gate_runs_json(d->store, 0, t, ver, 500, &err), &err, NULL);
	strbuf_release(&v);
	strbuf_release(&tier);
	strbuf_release(&err);
}

void
api_gate_run(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;
	int64_t id = api_param_id(req, "id");

	if (id > 0)
		api_respond_rows(req, store_gate_runs_json(d->store, id, NULL, NULL, 1, &err), &err,
		    "unknown_gate_run");
	strbuf_release(&err);
}
