/*
 * sando rollback TIER: POST /rollback/{tier}, every node of the tier back to
 * its previous version; waits for the outcome like promote (see
 * cmd_promote.c) unless --no-wait.  Allowed while frozen.
 */
#include "client/cmd.h"

static int
cmd_rollback(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_request rq = {.method = "POST"};
	struct strbuf path = STRBUF_INIT;
	struct cmd_reply r;
	struct cmd_args a;
	int rc = cmd_parse(&cmd_rollback_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	strbuf_addstr(&path, "/rollback/");
	cmd_add_escaped(&path, a.operands[0]);
	rq.path = path.buf;
	rc = cmd_call(ctx, &cmd_rollback_entry, &rq, &r);
	if (rc == CMD_EXIT_OK)
		rc = cmd_promote_follow(ctx, &cmd_rollback_entry, &a, &r);
	cmd_reply_release(&r);
	strbuf_release(&path);
	return rc;
}

const struct cmd_entry cmd_rollback_entry = {
    .name = "rollback",
    .usage = "TIER [--no-wait] [--json]",
    .summary = "switch every node of TIER back to the tier's previous version",
    .help = "  --no-wait  print the rollback's id and exit without waiting\n"
            "  --json     print the daemon's JSON (the final GET /promotes/{id};\n"
            "             with --no-wait the 202 answer)\n"
            "\n"
            "Waits for the outcome, printing each node as it ends; exits 0 when the\n"
            "rollback ended ok, 1 when it was refused or failed.  Allowed while frozen.\n",
    .run = cmd_rollback,
    .opts = CMD_OPT_JSON | CMD_OPT_NO_WAIT,
    .min_args = 1,
    .max_args = 1,
};
