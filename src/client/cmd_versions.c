/*
 * sando versions: GET /versions, the staged versions, newest first: the
 * version, its commit, the build that staged it and when.
 */
#include "client/cmd.h"

#define VERSIONS_SHA_SHORT 12

static void
versions_row(struct cmd_table *t, json_t *v)
{
	cmd_table_addj(t, NULL, json_object_get(v, "version"));
	cmd_table_add(t, NULL, "%.*s", VERSIONS_SHA_SHORT, cmd_str(v, "sha", "-"));
	cmd_table_addj(t, NULL, json_object_get(v, "build_id"));
	cmd_table_addj(t, NULL, json_object_get(v, "staged_at"));
}

static int
cmd_versions(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = {"VERSION", "SHA", "BUILD", "STAGED", NULL};
	struct cmd_args a;
	int rc = cmd_parse(&cmd_versions_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	return cmd_list(ctx, &cmd_versions_entry, &a, "/versions", header, versions_row);
}

const struct cmd_entry cmd_versions_entry = {
    .name = "versions",
    .usage = "[--json]",
    .summary = "list the staged versions, newest first",
    .help = "  --json   print the daemon's JSON (GET /versions)\n",
    .run = cmd_versions,
    .opts = CMD_OPT_JSON,
};
