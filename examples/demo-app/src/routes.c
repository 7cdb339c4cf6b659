/* routes.c - demo-app's request handlers; see routes.h. */
#include "routes.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef void (*route_fn)(const struct app *, const struct http_request *, struct http_response *);

static void
route_healthz(const struct app *app, const struct http_request *req, struct http_response *res)
{
	(void)req;
	if (app->healthy)
		http_response_set(res, 200, "application/json",
		    "{\"status\":\"ok\",\"version\":\"%s\"}\n", app->version);
	else
		http_response_set(res, 503, "application/json",
		    "{\"status\":\"unhealthy\",\"version\":\"%s\"}\n", app->version);
}

static void
route_version(const struct app *app, const struct http_request *req, struct http_response *res)
{
	(void)req;
	http_response_set(res, 200, "text/plain", "%s\n", app->version);
}

static const char *
content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".css", "text/css"},
	    {".js", "text/javascript"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".json", "application/json"},
	    {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* A relative path under static/: no empty name, no leading '/', no segment starting with '.'. */
static int
static_path_ok(const char *rel)
{
	const char *seg, *slash;

	if (*rel == '\0' || *rel == '/')
		return 0;
	for (seg = rel;; seg = slash + 1) {
		if (*seg == '.')
			return 0;
		if ((slash = strchr(seg, '/')) == NULL)
			return 1;
	}
}

/* Open dir/rel as a regular file that really lies under dir; the fd, or -1 with status set. */
static int
static_open(const char *dir, const char *rel, int *status, off_t *size)
{
	char path[PATH_MAX], *root = NULL, *real = NULL;
	struct stat st;
	int fd = -1, n = snprintf(path, sizeof path, "%s/%s", dir, rel);

	*status = 404;
	if (n < 0 || (size_t)n >= sizeof path)
		return -1;
	if ((root = realpath(dir, NULL)) == NULL || (real = realpath(path, NULL)) == NULL)
		goto out;
	n = (int)strlen(root);
	if (strncmp(real, root, (size_t)n) != 0 || real[n] != '/')
		goto out;
	if ((fd = open(real, O_RDONLY | O_NONBLOCK)) < 0) { /* a FIFO must not block */
		*status = errno == EACCES ? 403 : 404;
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		fd = -1;
		goto out;
	}
	*status = 200;
	*size = st.st_size;
out:
	free(root);
	free(real);
	return fd;
}

static void
serve_static(const struct app *app, const char *rel, struct http_response *res)
{
	int status;

	if (!static_path_ok(rel)) {
		http_response_error(res, 400, "invalid static path");
		return;
	}
	res->file_fd = static_open(app->static_dir, rel, &status, &res->file_size);
	if (res->file_fd < 0) {
		http_response_error(res, status, status == 403 ? "forbidden" : "not found");
		return;
	}
	res->status = 200;
	res->content_type = content_type(rel);
}

static void
route_index(const struct app *app, const struct http_request *req, struct http_response *res)
{
	(void)req;
	serve_static(app, "index.html", res);
}

static void
route_static(const struct app *app, const struct http_request *req, struct http_response *res)
{
	serve_static(app, req->path + strlen("/static/"), res);
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

int
routes_parse_seconds(const char *body, size_t len, long *seconds)
{
	static const char key[] = "\"seconds\"";
	const char *p = body, *end = body + len;
	long n = 0;
	int digits = 0;

	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return -1;
	p = skip_ws(p, end);
	if ((size_t)(end - p) < sizeof key - 1 || memcmp(p, key, sizeof key - 1) != 0)
		return -1;
	p = skip_ws(p + sizeof key - 1, end);
	if (p == end || *p++ != ':')
		return -1;
	for (p = skip_ws(p, end); p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		n = n * 10 + (*p - '0');
		if (n > 86400)
			return -1;
	}
	p = skip_ws(p, end);
	if (digits == 0 || p == end || *p++ != '}' || skip_ws(p, end) != end)
		return -1;
	*seconds = n;
	return 0;
}

/* Compare the bearer token in constant time (for a given token length). */
static int
token_ok(const char *expected, const char *auth)
{
	size_t i, n = strlen(expected);
	unsigned char diff = 0;

	if (strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) != n)
		return 0;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(expected[i] ^ auth[7 + i]);
	return diff == 0;
}

static void
route_restart_warning(
    const struct app *app, const struct http_request *req, struct http_response *res)
{
	long seconds;

	if (app->token == NULL || *app->token == '\0') {
		http_response_error(res, 403, "restart warnings are not configured");
		return;
	}
	if (!token_ok(app->token, req->auth)) {
		http_response_error(res, 401, "missing or wrong bearer token");
		res->bearer_challenge = 1;
		return;
	}
	if (routes_parse_seconds(req->body, req->body_len, &seconds) < 0) {
		http_response_error(res, 400, "expected {\\\"seconds\\\": N} with 0 <= N <= 86400");
		return;
	}
	fprintf(stderr, "demo-app: restart warning: restarting in %ld seconds\n", seconds);
	res->status = 204;
}

static const struct route {
	const char *method;
	const char *path;
	int prefix;
	route_fn fn;
} routes[] = {
    {"GET", "/", 0, route_index},
    {"GET", "/healthz", 0, route_healthz},
    {"GET", "/version", 0, route_version},
    {"GET", "/static/", 1, route_static},
    {"POST", "/restart-warning", 0, route_restart_warning},
};

void
routes_dispatch(const struct app *app, const struct http_request *req, struct http_response *res)
{
	const struct route *r;
	size_t i;
	int head = strcmp(req->method, "HEAD") == 0;

	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		r = &routes[i];
		if (r->prefix ? strncmp(req->path, r->path, strlen(r->path)) != 0
		              : strcmp(req->path, r->path) != 0)
			continue;
		if (strcmp(req->method, r->method) == 0 ||
		    (head && strcmp(r->method, "GET") == 0)) {
			res->head_only = head;
			r->fn(app, req, res);
		} else {
			http_response_error(res, 405, "method not allowed");
			res->allow = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
		}
		return;
	}
	http_response_error(res, 404, "not found");
}
