/*
 * WebSocket server (ws.h) and client (ws_client.h) over real sockets: an HTTP
 * server whose routes call ws_accept runs on its own uv loop in a thread (as
 * in test_http.c); the tests talk to it with blocking sockets (raw frames)
 * or with ws_client on a second loop in the test's thread.  Every test ends
 * with ws_close_all + a graceful shutdown that must leave no handle behind.
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
#include <time.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "net/http.h"
#include "net/ws.h"
#include "net/ws_client.h"

#define FLOOD_MSGS 10000
#define FLOOD_SIZE 2048
#define FLOOD_PER_TICK 20
#define FLOOD_MAX_QUEUE (1024 * 1024)

enum command { CMD_NONE, CMD_CLOSE_ALL, CMD_STOP };

static struct {
	uv_loop_t loop;
	uv_async_t cmd;
	uv_timer_t flood_timer;
	struct http_server *srv;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready, port, done, loop_close_rc;
	int closed_at_done; /* WebSockets closed when the HTTP shutdown completed */
	atomic_int command;
	atomic_int opened, closed;
	/* the flood */
	struct ws_conn *flood_ws;
	atomic_int flood_sent, flood_failed, flood_closed;
	atomic_size_t flood_max_queued;
} fx = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* --- the server side, run on the loop thread --- */

static void
s_echo(struct ws_conn *ws, const char *buf, size_t len, void *arg)
{
	ws_send_text(ws, buf, len);
}

static void
s_closed(struct ws_conn *ws, void *arg)
{
	atomic_fetch_add(&fx.closed, 1);
}

static void
h_ws(struct http_request *req, void *ctx)
{
	struct ws_options o = {.protocol = "test.v1", .on_text = s_echo, .on_close = s_closed};

	if (ws_accept(req, &o))
		atomic_fetch_add(&fx.opened, 1);
}

static void
h_bye(struct http_request *req, void *ctx)
{
	struct ws_options o = {.on_close = s_closed};
	struct ws_conn *ws = ws_accept(req, &o);

	if (ws) {
		atomic_fetch_add(&fx.opened, 1);
		ws_close(ws, 4000, "bye now");
	}
}

static void
h_hello(struct http_request *req, void *ctx)
{
	http_respond(req, 200, "text/plain", "hello", 5);
}

static void
flood_closed(struct ws_conn *ws, void *arg)
{
	fx.flood_ws = NULL;
	uv_timer_stop(&fx.flood_timer);
	atomic_store(&fx.flood_closed, 1);
}

/* Send FLOOD_PER_TICK messages of FLOOD_SIZE bytes, until FLOOD_MSGS or a refusal. */
static void
flood_tick(uv_timer_t *timer)
{
	static char msg[FLOOD_SIZE];

	memset(msg, 'x', sizeof(msg));
	for (int i = 0; i < FLOOD_PER_TICK && fx.flood_ws; i++) {
		if (atomic_load(&fx.flood_sent) == FLOOD_MSGS) {
			uv_timer_stop(timer);
			return;
		}
		if (ws_send_text(fx.flood_ws, msg, sizeof(msg)) != 0) {
			atomic_store(&fx.flood_failed, 1);
			uv_timer_stop(timer);
			return;
		}
		atomic_fetch_add(&fx.flood_sent, 1);
		if (fx.flood_ws && ws_queued(fx.flood_ws) > atomic_load(&fx.flood_max_queued))
			atomic_store(&fx.flood_max_queued, ws_queued(fx.flood_ws));
	}
}

static void
h_flood(struct http_request *req, void *ctx)
{
	struct ws_options o = {.max_queue = FLOOD_MAX_QUEUE, .on_close = flood_closed};

	fx.flood_ws = ws_accept(req, &o);
	if (fx.flood_ws)
		uv_timer_start(&fx.flood_timer, flood_tick, 1, 1);
}

static const struct route routes[] = {
    {"GET", "/ws", ROLE_PUBLIC, h_ws},
    {"GET", "/bye", ROLE_PUBLIC, h_bye},
    {"GET", "/flood", ROLE_PUBLIC, h_flood},
    {"GET", "/hello", ROLE_PUBLIC, h_hello},
};

static void
on_done(void *arg)
{
	fx.done++;
	fx.closed_at_done = atomic_load(&fx.closed);
	uv_close((uv_handle_t *)&fx.cmd, NULL);
	uv_close((uv_handle_t *)&fx.flood_timer, NULL);
}

static void
on_command(uv_async_t *async)
{
	int cmd = atomic_exchange(&fx.command, CMD_NONE);

	if (cmd == CMD_CLOSE_ALL) {
		ws_close_all(1001, "shutting down");
	} else if (cmd == CMD_STOP) {
		ws_close_all(1001, "shutting down");
		http_server_shutdown(fx.srv, on_done, NULL);
	}
}

static void *
server_main(void *arg)
{
	struct strbuf err = STRBUF_INIT;

	uv_loop_init(&fx.loop);
	uv_async_init(&fx.loop, &fx.cmd, on_command);
	uv_timer_init(&fx.loop, &fx.flood_timer);
	fx.srv =
	    http_server_new(&fx.loop, routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL, NULL);
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
server_command(enum command cmd)
{
	atomic_store(&fx.command, cmd);
	uv_async_send(&fx.cmd);
}

static void
server_start(void)
{
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
	server_command(CMD_STOP);
	pthread_join(fx.thread, NULL);
	cr_assert_eq(fx.done, 1, "shutdown callback did not fire once");
	cr_assert_eq(fx.loop_close_rc, 0, "handles left on the server loop");
}

/* Wait up to ms for *v to reach at least want. */
static int
wait_for(atomic_int *v, int want, int ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (int i = 0; i < ms / 10 && atomic_load(v) < want; i++)
		nanosleep(&ts, NULL);
	return atomic_load(v) >= want;
}

/* --- raw client side (blocking sockets) --- */

static int
raw_connect(int rcvbuf)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx.port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	cr_assert_eq(
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "connect: %s", strerror(errno));
	return fd;
}

static void
raw_send(int fd, const void *data, size_t len)
{
	cr_assert_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len, "send: %s", strerror(errno));
}

/* Read until in holds at least n bytes; 0, or -1 at EOF/error. */
static int
raw_fill(int fd, struct strbuf *in, size_t n)
{
	while (in->len < n) {
		ssize_t r;

		strbuf_grow(in, 65536);
		r = recv(fd, in->buf + in->len, in->alloc - in->len - 1, 0);
		if (r <= 0)
			return -1;
		in->len += (size_t)r;
		in->buf[in->len] = '\0';
	}
	return 0;
}

/* Read the HTTP answer head (through the blank line) into head. */
static void
raw_head(int fd, struct strbuf *in, struct strbuf *head)
{
	char *end;

	while ((end = strstr(in->buf, "\r\n\r\n")) == NULL)
		cr_assert_eq(raw_fill(fd, in, in->len + 1), 0, "no answer head");
	strbuf_add(head, in->buf, (size_t)(end + 4 - in->buf));
	strbuf_remove(in, 0, head->len);
}

/* Read the whole answer (head and Content-Length body) to a refused upgrade. */
static void
raw_refusal(int fd, struct strbuf *head, struct strbuf *body)
{
	struct strbuf in = STRBUF_INIT;
	const char *cl;
	size_t n;

	raw_head(fd, &in, head);
	cl = strcasestr(head->buf, "Content-Length: ");
	cr_assert_not_null(cl);
	n = strtoul(cl + 16, NULL, 10);
	cr_assert_eq(raw_fill(fd, &in, n), 0);
	strbuf_add(body, in.buf, n);
	strbuf_release(&in);
}

/* A client frame (masked unless unmasked) of opcode with payload p. */
static void
frame(struct strbuf *out, int opcode, const char *p, size_t len, int unmasked)
{
	static const unsigned char key[4] = {0x11, 0x22, 0x33, 0x44};

	cr_assert_lt(len, 126);
	strbuf_addch(out, 0x80 | opcode);
	strbuf_addch(out, (unmasked ? 0 : 0x80) | (int)len);
	if (!unmasked)
		strbuf_add(out, key, 4);
	for (size_t i = 0; i < len; i++)
		strbuf_addch(out, unmasked ? p[i] : p[i] ^ key[i % 4]);
}

/* Parse one server frame from in (unmasked): its opcode, payload into p. */
static int
read_frame(int fd, struct strbuf *in, struct strbuf *p)
{
	const unsigned char *b;
	size_t hlen = 2, len;
	int opcode;

	if (raw_fill(fd, in, 2) != 0)
		return -1;
	b = (const unsigned char *)in->buf;
	cr_assert_eq(b[1] & 0x80, 0, "server frames must not be masked");
	len = b[1] & 0x7f;
	if (len == 126) {
		hlen = 4;
		if (raw_fill(fd, in, 4) != 0)
			return -1;
		b = (const unsigned char *)in->buf;
		len = (size_t)b[2] << 8 | b[3];
	}
	cr_assert_neq(len, 127, "no frame this large is expected");
	if (raw_fill(fd, in, hlen + len) != 0)
		return -1;
	opcode = in->buf[0] & 0x0f;
	strbuf_reset(p);
	strbuf_add(p, in->buf + hlen, len);
	strbuf_remove(in, 0, hlen + len);
	return opcode;
}

static const char upgrade_fmt[] = "GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                                  "Connection: keep-alive, Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  "Sec-WebSocket-Version: %s\r\n%s\r\n";

static void
upgrade_request(struct strbuf *out, const char *path, const char *version, const char *extra)
{
	strbuf_addf(out, upgrade_fmt, path, version, extra);
}

/* Open /ws with the RFC 6455 example key; the head of the 101 into head. */
static int
raw_open(struct strbuf *in, struct strbuf *head, const char *then, size_t then_len)
{
	struct strbuf req = STRBUF_INIT;
	int fd = raw_connect(0);

	upgrade_request(&req, "/ws", "13", "Sec-WebSocket-Protocol: chat, test.v1\r\n");
	strbuf_add(&req, then, then_len);
	raw_send(fd, req.buf, req.len);
	raw_head(fd, in, head);
	strbuf_release(&req);
	return fd;
}

/* --- client side on ws_client --- */

struct cl {
	uv_loop_t loop;
	uv_timer_t guard;
	int nclients, nopen, nclosed;
	int want_msgs, got_msgs, close_on_open_count;
	size_t got_bytes;
	const char *send_on_open[3];
	struct strbuf got; /* text messages received, '|'-separated */
	int codes[8];
	struct strbuf reasons[8];
	struct ws_client *wc[8];
};

static void
cl_guard(uv_timer_t *t)
{
	struct cl *c = t->data;

	for (int i = 0; i < c->nclients; i++)
		if (c->wc[i])
			ws_client_close(c->wc[i], 1000, "guard");
	uv_close((uv_handle_t *)t, NULL);
}

static int
cl_index(struct cl *c, struct ws_client *wc)
{
	for (int i = 0; i < c->nclients; i++)
		if (c->wc[i] == wc)
			return i;
	cr_assert_fail("unknown client");
	return -1;
}

static void
cl_open(struct ws_client *wc, void *arg)
{
	struct cl *c = arg;

	c->nopen++;
	for (int i = 0; i < 3 && c->send_on_open[i]; i++)
		cr_assert_eq(
		    ws_client_send_text(wc, c->send_on_open[i], strlen(c->send_on_open[i])), 0);
	if (c->close_on_open_count && c->nopen == c->close_on_open_count)
		server_command(CMD_CLOSE_ALL);
}

static void
cl_text(struct ws_client *wc, const char *buf, size_t len, void *arg)
{
	struct cl *c = arg;

	c->got_msgs++;
	c->got_bytes += len;
	if (c->got.len < 4096) {
		strbuf_add(&c->got, buf, len);
		strbuf_addch(&c->got, '|');
	}
	if (c->want_msgs && c->got_msgs == c->want_msgs)
		ws_client_close(wc, 1000, "done");
}

static void
cl_close(struct ws_client *wc, int code, const char *reason, void *arg)
{
	struct cl *c = arg;
	int i = cl_index(c, wc);

	c->codes[i] = code;
	strbuf_addstr(&c->reasons[i], reason);
	c->wc[i] = NULL;
	if (++c->nclosed == c->nclients && !uv_is_closing((uv_handle_t *)&c->guard))
		uv_close((uv_handle_t *)&c->guard, NULL);
}

static void
cl_init(struct cl *c)
{
	memset(c, 0, sizeof(*c));
	strbuf_init(&c->got, 0);
	for (int i = 0; i < 8; i++)
		strbuf_init(&c->reasons[i], 0);
	uv_loop_init(&c->loop);
	uv_timer_init(&c->loop, &c->guard);
	c->guard.data = c;
	uv_timer_start(&c->guard, cl_guard, 20000, 0);
}

static void
cl_connect(struct cl *c, const char *path, const char *protocol)
{
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;
	struct ws_client_options o = {.protocol = protocol,
	    .on_open = cl_open,
	    .on_text = cl_text,
	    .on_close = cl_close,
	    .arg = c};

	strbuf_addf(&url, "http://127.0.0.1:%d%s", fx.port, path);
	o.url = url.buf;
	c->wc[c->nclients] = ws_client_new(&c->loop, &o, &err);
	cr_assert_not_null(c->wc[c->nclients], "%s", err.buf);
	c->nclients++;
	strbuf_release(&url);
	strbuf_release(&err);
}

/* Run the client loop to its end (every client closed); no handle may be left. */
static void
cl_run(struct cl *c)
{
	uv_run(&c->loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&c->loop), 0, "handles left on the client loop");
	cr_assert_eq(c->nclosed, c->nclients, "on_close did not fire for every client");
}

static void
cl_release(struct cl *c)
{
	strbuf_release(&c->got);
	for (int i = 0; i < 8; i++)
		strbuf_release(&c->reasons[i]);
}

/* --- tests --- */

Test(ws, accept_value_of_the_rfc_example)
{
	struct strbuf v = STRBUF_INIT;

	ws_accept_value("dGhlIHNhbXBsZSBub25jZQ==", &v);
	cr_assert_str_eq(v.buf, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	strbuf_release(&v);
}

Test(ws, url_parse)
{
	static const struct {
		const char *url, *host, *target, *authority;
		int port;
	} good[] = {
	    {"http://127.0.0.1:7766", "127.0.0.1", "/", "127.0.0.1:7766", 7766},
	    {"http://localhost:1/events?since=4", "localhost", "/events?since=4", "localhost:1", 1},
	    {"ws://[::1]:8080/x#frag", "::1", "/x", "[::1]:8080", 8080},
	    {"HTTP://example.org?q", "example.org", "/?q", "example.org:80", 80},
	};
	static const char *const bad[] = {"https://h:1/", "wss://h/", "h:1", "http://",
	    "http://:80/", "http://h:0/", "http://h:65536/", "http://h:x/", "http://a:1:2/",
	    "http://[::1/", "http://[::1]x/", "http://u@h/", "http://h/a b", "ftp://h/"};
	struct strbuf err = STRBUF_INIT;
	struct ws_url u;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(
		    ws_url_parse(good[i].url, &u, &err), 0, "%s: %s", good[i].url, err.buf);
		cr_assert_str_eq(u.host.buf, good[i].host);
		cr_assert_str_eq(u.target.buf, good[i].target);
		cr_assert_str_eq(u.authority.buf, good[i].authority);
		cr_assert_eq(u.port, good[i].port);
		ws_url_release(&u);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		cr_assert_eq(ws_url_parse(bad[i], &u, &err), -1, "'%s' accepted", bad[i]);
		cr_assert_neq(err.len, 0);
		ws_url_release(&u);
	}
	strbuf_release(&err);
}

Test(ws, handshake_and_first_frame_in_the_same_packet)
{
	struct strbuf in = STRBUF_INIT, head = STRBUF_INIT, f = STRBUF_INIT, p = STRBUF_INIT;
	int fd;

	server_start();
	frame(&f, 0x1, "hi", 2, 0);
	fd = raw_open(&in, &head, f.buf, f.len);
	cr_assert(strncmp(head.buf, "HTTP/1.1 101 ", 13) == 0, "%s", head.buf);
	cr_assert_not_null(
	    strstr(head.buf, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), "%s",
	    head.buf);
	cr_assert_not_null(strstr(head.buf, "\r\nSec-WebSocket-Protocol: test.v1\r\n"));
	cr_assert_not_null(strcasestr(head.buf, "\r\nUpgrade: websocket\r\n"));
	cr_assert_eq(read_frame(fd, &in, &p), 0x1);
	cr_assert_str_eq(p.buf, "hi");
	/* a ping is answered with its payload */
	strbuf_reset(&f);
	frame(&f, 0x9, "png", 3, 0);
	raw_send(fd, f.buf, f.len);
	cr_assert_eq(read_frame(fd, &in, &p), 0xA);
	cr_assert_str_eq(p.buf, "png");
	close(fd);
	cr_assert(wait_for(&fx.closed, 1, 5000), "server on_close did not fire");
	server_stop();
	strbuf_release(&in);
	strbuf_release(&head);
	strbuf_release(&f);
	strbuf_release(&p);
}

Test(ws, unmasked_client_frame_is_a_protocol_error)
{
	struct strbuf in = STRBUF_INIT, head = STRBUF_INIT, f = STRBUF_INIT, p = STRBUF_INIT;
	int fd;

	server_start();
	frame(&f, 0x1, "hi", 2, 1);
	fd = raw_open(&in, &head, f.buf, f.len);
	cr_assert_eq(read_frame(fd, &in, &p), 0x8, "want a close frame");
	cr_assert_geq(p.len, 2);
	cr_assert_eq(((unsigned char)p.buf[0] << 8 | (unsigned char)p.buf[1]), 1002);
	close(fd);
	server_stop();
	strbuf_release(&in);
	strbuf_release(&head);
	strbuf_release(&f);
	strbuf_release(&p);
}

/* Send a request to path and assert the refusal's status and error code. */
static void
assert_refused(const char *request, int status, const char *code, const char *detail)
{
	struct strbuf head = STRBUF_INIT, body = STRBUF_INIT;
	int fd = raw_connect(0), got = 0;

	raw_send(fd, request, strlen(request));
	raw_refusal(fd, &head, &body);
	sscanf(head.buf, "HTTP/1.1 %d", &got);
	cr_assert_eq(got, status, "%s", head.buf);
	cr_assert_not_null(strstr(body.buf, code), "%s", body.buf);
	if (detail)
		cr_assert_not_null(strstr(head.buf, detail) ? head.buf : strstr(body.buf, detail),
		    "'%s' not in %s%s", detail, head.buf, body.buf);
	close(fd);
	strbuf_release(&head);
	strbuf_release(&body);
}

Test(ws, bad_upgrades_are_refused)
{
	struct strbuf r = STRBUF_INIT;

	server_start();
	assert_refused("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", 400, "websocket_required", NULL);
	upgrade_request(&r, "/ws", "8", "Sec-WebSocket-Protocol: test.v1\r\n");
	assert_refused(r.buf, 426, "websocket_version", "Sec-WebSocket-Version: 13");
	strbuf_reset(&r);
	upgrade_request(&r, "/ws", "13", "Sec-WebSocket-Protocol: chat, other\r\n");
	assert_refused(r.buf, 400, "websocket_protocol", "'test.v1'");
	strbuf_reset(&r);
	upgrade_request(&r, "/ws", "13", "");
	assert_refused(r.buf, 400, "websocket_protocol", "'test.v1'");
	strbuf_reset(&r);
	strbuf_addstr(&r,
	    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: short==\r\nSec-WebSocket-Version: 13\r\n\r\n");
	assert_refused(r.buf, 400, "websocket_key", NULL);
	cr_assert_eq(atomic_load(&fx.opened), 0);
	server_stop();
	strbuf_release(&r);
}

Test(ws, echo_through_ws_client)
{
	struct cl c;

	server_start();
	cl_init(&c);
	c.send_on_open[0] = "hello";
	c.send_on_open[1] = "world";
	c.want_msgs = 2;
	cl_connect(&c, "/ws", "test.v1");
	cl_run(&c);
	cr_assert_str_eq(c.got.buf, "hello|world|");
	cr_assert_eq(c.codes[0], 1000);
	cr_assert_str_eq(c.reasons[0].buf, "closed");
	cr_assert(wait_for(&fx.closed, 1, 5000), "server on_close did not fire");
	cl_release(&c);
	server_stop();
}

Test(ws, client_reports_a_refusal)
{
	struct cl c;

	server_start();
	cl_init(&c);
	cl_connect(&c, "/ws", NULL);
	cl_connect(&c, "/hello", "test.v1");
	cl_run(&c);
	cr_assert_eq(c.codes[0], 0);
	cr_assert(strstr(c.reasons[0].buf, "server refused the upgrade: 400 Bad Request: ") ==
	              c.reasons[0].buf,
	    "%s", c.reasons[0].buf);
	cr_assert_not_null(strstr(c.reasons[0].buf, "websocket_protocol"), "%s", c.reasons[0].buf);
	cr_assert_not_null(strstr(c.reasons[1].buf, "200 OK: hello"), "%s", c.reasons[1].buf);
	cl_release(&c);
	server_stop();
}

Test(ws, client_cannot_connect)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct cl c;

	/* a port nobody listens on: bound, then released */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	cl_init(&c);
	fx.port = ntohs(sin.sin_port);
	cl_connect(&c, "/ws", "test.v1");
	cl_run(&c);
	cr_assert_eq(c.codes[0], 0);
	cr_assert_not_null(
	    strstr(c.reasons[0].buf, "cannot connect to '127.0.0.1:"), "%s", c.reasons[0].buf);
	cr_assert_null(
	    ws_client_new(&c.loop, &(struct ws_client_options){.url = "https://h/"}, &err));
	cr_assert_neq(err.len, 0);
	cl_release(&c);
	strbuf_release(&url);
	strbuf_release(&err);
}

Test(ws, server_initiated_close)
{
	struct cl c;

	server_start();
	cl_init(&c);
	cl_connect(&c, "/bye", NULL);
	cl_run(&c);
	cr_assert_eq(c.nopen, 1);
	cr_assert_eq(c.codes[0], 4000);
	cr_assert_str_eq(c.reasons[0].buf, "closed by the server (4000 'bye now')");
	cr_assert(wait_for(&fx.closed, 1, 5000), "server on_close did not fire");
	cl_release(&c);
	server_stop();
}

Test(ws, close_all)
{
	struct cl c;

	server_start();
	cl_init(&c);
	c.close_on_open_count = 3;
	for (int i = 0; i < 3; i++)
		cl_connect(&c, "/ws", "test.v1");
	cl_run(&c);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(c.codes[i], 1001);
		cr_assert_str_eq(c.reasons[i].buf, "closed by the server (1001 'shutting down')");
	}
	cr_assert(wait_for(&fx.closed, 3, 5000), "server on_close did not fire 3 times");
	cl_release(&c);
	server_stop();
}

Test(ws, healthy_reader_gets_the_whole_flood)
{
	struct cl c;

	server_start();
	cl_init(&c);
	c.want_msgs = FLOOD_MSGS;
	cl_connect(&c, "/flood", NULL);
	cl_run(&c);
	cr_assert_eq(c.got_msgs, FLOOD_MSGS);
	cr_assert_eq(c.got_bytes, (size_t)FLOOD_MSGS * FLOOD_SIZE);
	cr_assert_eq(atomic_load(&fx.flood_failed), 0);
	cr_assert_leq(atomic_load(&fx.flood_max_queued), FLOOD_MAX_QUEUE);
	cl_release(&c);
	server_stop();
}

/* GET /hello on a fresh connection answers 200. */
static void
assert_still_serving(void)
{
	static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	struct strbuf head = STRBUF_INIT, body = STRBUF_INIT;
	int fd = raw_connect(0);

	raw_send(fd, req, sizeof(req) - 1);
	raw_refusal(fd, &head, &body);
	cr_assert(strncmp(head.buf, "HTTP/1.1 200 ", 13) == 0, "%s", head.buf);
	cr_assert_str_eq(body.buf, "hello");
	close(fd);
	strbuf_release(&head);
	strbuf_release(&body);
}

Test(ws, stalled_reader_is_dropped_with_1008)
{
	struct strbuf req = STRBUF_INIT, in = STRBUF_INIT, head = STRBUF_INIT, p = STRBUF_INIT;
	int fd, op, frames = 0;

	server_start();
	fd = raw_connect(16 * 1024);
	upgrade_request(&req, "/flood", "13", "");
	raw_send(fd, req.buf, req.len);
	raw_head(fd, &in, &head);
	cr_assert(strncmp(head.buf, "HTTP/1.1 101 ", 13) == 0, "%s", head.buf);
	/* stop reading until the server gives up on us */
	cr_assert(wait_for(&fx.flood_failed, 1, 10000), "ws_send_text never refused");
	cr_assert_lt(atomic_load(&fx.flood_sent), FLOOD_MSGS);
	cr_assert_leq(atomic_load(&fx.flood_max_queued), FLOOD_MAX_QUEUE + FLOOD_SIZE + 14);
	assert_still_serving();
	/* reading again: whole frames, then the close frame */
	while ((op = read_frame(fd, &in, &p)) == 0x1) {
		cr_assert_eq(p.len, FLOOD_SIZE);
		frames++;
	}
	cr_assert_eq(op, 0x8, "want a close frame after %d frames", frames);
	cr_assert_eq(((unsigned char)p.buf[0] << 8 | (unsigned char)p.buf[1]), 1008);
	cr_assert_str_eq(p.buf + 2, "client too slow");
	cr_assert_lt(frames, atomic_load(&fx.flood_sent));
	cr_assert(wait_for(&fx.flood_closed, 1, 5000), "on_close did not fire");
	close(fd);
	server_stop();
	strbuf_release(&req);
	strbuf_release(&in);
	strbuf_release(&head);
	strbuf_release(&p);
}

Test(ws, stalled_reader_that_never_reads_is_closed_anyway)
{
	struct strbuf req = STRBUF_INIT, in = STRBUF_INIT, head = STRBUF_INIT;
	int fd;

	server_start();
	fd = raw_connect(16 * 1024);
	upgrade_request(&req, "/flood", "13", "");
	raw_send(fd, req.buf, req.len);
	raw_head(fd, &in, &head);
	cr_assert(wait_for(&fx.flood_failed, 1, 10000), "ws_send_text never refused");
	cr_assert(wait_for(&fx.flood_closed, 1, 5000), "on_close did not fire");
	cr_assert_leq(atomic_load(&fx.flood_max_queued), FLOOD_MAX_QUEUE + FLOOD_SIZE + 14);
	assert_still_serving();
	close(fd);
	server_stop();
	strbuf_release(&req);
	strbuf_release(&in);
	strbuf_release(&head);
}

Test(ws, shutdown_does_not_wait_for_websockets_and_closes_them)
{
	struct strbuf in = STRBUF_INIT, head = STRBUF_INIT, p = STRBUF_INIT;
	int fd;

	server_start();
	fd = raw_open(&in, &head, "", 0);
	cr_assert(strncmp(head.buf, "HTTP/1.1 101 ", 13) == 0, "%s", head.buf);
	cr_assert(wait_for(&fx.opened, 1, 5000));
	server_command(CMD_STOP);
	cr_assert_eq(read_frame(fd, &in, &p), 0x8);
	cr_assert_eq(((unsigned char)p.buf[0] << 8 | (unsigned char)p.buf[1]), 1001);
	/* we never answer the close: the server gives up after its grace period */
	pthread_join(fx.thread, NULL);
	cr_assert_eq(fx.done, 1);
	cr_assert_eq(fx.closed_at_done, 0, "the HTTP shutdown waited for the websocket");
	cr_assert_eq(fx.loop_close_rc, 0);
	cr_assert_eq(atomic_load(&fx.closed), 1);
	close(fd);
	strbuf_release(&in);
	strbuf_release(&head);
	strbuf_release(&p);
}
