/*
 * cmd_api: one call to the daemon's HTTP API with net/http_client on a libuv
 * loop of the call's own, and the one-line reports of what went wrong:
 *
 *   sando NAME: cannot reach the daemon at URL: connection refused
 *   sando NAME: the daemon at URL answered garbage (HTTP 200, not JSON)
 *   sando NAME: MESSAGE                 (the daemon's {"error": {"message"}})
 *
 * A 422 gates_not_passed adds one line per reason on stderr (cmd_fmt.c).
 */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "client/cmd.h"
#include "net/http_client.h"

#define API_TIMEOUT_MS 30000
#define API_BODY_MAX ((size_t)1 << 30) /* logs can be long */

struct api_call {
	struct cmd_reply *r;
	struct strbuf error; /* why there is no answer */
	const struct cmd_request *rq;
};

/* A streamed 2xx body: to the request's own callback. */
static void
api_body(const char *buf, size_t len, void *arg)
{
	struct api_call *c = arg;

	c->rq->on_body(buf, len, c->rq->on_body_arg);
}

static void
api_done(const struct http_client_result *res, void *arg)
{
	struct api_call *c = arg;

	c->r->status = res->status;
	if (res->status == 0)
		strbuf_addstr(&c->error, res->error ? res->error : "no answer");
	strbuf_add(&c->r->body, res->body, res->body_len);
	c->r->truncated = res->body_len >= API_BODY_MAX;
}

/* Run the request; 0 with r->status set (0: no answer, c->error says why),
 * or -1 when the URL is unusable (err). */
static int
api_run(const struct cmd_ctx *ctx, const struct cmd_request *rq, struct cmd_reply *r,
    struct api_call *c, struct strbuf *err)
{
	static const char *const json_headers[] = {
	    "Content-Type: application/json", "Accept: application/json", NULL};
	static const char *const plain_headers[] = {"Accept: application/json", NULL};
	struct strbuf url = STRBUF_INIT;
	char *body = rq->body ? json_dumps(rq->body, JSON_COMPACT) : NULL;
	struct http_client_options o = {
	    .method = rq->method ? rq->method : "GET",
	    .headers = body ? json_headers : plain_headers,
	    .body = body,
	    .body_len = body ? strlen(body) : 0,
	    .timeout_ms = rq->timeout_ms ? rq->timeout_ms : API_TIMEOUT_MS,
	    .body_max = API_BODY_MAX,
	    .on_done = api_done,
	    .arg = c,
	    .on_body = rq->raw && rq->on_body ? api_body : NULL,
	};
	uv_loop_t loop;
	int rc;

	cmd_daemon_url(ctx, rq->path, &url);
	o.url = url.buf;
	uv_loop_init(&loop);
	rc = http_client_start(&loop, &o, NULL, err);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(body);
	strbuf_release(&url);
	return rc;
}

/* Report a non-2xx answer from its error body; always CMD_EXIT_FAIL. */
static int
api_refused(const struct cmd_ctx *ctx, const struct cmd_entry *cmd, struct cmd_reply *r)
{
	json_t *e = json_object_get(r->json, "error");
	const char *msg = cmd_str(e, "message", NULL);
	struct strbuf line = STRBUF_INIT;

	if (msg == NULL) {
		fprintf(stderr,
		    "sando %s: the daemon at %s answered HTTP %d without an error message\n",
		    cmd->name, ctx->daemon, r->status);
		return CMD_EXIT_FAIL;
	}
	cmd_clean(&line, msg);
	fprintf(stderr, "sando %s: %s\n", cmd->name, line.buf);
	if (json_is_array(json_object_get(e, "reasons")))
		cmd_print_reasons(json_object_get(e, "reasons"), stderr);
	strbuf_release(&line);
	return CMD_EXIT_FAIL;
}

int
cmd_call(const struct cmd_ctx *ctx, const struct cmd_entry *cmd, const struct cmd_request *rq,
    struct cmd_reply *r)
{
	struct api_call c = {.r = r, .error = STRBUF_INIT, .rq = rq};
	struct strbuf err = STRBUF_INIT;
	int ok, rc = CMD_EXIT_FAIL;

	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body, 0);
	if (api_run(ctx, rq, r, &c, &err) == -1) {
		fprintf(stderr, "sando %s: bad daemon address: %s\n", cmd->name, err.buf);
		rc = CMD_EXIT_USAGE;
	} else if (r->status == 0) {
		fprintf(stderr, "sando %s: cannot reach the daemon at %s: %s\n", cmd->name,
		    ctx->daemon, c.error.buf);
	} else {
		ok = r->status >= 200 && r->status < 300;
		if (!(ok && rq->raw))
			r->json = json_loadb(r->body.buf, r->body.len, 0, NULL);
		if (ok && (rq->raw || r->json))
			rc = CMD_EXIT_OK;
		else if (r->json && !ok)
			rc = api_refused(ctx, cmd, r);
		else
			fprintf(stderr,
			    "sando %s: the daemon at %s answered garbage (HTTP %d, not JSON)\n",
			    cmd->name, ctx->daemon, r->status);
	}
	strbuf_release(&c.error);
	strbuf_release(&err);
	return rc;
}

void
cmd_reply_release(struct cmd_reply *r)
{
	json_decref(r->json);
	r->json = NULL;
	strbuf_release(&r->body);
}

void
cmd_add_escaped(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			strbuf_addch(out, ch);
		else
			strbuf_addf(out, "%%%02X", ch);
	}
}

void
cmd_print_body(const struct cmd_reply *r)
{
	fwrite(r->body.buf, 1, r->body.len, stdout);
	if (r->body.len == 0 || r->body.buf[r->body.len - 1] != '\n')
		putchar('\n');
}

int
cmd_list(const struct cmd_ctx *ctx, const struct cmd_entry *cmd, const struct cmd_args *a,
    const char *path, const char *const *header, void (*row)(struct cmd_table *t, json_t *e))
{
	struct cmd_request rq = {.path = path};
	struct cmd_reply r;
	struct cmd_table t;
	size_t ncols = 0, i;
	int rc = cmd_call(ctx, cmd, &rq, &r);
	json_t *e;

	if (rc == CMD_EXIT_OK && a->json) {
		cmd_print_body(&r);
	} else if (rc == CMD_EXIT_OK && !json_is_array(r.json)) {
		fprintf(stderr, "sando %s: the daemon's answer is not a list\n", cmd->name);
		rc = CMD_EXIT_FAIL;
	} else if (rc == CMD_EXIT_OK && json_array_size(r.json) == 0) {
		puts("(none)");
	} else if (rc == CMD_EXIT_OK) {
		while (header[ncols])
			ncols++;
		cmd_table_init(&t, ncols);
		for (i = 0; i < ncols; i++)
			cmd_table_add(&t, NULL, "%s", header[i]);
		json_array_foreach(r.json, i, e) row(&t, e);
		cmd_table_print(&t, stdout, ctx->color);
		cmd_table_release(&t);
	}
	cmd_reply_release(&r);
	return rc;
}
