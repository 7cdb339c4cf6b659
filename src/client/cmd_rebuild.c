/*
 * sando rebuild: POST /rebuild {sha?}; prints the build id the daemon
 * started (follow it with 'sando logs VERSION build -f' or 'sando events').
 */
#include "client/cmd.h"

#define REBUILD_SHA_SHORT 12

static int
cmd_rebuild(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_request rq = {.method = "POST", .path = "/rebuild"};
	struct cmd_reply r;
	struct cmd_args a;
	int rc = cmd_parse(&cmd_rebuild_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	rq.body = a.sha ? json_pack("{s:s}", "sha", a.sha) : json_object();
	rc = cmd_call(ctx, &cmd_rebuild_entry, &rq, &r);
	if (rc == CMD_EXIT_OK && a.json) {
		cmd_print_body(&r);
	} else if (rc == CMD_EXIT_OK) {
		cmd_printf("build %lld started for %.*s",
		    (long long)json_integer_value(json_object_get(r.json, "build_id")),
		    REBUILD_SHA_SHORT, cmd_str(r.json, "sha", "?"));
	}
	json_decref(rq.body);
	cmd_reply_release(&r);
	return rc;
}

const struct cmd_entry cmd_rebuild_entry = {
    .name = "rebuild",
    .usage = "[--sha SHA] [--json]",
    .summary = "build a commit (default: the head of the configured branch)",
    .help = "  --sha SHA   the commit: 4 to 40 hexadecimal digits\n"
            "  --json      print the daemon's JSON ({build_id, sha})\n"
            "\n"
            "A build in flight is aborted: the latest request wins.\n",
    .run = cmd_rebuild,
    .opts = CMD_OPT_JSON | CMD_OPT_SHA,
};
