/*
 * The HTTP server over real sockets: a server runs on its own uv loop in a
 * thread, the test talks to it with blocking sockets.  Every test ends with a
 * graceful shutdown that must complete and leave the loop without handles.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "net/http.h"

static struct {
	uv_loop_t loop;
	uv_async_t stop;
	struct http_server *srv;
	struct http_server_options opts;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;
	int port;
	int done;
	int answered_at_done;
	int loop_close_rc;
	atomic_int async_started;
	atomic_int answered;
	atomic_int stream_started; /* streams begun */
	atomic_int stream_ended;   /* streams whose producer called http_stream_end */
	atomic_int stream_gone;    /* on_gone calls */
	atomic_int stream_failed;  /* http_stream_write returning -1 */
	atomic_size_t stream_max_queued;
} fx = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* --- the server side, run on the loop thread --- */

static void
h_hello(struct http_request *req, void *ctx)
{
	http_respond(req, 200, "text/plain", "hello", 5);
}

static void
h_json(struct http_request *req, void *ctx)
{
	http_respond_json(req, 200, json_pack("{s:b}", "ok", 1));
}

static void
h_echo(struct http_request *req, void *ctx)
{
	http_respond(req, 200, "application/octet-stream", req->body.buf, req->body.len);
}

static void
h_item(struct http_request *req, void *ctx)
{
	struct strbuf id = STRBUF_INIT;

	route_param(&req->params, "id", &id);
	http_respond(req, 200, "text/plain", id.buf, id.len);
	strbuf_release(&id);
}

static void
h_query(struct http_request *req, void *ctx)
{
	struct strbuf q = STRBUF_INIT;

	if (http_query_get(req, "q", &q) != 0)
		http_respond_error(req, 400, "bad_request", "no q");
	else
		http_respond(req, 200, "text/plain", q.buf, q.len);
	strbuf_release(&q);
}

static void
h_header(struct http_request *req, void *ctx)
{
	const char *v = http_request_header(req, "x-test");

	http_respond(req, 200, "text/plain", v ? v : "(none)", strlen(v ? v : "(none)"));
}

static void
h_inject(struct http_request *req, void *ctx)
{
	http_add_response_header(req, "X-Bad", "a\r\nInjected: yes");
	http_add_response_header(req, "X-Bad\r\nInjected", "yes");
	http_add_response_header(req, "X-Good", "fine");
	http_respond(req, 200, "text/plain", "ok", 2);
}

static void
h_secret(struct http_request *req, void *ctx)
{
	http_respond(req, 200, "text/plain", req->identity, strlen(req->identity));
}

struct later {
	uv_timer_t timer;
	struct http_request *req;
};

static void
later_free(uv_handle_t *handle)
{
	free(handle->data);
}

static void
later_fire(uv_timer_t *timer)
{
	struct later *l = timer->data;

	http_respond(l->req, 200, "text/plain", "late", 4);
	atomic_fetch_add(&fx.answered, 1);
	uv_close((uv_handle_t *)timer, later_free);
}

/* Answers "late" after ?ms= milliseconds (300 by default) from a uv timer. */
static void
h_async(struct http_request *req, void *ctx)
{
	struct later *l = xcalloc(1, sizeof(*l));
	struct strbuf ms = STRBUF_INIT;
	uint64_t delay = 300;

	if (http_query_get(req, "ms", &ms) == 0)
		delay = strtoull(ms.buf, NULL, 10);
	strbuf_release(&ms);
	l->req = req;
	l->timer.data = l;
	uv_timer_init(&fx.loop, &l->timer);
	uv_timer_start(&l->timer, later_fire, delay, 0);
	atomic_store(&fx.async_started, 1);
}

/* A producer of chunks "chunk-1\n"... from a uv timer, or of 64 KiB blocks
 * paced by http_stream_queued (flood). */
struct streamer {
	uv_timer_t timer;
	struct http_request *req;
	int sent, n;
	int flood;
};

static void
streamer_stop(struct streamer *s)
{
	http_stream_end(s->req);
	atomic_fetch_add(&fx.stream_ended, 1);
	uv_close((uv_handle_t *)&s->timer, later_free);
}

static void
streamer_gone(struct http_request *req, void *arg)
{
	atomic_fetch_add(&fx.stream_gone, 1);
	streamer_stop(arg);
}

/* Write 64 KiB blocks while fewer than 256 KiB wait; -1 if the client went. */
static int
streamer_flood(struct streamer *s)
{
	static char block[64 * 1024];
	size_t q;

	memset(block, 'f', sizeof(block));
	while ((q = http_stream_queued(s->req)) < 256 * 1024) {
		if (http_stream_write(s->req, block, sizeof(block)) == -1)
			return -1;
		q = http_stream_queued(s->req);
		if (q > atomic_load(&fx.stream_max_queued))
			atomic_store(&fx.stream_max_queued, q);
	}
	return 0;
}

static void
streamer_tick(uv_timer_t *timer)
{
	struct streamer *s = timer->data;
	struct strbuf chunk = STRBUF_INIT;
	int r;

	if (!s->flood && s->sent == s->n) {
		streamer_stop(s);
		return;
	}
	strbuf_addf(&chunk, "chunk-%d\n", ++s->sent);
	r = s->flood ? streamer_flood(s) : http_stream_write(s->req, chunk.buf, chunk.len);
	strbuf_release(&chunk);
	if (r == -1) {
		atomic_fetch_add(&fx.stream_failed, 1);
		streamer_stop(s);
	}
}

/* Streams ?n= chunks (3 by default), one every ?ms= milliseconds (20), or,
 * with ?flood, 64 KiB blocks paced by the queue until the client goes. */
static void
h_stream(struct http_request *req, void *ctx)
{
	struct streamer *s = xcalloc(1, sizeof(*s));
	struct strbuf v = STRBUF_INIT;
	uint64_t ms = 20;

	s->n = 3;
	if (http_query_get(req, "n", &v) == 0)
		s->n = atoi(v.buf);
	strbuf_reset(&v);
	if (http_query_get(req, "ms", &v) == 0)
		ms = strtoull(v.buf, NULL, 10);
	strbuf_reset(&v);
	s->flood = http_query_get(req, "flood", &v) == 0;
	strbuf_release(&v);
	s->req = req;
	s->timer.data = s;
	uv_timer_init(&fx.loop, &s->timer);
	http_add_response_header(req, "X-Stream", "yes");
	atomic_fetch_add(&fx.stream_started, 1);
	if (http_stream_begin(req, 200, "text/plain", streamer_gone, s) == -1) {
		streamer_stop(s);
		return;
	}
	uv_timer_start(&s->timer, streamer_tick, ms, ms);
}

static const struct route routes[] = {
    {"GET", "/stream", ROLE_PUBLIC, h_stream},
    {"HEAD", "/stream", ROLE_PUBLIC, h_stream},
    {"GET", "/hello", ROLE_PUBLIC, h_hello},
    {"GET", "/json", ROLE_PUBLIC, h_json},
    {"POST", "/echo", ROLE_PUBLIC, h_echo},
    {"GET", "/items/{id}", ROLE_PUBLIC, h_item},
    {"PUT", "/items/{id}", ROLE_PUBLIC, h_item},
    {"GET", "/query", ROLE_PUBLIC, h_query},
    {"GET", "/header", ROLE_PUBLIC, h_header},
    {"GET", "/secret", ROLE_ADMIN, h_secret},
    {"GET", "/async", ROLE_PUBLIC, h_async},
    {"GET", "/inject", ROLE_PUBLIC, h_inject},
};

static int
authorize(struct http_request *req, enum role required, void *ctx)
{
	const char *auth = http_request_header(req, "authorization");

	if (required == ROLE_PUBLIC)
		return 0;
	if (auth && strcmp(auth, "Bearer good") == 0) {
		req->identity = "admin";
		return 0;
	}
	http_add_response_header(req, "WWW-Authenticate", "Bearer");
	http_respond_error(req, 401, "unauthorized", "a bearer token is required");
	return -1;
}

/* The observer's log, one "pattern method status" line per answer ("-" for
 * no route, "?" for no method); guarded by fx.mu. */
static struct strbuf observed = STRBUF_INIT;

static void
observe(const struct route *route, const char *method, int status, void *ctx)
{
	pthread_mutex_lock(&fx.mu);
	strbuf_addf(
	    &observed, "%s %s %d\n", route ? route->pattern : "-", *method ? method : "?", status);
	pthread_mutex_unlock(&fx.mu);
}

static void
on_done(void *arg)
{
	fx.done++;
	fx.answered_at_done = atomic_load(&fx.answered);
	uv_close((uv_handle_t *)&fx.stop, NULL);
}

static void
on_stop(uv_async_t *async)
{
	http_server_shutdown(fx.srv, on_done, NULL);
}

static void *
server_main(void *arg)
{
	struct strbuf err = STRBUF_INIT;

	uv_loop_init(&fx.loop);
	uv_async_init(&fx.loop, &fx.stop, on_stop);
	fx.srv = http_server_new(
	    &fx.loop, routes, sizeof(routes) / sizeof(routes[0]), authorize, NULL, &fx.opts);
	http_server_observe(fx.srv, observe);
	if (http_server_listen(fx.srv, "127.0.0.1:0", &err) != 0) {
		fprintf(stderr, "listen: %s\n", err.buf);
		abort();
	}
	pthread_mutex_lock(&fx.mu);
	fx.port = http_server_port(fx.srv);
	fx.ready = 1;
	pthread_cond_signal(&fx.cv);
	pthread_mutex_unlock(&fx.mu);
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	http_server_free(fx.srv);
	fx.loop_close_rc = uv_loop_close(&fx.loop);
	strbuf_release(&err);
	return NULL;
}

static void
server_start(uint64_t header_timeout_ms, uint64_t idle_timeout_ms)
{
	fx.opts.header_timeout_ms = header_timeout_ms;
	fx.opts.idle_timeout_ms = idle_timeout_ms;
	pthread_create(&fx.thread, NULL, server_main, NULL);
	pthread_mutex_lock(&fx.mu);
	while (!fx.ready)
		pthread_cond_wait(&fx.cv, &fx.mu);
	pthread_mutex_unlock(&fx.mu);
	cr_assert_gt(fx.port, 0);
}

static void
server_stop(void)
{
	uv_async_send(&fx.stop);
	pthread_join(fx.thread, NULL);
	cr_assert_eq(fx.done, 1, "shutdown callback did not fire once");
	cr_assert_eq(fx.loop_close_rc, 0, "handles left on the loop");
}

/* --- the client side --- */

struct client {
	int fd;
	struct strbuf in;
};

struct response {
	int status;
	struct strbuf head; /* status line and headers */
	struct strbuf body;
};

static int
client_connect(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx.port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
client_open(struct client *cl)
{
	cl->fd = client_connect();
	cr_assert_geq(cl->fd, 0, "connect: %s", strerror(errno));
	strbuf_init(&cl->in, 0);
}

static void
client_close(struct client *cl)
{
	close(cl->fd);
	strbuf_release(&cl->in);
}

/* Reset the connection (RST instead of FIN) as a crashing client would. */
static void
client_abort(struct client *cl)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(cl->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	client_close(cl);
}

/* Send all of data; -1 if the server closed on us first. */
static int
client_send(struct client *cl, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(cl->fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
client_sendstr(struct client *cl, const char *s)
{
	cr_assert_eq(client_send(cl, s, strlen(s)), 0, "send: %s", strerror(errno));
}

/* Read more into cl->in; 0 at EOF, -1 on error or timeout. */
static ssize_t
client_fill(struct client *cl)
{
	ssize_t n;

	strbuf_grow(&cl->in, 65536);
	n = recv(cl->fd, cl->in.buf + cl->in.len, cl->in.alloc - cl->in.len - 1, 0);
	if (n > 0) {
		cl->in.len += (size_t)n;
		cl->in.buf[cl->in.len] = '\0';
	}
	return n;
}

/* The value of header name in r into out; 0 if present. */
static int
resp_header(const struct response *r, const char *name, struct strbuf *out)
{
	size_t nlen = strlen(name);
	const char *p = strstr(r->head.buf, "\r\n");

	strbuf_reset(out);
	while (p && p[2] != '\0') {
		const char *line = p + 2, *eol = strstr(line, "\r\n");

		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;

			while (*v == ' ')
				v++;
			strbuf_add(out, v, (size_t)(eol - v));
			return 0;
		}
		p = eol;
	}
	return -1;
}

/* Read one response (only its head if head_only, as for HEAD); 0 on success,
 * -1 if the connection ended first. */
static int
client_response_to(struct client *cl, struct response *r, int head_only)
{
	struct strbuf v = STRBUF_INIT;
	char *end;
	size_t hlen, blen = 0;

	strbuf_init(&r->head, 0);
	strbuf_init(&r->body, 0);
	while ((end = strstr(cl->in.buf, "\r\n\r\n")) == NULL)
		if (client_fill(cl) <= 0)
			return -1;
	hlen = (size_t)(end - cl->in.buf) + 2;
	strbuf_add(&r->head, cl->in.buf, hlen);
	cr_assert_eq(sscanf(r->head.buf, "HTTP/1.1 %d ", &r->status), 1, "bad status line");
	if (r->status >= 200 && r->status != 204 && r->status != 304) {
		cr_assert_eq(resp_header(r, "Content-Length", &v), 0, "no Content-Length");
		blen = strtoul(v.buf, NULL, 10);
		cr_assert_eq(resp_header(r, "Content-Type", &v), 0, "no Content-Type");
	}
	cr_assert_eq(resp_header(r, "Connection", &v), 0, "no Connection header");
	strbuf_release(&v);
	if (head_only)
		blen = 0;
	while (cl->in.len < hlen + 2 + blen)
		if (client_fill(cl) <= 0)
			return -1;
	strbuf_add(&r->body, cl->in.buf + hlen + 2, blen);
	strbuf_remove(&cl->in, 0, hlen + 2 + blen);
	return 0;
}

static int
client_response(struct client *cl, struct response *r)
{
	return client_response_to(cl, r, 0);
}

static void
response_release(struct response *r)
{
	strbuf_release(&r->head);
	strbuf_release(&r->body);
}

/* Whether the server closes the connection (EOF, or a reset) with nothing more. */
static int
client_sees_close(struct client *cl)
{
	ssize_t n = client_fill(cl);

	return cl->in.len == 0 && (n == 0 || (n < 0 && errno == ECONNRESET));
}

static void
assert_header(const struct response *r, const char *name, const char *want)
{
	struct strbuf v = STRBUF_INIT;

	cr_assert_eq(resp_header(r, name, &v), 0, "no %s header", name);
	cr_assert_str_eq(v.buf, want, "%s: '%s', want '%s'", name, v.buf, want);
	strbuf_release(&v);
}

/* Assert r is status with the JSON error code. */
static void
assert_error(const struct response *r, int status, const char *code)
{
	json_t *j = json_loadb(r->body.buf, r->body.len, 0, NULL);
	const char *got = NULL;

	cr_assert_eq(r->status, status, "status %d, want %d", r->status, status);
	assert_header(r, "Content-Type", "application/json");
	cr_assert_not_null(j, "error body is not JSON: %s", r->body.buf);
	cr_assert_eq(json_unpack(j, "{s:{s:s}}", "error", "code", &got), 0);
	cr_assert_str_eq(got, code);
	cr_assert(json_is_string(json_object_get(json_object_get(j, "error"), "message")));
	json_decref(j);
}

/* Send req on a fresh connection and read one response into r. */
static void
roundtrip(struct client *cl, const char *req, struct response *r)
{
	client_sendstr(cl, req);
	cr_assert_eq(client_response(cl, r), 0, "no response to %s", req);
}

static void
assert_serving(void)
{
	struct client cl;
	struct response r;

	client_open(&cl);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "hello");
	response_release(&r);
	client_close(&cl);
}

/* --- the tests --- */

Test(http, keep_alive_two_requests_on_one_connection)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "hello");
	assert_header(&r, "Connection", "keep-alive");
	assert_header(&r, "Content-Type", "text/plain");
	assert_header(&r, "Content-Length", "5");
	response_release(&r);
	roundtrip(&cl, "GET /json HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "{\"ok\":true}");
	assert_header(&r, "Content-Type", "application/json");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, pipelined_requests_answered_in_order)
{
	struct client cl;
	struct response r;
	const char *want[] = {"late", "hello", "7", "hello"};

	server_start(0, 0);
	client_open(&cl);
	/* The first answer comes late, from a timer; the others must wait for it. */
	client_sendstr(&cl, "GET /async?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n"
	                    "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
	                    "GET /items/7 HTTP/1.1\r\nHost: t\r\n\r\n"
	                    "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(client_response(&cl, &r), 0);
		cr_assert_eq(r.status, 200);
		cr_assert_str_eq(r.body.buf, want[i]);
		response_release(&r);
	}
	client_close(&cl);
	server_stop();
}

struct flood {
	struct client *cl;
	int n;
};

static void *
flood_send(void *arg)
{
	struct flood *f = arg;
	struct strbuf req = STRBUF_INIT;

	strbuf_addstr(&req, "GET /async?ms=100 HTTP/1.1\r\n\r\n");
	for (int i = 1; i < f->n; i++)
		strbuf_addf(&req, "GET /items/%d HTTP/1.1\r\n\r\n", i);
	client_send(f->cl, req.buf, req.len);
	strbuf_release(&req);
	return NULL;
}

Test(http, pipelined_flood_keeps_order_under_backpressure)
{
	struct client cl;
	struct response r;
	struct flood f = {&cl, 8000}; /* about 240 KiB of requests behind a slow one */
	struct strbuf want = STRBUF_INIT;
	pthread_t sender;

	server_start(0, 0);
	client_open(&cl);
	pthread_create(&sender, NULL, flood_send, &f);
	for (int i = 0; i < f.n; i++) {
		cr_assert_eq(client_response(&cl, &r), 0, "response %d missing", i);
		strbuf_reset(&want);
		if (i == 0)
			strbuf_addstr(&want, "late");
		else
			strbuf_addf(&want, "%d", i);
		cr_assert_str_eq(r.body.buf, want.buf);
		response_release(&r);
	}
	pthread_join(sender, NULL);
	strbuf_release(&want);
	client_close(&cl);
	server_stop();
}

Test(http, pipelined_post_bodies)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl,
	    "POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n[1]"
	    "POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n"
	    "2\r\n[2\r\n1\r\n]\r\n0\r\n\r\n");
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_str_eq(r.body.buf, "[1]");
	response_release(&r);
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_str_eq(r.body.buf, "[2]");
	response_release(&r);
	/* Trailers are parsed (and counted) but do not disturb the headers. */
	client_sendstr(&cl, "GET /header HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Test: "
	                    "kept\r\nContent-Type: application/json\r\n\r\n"
	                    "3\r\n[3]\r\n0\r\nX-Trailer: 0123456789012345678901234567890123456789"
	                    "012345678901234567890123456789012345678901234567890123456789\r\n\r\n");
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_str_eq(r.body.buf, "kept");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, header_too_large_is_431_then_close)
{
	struct client cl;
	struct response r;
	struct strbuf req = STRBUF_INIT;

	server_start(0, 0);
	client_open(&cl);
	strbuf_addstr(&req, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: ");
	for (int i = 0; i < 20 * 1024; i++)
		strbuf_addch(&req, 'a' + i % 26);
	strbuf_addstr(&req, "\r\n\r\n");
	client_send(&cl, req.buf, req.len);
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_error(&r, 431, "header_too_large");
	assert_header(&r, "Connection", "close");
	cr_assert(client_sees_close(&cl));
	response_release(&r);
	strbuf_release(&req);
	client_close(&cl);
	assert_serving();
	server_stop();
}

Test(http, many_small_headers_count_too)
{
	struct client cl;
	struct response r;
	struct strbuf req = STRBUF_INIT;

	server_start(0, 0);
	client_open(&cl);
	strbuf_addstr(&req, "GET /hello HTTP/1.1\r\n");
	for (int i = 0; i < 3000; i++)
		strbuf_addf(&req, "X-%d: v\r\n", i);
	strbuf_addstr(&req, "\r\n");
	client_send(&cl, req.buf, req.len);
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_error(&r, 431, "header_too_large");
	response_release(&r);
	strbuf_release(&req);
	client_close(&cl);
	server_stop();
}

Test(http, body_too_large_by_content_length_is_413)
{
	struct client cl;
	struct response r;
	size_t big = 2 * 1024 * 1024;
	char *body = xcalloc(1, big);

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\n\r\n");
	memset(body, 'x', big);
	client_send(&cl, body, big); /* may fail once the server has had enough */
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_error(&r, 413, "payload_too_large");
	assert_header(&r, "Connection", "close");
	cr_assert(client_sees_close(&cl));
	response_release(&r);
	client_close(&cl);
	free(body);
	assert_serving();
	server_stop();
}

Test(http, body_too_large_chunked_is_413)
{
	struct client cl;
	struct response r;
	size_t chunk = 64 * 1024;
	char *data = xmalloc(chunk);

	server_start(0, 0);
	client_open(&cl);
	memset(data, 'y', chunk);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 20; i++) {
		if (client_send(&cl, "10000\r\n", 7) != 0 || client_send(&cl, data, chunk) != 0 ||
		    client_send(&cl, "\r\n", 2) != 0)
			break;
	}
	client_send(&cl, "0\r\n\r\n", 5);
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_error(&r, 413, "payload_too_large");
	assert_header(&r, "Connection", "close");
	response_release(&r);
	client_close(&cl);
	free(data);
	assert_serving();
	server_stop();
}

Test(http, one_large_chunk_is_refused_up_front)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n");
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_error(&r, 413, "payload_too_large");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, body_at_the_limit_is_accepted)
{
	struct client cl;
	struct response r;
	size_t max = 1024 * 1024;
	char *body = xmalloc(max);

	server_start(0, 0);
	client_open(&cl);
	memset(body, 'z', max);
	body[0] = body[max - 1] = '"'; /* a JSON string of exactly 1 MiB */
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
	                    "application/json\r\nContent-Length: 1048576\r\n\r\n");
	cr_assert_eq(client_send(&cl, body, max), 0);
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_eq(r.status, 200, "%d %.200s", r.status, r.body.buf);
	cr_assert_eq(r.body.len, max);
	cr_assert_eq(memcmp(r.body.buf, body, max), 0);
	response_release(&r);
	client_close(&cl);
	free(body);
	server_stop();
}

Test(http, expect_continue)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl,
	    "POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
	    "4\r\nExpect: 100-continue\r\n\r\n");
	while (strstr(cl.in.buf, "\r\n\r\n") == NULL)
		cr_assert_gt(client_fill(&cl), 0);
	cr_assert_str_eq(cl.in.buf, "HTTP/1.1 100 Continue\r\n\r\n");
	strbuf_reset(&cl.in);
	client_sendstr(&cl, "\"da\"");
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "\"da\"");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, garbage_is_400_then_close)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "HELLO THERE\r\n\r\n", &r);
	assert_error(&r, 400, "bad_request");
	assert_header(&r, "Connection", "close");
	cr_assert(client_sees_close(&cl));
	response_release(&r);
	client_close(&cl);

	client_open(&cl);
	roundtrip(&cl,
	    "GET /hello HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", &r);
	assert_error(&r, 400, "bad_request");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, unknown_path_is_404_json_and_keeps_alive)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	assert_error(&r, 404, "not_found");
	assert_header(&r, "Connection", "keep-alive");
	response_release(&r);
	roundtrip(&cl, "GET /hello/ HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	assert_error(&r, 404, "not_found");
	response_release(&r);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, wrong_method_is_405_with_allow)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "DELETE /items/1 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	assert_error(&r, 405, "method_not_allowed");
	assert_header(&r, "Allow", "GET, PUT");
	response_release(&r);
	/* HEAD is not implied by GET; its answer has a length but no body. */
	client_sendstr(&cl, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(client_response_to(&cl, &r, 1), 0);
	cr_assert_eq(r.status, 405);
	assert_header(&r, "Allow", "GET");
	cr_assert_eq(r.body.len, 0);
	response_release(&r);
	roundtrip(&cl, "PUT /items/9 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "9");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, observer_is_told_each_status_sent)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	response_release(&r);
	roundtrip(&cl, "GET /items/7 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	response_release(&r);
	roundtrip(&cl, "GET /secret HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	response_release(&r);
	roundtrip(&cl,
	    "POST /echo HTTP/1.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: 1\r\n\r\n{",
	    &r);
	response_release(&r);
	roundtrip(&cl, "GET /items/7/x HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	response_release(&r);
	roundtrip(&cl, "DELETE /items/1 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	response_release(&r);
	roundtrip(&cl, "HELLO THERE\r\n\r\n", &r);
	cr_assert_eq(r.status, 400);
	response_release(&r);
	client_close(&cl);
	server_stop();
	cr_assert_str_eq(observed.buf, "/hello GET 200\n/items/{id} GET 200\n/secret GET 401\n"
	                               "/echo POST 400\n- GET 404\n- DELETE 405\n- ? 400\n");
	strbuf_release(&observed);
}

Test(http, query_and_headers)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /query?x=1&q=a%20b+c HTTP/1.1\r\n\r\n", &r);
	cr_assert_str_eq(r.body.buf, "a b c");
	response_release(&r);
	roundtrip(&cl, "GET /query?q=%zz HTTP/1.1\r\n\r\n", &r);
	assert_error(&r, 400, "bad_request");
	response_release(&r);
	roundtrip(&cl, "GET /header HTTP/1.1\r\nx-TEST:   padded value \t \r\n\r\n", &r);
	cr_assert_str_eq(r.body.buf, "padded value");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, response_headers_cannot_be_injected)
{
	struct client cl;
	struct response r;
	struct strbuf v = STRBUF_INIT;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /inject HTTP/1.1\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	assert_header(&r, "X-Good", "fine");
	cr_assert_eq(resp_header(&r, "Injected", &v), -1);
	cr_assert_eq(resp_header(&r, "X-Bad", &v), -1);
	response_release(&r);
	strbuf_release(&v);
	client_close(&cl);
	server_stop();
}

Test(http, half_request_then_disconnect)
{
	struct client cl;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "GET /hel");
	client_close(&cl);
	client_open(&cl);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly ten b");
	client_close(&cl);
	client_open(&cl);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly ten b");
	client_abort(&cl);
	client_open(&cl);
	client_abort(&cl);
	assert_serving();
	server_stop();
}

Test(http, client_vanishes_before_async_answer)
{
	struct client cl;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "GET /async?ms=150 HTTP/1.1\r\nHost: t\r\n\r\n");
	while (!atomic_load(&fx.async_started))
		usleep(1000);
	client_abort(&cl);
	while (atomic_load(&fx.answered) == 0)
		usleep(1000);
	assert_serving();
	server_stop();
}

Test(http, client_leaves_while_pipelining)
{
	struct client cl;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "GET /async?ms=100 HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
	shutdown(cl.fd, SHUT_WR);
	client_close(&cl);
	while (atomic_load(&fx.answered) == 0)
		usleep(1000);
	assert_serving();
	server_stop();
}

Test(http, authorize_hook_refuses_with_401)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /secret HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	assert_error(&r, 401, "unauthorized");
	assert_header(&r, "WWW-Authenticate", "Bearer");
	response_release(&r);
	roundtrip(&cl, "GET /secret HTTP/1.1\r\nAuthorization: Bearer good\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "admin");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, async_response_from_timer)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /async?ms=50 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "late");
	assert_header(&r, "Connection", "keep-alive");
	response_release(&r);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_str_eq(r.body.buf, "hello");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, connection_close_and_http10)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n", &r);
	assert_header(&r, "Connection", "close");
	cr_assert(client_sees_close(&cl));
	response_release(&r);
	client_close(&cl);

	client_open(&cl);
	client_sendstr(&cl, "GET /hello HTTP/1.0\r\n\r\n");
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_header(&r, "Connection", "close");
	cr_assert(client_sees_close(&cl));
	response_release(&r);
	client_close(&cl);

	client_open(&cl);
	roundtrip(&cl, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r);
	assert_header(&r, "Connection", "keep-alive");
	response_release(&r);
	roundtrip(&cl, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r);
	cr_assert_str_eq(r.body.buf, "hello");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, header_timeout_sends_408)
{
	struct client cl;
	struct response r;

	server_start(200, 0);
	client_open(&cl);
	client_sendstr(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n");
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_error(&r, 408, "request_timeout");
	assert_header(&r, "Connection", "close");
	cr_assert(client_sees_close(&cl));
	response_release(&r);
	client_close(&cl);

	/* A silent new connection gets the same. */
	client_open(&cl);
	cr_assert_eq(client_response(&cl, &r), 0);
	assert_error(&r, 408, "request_timeout");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, idle_keep_alive_connection_is_closed)
{
	struct client cl;
	struct response r;

	server_start(0, 200);
	client_open(&cl);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	response_release(&r);
	cr_assert(client_sees_close(&cl));
	client_close(&cl);
	server_stop();
}

Test(http, graceful_shutdown_finishes_in_flight_response)
{
	struct client idle, busy, late;
	struct response r;

	server_start(0, 0);
	client_open(&idle);
	roundtrip(&idle, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	response_release(&r);
	client_open(&busy);
	client_sendstr(&busy, "GET /async?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n");
	while (!atomic_load(&fx.async_started))
		usleep(1000);

	uv_async_send(&fx.stop);
	cr_assert(client_sees_close(&idle), "idle connection not closed");
	late.fd = client_connect();
	cr_assert_lt(late.fd, 0, "still accepting after shutdown");
	cr_assert_eq(client_response(&busy, &r), 0, "in-flight response lost");
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body.buf, "late");
	assert_header(&r, "Connection", "close");
	cr_assert(client_sees_close(&busy));
	response_release(&r);
	client_close(&busy);
	client_close(&idle);

	pthread_join(fx.thread, NULL);
	cr_assert_eq(fx.done, 1);
	cr_assert_eq(fx.answered_at_done, 1, "shutdown completed before the in-flight answer");
	cr_assert_eq(fx.loop_close_rc, 0);
}

Test(http, listen_address_errors)
{
	uv_loop_t loop;
	struct http_server *srv;
	struct strbuf err = STRBUF_INIT;
	const char *bad[] = {"127.0.0.1", "::1:80", "[::1]80", "host:", "127.0.0.1:99999",
	    "127.0.0.1:x", "not-an-ip:80", ":80"};

	uv_loop_init(&loop);
	srv = http_server_new(&loop, routes, 1, NULL, NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		cr_assert_eq(http_server_listen(srv, bad[i], &err), -1, "'%s' accepted", bad[i]);
		cr_assert(strstr(err.buf, bad[i]) != NULL, "message: %s", err.buf);
	}
	strbuf_reset(&err);
	cr_assert_eq(http_server_listen(srv, "[::1]:0", &err), 0, "%s", err.buf);
	cr_assert_gt(http_server_port(srv), 0);
	http_server_shutdown(srv, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	http_server_free(srv);
	cr_assert_eq(uv_loop_close(&loop), 0);
	strbuf_release(&err);
}

Test(http, body_must_be_json)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nContent-Type: text/plain\r\n"
	                    "Content-Length: 3\r\n\r\nabc");
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_eq(r.status, 415);
	cr_assert_not_null(strstr(r.body.buf, "\"unsupported_media_type\""));
	response_release(&r);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nContent-Type: application/json; charset=utf-8"
	                    "\r\nContent-Length: 9\r\n\r\n{\"a\": 1,}");
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_eq(r.status, 400);
	cr_assert_not_null(strstr(r.body.buf, "\"malformed_json\""));
	cr_assert_not_null(strstr(r.body.buf, "line 1 column"), "%s", r.body.buf);
	response_release(&r);
	client_sendstr(&cl, "POST /echo HTTP/1.1\r\nContent-Type: application/json\r\n"
	                    "Content-Length: 13\r\n\r\n{\"a\":1,\"a\":2}");
	cr_assert_eq(client_response(&cl, &r), 0);
	cr_assert_eq(r.status, 400, "duplicate keys are refused");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

/* --- streaming responses --- */

/* Read a response head (no body) into r. */
static void
client_head(struct client *cl, struct response *r)
{
	char *end;
	size_t hlen;

	strbuf_init(&r->head, 0);
	strbuf_init(&r->body, 0);
	while ((end = strstr(cl->in.buf, "\r\n\r\n")) == NULL)
		cr_assert_gt(client_fill(cl), 0, "no response head");
	hlen = (size_t)(end - cl->in.buf) + 2;
	strbuf_add(&r->head, cl->in.buf, hlen);
	strbuf_remove(&cl->in, 0, hlen + 2);
	cr_assert_eq(sscanf(r->head.buf, "HTTP/1.1 %d ", &r->status), 1, "bad status line");
}

/* Read until cl->in holds s. */
static void
client_read_until(struct client *cl, const char *s)
{
	while (strstr(cl->in.buf, s) == NULL)
		cr_assert_gt(client_fill(cl), 0, "'%s' not received; got '%s'", s, cl->in.buf);
}

/* Read until the server closes. */
static void
client_read_to_eof(struct client *cl)
{
	ssize_t n;

	while ((n = client_fill(cl)) > 0)
		;
	cr_assert(n == 0 || errno == ECONNRESET, "no close: %s", strerror(errno));
}

/* Wait up to 5 s for counter to reach want. */
static void
wait_count(atomic_int *counter, int want)
{
	for (int i = 0; i < 5000 && atomic_load(counter) < want; i++)
		usleep(1000);
	cr_assert_eq(atomic_load(counter), want);
}

Test(http, stream_is_chunked_and_pipelined_request_waits)
{
	struct client cl;
	struct response r;
	struct strbuf v = STRBUF_INIT;
	const char *want = "8\r\nchunk-1\n\r\n8\r\nchunk-2\n\r\n8\r\nchunk-3\n\r\n0\r\n\r\n";

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "GET /stream?n=3&ms=100 HTTP/1.1\r\nHost: t\r\n\r\n"
	                    "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	client_head(&cl, &r);
	cr_assert_eq(r.status, 200);
	assert_header(&r, "Transfer-Encoding", "chunked");
	assert_header(&r, "Content-Type", "text/plain");
	assert_header(&r, "Connection", "keep-alive");
	assert_header(&r, "X-Stream", "yes");
	cr_assert_eq(resp_header(&r, "Content-Length", &v), -1, "a stream has no length");
	response_release(&r);
	/* the first chunk comes on its own, long before the last */
	client_read_until(&cl, "chunk-1\n\r\n");
	cr_assert_null(strstr(cl.in.buf, "chunk-3"), "chunks were held back: %s", cl.in.buf);
	/* the exact framing, and nothing of the pipelined answer before the end */
	client_read_until(&cl, "0\r\n\r\n");
	cr_assert_eq(strncmp(cl.in.buf, want, strlen(want)), 0, "framing: '%s'", cl.in.buf);
	strbuf_remove(&cl.in, 0, strlen(want));
	cr_assert_eq(client_response(&cl, &r), 0, "pipelined request not answered");
	cr_assert_str_eq(r.body.buf, "hello");
	response_release(&r);
	/* the connection lives on */
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	response_release(&r);
	strbuf_release(&v);
	client_close(&cl);
	wait_count(&fx.stream_ended, 1);
	cr_assert_eq(atomic_load(&fx.stream_gone), 0);
	cr_assert_eq(atomic_load(&fx.stream_failed), 0);
	server_stop();
}

Test(http, stream_outlives_header_and_idle_timeouts)
{
	struct client cl;
	struct response r;

	server_start(100, 100);
	client_open(&cl);
	client_sendstr(&cl, "GET /stream?n=4&ms=250 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_head(&cl, &r);
	cr_assert_eq(r.status, 200);
	response_release(&r);
	client_read_until(&cl, "0\r\n\r\n");
	cr_assert_not_null(strstr(cl.in.buf, "chunk-4\n"));
	strbuf_reset(&cl.in);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_str_eq(r.body.buf, "hello");
	response_release(&r);
	client_close(&cl);
	server_stop();
}

Test(http, stream_client_vanishing_tells_the_producer)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	/* a client that closes (FIN) */
	client_open(&cl);
	client_sendstr(&cl, "GET /stream?n=100000&ms=5 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_head(&cl, &r);
	response_release(&r);
	client_read_until(&cl, "chunk-2\n");
	client_close(&cl);
	wait_count(&fx.stream_ended, 1);
	cr_assert_eq(atomic_load(&fx.stream_gone) + atomic_load(&fx.stream_failed), 1);
	/* a client that resets (RST) */
	client_open(&cl);
	client_sendstr(&cl, "GET /stream?n=100000&ms=5 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_read_until(&cl, "chunk-2\n");
	client_abort(&cl);
	wait_count(&fx.stream_ended, 2);
	cr_assert_eq(atomic_load(&fx.stream_gone) + atomic_load(&fx.stream_failed), 2);
	assert_serving();
	server_stop();
}

Test(http, stream_to_a_client_that_stops_reading_is_paced_then_dropped)
{
	struct client cl;
	struct response r;
	size_t max;

	server_start(0, 300);
	client_open(&cl);
	client_sendstr(&cl, "GET /stream?flood&ms=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_head(&cl, &r);
	response_release(&r);
	/* read nothing more: the queue fills up to the producer's limit, no more,
	 * and the stall timeout (idle_timeout_ms) drops the connection */
	wait_count(&fx.stream_ended, 1);
	max = atomic_load(&fx.stream_max_queued);
	cr_assert_gt(max, 0, "the socket never pushed back");
	cr_assert_leq(max, 256 * 1024 + 64 * 1024 + 16, "queued %zu bytes", max);
	cr_assert_eq(atomic_load(&fx.stream_gone) + atomic_load(&fx.stream_failed), 1);
	client_close(&cl);
	assert_serving();
	server_stop();
}

Test(http, stream_to_http10_is_close_delimited)
{
	struct client cl;
	struct response r;
	struct strbuf v = STRBUF_INIT;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "GET /stream?n=3&ms=10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	client_head(&cl, &r);
	cr_assert_eq(r.status, 200);
	assert_header(&r, "Connection", "close");
	cr_assert_eq(resp_header(&r, "Transfer-Encoding", &v), -1, "chunked to HTTP/1.0");
	cr_assert_eq(resp_header(&r, "Content-Length", &v), -1);
	response_release(&r);
	client_read_to_eof(&cl);
	cr_assert_str_eq(cl.in.buf, "chunk-1\nchunk-2\nchunk-3\n");
	strbuf_release(&v);
	client_close(&cl);
	wait_count(&fx.stream_ended, 1);
	server_stop();
}

Test(http, stream_head_request_gets_the_head_only)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n");
	client_head(&cl, &r);
	cr_assert_eq(r.status, 200);
	assert_header(&r, "Transfer-Encoding", "chunked");
	response_release(&r);
	roundtrip(&cl, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	cr_assert_str_eq(r.body.buf, "hello", "a body followed the HEAD answer");
	response_release(&r);
	wait_count(&fx.stream_failed, 1);
	client_close(&cl);
	server_stop();
}

Test(http, shutdown_cuts_an_open_stream)
{
	struct client cl;
	struct response r;

	server_start(0, 0);
	client_open(&cl);
	client_sendstr(&cl, "GET /stream?n=100000&ms=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_head(&cl, &r);
	response_release(&r);
	client_read_until(&cl, "chunk-1\n");
	uv_async_send(&fx.stop);
	client_read_to_eof(&cl);
	/* cut: the last chunk never came, so the client can tell */
	cr_assert_gt(cl.in.len, 5);
	cr_assert_neq(strcmp(cl.in.buf + cl.in.len - 5, "0\r\n\r\n"), 0, "stream ended cleanly");
	client_close(&cl);
	pthread_join(fx.thread, NULL);
	cr_assert_eq(fx.done, 1);
	cr_assert_eq(atomic_load(&fx.stream_gone), 1);
	cr_assert_eq(atomic_load(&fx.stream_ended), 1);
	cr_assert_eq(fx.loop_close_rc, 0);
}
