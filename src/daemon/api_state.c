/*
 * GET /state: the tiers in topology order, each with its versions, burn-in
 * start, nodes and configured gates (DESIGN.md section 3).
 */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/api.h"
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
		json_array_append_new(
		    nodes, json_pack("{s:s, s:s, s:o}", "name", n->name, "transport",
		               topology_transport_name(n->transport), "current_version",
		               rc == 0 ? json_string(v.buf) : json_null()));
	}
	strbuf_release(&v);
	return nodes;
}

/* The configured gates with the outcome for the tier's current version. */
static json_t *
state_gates(struct daemon *d, const struct tier_config *t, const struct store_tier_state *ts,
    struct strbuf *err)
{
	json_t *gates = json_array();
	time_t now = time(NULL);

	for (size_t i = 0; i < t->ngates; i++) {
		const struct gate_config *g = &t->gates[i];
		json_t *o = api_gate_outcome(
		    d, t, g, ts->current_version, ts->burn_in_started_at, now, err);

		if (o == NULL) {
			json_decref(gates);
			return NULL;
		}
		json_array_append_new(
		    gates, json_pack("{s:s, s:s, s:o, s:o}", "name", g->name, "kind",
		               gate_kind_name(g->kind), "version",
		               json_string_or_null(ts->current_version), "outcome", o));
	}
	return gates;
}

static json_t *
state_tier(struct daemon *d, const struct tier_config *t, struct strbuf *err)
{
	struct store_tier_state ts;
	json_t *nodes, *gates, *tier;

	if (store_tier_state(d->store, t->name, &ts, err) == -1)
		return NULL;
	nodes = state_nodes(d, t, err);
	gates = nodes ? state_gates(d, t, &ts, err) : NULL;
	if (gates == NULL) {
		json_decref(nodes);
		store_tier_state_release(&ts);
		return NULL;
	}
	tier = json_pack("{s:s, s:b, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "name", t->name,
	    "provisioned", t->provisioned, "canary", topology_canary_name(t->canary),
	    "current_version", json_string_or_null(ts.current_version), "previous_version",
	    json_string_or_null(ts.previous_version), "burn_in_started_at",
	    json_string_or_null(ts.burn_in_started_at), "frozen", ts.frozen, "nodes", nodes,
	    "gates", gates);
	store_tier_state_release(&ts);
	return tier;
}

int
api_state_render(struct daemon *d, struct strbuf *out, struct strbuf *err)
{
	json_t *tiers = json_array(), *doc;
	char *text;

	for (size_t i = 0; i < d->topo.ntiers; i++) {
		json_t *t = state_tier(d, &d->topo.tiers[i], err);

		if (t == NULL) {
			json_decref(tiers);
			return -1;
		}
		json_array_append_new(tiers, t);
	}
	doc = json_pack("{s:o}", "tiers", tiers);
	text = json_dumps(doc, JSON_COMPACT);
	strbuf_addstr(out, text);
	free(text);
	json_decref(doc);
	return 0;
}
