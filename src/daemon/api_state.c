/*
 * GET /state: the tiers in topology order, each with its versions, burn-in
 * start, nodes and configured gates (DESIGN.md section 3), and the version
 * pending on it (pending_version, pending_gates: the outcomes of the tier's
 * gates for that version).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api.h"
#include "daemon/deploy/node_check.h"
#include "daemon/gates/gates.h"
#include "daemon/store.h"

static json_t *
json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
state_nodes(struct daemon *d, const struct tier_config *t, struct strbuf *err)
{
	json_t *nodes = json_array();
	struct strbuf v = STRBUF_INIT;

	for (size_t i = 0; i < t->nnodes; i++) {
		const struct node_config *n = &t->nodes[i];
		int rc = store_node_version(d->store, n->name, &v, err);

		if (rc == -1) {
			json_decref(nodes);
			nodes = NULL;
			break;
		}
		json_t *check = node_check_json(d, n);

		json_array_append_new(
		    nodes, json_pack("{s:s, s:s, s:o, s:o}", "name", n->name, "transport",
		               topology_transport_name(n->transport), "current_version",
		               rc == 0 ? json_string(v.buf) : json_null(), "check",
		               check ? check : json_null()));
	}
	strbuf_release(&v);
	return nodes;
}

/* The configured gates with their outcome for version (NULL: none) and
 * whether a run of each is in flight. */
static json_t *
state_gates(struct daemon *d, const struct tier_config *t, const char *version,
    const char *burn_in_started, struct strbuf *err)
{
	json_t *gates = json_array();
	time_t now = time(NULL);

	for (size_t i = 0; i < t->ngates; i++) {
		const struct gate_config *g = &t->gates[i];
		json_t *o = api_gate_outcome(d, t, g, version, burn_in_started, now, err);
		int64_t run = version ? gates_running_id(d, t->name, version, g->name) : 0;

		if (o == NULL) {
			json_decref(gates);
			return NULL;
		}
		json_array_append_new(
		    gates, json_pack("{s:s, s:s, s:o, s:o, s:b}", "name", g->name, "kind",
		               gate_kind_name(g->kind), "version", json_string_or_null(version),
		               "outcome", o, "running", run != 0));
		if (run)
			json_object_set_new(json_array_get(gates, i), "run_id", json_integer(run));
	}
	return gates;
}

/* The version waiting to become t's current one: for the first tier the
 * newest one its gates ran for, for the others the predecessor's current
 * one; NULL when that is already current. */
static char *
state_pending(struct daemon *d, size_t ti, const struct store_tier_state *ts, struct strbuf *err)
{
	struct store_tier_state prev;
	struct strbuf v = STRBUF_INIT;
	char *pending = NULL;

	memset(&prev, 0, sizeof(prev));
	if (ti == 0) {
		if (store_gate_pending_version(d->store, d->topo.tiers[0].name, &v, err) == 1)
			pending = strbuf_detach(&v, NULL);
	} else if (store_tier_state(d->store, d->topo.tiers[ti - 1].name, &prev, err) == 0 &&
	           prev.current_version) {
		pending = prev.current_version;
		prev.current_version = NULL;
	}
	if (pending && ts->current_version && strcmp(pending, ts->current_version) == 0) {
		free(pending);
		pending = NULL;
	}
	store_tier_state_release(&prev);
	strbuf_release(&v);
	return pending;
}

static json_t *
state_tier(struct daemon *d, size_t ti, struct strbuf *err)
{
	const struct tier_config *t = &d->topo.tiers[ti];
	struct store_tier_state ts;
	json_t *nodes, *gates, *pgates = NULL, *tier;
	char *pending;

	if (store_tier_state(d->store, t->name, &ts, err) == -1)
		return NULL;
	pending = state_pending(d, ti, &ts, err);
	nodes = state_nodes(d, t, err);
	gates = nodes ? state_gates(d, t, ts.current_version, ts.burn_in_started_at, err) : NULL;
	pgates = gates && pending ? state_gates(d, t, pending, NULL, err) : NULL;
	if (gates == NULL || (pending && pgates == NULL)) {
		json_decref(nodes);
		json_decref(gates);
		free(pending);
		store_tier_state_release(&ts);
		return NULL;
	}
	tier = json_pack("{s:s, s:b, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "name", t->name,
	    "provisioned", t->provisioned, "canary", topology_canary_name(t->canary),
	    "current_version", json_string_or_null(ts.current_version), "previous_version",
	    json_string_or_null(ts.previous_version), "burn_in_started_at",
	    json_string_or_null(ts.burn_in_started_at), "frozen", ts.frozen, "nodes", nodes,
	    "gates", gates);
	json_object_set_new(tier, "pending_version", json_string_or_null(pending));
	json_object_set_new(tier, "pending_gates", pgates ? pgates : json_array());
	free(pending);
	store_tier_state_release(&ts);
	return tier;
}

int
api_state_render(struct daemon *d, struct strbuf *out, struct strbuf *err)
{
	json_t *tiers = json_array(), *doc;
	char *text;

	for (size_t i = 0; i < d->topo.ntiers; i++) {
		json_t *t = state_tier(d, i, err);

		if (t == NULL) {
			json_decref(tiers);
			return -1;
		}
		json_array_append_new(tiers, t);
	}
	doc = json_pack("{s:o}", "tiers", tiers);
	{
		struct strbuf why = STRBUF_INIT;
		int frozen = store_frozen(d->store, "", &why, err);

		/* the global freeze (a tier's own is in the tier) */
		json_object_set_new(doc, "freeze",
		    json_pack("{s:b, s:o}", "frozen", frozen == 1, "reason",
		        frozen == 1 ? json_string(why.buf) : json_null()));
		strbuf_release(&why);
	}
	text = json_dumps(doc, JSON_COMPACT);
	strbuf_addstr(out, text);
	free(text);
	json_decref(doc);
	return 0;
}
