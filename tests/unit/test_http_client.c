/*
 * http_client over real sockets: a one-connection server on a thread with
 * blocking sockets (bound on loopback, port 0, before the thread starts)
 * reads one request, keeps it for the test, and writes a canned answer (or
 * none); the client runs on a uv loop in the test's thread.  Every run must
 * call on_done exactly once, never from http_client_start, and leave the loop
 * without handles (uv_loop_close == 0).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "net/http_client.h"

#define REQ_MAX (64 * 1024)

static struct {
	int lfd, port;
	pthread_t thread;
	const char *reply; /* NULL: read the request and never answer */
	size_t reply_len;
	size_t split;      /* write reply[0, split), pause, then the rest; 0: at once */
	int hang_up;       /* accept and close at once */
	int family;        /* of the listening socket; 0: AF_INET */
	const char *host;  /* in the URL; NULL: "127.0.0.1" */
	char req[REQ_MAX]; /* the request as it arrived */
	size_t req_len;
} srv;

struct outcome {
	int calls, status;
	char *error, *body;
	size_t body_len;
	uint64_t duration_ms;
};

/* --- the server --- */

/* Whether the request in srv.req is complete (head and Content-Length body). */
static int
request_complete(void)
{
	const char *end = memmem(srv.req, srv.req_len, "\r\n\r\n", 4);
	const char *cl;
	size_t head;

	if (end == NULL)
		return 0;
	head = (size_t)(end + 4 - srv.req);
	cl = strcasestr(srv.req, "\r\ncontent-length:");
	if (cl == NULL || cl > end)
		return 1;
	return srv.req_len >= head + strtoul(cl + 17, NULL, 10);
}

static void
serve(int fd)
{
	ssize_t n = 1;
	char sink[4096];

	while (!request_complete() && srv.req_len < REQ_MAX - 1 &&
	       (n = read(fd, srv.req + srv.req_len, REQ_MAX - 1 - srv.req_len)) > 0)
		srv.req_len += (size_t)n;
	if (srv.reply == NULL) {
		while (read(fd, sink, sizeof(sink)) > 0)
			; /* until the client gives up */
		return;
	}
	if (srv.split) {
		send(fd, srv.reply, srv.split, MSG_NOSIGNAL);
		usleep(50 * 1000);
	}
	send(fd, srv.reply + srv.split, srv.reply_len - srv.split, MSG_NOSIGNAL);
}

static void *
server_main(void *arg)
{
	struct timeval tv = {.tv_sec = 5};
	struct pollfd pfd = {.fd = srv.lfd, .events = POLLIN};
	int fd;

	if (poll(&pfd, 1, 5000) != 1 || (fd = accept(srv.lfd, NULL, NULL)) < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!srv.hang_up)
		serve(fd);
	close(fd);
	return NULL;
}

/* Bind a loopback socket of family on port 0 into srv; -1 if impossible. */
static int
server_bind(int family)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*in4) : sizeof(*in6);

	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		in6->sin6_addr = in6addr_loopback;
	srv.lfd = socket(family, SOCK_STREAM, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(srv.lfd, 4) != 0 || getsockname(srv.lfd, (struct sockaddr *)&ss, &len) != 0) {
		if (srv.lfd >= 0)
			close(srv.lfd);
		return -1;
	}
	srv.port = ntohs(family == AF_INET ? in4->sin_port : in6->sin6_port);
	return 0;
}

/* Serve one connection with reply (NULL: never answer); skip if no IPv6. */
static void
server_start(const char *reply)
{
	int family = srv.family ? srv.family : AF_INET;

	if (server_bind(family) != 0 && family == AF_INET6)
		cr_skip_test("no IPv6 loopback here");
	cr_assert_geq(srv.lfd, 0);
	srv.reply = reply;
	srv.reply_len = reply ? strlen(reply) : 0;
	pthread_create(&srv.thread, NULL, server_main, NULL);
}

static void
server_join(void)
{
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
}

/* --- the client --- */

static void
on_done(const struct http_client_result *r, void *arg)
{
	struct outcome *out = arg;

	out->calls++;
	out->status = r->status;
	out->error = r->error ? xstrdup(r->error) : NULL;
	cr_assert_not_null(r->body);
	cr_assert_eq(r->body[r->body_len], '\0');
	out->body = xstrndup(r->body, r->body_len);
	out->body_len = r->body_len;
	out->duration_ms = r->duration_ms;
}

/* Run loop to the end and check the rules of every request. */
static void
run_on(uv_loop_t *loop, struct outcome *out)
{
	uv_run(loop, UV_RUN_DEFAULT);
	cr_assert_eq(out->calls, 1, "on_done called %d times", out->calls);
	cr_assert_eq(uv_loop_close(loop), 0, "handles left on the loop");
	cr_assert((out->status == 0) == (out->error != NULL), "status %d, error %s", out->status,
	    out->error ? out->error : "NULL");
}

static void
run(struct http_client_options *o, struct outcome *out)
{
	struct strbuf err = STRBUF_INIT;
	uv_loop_t loop;

	uv_loop_init(&loop);
	o->on_done = on_done;
	o->arg = out;
	cr_assert_eq(http_client_start(&loop, o, NULL, &err), 0, "%s", err.buf);
	cr_assert_eq(out->calls, 0, "on_done called from http_client_start");
	strbuf_release(&err);
	run_on(&loop, out);
}

static void
outcome_release(struct outcome *out)
{
	free(out->error);
	free(out->body);
}

/* Run o against the test server answering reply (NULL: never), at path. */
static void
fetch(struct http_client_options *o, const char *path, const char *reply, struct outcome *out)
{
	char url[128];

	server_start(reply);
	snprintf(
	    url, sizeof(url), "http://%s:%d%s", srv.host ? srv.host : "127.0.0.1", srv.port, path);
	o->url = url;
	run(o, out);
	server_join();
}

static void
get(const char *path, const char *reply, struct outcome *out)
{
	struct http_client_options o = {0};

	fetch(&o, path, reply, out);
}

/* A GET answered with reply must give status and body, and no error. */
static void
expect(const char *reply, int status, const char *body)
{
	struct outcome out = {0};

	get("/", reply, &out);
	cr_assert_eq(out.status, status, "%s", out.error ? out.error : "");
	cr_assert_null(out.error);
	cr_assert_str_eq(out.body, body);
	cr_assert_eq(out.body_len, strlen(body));
	outcome_release(&out);
}

/* --- responses --- */

Test(http_client, ok_with_body)
{
	struct outcome out = {0};
	char host[64];

	get("/health?x=1",
	    "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world",
	    &out);
	cr_assert_eq(out.status, 200);
	cr_assert_null(out.error);
	cr_assert_str_eq(out.body, "hello world");
	cr_assert_eq(out.body_len, 11);
	cr_assert(strncmp(srv.req, "GET /health?x=1 HTTP/1.1\r\n", 26) == 0, "%s", srv.req);
	snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", srv.port);
	cr_assert_not_null(strstr(srv.req, host), "%s", srv.req);
	cr_assert_not_null(strstr(srv.req, "\r\nConnection: close\r\n"));
	cr_assert_null(strcasestr(srv.req, "content-length"));
	outcome_release(&out);
}

Test(http_client, any_status_is_a_result)
{
	expect("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", 404, "not found");
	expect("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", 503, "");
	expect("HTTP/1.1 204 No Content\r\n\r\n", 204, "");
	/* redirects are not followed */
	expect("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n",
	    302, "");
}

Test(http_client, chunked_in_pieces)
{
	srv.split = 50; /* the answer arrives in two reads, cut inside a chunk */
	expect("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
	       "6\r\n world\r\n0\r\n\r\n",
	    200, "hello world");
}

Test(http_client, body_until_close)
{
	expect("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", 200, "all of it");
}

Test(http_client, interim_answer_skipped)
{
	expect("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
	       "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
	    201, "ok");
}

Test(http_client, head_has_no_body)
{
	struct outcome out = {0};
	struct http_client_options o = {.method = "HEAD", .timeout_ms = 2000};

	fetch(&o, "/", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", &out);
	cr_assert_eq(out.status, 200, "%s", out.error ? out.error : "");
	cr_assert_eq(out.body_len, 0);
	cr_assert(strncmp(srv.req, "HEAD / HTTP/1.1\r\n", 17) == 0);
	outcome_release(&out);
}

/* GET a body of len letters with body_max max into out. */
static void
get_long(size_t len, size_t max, struct outcome *out)
{
	struct strbuf reply = STRBUF_INIT;
	struct http_client_options o = {.body_max = max};

	strbuf_addf(&reply, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", len);
	for (size_t i = 0; i < len; i++)
		strbuf_addch(&reply, 'a' + (int)(i % 26));
	fetch(&o, "/", reply.buf, out);
	strbuf_release(&reply);
}

Test(http_client, long_body_truncated)
{
	struct outcome out = {0};

	get_long(1024 * 1024, 10, &out);
	cr_assert_eq(out.status, 200);
	cr_assert_null(out.error);
	cr_assert_eq(out.body_len, 10);
	cr_assert_str_eq(out.body, "abcdefghij");
	outcome_release(&out);
	memset(&out, 0, sizeof(out));
	get_long(10, 10, &out); /* exactly body_max: whole */
	cr_assert_eq(out.status, 200);
	cr_assert_str_eq(out.body, "abcdefghij");
	outcome_release(&out);
}

Test(http_client, default_body_max_is_64k)
{
	struct outcome out = {0};

	get_long(100 * 1024, 0, &out);
	cr_assert_eq(out.status, 200);
	cr_assert_eq(out.body_len, 64 * 1024);
	outcome_release(&out);
}

/* --- failures --- */

Test(http_client, connection_refused)
{
	struct outcome out = {0};
	char url[128];
	struct http_client_options o = {.url = url};

	cr_assert_eq(server_bind(AF_INET), 0);
	close(srv.lfd); /* nobody listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
	run(&o, &out);
	cr_assert_eq(out.status, 0);
	cr_assert_str_eq(out.error, "connection refused");
	cr_assert_str_eq(out.body, "");
	outcome_release(&out);
}

Test(http_client, timeout)
{
	struct outcome out = {0};
	struct http_client_options o = {.timeout_ms = 200};

	fetch(&o, "/slow", NULL, &out);
	cr_assert_eq(out.status, 0);
	cr_assert_str_eq(out.error, "timed out after 200 ms");
	cr_assert_geq(out.duration_ms, 190);
	cr_assert_lt(out.duration_ms, 2000);
	cr_assert(strncmp(srv.req, "GET /slow HTTP/1.1\r\n", 20) == 0); /* it was sent */
	outcome_release(&out);
}

Test(http_client, closed_without_a_response)
{
	struct outcome out = {0};

	srv.hang_up = 1;
	get("/", "unused", &out);
	cr_assert_eq(out.status, 0);
	cr_assert_not_null(out.error);
	cr_assert(strcmp(out.error, "connection closed without a response") == 0 ||
	              strcmp(out.error, "connection reset by peer") == 0,
	    "%s", out.error);
	outcome_release(&out);
}

Test(http_client, cut_short)
{
	struct outcome out = {0};

	get("/", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", &out);
	cr_assert_eq(out.status, 0);
	cr_assert_str_eq(out.error, "connection closed before the end of the response");
	cr_assert_str_eq(out.body, "");
	outcome_release(&out);
}

Test(http_client, malformed_response)
{
	struct outcome out = {0};

	get("/", "SSH-2.0-OpenSSH_9.2\r\n\r\n", &out);
	cr_assert_eq(out.status, 0);
	cr_assert(strncmp(out.error, "malformed response (", 20) == 0, "%s", out.error);
	outcome_release(&out);
}

/* Whether http_client_start refuses o with a message starting with want. */
static void
assert_refused(struct http_client_options *o, const char *want)
{
	struct strbuf err = STRBUF_INIT;
	struct outcome out = {0};
	struct http_client *c = (struct http_client *)&out; /* must become NULL */
	uv_loop_t loop;

	uv_loop_init(&loop);
	o->arg = &out;
	cr_assert_eq(http_client_start(&loop, o, &c, &err), -1, "'%s' accepted", o->url);
	cr_assert_null(c);
	cr_assert(strncmp(err.buf, want, strlen(want)) == 0, "'%s': %s", o->url, err.buf);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(out.calls, 0);
	cr_assert_eq(uv_loop_close(&loop), 0);
	strbuf_release(&err);
}

Test(http_client, invalid_urls)
{
	static const char *const bad[] = {"https://127.0.0.1/", "http://", "http:///path",
	    "http://127.0.0.1:99999/", "http://127.0.0.1:0/", "http://127.0.0.1:x/", "garbage", "",
	    "ftp://host/", "ws://host/", "http://[::1/", "http://a b/", "http://h/a b",
	    "http://user:pw@host/"};
	struct strbuf want = STRBUF_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_client_options o = {.url = bad[i], .on_done = on_done};

		strbuf_reset(&want);
		strbuf_addf(&want, "invalid url '%s': ", bad[i]);
		assert_refused(&o, want.buf);
	}
	strbuf_release(&want);
}

Test(http_client, invalid_options)
{
	static const char *const crlf[] = {"X-A: 1\r\nX-Injected: 2", NULL};
	static const char *const noname[] = {": value", NULL};
	static const char *const ours[] = {"content-length: 5", NULL};
	struct http_client_options o = {.url = "http://127.0.0.1/", .on_done = on_done};

	o.headers = crlf;
	assert_refused(&o, "invalid header 'X-A': CR or LF");
	o.headers = noname;
	assert_refused(&o, "invalid header #1");
	o.headers = ours;
	assert_refused(&o, "header 'content-length' is set by the client");
	o.headers = NULL;
	o.method = "GET /x HTTP/1.0\r\n";
	assert_refused(&o, "invalid method");
	o.method = NULL;
	o.on_done = NULL;
	assert_refused(&o, "no on_done callback");
}

/* --- cancel --- */

static void
cancel_now(uv_timer_t *t)
{
	http_client_cancel(t->data);
	http_client_cancel(t->data); /* twice is harmless */
	uv_close((uv_handle_t *)t, NULL);
}

/* Start a request to a server that never answers; cancel after ms (or at once). */
static void
cancelled(uint64_t ms, struct outcome *out)
{
	struct strbuf err = STRBUF_INIT;
	struct http_client *c;
	char url[128];
	struct http_client_options o = {.url = url, .on_done = on_done, .arg = out};
	uv_timer_t t;
	uv_loop_t loop;

	server_start(NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
	uv_loop_init(&loop);
	cr_assert_eq(http_client_start(&loop, &o, &c, &err), 0, "%s", err.buf);
	cr_assert_not_null(c);
	if (ms == 0) {
		http_client_cancel(c);
		cr_assert_eq(out->calls, 0, "on_done called from http_client_cancel");
	} else {
		uv_timer_init(&loop, &t);
		t.data = c;
		uv_timer_start(&t, cancel_now, ms, 0);
	}
	run_on(&loop, out);
	server_join(); /* the server saw the connection close (or none, after 5 s) */
	strbuf_release(&err);
}

Test(http_client, cancel_in_flight)
{
	struct outcome out = {0};

	cancelled(50, &out);
	cr_assert_eq(out.status, 0);
	cr_assert_str_eq(out.error, "cancelled");
	cr_assert_lt(out.duration_ms, 5000);
	outcome_release(&out);
}

Test(http_client, cancel_before_the_loop_runs)
{
	struct outcome out = {0};

	cancelled(0, &out);
	cr_assert_eq(out.status, 0);
	cr_assert_str_eq(out.error, "cancelled");
	outcome_release(&out);
}

/* --- what the server gets --- */

Test(http_client, post_with_body_and_authorization)
{
	static const char body[] = "{\"ref\":\"main\",\"bin\":\"a\0b\"}";
	static const char *const headers[] = {
	    "Authorization: Bearer s3cr3t-token", "Content-Type: application/json", NULL};
	struct outcome out = {0};
	char cl[64];
	struct http_client_options o = {
	    .method = "POST", .headers = headers, .body = body, .body_len = sizeof(body) - 1};
	const char *got;

	fetch(&o, "/api/deploys?dry=1#frag", "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
	    &out);
	cr_assert_eq(out.status, 202);
	cr_assert(strncmp(srv.req, "POST /api/deploys?dry=1 HTTP/1.1\r\n", 34) == 0, "%s", srv.req);
	cr_assert_not_null(strstr(srv.req, "\r\nAuthorization: Bearer s3cr3t-token\r\n"));
	cr_assert_not_null(strstr(srv.req, "\r\nContent-Type: application/json\r\n"));
	snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", sizeof(body) - 1);
	cr_assert_not_null(strstr(srv.req, cl));
	got = strstr(srv.req, "\r\n\r\n") + 4;
	cr_assert_eq((size_t)(srv.req + srv.req_len - got), sizeof(body) - 1);
	cr_assert(memcmp(got, body, sizeof(body) - 1) == 0);
	outcome_release(&out);
}

Test(http_client, host_header_from_the_caller)
{
	static const char *const headers[] = {"Host: app.example", NULL};
	struct outcome out = {0};
	struct http_client_options o = {.headers = headers};

	fetch(&o, "/", "HTTP/1.1 204 No Content\r\n\r\n", &out);
	cr_assert_eq(out.status, 204);
	cr_assert_not_null(strstr(srv.req, "\r\nHost: app.example\r\n"));
	cr_assert_null(strstr(srv.req, "Host: 127.0.0.1"), "%s", srv.req);
	outcome_release(&out);
}

Test(http_client, host_name_resolved)
{
	srv.host = "localhost"; /* may be ::1 first: the next address is tried */
	expect("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 200, "hi");
}

Test(http_client, unknown_host_name)
{
	struct outcome out = {0};
	struct http_client_options o = {.url = "http://no-such-host.invalid/", .timeout_ms = 5000};

	run(&o, &out);
	cr_assert_eq(out.status, 0);
	/* a resolver that cannot reach its server may take the whole timeout */
	cr_assert(strncmp(out.error, "cannot resolve 'no-such-host.invalid': ", 39) == 0 ||
	              strcmp(out.error, "timed out after 5000 ms") == 0,
	    "%s", out.error);
	outcome_release(&out);
}

Test(http_client, ipv6_loopback)
{
	struct outcome out = {0};

	srv.family = AF_INET6;
	srv.host = "[::1]";
	get("/six", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6", &out);
	cr_assert_eq(out.status, 200, "%s", out.error ? out.error : "");
	cr_assert_str_eq(out.body, "v6");
	cr_assert_not_null(strstr(srv.req, "\r\nHost: [::1]:"), "%s", srv.req);
	outcome_release(&out);
}
