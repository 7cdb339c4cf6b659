/*
 * The build routes: POST /rebuild, GET /builds, /builds/{id}, /builds/{id}/log,
 * /versions and /logs/{version}/build.
 *
 * A build's log is served whole, or with ?follow=1 streamed while the build
 * runs: what the file has, then what is appended to it, read by a timer every
 * FOLLOW_TICK_MS in pieces of FOLLOW_CHUNK while fewer than FOLLOW_QUEUE_MAX
 * bytes wait for the client (so a slow reader costs the daemon no memory),
 * until the build is no longer the one in flight; then a last read to the end
 * of the file, and the stream ends.  A running build's log that does not
 * exist yet is waited for.  A client that goes stops the follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/api.h"
#include "daemon/build.h"
#include "daemon/repo.h"
#include "daemon/store.h"
#include "domain/version.h"

#define LOG_MAX (64u << 20)
#define FOLLOW_TICK_MS 50
#define FOLLOW_CHUNK (64u << 10)
#define FOLLOW_QUEUE_MAX (256u << 10)
#define FOLLOW_TICK_MAX (1u << 20) /* read per tick at most, so the loop moves on */

/* A client following a build's log. */
struct log_follow {
	uv_timer_t timer;
	struct daemon *d;
	struct http_request *req;
	int64_t id;
	char *path;
	int fd; /* -1 until the log exists */
};

struct rebuild_call {
	struct daemon *d;
	struct http_request *req;
	char *spec; /* as given, or NULL for the branch head */
};

static void
rebuild_resolved(int status, const char *out, size_t len, void *arg)
{
	struct rebuild_call *c = arg;
	struct strbuf err = STRBUF_INIT, sha = STRBUF_INIT;
	int64_t id;

	if (status != 0 && c->spec)
		http_respond_error(
		    c->req, 400, "unknown_sha", "'%s' is not a commit in the repository", c->spec);
	else if (status != 0)
		http_respond_error(
		    c->req, 409, "no_commits", "branch '%s' has no commits yet", c->d->topo.branch);
	else if (strbuf_add(&sha, out, 40), (id = build_start(c->d, sha.buf, &err)) == -1)
		http_respond_error(c->req, 500, "internal", "cannot start the build: %s", err.buf);
	else
		http_respond_json(c->req, 202,
		    json_pack("{s:I, s:s}", "build_id", (json_int_t)id, "sha", sha.buf));
	free(c->spec);
	free(c);
	strbuf_release(&err);
	strbuf_release(&sha);
}

void
api_rebuild(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct rebuild_call *c;
	struct strbuf err = STRBUF_INIT;
	const char *spec = NULL;
	json_t *sha = NULL;

	if (req->json &&
	    (!json_is_object(req->json) ||
	        json_object_size(req->json) > (json_object_get(req->json, "sha") ? 1u : 0u))) {
		http_respond_error(
		    req, 400, "bad_request", "body must be {\"sha\": \"...\"} or empty");
		return;
	}
	sha = req->json ? json_object_get(req->json, "sha") : NULL;
	if (sha && !json_is_null(sha)) {
		spec = json_string_value(sha);
		if (spec == NULL || !repo_sha_syntax_ok(spec, strlen(spec))) {
			http_respond_error(
			    req, 400, "invalid_sha", "'sha' must be 4 to 40 hexadecimal digits");
			return;
		}
	}
	events_emit(&d->events, "rebuild_requested",
	    json_pack("{s:o}", "sha", spec ? json_string(spec) : json_null()));
	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->req = req;
	c->spec = spec ? xstrdup(spec) : NULL;
	if (repo_resolve(d, spec, rebuild_resolved, c, &err) == -1) {
		http_respond_error(req, 500, "internal", "cannot run git: %s", err.buf);
		free(c->spec);
		free(c);
	}
	strbuf_release(&err);
}

/* A positive integer path parameter, or 0 after answering 400. */
static int64_t
param_id(struct http_request *req, const char *name)
{
	struct strbuf v = STRBUF_INIT;
	char *end;
	long long id = 0;

	route_param(&req->params, name, &v);
	errno = 0;
	if (v.len > 0 && v.len < 19)
		id = strtoll(v.buf, &end, 10);
	if (id <= 0 || errno || v.len == 0 || v.len >= 19 || *end != '\0') {
		http_respond_error(
		    req, 400, "bad_request", "'%s' must be a positive integer", name);
		id = 0;
	}
	strbuf_release(&v);
	return id;
}

static void
respond_rows(struct http_request *req, json_t *rows, struct strbuf *err, int one)
{
	if (rows == NULL)
		http_respond_error(req, 500, "internal", "%s", err->buf);
	else if (one && json_array_size(rows) == 0)
		http_respond_error(req, 404, "unknown_build", "no such build"), json_decref(rows);
	else if (one)
		http_respond_json(req, 200, json_incref(json_array_get(rows, 0))),
		    json_decref(rows);
	else
		http_respond_json(req, 200, rows);
}

void
api_builds(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;

	respond_rows(req, store_builds_json(d->store, 0, 100, &err), &err, 0);
	strbuf_release(&err);
}

void
api_build(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;
	int64_t id = param_id(req, "id");

	if (id > 0)
		respond_rows(req, store_builds_json(d->store, id, 1, &err), &err, 1);
	strbuf_release(&err);
}

void
api_versions(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;

	respond_rows(req, store_versions_json(d->store, 1000, &err), &err, 0);
	strbuf_release(&err);
}

static void
follow_free(uv_handle_t *handle)
{
	struct log_follow *f = handle->data;

	free(f->path);
	free(f);
}

/* End the follow: the stream (if the client is still there) and the timer. */
static void
follow_stop(struct log_follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	http_stream_end(f->req);
	uv_close((uv_handle_t *)&f->timer, follow_free);
}

static void
follow_gone(struct http_request *req, void *arg)
{
	follow_stop(arg);
}

/* Send what the log has past what was sent, within the pacing limits: 1 at
 * the end of the file (or when there is no file yet), 0 when more is left,
 * -1 when the client has gone or the log cannot be read. */
static int
follow_pump(struct log_follow *f)
{
	static char buf[FOLLOW_CHUNK];
	size_t sent = 0;
	ssize_t n;

	if (f->fd < 0 && (f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		log_warn("build %lld: cannot open its log '%s'", (long long)f->id, f->path);
		return -1;
	}
	while (sent < FOLLOW_TICK_MAX && http_stream_queued(f->req) < FOLLOW_QUEUE_MAX) {
		n = read(f->fd, buf, sizeof(buf));
		if (n == 0)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("build %lld: cannot read its log '%s'", (long long)f->id, f->path);
			return -1;
		}
		if (http_stream_write(f->req, buf, (size_t)n) == -1)
			return -1;
		sent += (size_t)n;
	}
	return 0;
}

static void
follow_tick(uv_timer_t *timer)
{
	struct log_follow *f = timer->data;
	/* asked before reading: a build no longer in flight has written all it will */
	int running = build_current_id(f->d) == f->id;
	int r = follow_pump(f);

	if (r == -1 || (r == 1 && !running))
		follow_stop(f);
}

/* Stream the log at path of build id as it grows (?follow=1). */
static void
follow_start(struct http_request *req, struct daemon *d, int64_t id, const char *path)
{
	struct log_follow *f = xcalloc(1, sizeof(*f));

	f->d = d;
	f->req = req;
	f->id = id;
	f->path = xstrdup(path);
	f->fd = -1;
	if (uv_timer_init(d->loop, &f->timer) != 0)
		fatalx("cannot initialise a timer");
	f->timer.data = f;
	http_add_response_header(req, "Cache-Control", "no-store");
	if (http_stream_begin(req, 200, "text/plain; charset=utf-8", follow_gone, f) == -1)
		follow_stop(f);
	else
		uv_timer_start(&f->timer, follow_tick, 0, FOLLOW_TICK_MS);
}

/* ?follow: 1 to follow, 0 (absent or "0") not to; -1 after answering 400. */
static int
query_follow(struct http_request *req)
{
	struct strbuf v = STRBUF_INIT;
	int follow = 0;

	if (http_query_get(req, "follow", &v) == 0 && strcmp(v.buf, "0") != 0) {
		follow = strcmp(v.buf, "1") == 0 ? 1 : -1;
		if (follow == -1)
			http_respond_error(req, 400, "bad_request", "'follow' must be 0 or 1");
	}
	strbuf_release(&v);
	return follow;
}

/* Serve the log of build id (logs_root/builds/<id>.log), or follow it: a log
 * that does not exist yet is waited for only while its build runs. */
static void
respond_build_log(struct http_request *req, struct daemon *d, int64_t id, int follow)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	int running = build_current_id(d) == id;

	strbuf_addf(&path, "%s/builds/%lld.log", d->cfg.logs_root, (long long)id);
	if (follow && (running || access(path.buf, F_OK) == 0))
		follow_start(req, d, id, path.buf);
	else if (strbuf_read_file(&text, path.buf, LOG_MAX) == 0)
		http_respond(req, 200, "text/plain; charset=utf-8", text.buf, text.len);
	else if (errno == ENOENT)
		http_respond_error(req, 404, "no_log", "build %lld has no log yet", (long long)id);
	else if (errno == EFBIG)
		http_respond_error(
		    req, 413, "log_too_large", "the log is larger than %u bytes", LOG_MAX);
	else
		http_respond_error(
		    req, 500, "internal", "cannot read the log: %s", strerror(errno));
	strbuf_release(&path);
	strbuf_release(&text);
}

void
api_build_log(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;
	int64_t id = param_id(req, "id");
	int follow;
	json_t *rows;

	if (id <= 0 || (follow = query_follow(req)) == -1)
		return;
	rows = store_builds_json(d->store, id, 1, &err);
	if (rows == NULL || json_array_size(rows) == 0)
		respond_rows(req, rows, &err, 1);
	else
		respond_build_log(req, d, id, follow), json_decref(rows);
	strbuf_release(&err);
}

void
api_version_log(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf raw = STRBUF_INIT, v = STRBUF_INIT, gate = STRBUF_INIT, err = STRBUF_INIT;
	int64_t id;
	int follow;

	route_param(&req->params, "gate", &gate);
	route_param(&req->params, "version", &raw);
	if (http_url_decode(raw.buf, raw.len, &v) == -1 || !version_valid(v.buf, v.len)) {
		http_respond_error(req, 400, "invalid_version", "not a semantic version");
	} else if (strcmp(gate.buf, "build") != 0) {
		http_respond_error(
		    req, 404, "unknown_gate", "no log named '%s' for this version", gate.buf);
	} else if ((id = store_version_build(d->store, v.buf, &err)) == 0 &&
	           (id = build_current_for_version(d, v.buf)) == 0) {
		http_respond_error(req, 404, "unknown_version", "no such version");
	} else if (id < 0) {
		http_respond_error(req, 500, "internal", "%s", err.buf);
	} else if ((follow = query_follow(req)) != -1) { /* (-1: answered 400) */
		respond_build_log(req, d, id, follow);
	}
	strbuf_release(&raw);
	strbuf_release(&v);
	strbuf_release(&gate);
	strbuf_release(&err);
}
