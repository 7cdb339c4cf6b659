/*
 * sando deploys: GET /deploys?tier=&version=, one row per node deploy,
 * newest first: its promote or rollback, tier, node, versions, status and,
 * for a failed one, the typed failure and its message.
 */
#include "client/cmd.h"

static void
deploys_row(struct cmd_table *t, json_t *d)
{
	struct strbuf why = STRBUF_INIT;
	const char *status = cmd_str(d, "status", "running");

	cmd_deploy_failure(json_object_get(d, "outcome"), &why);
	cmd_table_addj(t, NULL, json_object_get(d, "id"));
	cmd_table_add(t, NULL, "%s %lld", cmd_str(d, "kind", "?"),
	    (long long)json_integer_value(json_object_get(d, "promote_id")));
	cmd_table_addj(t, NULL, json_object_get(d, "tier"));
	cmd_table_addj(t, NULL, json_object_get(d, "node"));
	cmd_table_addj(t, NULL, json_object_get(d, "version"));
	cmd_table_addj(t, NULL, json_object_get(d, "from_version"));
	cmd_table_add(t, cmd_status_color(status), "%s", status);
	cmd_table_addj(t, NULL, json_object_get(d, "finished_at"));
	cmd_table_add(t, NULL, "%s", why.buf);
	strbuf_release(&why);
}

static int
cmd_deploys(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = {
	    "ID", "BY", "TIER", "NODE", "VERSION", "FROM", "STATUS", "FINISHED", "FAILURE", NULL};
	struct strbuf path = STRBUF_INIT;
	struct cmd_args a;
	int rc = cmd_parse(&cmd_deploys_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	strbuf_addstr(&path, "/deploys");
	if (a.tier) {
		strbuf_addstr(&path, "?tier=");
		cmd_add_escaped(&path, a.tier);
	}
	if (a.version) {
		strbuf_addstr(&path, a.tier ? "&version=" : "?version=");
		cmd_add_escaped(&path, a.version);
	}
	rc = cmd_list(ctx, &cmd_deploys_entry, &a, path.buf, header, deploys_row);
	strbuf_release(&path);
	return rc;
}

const struct cmd_entry cmd_deploys_entry = {
    .name = "deploys",
    .usage = "[--tier TIER] [--version VERSION] [--json]",
    .summary = "list node deploys (of promotes and rollbacks), newest first",
    .help = "  --tier TIER        only this tier's\n"
            "  --version VERSION  only deploys of this version\n"
            "  --json             print the daemon's JSON (GET /deploys)\n",
    .run = cmd_deploys,
    .opts = CMD_OPT_JSON | CMD_OPT_TIER | CMD_OPT_VERSION,
};
