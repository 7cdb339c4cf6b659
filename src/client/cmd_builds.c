/*
 * sando builds: GET /builds, the newest first: id, status, version, commit,
 * when requested and finished, and why a build failed.
 */
#include "client/cmd.h"

#define BUILDS_SHA_SHORT 12

static void
builds_row(struct cmd_table *t, json_t *b)
{
	const char *status = cmd_str(b, "status", "running");

	cmd_table_addj(t, NULL, json_object_get(b, "id"));
	cmd_table_add(t, cmd_status_color(status), "%s", status);
	cmd_table_addj(t, NULL, json_object_get(b, "version"));
	cmd_table_add(t, NULL, "%.*s", BUILDS_SHA_SHORT, cmd_str(b, "sha", "-"));
	cmd_table_addj(t, NULL, json_object_get(b, "requested_at"));
	cmd_table_addj(t, NULL, json_object_get(b, "finished_at"));
	cmd_table_add(t, NULL, "%s", cmd_str(b, "error", ""));
}

static int
cmd_builds(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = {
	    "ID", "STATUS", "VERSION", "SHA", "REQUESTED", "FINISHED", "ERROR", NULL};
	struct cmd_args a;
	int rc = cmd_parse(&cmd_builds_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	return cmd_list(ctx, &cmd_builds_entry, &a, "/builds", header, builds_row);
}

const struct cmd_entry cmd_builds_entry = {
    .name = "builds",
    .usage = "[--json]",
    .summary = "list the latest builds, newest first",
    .help = "  --json   print the daemon's JSON (GET /builds)\n",
    .run = cmd_builds,
    .opts = CMD_OPT_JSON,
};
