/*
 * sando freeze [TIER]: POST /freeze[/{tier}] {reason?}, a stop-the-line
 * freeze that refuses promotes (to TIER, or to every tier) until lifted with
 * 'sando unfreeze'; rollbacks stay allowed.  cmd_freeze_run serves both.
 */
#include "client/cmd.h"

int
cmd_freeze_run(
    const struct cmd_entry *cmd, const struct cmd_ctx *ctx, int argc, char **argv, int frozen)
{
	struct cmd_request rq = {.method = "POST"};
	struct strbuf path = STRBUF_INIT;
	struct cmd_reply r;
	struct cmd_args a;
	int rc = cmd_parse(cmd, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	strbuf_addstr(&path, frozen ? "/freeze" : "/unfreeze");
	if (a.noperands) {
		strbuf_addch(&path, '/');
		cmd_add_escaped(&path, a.operands[0]);
	}
	rq.path = path.buf;
	rq.body = a.reason ? json_pack("{s:s}", "reason", a.reason) : json_object();
	rc = cmd_call(ctx, cmd, &rq, &r);
	if (rc == CMD_EXIT_OK && a.json) {
		cmd_print_body(&r);
	} else if (rc == CMD_EXIT_OK) {
		const char *tier = cmd_str(r.json, "tier", NULL);

		cmd_printf("%s %s%s%s%s%s", frozen ? "froze" : "unfroze",
		    tier ? "tier " : "all promotes", tier ? tier : "",
		    frozen && a.reason ? " (" : "", frozen && a.reason ? a.reason : "",
		    frozen && a.reason ? ")" : "");
	}
	json_decref(rq.body);
	cmd_reply_release(&r);
	strbuf_release(&path);
	return rc;
}

static int
cmd_freeze(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_freeze_run(&cmd_freeze_entry, ctx, argc, argv, 1);
}

const struct cmd_entry cmd_freeze_entry = {
    .name = "freeze",
    .usage = "[TIER] [--reason REASON] [--json]",
    .summary = "refuse promotes to TIER (or to every tier) until unfrozen",
    .help = "  --reason REASON  why, shown to whoever tries to promote\n"
            "  --json           print the daemon's JSON ({tier, frozen, reason})\n"
            "\n"
            "Without TIER the freeze is global.  Rollbacks are still allowed.\n",
    .run = cmd_freeze,
    .opts = CMD_OPT_JSON | CMD_OPT_REASON,
    .max_args = 1,
};
