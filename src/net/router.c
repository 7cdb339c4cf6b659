/*
 * router: match a method and raw path against the route table.
 *
 * Policy: matching is exact and case-sensitive.  A trailing slash is
 * significant ("/state/" does not match "/state"; there is no redirect), an
 * empty segment never binds a placeholder, and "%2F" is just three bytes of a
 * segment.  The first matching route in table order wins.
 */
#include "net/router.h"

#include <string.h>

/* Bind placeholder "{name}" (pat points at '{') to the segment at path[*i]. */
static const char *
bind_param(const char *pat, const char *path, size_t len, size_t *i, struct route_params *params)
{
	const char *close = strchr(pat, '}');
	size_t start = *i;

	if (close == NULL || params->n == ROUTE_MAX_PARAMS)
		return NULL;
	while (*i < len && path[*i] != '/')
		(*i)++;
	if (*i == start)
		return NULL;
	params->p[params->n].name = pat + 1;
	params->p[params->n].name_len = (size_t)(close - pat - 1);
	params->p[params->n].value = path + start;
	params->p[params->n].value_len = *i - start;
	params->n++;
	return close + 1;
}

/* Whether path matches pattern; binds its placeholders into params. */
static int
pattern_match(const char *pat, const char *path, size_t len, struct route_params *params)
{
	size_t i = 0;

	params->n = 0;
	while (*pat) {
		if (*pat == '{') {
			pat = bind_param(pat, path, len, &i, params);
			if (pat == NULL)
				return 0;
			continue;
		}
		if (i >= len || path[i] != *pat)
			return 0;
		i++;
		pat++;
	}
	return i == len;
}

/* Whether the comma-separated list p already names method. */
static int
allow_has(const char *p, const char *method)
{
	size_t mlen = strlen(method);

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == mlen && memcmp(p, method, n) == 0)
			return 1;
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

/* Append the methods of every route whose pattern matches path to allow. */
static void
collect_allow(const struct route *routes, size_t nroutes, const char *path, size_t path_len,
    struct strbuf *allow)
{
	struct route_params scratch;
	size_t start = allow->len;

	for (size_t i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, path, path_len, &scratch))
			continue;
		if (allow->len > start) {
			if (allow_has(allow->buf + start, routes[i].method))
				continue;
			strbuf_addstr(allow, ", ");
		}
		strbuf_addstr(allow, routes[i].method);
	}
}

enum router_result
router_match(const struct route *routes, size_t nroutes, const char *method, const char *path,
    size_t path_len, const struct route **out, struct route_params *params, struct strbuf *allow)
{
	int path_known = 0;

	for (size_t i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, path, path_len, params))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			*out = &routes[i];
			return ROUTER_FOUND;
		}
		path_known = 1;
	}
	params->n = 0;
	if (!path_known)
		return ROUTER_NOT_FOUND;
	if (allow)
		collect_allow(routes, nroutes, path, path_len, allow);
	return ROUTER_METHOD_NOT_ALLOWED;
}

int
route_param(const struct route_params *params, const char *name, struct strbuf *out)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < params->n; i++) {
		if (params->p[i].name_len == len && memcmp(params->p[i].name, name, len) == 0) {
			strbuf_add(out, params->p[i].value, params->p[i].value_len);
			return 0;
		}
	}
	return -1;
}
