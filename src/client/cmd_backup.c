/*
 * sando backup fetch | list.
 *
 * fetch: POST /backup/fetch, then (unless --no-wait) GET /backups/{id} every
 * 200 ms until the fetch ends; prints its size, SHA-256 and where it is, or
 * the daemon's error; exit 0 only when it is "ok".  A refusal (no [backup]
 * configured, a bad source, a fetch already running) is one line on stderr.
 * list: GET /backups, newest first.
 */
#include <string.h>
#include <uv.h>

#include "client/cmd.h"

#define BACKUP_POLL_MS 200
#define BACKUP_SHA_SHORT 16

static void
backup_row(struct cmd_table *t, json_t *b)
{
	const char *status = cmd_str(b, "status", "running");

	cmd_table_addj(t, NULL, json_object_get(b, "id"));
	cmd_table_add(t, cmd_status_color(status), "%s", status);
	cmd_table_addj(t, NULL, json_object_get(b, "size_bytes"));
	cmd_table_add(t, NULL, "%.*s", BACKUP_SHA_SHORT, cmd_str(b, "sha256", ""));
	cmd_table_addj(t, NULL, json_object_get(b, "finished_at"));
	cmd_table_add(t, NULL, "%s", cmd_str(b, "error", cmd_str(b, "local_path", "")));
}

/* The final line of backup b (its status is set); the exit status. */
static int
backup_done(const struct cmd_ctx *ctx, json_t *b)
{
	const char *status = cmd_str(b, "status", "?");
	const char *c = ctx->color ? cmd_status_color(status) : NULL;
	int ok = strcmp(status, "ok") == 0;

	if (ok)
		cmd_printf("backup %lld: %s%s%s, %lld bytes, sha256 %s, in %s",
		    (long long)json_integer_value(json_object_get(b, "id")), c ? c : "", status,
		    c ? CMD_C_OFF : "",
		    (long long)json_integer_value(json_object_get(b, "size_bytes")),
		    cmd_str(b, "sha256", "?"), cmd_str(b, "local_path", "?"));
	else
		cmd_printf("backup %lld: %s%s%s: %s",
		    (long long)json_integer_value(json_object_get(b, "id")), c ? c : "", status,
		    c ? CMD_C_OFF : "", cmd_str(b, "error", "see 'sando backup list'"));
	return ok ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

/* Poll backup id until it ends; the exit status. */
static int
backup_wait(const struct cmd_ctx *ctx, const struct cmd_args *a, json_int_t id)
{
	struct strbuf path = STRBUF_INIT;
	struct cmd_request rq = {0};
	struct cmd_reply r;
	int rc;

	strbuf_addf(&path, "/backups/%lld", (long long)id);
	rq.path = path.buf;
	for (;;) {
		json_t *b;

		if ((rc = cmd_call(ctx, &cmd_backup_entry, &rq, &r)) != CMD_EXIT_OK)
			break;
		b = json_is_array(r.json) ? json_array_get(r.json, 0) : r.json;
		if (json_is_string(json_object_get(b, "status"))) {
			if (a->json) {
				cmd_print_body(&r);
				rc = strcmp(cmd_str(b, "status", "?"), "ok") ? CMD_EXIT_FAIL
				                                             : CMD_EXIT_OK;
			} else {
				rc = backup_done(ctx, b);
			}
			break;
		}
		cmd_reply_release(&r);
		uv_sleep(BACKUP_POLL_MS);
	}
	cmd_reply_release(&r);
	strbuf_release(&path);
	return rc;
}

static int
backup_fetch(const struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_request rq = {.method = "POST", .path = "/backup/fetch"};
	struct cmd_reply r;
	json_int_t id;
	int rc;

	rq.body = json_object();
	rc = cmd_call(ctx, &cmd_backup_entry, &rq, &r);
	json_decref(rq.body);
	if (rc != CMD_EXIT_OK) {
		cmd_reply_release(&r);
		return rc;
	}
	id = json_integer_value(json_object_get(r.json, "backup_id"));
	if (a->json && a->no_wait)
		cmd_print_body(&r);
	else if (!a->json)
		cmd_printf("backup %lld: fetch started", (long long)id);
	cmd_reply_release(&r);
	if (a->no_wait)
		return CMD_EXIT_OK;
	if (id <= 0) {
		fprintf(stderr, "sando backup: the daemon's answer has no backup_id\n");
		return CMD_EXIT_FAIL;
	}
	fflush(stdout);
	return backup_wait(ctx, a, id);
}

static int
cmd_backup(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = {
	    "ID", "STATUS", "BYTES", "SHA256", "FINISHED", "PATH / ERROR", NULL};
	struct cmd_args a;
	int rc = cmd_parse(&cmd_backup_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	if (strcmp(a.operands[0], "fetch") == 0)
		return backup_fetch(ctx, &a);
	if (strcmp(a.operands[0], "list") != 0)
		return cmd_usage_error(
		    &cmd_backup_entry, "unknown action '%s': want fetch or list", a.operands[0]);
	if (a.no_wait)
		return cmd_usage_error(&cmd_backup_entry, "--no-wait is for fetch");
	return cmd_list(ctx, &cmd_backup_entry, &a, "/backups", header, backup_row);
}

const struct cmd_entry cmd_backup_entry = {
    .name = "backup",
    .usage = "fetch [--no-wait] [--json] | list [--json]",
    .summary = "fetch the production backup from its source, or list the fetches",
    .help = "  fetch      download the topology's [backup] source to its local_path\n"
            "             (a .partial first, fsynced, checksummed, renamed into place)\n"
            "             and wait until it is done\n"
            "  list       the fetches, newest first (GET /backups)\n"
            "  --no-wait  print the fetch's id and return at once\n"
            "  --json     print the daemon's JSON\n"
            "\n"
            "A failed fetch leaves the previous backup as it was.\n",
    .run = cmd_backup,
    .opts = CMD_OPT_JSON | CMD_OPT_NO_WAIT,
    .min_args = 1,
    .max_args = 1,
};
