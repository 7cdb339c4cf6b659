/*
 * sando logs VERSION GATE: GET /logs/{version}/{gate}[?tier=], the newest
 * run's log of a gate ('build' for the build's log), printed as it is.
 *
 * -f adds ?follow=1: the daemon streams the log while the run goes on and
 * ends the stream when it ends; sando prints each piece as it arrives and
 * exits 0 then.  --tail N adds ?tail=N: only the log's last N bytes (from a
 * line boundary), with -f the stream starts there.
 */
#include <inttypes.h>
#include <string.h>

#include "client/cmd.h"

#define LOGS_TIMEOUT_MS (5 * 60 * 1000)
#define LOGS_FOLLOW_TIMEOUT_MS (7ULL * 24 * 3600 * 1000)
#define LOGS_TAIL_MAX (4u << 20) /* the daemon's bound */

/* A piece of a followed log: out at once. */
static void
logs_piece(const char *buf, size_t len, void *arg)
{
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

static int
cmd_logs(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_request rq = {.raw = 1};
	struct strbuf path = STRBUF_INIT;
	struct cmd_reply r;
	struct cmd_args a;
	uint64_t tail = 0;
	int rc = cmd_parse(&cmd_logs_entry, argc, argv, &a);

	if (rc != CMD_EXIT_OK)
		return rc < 0 ? CMD_EXIT_OK : rc;
	if (a.tail && cmd_parse_uint(a.tail, LOGS_TAIL_MAX, &tail) != 0)
		return cmd_usage_error(&cmd_logs_entry, "bad --tail '%s': want bytes, at most %u",
		    a.tail, LOGS_TAIL_MAX);
	strbuf_addstr(&path, "/logs/");
	cmd_add_escaped(&path, a.operands[0]);
	strbuf_addch(&path, '/');
	cmd_add_escaped(&path, a.operands[1]);
	if (a.tier) {
		strbuf_addstr(&path, "?tier=");
		cmd_add_escaped(&path, a.tier);
	}
	if (a.follow)
		strbuf_addstr(&path, a.tier ? "&follow=1" : "?follow=1");
	if (a.tail)
		strbuf_addf(&path, "%ctail=%" PRIu64, strchr(path.buf, '?') ? '&' : '?', tail);
	rq.path = path.buf;
	rq.timeout_ms = a.follow ? LOGS_FOLLOW_TIMEOUT_MS : LOGS_TIMEOUT_MS;
	rq.on_body = a.follow ? logs_piece : NULL;
	rc = cmd_call(ctx, &cmd_logs_entry, &rq, &r);
	if (rc == CMD_EXIT_OK) {
		fwrite(r.body.buf, 1, r.body.len, stdout);
		if (r.truncated) {
			fprintf(stderr, "sando logs: the log was cut at %zu bytes\n", r.body.len);
			rc = CMD_EXIT_FAIL;
		}
	}
	cmd_reply_release(&r);
	strbuf_release(&path);
	return rc;
}

const struct cmd_entry cmd_logs_entry = {
    .name = "logs",
    .usage = "VERSION GATE [--tier TIER] [--tail N] [-f]",
    .summary = "print the log of a version's gate run (GATE 'build': its build)",
    .help = "  --tier TIER   the tier whose gate run (default: the daemon picks the newest run)\n"
            "  --tail N      only the last N bytes (at most 4 MiB), from a line boundary\n"
            "  -f, --follow  while the run goes on, wait for the rest of the log until it ends\n"
            "\n"
            "The log is text: there is no --json form.\n",
    .run = cmd_logs,
    .opts = CMD_OPT_TIER | CMD_OPT_FOLLOW | CMD_OPT_TAIL,
    .min_args = 2,
    .max_args = 2,
};
