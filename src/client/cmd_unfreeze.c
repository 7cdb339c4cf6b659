/*
 * sando unfreeze [TIER]: POST /unfreeze[/{tier}], lift a freeze set with
 * 'sando freeze' (see cmd_freeze.c).
 */
#include "client/cmd.h"

static int
cmd_unfreeze(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_freeze_run(&cmd_unfreeze_entry, ctx, argc, argv, 0);
}

const struct cmd_entry cmd_unfreeze_entry = {
    .name = "unfreeze",
    .usage = "[TIER] [--json]",
    .summary = "lift the freeze of TIER (or the global one)",
    .help = "  --json   print the daemon's JSON ({tier, frozen, reason})\n"
            "\n"
            "A tier's freeze and the global freeze are separate: lifting one keeps the other.\n",
    .run = cmd_unfreeze,
    .opts = CMD_OPT_JSON,
    .max_args = 1,
};
