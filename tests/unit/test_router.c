#include <criterion/criterion.h>
#include <string.h>

#include "net/http.h"
#include "net/router.h"

static void
h_dummy(struct http_request *req, void *ctx)
{
}

static const struct route routes[] = {
    {"GET", "/state", ROLE_VIEWER, h_dummy},
    {"POST", "/promote/{tier}", ROLE_OPERATOR, h_dummy},
    {"POST", "/rollback/{tier}", ROLE_OPERATOR, h_dummy},
    {"GET", "/logs/{version}/{gate}", ROLE_VIEWER, h_dummy},
    {"GET", "/items/{id}", ROLE_VIEWER, h_dummy},
    {"PUT", "/items/{id}", ROLE_ADMIN, h_dummy},
    {"DELETE", "/items/{id}", ROLE_ADMIN, h_dummy},
    {"PUT", "/items/{other}", ROLE_ADMIN, h_dummy},
    {"GET", "/", ROLE_PUBLIC, h_dummy},
    {"GET", "/a/{x}/b/{y}/c/{z}/d/{w}", ROLE_PUBLIC, h_dummy},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static enum router_result
match(const char *method, const char *path, const struct route **out, struct route_params *params,
    struct strbuf *allow)
{
	return router_match(routes, NROUTES, method, path, strlen(path), out, params, allow);
}

/* Whether the route found for method and path is routes[want]. */
static int
found(const char *method, const char *path, size_t want)
{
	const struct route *r = NULL;
	struct route_params params;

	return match(method, path, &r, &params, NULL) == ROUTER_FOUND && r == &routes[want];
}

static void
assert_param(const struct route_params *params, const char *name, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(route_param(params, name, &sb), 0, "param '%s' not bound", name);
	cr_assert_str_eq(sb.buf, want);
	strbuf_release(&sb);
}

Test(router, literal)
{
	cr_assert(found("GET", "/state", 0));
	cr_assert(found("GET", "/", 8));
	cr_assert_not(found("GET", "/stat", 0));
	cr_assert_not(found("GET", "/states", 0));
	cr_assert_not(found("GET", "/State", 0));
	cr_assert_not(found("GET", "", 8));
}

Test(router, placeholder_binds_segment)
{
	const struct route *r = NULL;
	struct route_params params;

	cr_assert_eq(match("POST", "/promote/prod-1", &r, &params, NULL), ROUTER_FOUND);
	cr_assert_eq(r, &routes[1]);
	cr_assert_eq(params.n, 1);
	assert_param(&params, "tier", "prod-1");
	cr_assert_eq(params.p[0].name_len, 4);
	cr_assert_eq(memcmp(params.p[0].name, "tier", 4), 0);
}

Test(router, multiple_params)
{
	const struct route *r = NULL;
	struct route_params params;
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(match("GET", "/logs/0.9.5/cargo_test", &r, &params, NULL), ROUTER_FOUND);
	cr_assert_eq(params.n, 2);
	assert_param(&params, "version", "0.9.5");
	assert_param(&params, "gate", "cargo_test");
	cr_assert_eq(route_param(&params, "tier", &sb), -1);
	cr_assert_eq(route_param(&params, "gat", &sb), -1);
	cr_assert_eq(sb.len, 0);

	cr_assert_eq(match("GET", "/a/1/b/2/c/3/d/4", &r, &params, NULL), ROUTER_FOUND);
	cr_assert_eq(params.n, 4);
	assert_param(&params, "x", "1");
	assert_param(&params, "w", "4");
	strbuf_release(&sb);
}

Test(router, trailing_slash_is_significant)
{
	const struct route *r = NULL;
	struct route_params params;

	cr_assert_eq(match("GET", "/state/", &r, &params, NULL), ROUTER_NOT_FOUND);
	cr_assert_eq(match("POST", "/promote/prod/", &r, &params, NULL), ROUTER_NOT_FOUND);
	cr_assert_eq(match("GET", "//", &r, &params, NULL), ROUTER_NOT_FOUND);
}

Test(router, empty_segment_does_not_bind)
{
	const struct route *r = NULL;
	struct route_params params;

	cr_assert_eq(match("POST", "/promote/", &r, &params, NULL), ROUTER_NOT_FOUND);
	cr_assert_eq(match("POST", "/promote", &r, &params, NULL), ROUTER_NOT_FOUND);
	cr_assert_eq(match("GET", "/logs//build", &r, &params, NULL), ROUTER_NOT_FOUND);
	cr_assert_eq(match("GET", "/logs/1.0/", &r, &params, NULL), ROUTER_NOT_FOUND);
}

Test(router, encoded_slash_does_not_split)
{
	const struct route *r = NULL;
	struct route_params params;

	cr_assert_eq(match("POST", "/promote/a%2Fb", &r, &params, NULL), ROUTER_FOUND);
	assert_param(&params, "tier", "a%2Fb");
	cr_assert_eq(match("POST", "/promote/a/b", &r, &params, NULL), ROUTER_NOT_FOUND);
	cr_assert_eq(match("POST", "/promote/%2e%2e", &r, &params, NULL), ROUTER_FOUND);
	assert_param(&params, "tier", "%2e%2e");
}

Test(router, not_found_leaves_allow_empty)
{
	const struct route *r = NULL;
	struct route_params params;
	struct strbuf allow = STRBUF_INIT;

	cr_assert_eq(match("GET", "/nope", &r, &params, &allow), ROUTER_NOT_FOUND);
	cr_assert_eq(allow.len, 0);
	cr_assert_eq(params.n, 0);
	strbuf_release(&allow);
}

Test(router, method_not_allowed_lists_methods)
{
	const struct route *r = NULL;
	struct route_params params;
	struct strbuf allow = STRBUF_INIT;

	cr_assert_eq(match("GET", "/promote/prod", &r, &params, &allow), ROUTER_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(allow.buf, "POST");
	strbuf_reset(&allow);

	/* Two PUT routes on the same shape appear once. */
	cr_assert_eq(match("PATCH", "/items/7", &r, &params, &allow), ROUTER_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(allow.buf, "GET, PUT, DELETE");
	strbuf_reset(&allow);

	cr_assert_eq(match("POST", "/state", &r, &params, &allow), ROUTER_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(allow.buf, "GET");
	strbuf_reset(&allow);

	/* HEAD is not implied by GET. */
	cr_assert_eq(match("HEAD", "/state", &r, &params, &allow), ROUTER_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(allow.buf, "GET");
	strbuf_release(&allow);
}

Test(router, method_not_allowed_without_allow_buffer)
{
	const struct route *r = NULL;
	struct route_params params;

	cr_assert_eq(match("get", "/state", &r, &params, NULL), ROUTER_METHOD_NOT_ALLOWED);
}

Test(router, first_route_wins)
{
	cr_assert(found("PUT", "/items/3", 5));
	cr_assert(found("DELETE", "/items/3", 6));
}

Test(router, uses_path_length_not_nul)
{
	const struct route *r = NULL;
	struct route_params params;
	const char *path = "/stateXYZ";

	cr_assert_eq(
	    router_match(routes, NROUTES, "GET", path, 6, &r, &params, NULL), ROUTER_FOUND);
	cr_assert_eq(r, &routes[0]);
}

Test(router, route_param_appends)
{
	const struct route *r = NULL;
	struct route_params params;
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(match("GET", "/items/42", &r, &params, NULL), ROUTER_FOUND);
	strbuf_addstr(&sb, "id=");
	cr_assert_eq(route_param(&params, "id", &sb), 0);
	cr_assert_str_eq(sb.buf, "id=42");
	strbuf_release(&sb);
}

Test(url_decode, plain_and_escapes)
{
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(http_url_decode("abc", 3, &sb), 0);
	cr_assert_str_eq(sb.buf, "abc");
	strbuf_reset(&sb);
	cr_assert_eq(http_url_decode("a%2Fb%2fc%20d+e", 15, &sb), 0);
	cr_assert_str_eq(sb.buf, "a/b/c d+e");
	strbuf_reset(&sb);
	cr_assert_eq(http_url_decode("%2e%2E", 6, &sb), 0);
	cr_assert_str_eq(sb.buf, "..");
	strbuf_reset(&sb);
	cr_assert_eq(http_url_decode("%C3%A9", 6, &sb), 0);
	cr_assert_str_eq(sb.buf, "\xc3\xa9");
	strbuf_release(&sb);
}

Test(url_decode, refuses_bad_escapes_and_nul)
{
	struct strbuf sb = STRBUF_INIT;
	const char *bad[] = {"%", "%2", "a%g0", "%0g", "x%00y", "%%41"};

	strbuf_addstr(&sb, "keep");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(
		    http_url_decode(bad[i], strlen(bad[i]), &sb), -1, "'%s' decoded", bad[i]);
		cr_assert_str_eq(sb.buf, "keep");
	}
	cr_assert_eq(http_url_decode("a\0b", 3, &sb), -1);
	cr_assert_str_eq(sb.buf, "keep");
	strbuf_release(&sb);
}

Test(url_decode, respects_length)
{
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(http_url_decode("ab%41", 2, &sb), 0);
	cr_assert_str_eq(sb.buf, "ab");
	strbuf_reset(&sb);
	cr_assert_eq(http_url_decode("%41%4", 4, &sb), -1);
	cr_assert_eq(http_url_decode("", 0, &sb), 0);
	cr_assert_eq(sb.len, 0);
	strbuf_release(&sb);
}

Test(status_text, known_and_unknown)
{
	cr_assert_str_eq(http_status_text(200), "OK");
	cr_assert_str_eq(http_status_text(202), "Accepted");
	cr_assert_str_eq(http_status_text(404), "Not Found");
	cr_assert_str_eq(http_status_text(405), "Method Not Allowed");
	cr_assert_str_eq(http_status_text(408), "Request Timeout");
	cr_assert_str_eq(http_status_text(413), "Content Too Large");
	cr_assert_str_eq(http_status_text(422), "Unprocessable Content");
	cr_assert_str_eq(http_status_text(431), "Request Header Fields Too Large");
	cr_assert_str_eq(http_status_text(500), "Internal Server Error");
	cr_assert_str_eq(http_status_text(299), "Unknown");
	cr_assert_str_eq(http_status_text(-1), "Unknown");
}
