/*
 * The build routes: POST /rebuild, GET /builds, /builds/{id} and /versions
 * (the logs are api_logs.c's).
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
int64_t
api_param_id(struct http_request *req, const char *name)
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

void
api_respond_rows(struct http_request *req, json_t *rows, struct strbuf *err, const char *one)
{
	if (rows == NULL)
		http_respond_error(req, 500, "internal", "%s", err->buf);
	else if (one && json_array_size(rows) == 0)
		http_respond_error(req, 404, one, "no such %s", one + strlen("unknown_")),
		    json_decref(rows);
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

	api_respond_rows(req, store_builds_json(d->store, 0, 100, &err), &err, NULL);
	strbuf_release(&err);
}

void
api_build(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;
	int64_t id = api_param_id(req, "id");

	if (id > 0)
		api_respond_rows(
		    req, store_builds_json(d->store, id, 1, &err), &err, "unknown_build");
	strbuf_release(&err);
}

void
api_versions(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;

	api_respond_rows(req, store_versions_json(d->store, 1000, &err), &err, NULL);
	strbuf_release(&err);
}
