/*
 * test_unit.c - unit tests of demo-app's parser, router, SHA-256 and
 * migration helpers.  No framework: one function per test, one
 * "ok - name" / "not ok - name" line each; exit 1 if any failed.
 * Run from the demo-app directory (the router tests read ./static/).
 */
#include "http.h"
#include "migrate.h"
#include "routes.h"
#include "sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define EXPECT(cond)                                                                 \
	do {                                                                         \
		if (!(cond)) {                                                       \
			printf("# %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
			return 0;                                                    \
		}                                                                    \
	} while (0)

static void
run(const char *name, int (*fn)(void))
{
	int ok = fn();

	printf("%s - %s\n", ok ? "ok" : "not ok", name);
	failures += !ok;
}

/* Parse a NUL-terminated request. */
static int
parse(const char *raw, struct http_request *req)
{
	return http_parse_head(raw, strlen(raw), req);
}

static int
test_parse_get(void)
{
	struct http_request req;
	const char *raw = "GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nauthorization: Bearer t\r\n\r\n";

	EXPECT(parse(raw, &req) == (int)strlen(raw));
	EXPECT(strcmp(req.method, "GET") == 0);
	EXPECT(strcmp(req.target, "/healthz?x=1") == 0);
	EXPECT(strcmp(req.path, "/healthz") == 0);
	EXPECT(strcmp(req.auth, "Bearer t") == 0);
	EXPECT(req.content_length == 0);
	return 1;
}

static int
test_parse_incomplete(void)
{
	struct http_request req;

	EXPECT(parse("", &req) == 0);
	EXPECT(parse("GET / HTTP/1.1\r\n", &req) == 0);
	EXPECT(parse("GET / HTTP/1.1\r\nHost: a\r\n", &req) == 0);
	return 1;
}

static int
test_parse_content_length(void)
{
	struct http_request req;

	EXPECT(parse("POST /x HTTP/1.1\r\nContent-Length:  12 \r\n\r\n", &req) > 0);
	EXPECT(req.content_length == 12);
	EXPECT(parse("POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", &req) == -400);
	EXPECT(parse("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &req) == -400);
	EXPECT(parse("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &req) ==
	       -400);
	EXPECT(parse("POST /x HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", &req) == -413);
	EXPECT(parse("POST /x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", &req) == -413);
	EXPECT(parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &req) == -501);
	return 1;
}

static int
test_parse_malformed(void)
{
	struct http_request req;

	EXPECT(parse("GET\r\n\r\n", &req) == -400);
	EXPECT(parse("GET /\r\n\r\n", &req) == -400);
	EXPECT(parse("get / HTTP/1.1\r\n\r\n", &req) == -400);
	EXPECT(parse("GET  / HTTP/1.1\r\n\r\n", &req) == -400);
	EXPECT(parse("GET x HTTP/1.1\r\n\r\n", &req) == -400);
	EXPECT(parse("GET / HTTP/2.0\r\n\r\n", &req) == -505);
	EXPECT(parse("GET / FOO/1.1\r\n\r\n", &req) == -400);
	EXPECT(parse("VERYLONGMETHOD / HTTP/1.1\r\n\r\n", &req) == -501);
	EXPECT(parse("GET / HTTP/1.1\r\nNo colon\r\n\r\n", &req) == -400);
	EXPECT(parse("GET / HTTP/1.1\r\nBad name: x\r\n\r\n", &req) == -400);
	EXPECT(parse("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", &req) == -400);
	EXPECT(parse("GET /%zz HTTP/1.1\r\n\r\n", &req) == -400);
	EXPECT(parse("GET /a%00b HTTP/1.1\r\n\r\n", &req) == -400);
	EXPECT(http_parse_head("GET /\0 HTTP/1.1\r\n\r\n", 19, &req) == -400);
	return 1;
}

static int
test_parse_oversized(void)
{
	static char buf[HTTP_HEAD_MAX + 64];
	struct http_request req;
	int n;

	memset(buf, 'a', sizeof buf);
	n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nX: ");
	buf[n] = 'a'; /* overwrite the NUL: filler, no end of head in sight */
	EXPECT(http_parse_head(buf, sizeof buf, &req) == -431);
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', HTTP_TARGET_MAX);
	memcpy(buf + 5 + HTTP_TARGET_MAX, " HTTP/1.1\r\n\r\n", 13);
	EXPECT(http_parse_head(buf, 5 + HTTP_TARGET_MAX + 13, &req) == -414);
	return 1;
}

static int
test_decode_path(void)
{
	char out[16];

	EXPECT(http_decode_path("/a%2Fb%2e?q=%zz", out, sizeof out) == 0);
	EXPECT(strcmp(out, "/a/b.") == 0);
	EXPECT(http_decode_path("/static/%2e%2e/x", out, sizeof out) == 0);
	EXPECT(strcmp(out, "/static/../x") == 0);
	EXPECT(http_decode_path("/%4", out, sizeof out) == -1);
	EXPECT(http_decode_path("/0123456789abcdef", out, sizeof out) == -1);
	return 1;
}

static const struct app test_app = {"9.8.7", 1, "s3cret", "static"};

/* Route a request given as raw text; the response in *res (caller releases). */
static int
route(const struct app *app, const char *raw, struct http_response *res)
{
	struct http_request req;
	int head = parse(raw, &req);

	http_response_init(res);
	if (head <= 0)
		return -1;
	req.body = raw + head;
	req.body_len = strlen(raw + head);
	routes_dispatch(app, &req, res);
	return res->status;
}

static int
body_is(const struct http_response *res, const char *want)
{
	return res->body != NULL && strcmp(res->body, want) == 0;
}

static int
test_route_healthz(void)
{
	struct app sick = test_app;
	struct http_response res;

	EXPECT(route(&test_app, "GET /healthz HTTP/1.1\r\n\r\n", &res) == 200);
	EXPECT(body_is(&res, "{\"status\":\"ok\",\"version\":\"9.8.7\"}\n"));
	EXPECT(strcmp(res.content_type, "application/json") == 0);
	http_response_release(&res);
	sick.healthy = 0;
	EXPECT(route(&sick, "GET /healthz HTTP/1.1\r\n\r\n", &res) == 503);
	http_response_release(&res);
	EXPECT(route(&test_app, "HEAD /healthz HTTP/1.1\r\n\r\n", &res) == 200);
	EXPECT(res.head_only);
	http_response_release(&res);
	return 1;
}

static int
test_route_version_and_errors(void)
{
	struct http_response res;

	EXPECT(route(&test_app, "GET /version HTTP/1.1\r\n\r\n", &res) == 200);
	EXPECT(body_is(&res, "9.8.7\n"));
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /nope HTTP/1.1\r\n\r\n", &res) == 404);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /healthzz HTTP/1.1\r\n\r\n", &res) == 404);
	http_response_release(&res);
	EXPECT(route(&test_app, "DELETE /healthz HTTP/1.1\r\n\r\n", &res) == 405);
	EXPECT(res.allow != NULL && strcmp(res.allow, "GET, HEAD") == 0);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /restart-warning HTTP/1.1\r\n\r\n", &res) == 405);
	EXPECT(res.allow != NULL && strcmp(res.allow, "POST") == 0);
	http_response_release(&res);
	return 1;
}

static int
test_route_static(void)
{
	struct http_response res;
	struct stat st;

	EXPECT(stat("static/index.html", &st) == 0);
	EXPECT(route(&test_app, "GET /static/index.html HTTP/1.1\r\n\r\n", &res) == 200);
	EXPECT(res.file_fd >= 0 && res.file_size == st.st_size);
	EXPECT(strncmp(res.content_type, "text/html", 9) == 0);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET / HTTP/1.1\r\n\r\n", &res) == 200);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /static/style.css HTTP/1.1\r\n\r\n", &res) == 200);
	EXPECT(strcmp(res.content_type, "text/css") == 0);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /static/logo.svg HTTP/1.1\r\n\r\n", &res) == 200);
	EXPECT(strcmp(res.content_type, "image/svg+xml") == 0);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /static/img/dot.svg HTTP/1.1\r\n\r\n", &res) == 200);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /static/missing.html HTTP/1.1\r\n\r\n", &res) == 404);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /static/img HTTP/1.1\r\n\r\n", &res) == 404);
	EXPECT(res.file_fd < 0);
	http_response_release(&res);
	EXPECT(route(&test_app, "GET /static/ HTTP/1.1\r\n\r\n", &res) == 400);
	http_response_release(&res);
	return 1;
}

static int
test_route_static_traversal(void)
{
	static const char *const bad[] = {
	    "GET /static/../VERSION HTTP/1.1\r\n\r\n",
	    "GET /static/img/../../VERSION HTTP/1.1\r\n\r\n",
	    "GET /static/%2e%2e/VERSION HTTP/1.1\r\n\r\n",
	    "GET /static/%2E%2E%2FVERSION HTTP/1.1\r\n\r\n",
	    "GET /static//etc/passwd HTTP/1.1\r\n\r\n",
	    "GET /static/.hidden HTTP/1.1\r\n\r\n",
	    "GET /static/img/.. HTTP/1.1\r\n\r\n",
	};
	struct http_response res;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int status = route(&test_app, bad[i], &res);

		if (status != 400)
			printf("# %s-> %d\n", bad[i], status);
		EXPECT(status == 400 && res.file_fd < 0);
		http_response_release(&res);
	}
	return 1;
}

static int
test_route_restart_warning(void)
{
	struct app untokened = test_app;
	struct http_response res;

	EXPECT(route(&test_app,
	           "POST /restart-warning HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n"
	           "{\"seconds\": 30}",
	           &res) == 204);
	http_response_release(&res);
	EXPECT(route(&test_app, "POST /restart-warning HTTP/1.1\r\n\r\n{\"seconds\": 30}", &res) ==
	       401);
	EXPECT(res.bearer_challenge);
	EXPECT(strstr(res.body, "s3cret") == NULL);
	http_response_release(&res);
	EXPECT(route(&test_app,
	           "POST /restart-warning HTTP/1.1\r\nAuthorization: Bearer "
	           "s3cre\r\n\r\n{\"seconds\": 1}",
	           &res) == 401);
	http_response_release(&res);
	EXPECT(route(&test_app,
	           "POST /restart-warning HTTP/1.1\r\nAuthorization: Bearer "
	           "s3cret\r\n\r\n{\"secs\": 1}",
	           &res) == 400);
	http_response_release(&res);
	untokened.token = NULL;
	EXPECT(
	    route(&untokened,
	        "POST /restart-warning HTTP/1.1\r\nAuthorization: Bearer \r\n\r\n{\"seconds\": 1}",
	        &res) == 403);
	http_response_release(&res);
	return 1;
}

static int
seconds_of(const char *body, long *out)
{
	return routes_parse_seconds(body, strlen(body), out);
}

static int
test_parse_seconds(void)
{
	long s = -1;

	EXPECT(seconds_of("{\"seconds\": 30}", &s) == 0 && s == 30);
	EXPECT(seconds_of(" {\n\"seconds\":0 }\n", &s) == 0 && s == 0);
	EXPECT(seconds_of("{\"seconds\": 86400}", &s) == 0 && s == 86400);
	EXPECT(seconds_of("{\"seconds\": 86401}", &s) == -1);
	EXPECT(seconds_of("{\"seconds\": -1}", &s) == -1);
	EXPECT(seconds_of("{\"seconds\": 1.5}", &s) == -1);
	EXPECT(seconds_of("{\"seconds\": \"30\"}", &s) == -1);
	EXPECT(seconds_of("{\"seconds\": 30} x", &s) == -1);
	EXPECT(seconds_of("{\"seconds\": 99999999999999999999999}", &s) == -1);
	EXPECT(seconds_of("", &s) == -1);
	EXPECT(seconds_of("{", &s) == -1);
	return 1;
}

static int
test_sha256_vectors(void)
{
	static char million[1000000];
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex("", 0, hex);
	EXPECT(
	    strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
	sha256_hex("abc", 3, hex);
	EXPECT(
	    strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	EXPECT(
	    strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
	memset(million, 'a', sizeof million);
	sha256_hex(million, sizeof million, hex);
	EXPECT(
	    strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
	return 1;
}

static int
test_migrate_names(void)
{
	EXPECT(migrate_name_ok("0001_create_items.sql"));
	EXPECT(migrate_name_ok("2-x.sql"));
	EXPECT(!migrate_name_ok("create.sql"));
	EXPECT(!migrate_name_ok("0001_it's.sql"));
	EXPECT(!migrate_name_ok("0001 x.sql"));
	EXPECT(!migrate_name_ok(".sql"));
	EXPECT(!migrate_name_ok("0001_x.sql.orig"));
	return 1;
}

static int
test_migrate_list(void)
{
	struct migration *m;
	char hex[SHA256_HEX_LEN + 1];
	int n = migrate_list("migrations", &m);

	EXPECT(n >= 2);
	EXPECT(strcmp(m[0].version, "0001_create_items") == 0);
	EXPECT(strcmp(m[1].version, "0002_add_price") == 0);
	EXPECT(sha256_file("migrations/0001_create_items.sql", hex) == 0);
	EXPECT(strcmp(m[0].checksum, hex) == 0);
	free(m);
	return 1;
}

static int
test_migrate_applied_checksum(void)
{
	const char *sum = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	char rows[256], got[SHA256_HEX_LEN + 1];

	snprintf(rows, sizeof rows, "0001_a|%s\n0001_ab|bogus\n0002_b|%s", sum, sum);
	EXPECT(migrate_applied_checksum(rows, "0001_a", got) == 1 && strcmp(got, sum) == 0);
	EXPECT(migrate_applied_checksum(rows, "0002_b", got) == 1 && strcmp(got, sum) == 0);
	EXPECT(migrate_applied_checksum(rows, "0001_ab", got) == 1 && got[0] == '\0');
	EXPECT(migrate_applied_checksum(rows, "0001", got) == 0);
	EXPECT(migrate_applied_checksum(rows, "0003_c", got) == 0);
	EXPECT(migrate_applied_checksum("", "0001_a", got) == 0);
	return 1;
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("parser: GET with query and authorization", test_parse_get);
	run("parser: incomplete heads ask for more", test_parse_incomplete);
	run("parser: content-length and transfer-encoding", test_parse_content_length);
	run("parser: malformed requests are refused", test_parse_malformed);
	run("parser: oversized heads and targets are refused", test_parse_oversized);
	run("parser: percent-decoding of paths", test_decode_path);
	run("router: /healthz healthy, unhealthy and HEAD", test_route_healthz);
	run("router: /version, 404 and 405", test_route_version_and_errors);
	run("router: static files", test_route_static);
	run("router: static traversal is refused", test_route_static_traversal);
	run("router: restart warning and its token", test_route_restart_warning);
	run("restart warning body {\"seconds\": N}", test_parse_seconds);
	run("sha256: FIPS 180-4 test vectors", test_sha256_vectors);
	run("migrate: file names", test_migrate_names);
	run("migrate: listing is ordered and checksummed", test_migrate_list);
	run("migrate: applied checksums from psql rows", test_migrate_applied_checksum);
	return failures == 0 ? 0 : 1;
}
