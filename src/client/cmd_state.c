/*
 * sando state: GET /state as two tables: the tiers (current and previous
 * version, burn-in start, freeze, nodes with their versions) and the gates
 * (each gate's outcome for the tier's current version, then those for the
 * version pending on the tier), the outcome's status coloured by
 * outcome_color.  Nodes whose start-up check did not pass are marked '!'
 * and explained below the tables.
 */
#include <string.h>

#include "client/cmd.h"

/* "s-1=0.1.0 s-2=-": the nodes and their versions; notes for failed checks. */
static void
state_nodes(json_t *nodes, struct strbuf *cell, struct strbuf *notes)
{
	size_t i;
	json_t *n;

	json_array_foreach(nodes, i, n)
	{
		json_t *check = json_object_get(n, "check");
		const char *cs = cmd_str(check, "status", "ok");

		strbuf_addf(cell, "%s%s=%s", i ? " " : "", cmd_str(n, "name", "?"),
		    cmd_str(n, "current_version", "-"));
		if (strcmp(cs, "ok") != 0) {
			struct strbuf note = STRBUF_INIT;

			strbuf_addch(cell, '!');
			strbuf_addf(&note, "node %s: check %s: %s", cmd_str(n, "name", "?"), cs,
			    cmd_str(check, "message", "-"));
			cmd_clean(notes, note.buf);
			strbuf_addch(notes, '\n');
			strbuf_release(&note);
		}
	}
	if (i == 0)
		strbuf_addch(cell, '-');
}

static void
state_tier_row(struct cmd_table *t, json_t *tier, struct strbuf *notes)
{
	struct strbuf nodes = STRBUF_INIT;
	int frozen = json_is_true(json_object_get(tier, "frozen"));

	state_nodes(json_object_get(tier, "nodes"), &nodes, notes);
	cmd_table_add(t, NULL, "%s", cmd_str(tier, "name", "?"));
	cmd_table_addj(t, CMD_C_GREEN, json_object_get(tier, "current_version"));
	cmd_table_addj(t, NULL, json_object_get(tier, "previous_version"));
	cmd_table_addj(t, NULL, json_object_get(tier, "burn_in_started_at"));
	cmd_table_add(t, frozen ? CMD_C_YELLOW : NULL, "%s", frozen ? "yes" : "no");
	cmd_table_add(t, NULL, "%s", nodes.buf);
	strbuf_release(&nodes);
}

/* One row per gate of gates (of tier, for version, marked pending). */
static void
state_gate_rows(struct cmd_table *t, const char *tier, json_t *gates, int pending)
{
	struct strbuf status = STRBUF_INIT, summary = STRBUF_INIT;
	struct outcome o;
	size_t i;
	json_t *g;

	json_array_foreach(gates, i, g)
	{
		int running = json_is_true(json_object_get(g, "running"));

		cmd_outcome(json_object_get(g, "outcome"), &o, &status, &summary);
		cmd_table_add(t, NULL, "%s", tier);
		cmd_table_add(t, NULL, "%s", cmd_str(g, "name", "?"));
		cmd_table_add(
		    t, NULL, "%s%s", cmd_str(g, "version", "-"), pending ? " (pending)" : "");
		if (running)
			cmd_table_add(t, CMD_C_CYAN, "running");
		else
			cmd_table_add(t, cmd_outcome_color(&o), "%s", status.buf);
		cmd_table_add(t, running ? NULL : cmd_outcome_color(&o), "%s",
		    running && o.kind == OUTCOME_NONE ? "-" : summary.buf);
		outcome_release(&o);
		strbuf_reset(&status);
		strbuf_reset(&summary);
	}
	strbuf_release(&status);
	strbuf_release(&summary);
}

static void
state_print(const struct cmd_ctx *ctx, json_t *tiers)
{
	struct strbuf notes = STRBUF_INIT;
	struct cmd_table t, g;
	size_t i;
	json_t *tier;

	cmd_table_init(&t, 6);
	cmd_table_init(&g, 5);
	cmd_table_row(&t, "TIER", "CURRENT", "PREVIOUS", "BURN-IN SINCE", "FROZEN", "NODES", NULL);
	cmd_table_row(&g, "TIER", "GATE", "VERSION", "STATUS", "OUTCOME", NULL);
	json_array_foreach(tiers, i, tier)
	{
		const char *name = cmd_str(tier, "name", "?");

		state_tier_row(&t, tier, &notes);
		state_gate_rows(&g, name, json_object_get(tier, "gates"), 0);
		state_gate_rows(&g, name, json_object_get(tier, "pending_gates"), 1);
	}
	cmd_table_print(&t, stdout, ctx->color);
	if (g.ncells > g.ncols) {
		putchar('\n');
		cmd_table_print(&g, stdout, ctx->color);
	}
	if (notes.len)
		printf("\n%s", notes.buf);
	cmd_table_release(&t);
	cmd_table_release(&g);
	strbuf_release(&notes);
}

static int
cmd_state(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_request rq = {.path = "/state"};
	struct cmd_reply r;
	struct cmd_args a;
	int rc = cmd_parse(&cmd_state_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	rc = cmd_call(ctx, &cmd_state_entry, &rq, &r);
	if (rc == CMD_EXIT_OK && a.json) {
		cmd_print_body(&r);
	} else if (rc == CMD_EXIT_OK) {
		if (json_is_array(json_object_get(r.json, "tiers"))) {
			state_print(ctx, json_object_get(r.json, "tiers"));
		} else {
			fprintf(stderr, "sando state: the daemon's answer has no 'tiers'\n");
			rc = CMD_EXIT_FAIL;
		}
	}
	cmd_reply_release(&r);
	return rc;
}

const struct cmd_entry cmd_state_entry = {
    .name = "state",
    .usage = "[--json]",
    .summary = "show every tier: versions, burn-in, nodes and gate outcomes",
    .help = "  --json   print the daemon's JSON (GET /state)\n"
            "\n"
            "Gate outcomes are green when passed, yellow when blocked, red when failed\n"
            "(colours only on a terminal, never with NO_COLOR set).\n",
    .run = cmd_state,
    .opts = CMD_OPT_JSON,
};
