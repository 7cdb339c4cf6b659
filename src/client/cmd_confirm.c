/*
 * sando confirm TIER: POST /confirm/{tier}, a passing manual_confirm gate
 * run for the tier's current version; prints the version and the outcome.
 */
#include "client/cmd.h"

static void
confirm_print(const struct cmd_ctx *ctx, json_t *j)
{
	struct strbuf status = STRBUF_INIT, summary = STRBUF_INIT, line = STRBUF_INIT;
	struct outcome o;
	const char *c;

	cmd_outcome(json_object_get(j, "outcome"), &o, &status, &summary);
	c = ctx->color ? cmd_outcome_color(&o) : NULL;
	strbuf_addf(&line, "%s on %s: manual_confirm ", cmd_str(j, "version", "?"),
	    cmd_str(j, "tier", "?"));
	cmd_clean(&line, status.buf);
	strbuf_addstr(&line, ": ");
	cmd_clean(&line, summary.buf);
	if (c)
		printf("%s%s%s\n", c, line.buf, CMD_C_OFF);
	else
		puts(line.buf);
	outcome_release(&o);
	strbuf_release(&status);
	strbuf_release(&summary);
	strbuf_release(&line);
}

static int
cmd_confirm(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_request rq = {.method = "POST"};
	struct strbuf path = STRBUF_INIT;
	struct cmd_reply r;
	struct cmd_args a;
	int rc = cmd_parse(&cmd_confirm_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	strbuf_addstr(&path, "/confirm/");
	cmd_add_escaped(&path, a.operands[0]);
	rq.path = path.buf;
	rc = cmd_call(ctx, &cmd_confirm_entry, &rq, &r);
	if (rc == CMD_EXIT_OK && a.json)
		cmd_print_body(&r);
	else if (rc == CMD_EXIT_OK)
		confirm_print(ctx, r.json);
	cmd_reply_release(&r);
	strbuf_release(&path);
	return rc;
}

const struct cmd_entry cmd_confirm_entry = {
    .name = "confirm",
    .usage = "TIER [--json]",
    .summary = "confirm the tier's current version (its manual_confirm gate)",
    .help = "  --json   print the daemon's JSON ({gate_run_id, tier, version, outcome})\n"
            "\n"
            "A newer version needs a new confirmation.\n",
    .run = cmd_confirm,
    .opts = CMD_OPT_JSON,
    .min_args = 1,
    .max_args = 1,
};
