/*
 * The build routes: POST /rebuild, GET /builds, /builds/{id}, /builds/{id}/log,
 * /versions and /logs/{version}/build.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/api.h"
#include "daemon/build.h"
#include "daemon/repo.h"
#include "daemon/store.h"
#include "domain/version.h"

#define LOG_MAX (64u << 20)

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

/* Serve the log of build id (logs_root/builds/<id>.log). */
static void
respond_build_log(struct http_request *req, struct daemon *d, int64_t id)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;

	strbuf_addf(&path, "%s/builds/%lld.log", d->cfg.logs_root, (long long)id);
	if (strbuf_read_file(&text, path.buf, LOG_MAX) == 0)
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
	json_t *rows;

	if (id <= 0)
		return;
	rows = store_builds_json(d->store, id, 1, &err);
	if (rows == NULL || json_array_size(rows) == 0)
		respond_rows(req, rows, &err, 1);
	else
		respond_build_log(req, d, id), json_decref(rows);
	strbuf_release(&err);
}

void
api_version_log(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf raw = STRBUF_INIT, v = STRBUF_INIT, gate = STRBUF_INIT, err = STRBUF_INIT;
	int64_t id;

	route_param(&req->params, "gate", &gate);
	route_param(&req->params, "version", &raw);
	if (http_url_decode(raw.buf, raw.len, &v) == -1 || !version_valid(v.buf, v.len)) {
		http_respond_error(req, 400, "invalid_version", "not a semantic version");
	} else if (strcmp(gate.buf, "build") != 0) {
		http_respond_error(
		    req, 404, "unknown_gate", "no log named '%s' for this version", gate.buf);
	} else if ((id = store_version_build(d->store, v.buf, &err)) <= 0) {
		http_respond_error(req, id == 0 ? 404 : 500,
		    id == 0 ? "unknown_version" : "internal", "%s",
		    id == 0 ? "no such version" : err.buf);
	} else {
		respond_build_log(req, d, id);
	}
	strbuf_release(&raw);
	strbuf_release(&v);
	strbuf_release(&gate);
	strbuf_release(&err);
}
