/*
 * sando promote TIER: POST /promote/{tier} {version?, hotfix?,
 * reset_burn_in?}, then (unless --no-wait) wait for the outcome: GET
 * /promotes/{id} every 200 ms, a line per node as its deploy ends (and again
 * if it changes, as when a failed canary switches a node back: "reverted"),
 * then the promote's status; exit 0 only when it is "ok".
 *
 * A refusal is one line on stderr with the daemon's message; a 422 lists
 * each gate of the predecessor tier that has not passed, with its outcome.
 * cmd_promote_follow is shared with rollback.
 */
#include <string.h>
#include <uv.h>

#include "client/cmd.h"

#define PROMOTE_POLL_MS 200
#define PROMOTE_NODE_WIDTH 10
#define PROMOTE_STATUS_WIDTH 11 /* "interrupted" */

/* Print text (cleaned) with status (coloured) at its first "%s". */
static void
promote_line(const struct cmd_ctx *ctx, const char *before, const char *status, const char *after)
{
	const char *c = ctx->color ? cmd_status_color(status) : NULL;
	struct strbuf line = STRBUF_INIT;

	cmd_clean(&line, before);
	if (c)
		strbuf_addstr(&line, c);
	cmd_clean(&line, status);
	if (c)
		strbuf_addstr(&line, CMD_C_OFF);
	cmd_clean(&line, after);
	strbuf_rtrim(&line);
	puts(line.buf);
	strbuf_release(&line);
}

/* Print the deploys of p whose status is new or changed since seen. */
static void
promote_nodes(const struct cmd_ctx *ctx, json_t *p, json_t *seen, int *width)
{
	json_t *deploys = json_object_get(p, "deploys");
	struct strbuf node = STRBUF_INIT, after = STRBUF_INIT;

	for (size_t i = json_array_size(deploys); i-- > 0;) {
		json_t *d = json_array_get(deploys, i);
		const char *name = cmd_str(d, "node", "?"), *status = cmd_str(d, "status", NULL);
		const char *was = cmd_str(seen, name, NULL);

		if (status == NULL || (was && strcmp(was, status) == 0))
			continue;
		json_object_set_new(seen, name, json_string(status));
		if ((int)strlen(name) > *width)
			*width = (int)strlen(name);
		strbuf_addf(&node, "  %-*s  ", *width, name);
		strbuf_addf(&after, "%*s", PROMOTE_STATUS_WIDTH + 2 - (int)strlen(status), "");
		cmd_deploy_failure(json_object_get(d, "outcome"), &after);
		promote_line(ctx, node.buf, status, after.buf);
		strbuf_reset(&node);
		strbuf_reset(&after);
	}
	strbuf_release(&node);
	strbuf_release(&after);
}

/* The final line of promote p (its status is set); the exit status. */
static int
promote_done(const struct cmd_ctx *ctx, json_t *p)
{
	const char *status = cmd_str(p, "status", "?");
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	int ok = strcmp(status, "ok") == 0;

	strbuf_addf(&before, "%s %lld ", cmd_str(p, "kind", "promote"),
	    (long long)json_integer_value(json_object_get(p, "id")));
	if (ok)
		strbuf_addf(
		    &after, ": %s is on %s", cmd_str(p, "tier", "?"), cmd_str(p, "version", "?"));
	else
		strbuf_addf(&after, ": %s", cmd_str(p, "error", "see 'sando deploys'"));
	promote_line(ctx, before.buf, status, after.buf);
	strbuf_release(&before);
	strbuf_release(&after);
	return ok ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

/* Poll promote id until it ends; the exit status. */
static int
promote_wait(
    const struct cmd_ctx *ctx, const struct cmd_entry *cmd, const struct cmd_args *a, int64_t id)
{
	struct strbuf path = STRBUF_INIT;
	struct cmd_request rq = {0};
	struct cmd_reply r;
	json_t *seen = json_object();
	int rc, width = PROMOTE_NODE_WIDTH;

	strbuf_addf(&path, "/promotes/%lld", (long long)id);
	rq.path = path.buf;
	for (;;) {
		if ((rc = cmd_call(ctx, cmd, &rq, &r)) != CMD_EXIT_OK)
			break;
		if (!a->json)
			promote_nodes(ctx, r.json, seen, &width);
		fflush(stdout);
		if (!json_is_null(json_object_get(r.json, "status"))) {
			if (a->json)
				cmd_print_body(&r);
			rc = a->json ? (strcmp(cmd_str(r.json, "status", "?"), "ok") ? CMD_EXIT_FAIL
			                                                             : CMD_EXIT_OK)
			             : promote_done(ctx, r.json);
			break;
		}
		cmd_reply_release(&r);
		uv_sleep(PROMOTE_POLL_MS);
	}
	cmd_reply_release(&r);
	json_decref(seen);
	strbuf_release(&path);
	return rc;
}

int
cmd_promote_follow(const struct cmd_ctx *ctx, const struct cmd_entry *cmd, const struct cmd_args *a,
    const struct cmd_reply *accepted)
{
	json_t *j = accepted->json;
	json_int_t id = json_integer_value(json_object_get(j, "promote_id"));

	if (a->json && a->no_wait) {
		cmd_print_body(accepted);
		return CMD_EXIT_OK;
	}
	if (!a->json)
		cmd_printf("%s %lld: %s to %s%s", cmd_str(j, "kind", cmd->name), (long long)id,
		    cmd_str(j, "version", "?"), cmd_str(j, "tier", "?"),
		    a->no_wait ? " started" : "");
	if (a->no_wait)
		return CMD_EXIT_OK;
	if (id <= 0) {
		fprintf(stderr, "sando %s: the daemon's answer has no promote_id\n", cmd->name);
		return CMD_EXIT_FAIL;
	}
	return promote_wait(ctx, cmd, a, id);
}

/* The body of POST /promote: only what was asked for. */
static json_t *
promote_body(const struct cmd_args *a)
{
	json_t *b = json_object();

	if (a->version)
		json_object_set_new(b, "version", json_string(a->version));
	if (a->hotfix)
		json_object_set_new(b, "hotfix", json_true());
	if (a->reset_burn_in)
		json_object_set_new(b, "reset_burn_in", json_true());
	return b;
}

static int
cmd_promote(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_request rq = {.method = "POST"};
	struct strbuf path = STRBUF_INIT;
	struct cmd_reply r;
	struct cmd_args a;
	int rc = cmd_parse(&cmd_promote_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	strbuf_addstr(&path, "/promote/");
	cmd_add_escaped(&path, a.operands[0]);
	rq.path = path.buf;
	rq.body = promote_body(&a);
	rc = cmd_call(ctx, &cmd_promote_entry, &rq, &r);
	if (rc == CMD_EXIT_OK)
		rc = cmd_promote_follow(ctx, &cmd_promote_entry, &a, &r);
	json_decref(rq.body);
	cmd_reply_release(&r);
	strbuf_release(&path);
	return rc;
}

const struct cmd_entry cmd_promote_entry = {
    .name = "promote",
    .usage = "TIER [--version VERSION] [--hotfix] [--reset-burn-in] [--no-wait] [--json]",
    .summary = "deploy a version to TIER once its predecessor's gates passed",
    .help = "  --version VERSION  the version (default: the predecessor tier's current one)\n"
            "  --hotfix           waive the predecessor's burn_in gate (only that one)\n"
            "  --reset-burn-in    also clear the predecessor tier's burn-in clock\n"
            "  --no-wait          print the promote's id and exit without waiting\n"
            "  --json             print the daemon's JSON (the final GET /promotes/{id};\n"
            "                     with --no-wait the 202 answer)\n"
            "\n"
            "Waits for the outcome, printing each node as its deploy ends; exits 0 when the\n"
            "promote ended ok, 1 when it was refused or failed.\n",
    .run = cmd_promote,
    .opts =
        CMD_OPT_JSON | CMD_OPT_VERSION | CMD_OPT_HOTFIX | CMD_OPT_RESET_BURN_IN | CMD_OPT_NO_WAIT,
    .min_args = 1,
    .max_args = 1,
};
