/*
 * router: the HTTP route table, {method, pattern, required role, handler}.
 *
 * A pattern is a literal path whose segments may be "{name}" placeholders; a
 * placeholder matches exactly one non-empty path segment (no '/').  Matching is
 * on the raw (still percent-encoded) path, so "%2F" never splits a segment;
 * handlers decode and validate parameters themselves.  Matching is exact and
 * case-sensitive: a trailing slash is significant ("/state/" is not "/state",
 * and there is no redirect), and the first matching route in table order wins.
 * router_match is pure: it allocates nothing but what it appends to allow, and
 * is unit-tested.
 */
#ifndef SANDO_ROUTER_H
#define SANDO_ROUTER_H

#include <stddef.h>

#include "core/strbuf.h"

struct http_request;

/* Roles, in increasing power; ROLE_PUBLIC routes need no identity at all. */
enum role { ROLE_PUBLIC = 0, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN };

typedef void (*route_handler)(struct http_request *req, void *ctx);

struct route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/promote/{tier}" */
	enum role role;      /* least role allowed */
	route_handler handler;
};

#define ROUTE_MAX_PARAMS 4

/* Placeholder values bound by a match: pointers into the matched path. */
struct route_params {
	size_t n;
	struct {
		const char *name; /* points into the pattern, not NUL-terminated */
		size_t name_len;
		const char *value; /* points into the path, not NUL-terminated */
		size_t value_len;
	} p[ROUTE_MAX_PARAMS];
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* Find the route for method and path (path without query string).  On
 * ROUTER_FOUND *out and params are set; on ROUTER_METHOD_NOT_ALLOWED the
 * methods that the path does accept are appended to allow ("GET, POST"). */
enum router_result router_match(const struct route *routes, size_t nroutes, const char *method,
    const char *path, size_t path_len, const struct route **out, struct route_params *params,
    struct strbuf *allow);

/* Append the raw value of placeholder name to out; 0 if bound, -1 if not. */
int route_param(const struct route_params *params, const char *name, struct strbuf *out);

#endif
