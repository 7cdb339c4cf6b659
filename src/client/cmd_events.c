/*
 * sando events: print the daemon's event stream (GET /events, a WebSocket
 * with the subprotocol PROTOCOL_WS_NAME).
 *
 * With --json each event is printed exactly as received, one per line; else
 * as one aligned line: "#SEQ TS KIND key=value ...", the well-known keys
 * first, "_id" dropped from key names, git shas cut to 12 characters, strings
 * with spaces or quotes JSON-quoted, objects as compact JSON.  Colours (only
 * on a terminal without NO_COLOR): passed/ok green, failed red, blocked and
 * aborted yellow, starts cyan.  stdout is flushed after every event.
 *
 * There is no reconnection: when the stream ends before --count events, the
 * reason goes to stderr and the exit status is 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "client/cmd.h"
#include "domain/protocol.h"
#include "net/ws_client.h"

#define EV_SHA_SHORT 12
#define EV_KIND_WIDTH 17 /* "rebuild_requested" */
#define EV_MAX_TIMEOUT_S (7 * 24 * 3600)

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

struct events_run {
	const struct cmd_ctx *ctx;
	struct ws_client *wc;
	uv_timer_t timer;
	int json;
	int status; /* the exit status once decided; -1 until then */
	uint64_t count, seen, timeout_s;
};

/* Keys printed first, in this order. */
static const char *const ev_first_keys[] = {
    "tier", "node", "build_id", "version", "sha", "gate", "run_id", "deploy_id", NULL};

/* The colour for an event's kind (and gate outcome), or NULL. */
static const char *
ev_color(const char *kind, json_t *ev)
{
	const char *status =
	    json_string_value(json_object_get(json_object_get(ev, "outcome"), "status"));
	size_t n;

	if (status)
		kind = status;
	n = strlen(kind);
	if (strstr(kind, "failed") || strcmp(kind, "rollback") == 0)
		return C_RED;
	if (strstr(kind, "aborted") || strcmp(kind, "blocked") == 0)
		return C_YELLOW;
	if ((n > 3 && strcmp(kind + n - 3, "_ok") == 0) || strcmp(kind, "passed") == 0 ||
	    strstr(kind, "complete") || strstr(kind, "confirm") || strstr(kind, "fetched"))
		return C_GREEN;
	if (strstr(kind, "start") || strstr(kind, "requested"))
		return C_CYAN;
	return NULL;
}

static int
ev_needs_quotes(const char *s)
{
	if (*s == '\0')
		return 1;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\\' || *s == 0x7f)
			return 1;
	return 0;
}

static int
ev_dump(const char *buf, size_t size, void *data)
{
	strbuf_add(data, buf, size);
	return 0;
}

/* Append " key=value" for one member. */
static void
ev_add_field(struct strbuf *out, const char *key, json_t *v)
{
	size_t klen = strlen(key);
	const char *s = json_string_value(v);

	if (klen > 3 && strcmp(key + klen - 3, "_id") == 0)
		klen -= 3;
	strbuf_addch(out, ' ');
	strbuf_add(out, key, klen);
	strbuf_addch(out, '=');
	if (s && (strcmp(key, "sha") == 0 || strstr(key, "_sha")) && strlen(s) == 40)
		strbuf_add(out, s, EV_SHA_SHORT);
	else if (s && !ev_needs_quotes(s))
		strbuf_addstr(out, s);
	else if (json_is_null(v))
		strbuf_addch(out, '-');
	else
		json_dump_callback(v, ev_dump, out, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int
ev_is_first_key(const char *key)
{
	for (size_t i = 0; ev_first_keys[i]; i++)
		if (strcmp(key, ev_first_keys[i]) == 0)
			return 1;
	return 0;
}

/* One event as a human line (without the newline). */
static void
ev_format(json_t *ev, int color, struct strbuf *out)
{
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	const char *ts = json_string_value(json_object_get(ev, "ts"));
	const char *c = color && kind ? ev_color(kind, ev) : NULL;
	const char *key;
	json_t *v;

	strbuf_addf(out, "%s#%-6" PRId64 "%s %s%-20s%s %s%-*s%s", color ? C_DIM : "",
	    (int64_t)json_integer_value(json_object_get(ev, "seq")), color ? C_OFF : "",
	    color ? C_DIM : "", ts ? ts : "-", color ? C_OFF : "", c ? c : "", EV_KIND_WIDTH,
	    kind ? kind : "-", c ? C_OFF : "");
	for (size_t i = 0; ev_first_keys[i]; i++)
		if ((v = json_object_get(ev, ev_first_keys[i])))
			ev_add_field(out, ev_first_keys[i], v);
	json_object_foreach(ev, key, v)
	{
		if (strcmp(key, "seq") && strcmp(key, "ts") && strcmp(key, "kind") &&
		    !ev_is_first_key(key))
			ev_add_field(out, key, v);
	}
	strbuf_rtrim(out);
}

/* Print one message; -1 if stdout is gone. */
static int
ev_print(struct events_run *run, const char *buf, size_t len)
{
	struct strbuf line = STRBUF_INIT;
	json_t *ev = run->json ? NULL : json_loadb(buf, len, 0, NULL);

	if (json_is_object(ev))
		ev_format(ev, run->ctx->color, &line);
	else
		strbuf_add(&line, buf, len); /* --json, or not an event: as received */
	strbuf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stdout);
	json_decref(ev);
	strbuf_release(&line);
	return fflush(stdout) == 0 ? 0 : -1;
}

/* Decide the exit status and close the connection. */
static void
ev_finish(struct events_run *run, int status)
{
	if (run->status >= 0)
		return;
	run->status = status;
	if (!uv_is_closing((uv_handle_t *)&run->timer))
		uv_close((uv_handle_t *)&run->timer, NULL);
	if (run->wc)
		ws_client_close(run->wc, 1000, status == CMD_EXIT_OK ? "done" : "giving up");
}

static void
ev_text(struct ws_client *wc, const char *buf, size_t len, void *arg)
{
	struct events_run *run = arg;

	if (run->status >= 0)
		return;
	if (ev_print(run, buf, len) != 0) {
		if (errno != EPIPE)
			fprintf(stderr, "sando events: cannot write: %s\n", strerror(errno));
		ev_finish(run, CMD_EXIT_FAIL);
		return;
	}
	if (run->count && ++run->seen == run->count)
		ev_finish(run, CMD_EXIT_OK);
}

static void
ev_close(struct ws_client *wc, int code, const char *reason, void *arg)
{
	struct events_run *run = arg;

	run->wc = NULL;
	if (run->status < 0)
		fprintf(stderr, "sando events: %s\n", reason);
	ev_finish(run, CMD_EXIT_FAIL);
}

static void
ev_timeout(uv_timer_t *timer)
{
	struct events_run *run = timer->data;

	if (run->count)
		fprintf(stderr,
		    "sando events: timed out after %" PRIu64 " s (%" PRIu64 " of %" PRIu64
		    " events)\n",
		    run->timeout_s, run->seen, run->count);
	else
		fprintf(stderr, "sando events: timed out after %" PRIu64 " s\n", run->timeout_s);
	ev_finish(run, CMD_EXIT_FAIL);
}

/* The URL of /events (?since= when since is not NULL, else ?last= when last
 * is not NULL) into url; a usage error if the daemon's URL is not one we can
 * use. */
static int
ev_url(struct events_run *run, const uint64_t *since, const uint64_t *last, struct strbuf *url)
{
	struct strbuf err = STRBUF_INIT;
	struct ws_url u;
	int r;

	cmd_daemon_url(run->ctx, "/events", url);
	if (since)
		strbuf_addf(url, "?since=%" PRIu64, *since);
	else if (last)
		strbuf_addf(url, "?last=%" PRIu64, *last);
	r = ws_url_parse(url->buf, &u, &err);
	if (r != 0)
		r = cmd_usage_error(&cmd_events_entry, "bad --daemon: %s", err.buf);
	ws_url_release(&u);
	strbuf_release(&err);
	return r;
}

/* Parse the options into run and the URL: CMD_EXIT_OK to go on, -1 when
 * --help was answered, else the exit status of a usage error. */
static int
ev_options(struct events_run *run, int argc, char **argv, struct strbuf *url)
{
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, 's'},
	    {"last", required_argument, NULL, 'l'},
	    {"json", no_argument, NULL, 'j'},
	    {"count", required_argument, NULL, 'c'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct cmd_entry *cmd = &cmd_events_entry;
	uint64_t since = 0, last = 0;
	int ch, has_since = 0, has_last = 0;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (cmd_parse_uint(optarg, INT64_MAX, &since) != 0)
				return cmd_usage_error(cmd, "bad --since '%s': want a seq", optarg);
			has_since = 1;
			break;
		case 'l':
			if (cmd_parse_uint(optarg, PROTOCOL_EVENTS_LAST_MAX, &last) != 0)
				return cmd_usage_error(cmd, "bad --last '%s': want 0 to %d", optarg,
				    PROTOCOL_EVENTS_LAST_MAX);
			has_last = 1;
			break;
		case 'j':
			run->json = 1;
			break;
		case 'c':
			if (cmd_parse_uint(optarg, INT64_MAX, &run->count) != 0 || run->count == 0)
				return cmd_usage_error(
				    cmd, "bad --count '%s': want 1 or more", optarg);
			break;
		case 't':
			if (cmd_parse_uint(optarg, EV_MAX_TIMEOUT_S, &run->timeout_s) != 0 ||
			    run->timeout_s == 0)
				return cmd_usage_error(
				    cmd, "bad --timeout '%s': want seconds", optarg);
			break;
		case 'h':
			cmd_print_usage(cmd, stdout, 1);
			return -1;
		default: /* getopt has said what */
			cmd_print_usage(cmd, stderr, 0);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (has_since && has_last)
		return cmd_usage_error(cmd, "--since and --last exclude each other");
	return ev_url(run, has_since ? &since : NULL, has_last ? &last : NULL, url);
}

static int
cmd_events(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct events_run run = {.ctx = ctx, .status = -1};
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;
	struct ws_client_options o = {
	    .protocol = PROTOCOL_WS_NAME, .on_text = ev_text, .on_close = ev_close, .arg = &run};
	uv_loop_t loop;
	int r = ev_options(&run, argc, argv, &url);

	if (r != CMD_EXIT_OK) {
		strbuf_release(&url);
		return r < 0 ? CMD_EXIT_OK : r;
	}
	uv_loop_init(&loop);
	uv_timer_init(&loop, &run.timer);
	run.timer.data = &run;
	o.url = url.buf;
	run.wc = ws_client_new(&loop, &o, &err);
	if (run.wc == NULL) {
		fprintf(stderr, "sando events: %s\n", err.buf);
		ev_finish(&run, CMD_EXIT_FAIL);
	} else if (run.timeout_s) {
		uv_timer_start(&run.timer, ev_timeout, run.timeout_s * 1000, 0);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	strbuf_release(&url);
	strbuf_release(&err);
	return run.status < 0 ? CMD_EXIT_FAIL : run.status;
}

const struct cmd_entry cmd_events_entry = {
    .name = "events",
    .usage = "[--since N | --last N] [--json] [--count N] [--timeout SECONDS]",
    .summary = "print the daemon's event stream as it happens",
    .help = "  --since N          first replay the events after seq N (default: new events only)\n"
            "  --last N           first replay the last N stored events (at most 1000)\n"
            "  --json             print each event as the JSON line received\n"
            "  --count N          exit 0 after N events\n"
            "  --timeout SECONDS  exit 1 when SECONDS pass first\n"
            "\n"
            "Without --count it runs until the daemon goes away, then exits 1.\n",
    .run = cmd_events,
};
