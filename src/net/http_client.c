/*
 * http_client: resolve, connect, send the request, parse the response with
 * llhttp (HTTP_RESPONSE), report once.  URLs are parsed by ws_url_parse
 * (ws_url.c), restricted to "http://".
 *
 * Ending: a complete response (or a body past body_max) ends the request
 * from the read callback.  Every failure goes through hc_abort (hc_fail
 * keeps the first message, http_client_cancel overrides it): the
 * socket and the resolver are let go at once, and the timer is restarted at
 * 0 so that on_done fires on the next loop turn; that is also how a failure
 * inside http_client_start reaches on_done from the loop.  A timeout is the
 * same timer firing with no failure recorded.
 *
 * Memory: refs counts what may still call back (the timer, the resolver
 * request, each tcp handle until its close callback); the request is freed
 * when refs is 0, which is after on_done since the timer is closed there.
 */
#include "net/http_client.h"

#include <llhttp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/ws_client.h"

#define HC_DEFAULT_TIMEOUT_MS 10000
#define HC_DEFAULT_BODY_MAX (64 * 1024)
#define HC_READ_SIZE (16 * 1024)
#define HC_MAX_HEAD (64 * 1024) /* of the status line and headers */

struct http_client {
	uv_loop_t *loop;
	struct ws_url url;
	uint64_t timeout_ms, start_ns;
	size_t body_max;
	void (*on_done)(const struct http_client_result *r, void *arg);
	void (*on_body)(const char *buf, size_t len, void *arg);
	void *arg;

	uv_getaddrinfo_t gai;
	struct addrinfo *ai;      /* the resolver's answer, freed with the request */
	struct addrinfo *ai_next; /* the next address to try */
	uv_connect_t creq;
	uv_write_t wreq;
	uv_timer_t timer;
	uv_tcp_t *tcp;
	int refs;

	llhttp_t parser;
	size_t head_bytes;
	struct strbuf request, body, error;
	char rbuf[HC_READ_SIZE];
	unsigned resolving : 1;
	unsigned is_head : 1;   /* a HEAD request: the response has no body */
	unsigned got_bytes : 1; /* some of the response has arrived */
	unsigned complete : 1;  /* the response is parsed (or the body is full) */
	unsigned failed : 1;    /* error holds why; on_done is due from the timer */
	unsigned done : 1;      /* on_done has been called */
};

/* --- life cycle --- */

static void
hc_free(struct http_client *c)
{
	ws_url_release(&c->url);
	uv_freeaddrinfo(c->ai);
	strbuf_release(&c->request);
	strbuf_release(&c->body);
	strbuf_release(&c->error);
	free(c);
}

static void
hc_unref(struct http_client *c)
{
	if (--c->refs == 0)
		hc_free(c);
}

static void
on_handle_close(uv_handle_t *handle)
{
	struct http_client *c = handle->data;

	if (handle != (uv_handle_t *)&c->timer)
		free(handle); /* a tcp handle */
	hc_unref(c);
}

static void
hc_close_tcp(struct http_client *c)
{
	if (c->tcp)
		uv_close((uv_handle_t *)c->tcp, on_handle_close);
	c->tcp = NULL;
}

/* Let go of the socket and the resolver: nothing more will be read. */
static void
hc_stop(struct http_client *c)
{
	hc_close_tcp(c);
	if (c->resolving)
		uv_cancel((uv_req_t *)&c->gai);
}

/* Call on_done with the outcome and close the timer (the last reference). */
static void
hc_finish(struct http_client *c)
{
	struct http_client_result r = {.body = ""};

	c->done = 1;
	hc_stop(c);
	uv_close((uv_handle_t *)&c->timer, on_handle_close);
	if (c->failed) {
		r.error = c->error.buf;
	} else {
		r.status = c->parser.status_code;
		r.body = c->body.buf;
		r.body_len = c->body.len;
	}
	r.duration_ms = (uv_hrtime() - c->start_ns) / 1000000;
	c->on_done(&r, c->arg);
}

static void
on_timer(uv_timer_t *timer)
{
	struct http_client *c = timer->data;

	if (!c->failed) {
		c->failed = 1;
		strbuf_addf(
		    &c->error, "timed out after %llu ms", (unsigned long long)c->timeout_ms);
	}
	hc_finish(c);
}

/* Record why the request failed and end it on the next loop turn. */
static void
hc_abort(struct http_client *c)
{
	c->failed = 1;
	hc_stop(c);
	uv_timer_start(&c->timer, on_timer, 0, 0);
}

static void hc_fail(struct http_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fail with a message, unless the request has already ended or failed. */
static void
hc_fail(struct http_client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->done || c->failed)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&c->error, fmt, ap);
	va_end(ap);
	hc_abort(c);
}

/* --- the response --- */

/* Count the bytes of the status line and headers: -1 past HC_MAX_HEAD. */
static int
on_head_data(llhttp_t *p, const char *at, size_t n)
{
	struct http_client *c = p->data;

	c->head_bytes += n;
	return c->head_bytes > HC_MAX_HEAD ? -1 : 0;
}

static int
on_headers_complete(llhttp_t *p)
{
	struct http_client *c = p->data;

	return c->is_head ? 1 : 0; /* 1: no body follows */
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct http_client *c = p->data;
	size_t room = c->body_max - c->body.len;

	if (c->on_body && p->status_code >= 200 && p->status_code < 300) {
		c->on_body(at, n, c->arg);
		return 0;
	}
	strbuf_add(&c->body, at, n < room ? n : room);
	if (n <= room)
		return 0;
	c->complete = 1; /* truncated: that is all we want of it */
	return -1;
}

static int
on_message_complete(llhttp_t *p)
{
	struct http_client *c = p->data;

	if (p->status_code / 100 == 1 && p->status_code != 101) {
		c->head_bytes = 0; /* an interim answer ("103 Early Hints"): go on */
		return 0;
	}
	c->complete = 1;
	return HPE_PAUSED;
}

static const llhttp_settings_t hc_parse_settings = {
    .on_status = on_head_data,
    .on_header_field = on_head_data,
    .on_header_value = on_head_data,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void
hc_parse(struct http_client *c, const char *buf, size_t len)
{
	llhttp_errno_t err;

	c->got_bytes = 1;
	err = llhttp_execute(&c->parser, buf, len);
	if (c->complete)
		hc_finish(c);
	else if (c->head_bytes > HC_MAX_HEAD)
		hc_fail(c, "response headers longer than %d bytes", HC_MAX_HEAD);
	else if (err != HPE_OK)
		hc_fail(c, "malformed response (%s)", llhttp_errno_name(err));
}

/* The server closed: the end of a body without length, or too early. */
static void
hc_eof(struct http_client *c)
{
	llhttp_finish(&c->parser);
	if (c->complete)
		hc_finish(c);
	else if (!c->got_bytes)
		hc_fail(c, "connection closed without a response");
	else
		hc_fail(c, "connection closed before the end of the response");
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct http_client *c = handle->data;

	*buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct http_client *c = stream->data;

	if (nread == 0 || c->done || c->failed)
		return;
	if (nread == UV_EOF)
		hc_eof(c);
	else if (nread < 0)
		hc_fail(c, "%s", uv_strerror((int)nread));
	else
		hc_parse(c, buf->base, (size_t)nread);
}

/* --- the connection --- */

static void
on_written(uv_write_t *wreq, int status)
{
	struct http_client *c = wreq->data;

	/* A server may answer (413, 401...) and close without reading it all. */
	if (status < 0 && !c->got_bytes)
		hc_fail(c, "%s", uv_strerror(status));
}

static void hc_connect(struct http_client *c, const struct sockaddr *addr);

/* The attempt on the current socket failed with r: try the next address. */
static void
hc_connect_failed(struct http_client *c, int r)
{
	struct addrinfo *ai = c->ai_next;

	hc_close_tcp(c);
	if (ai == NULL) {
		hc_fail(c, "%s", uv_strerror(r));
		return;
	}
	c->ai_next = ai->ai_next;
	hc_connect(c, ai->ai_addr);
}

static void
on_connected(uv_connect_t *creq, int status)
{
	struct http_client *c = creq->data;
	uv_buf_t buf = uv_buf_init(c->request.buf, (unsigned int)c->request.len);
	int r;

	if (c->done || c->failed)
		return;
	if (status < 0) {
		hc_connect_failed(c, status);
		return;
	}
	uv_tcp_nodelay(c->tcp, 1);
	r = uv_write(&c->wreq, (uv_stream_t *)c->tcp, &buf, 1, on_written);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read);
	if (r != 0)
		hc_fail(c, "%s", uv_strerror(r));
}

/* Connect to addr with a new socket. */
static void
hc_connect(struct http_client *c, const struct sockaddr *addr)
{
	int r;

	c->tcp = xmalloc(sizeof(*c->tcp));
	if (uv_tcp_init(c->loop, c->tcp) != 0)
		fatalx("http_client: cannot initialise a socket");
	c->tcp->data = c;
	c->refs++;
	r = uv_tcp_connect(&c->creq, c->tcp, addr, on_connected);
	if (r != 0)
		hc_connect_failed(c, r);
}

static void
on_resolved(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
	struct http_client *c = gai->data;

	c->resolving = 0;
	if (c->done || c->failed) {
		uv_freeaddrinfo(res);
	} else if (status < 0) {
		hc_fail(c, "cannot resolve '%s': %s", c->url.host.buf, uv_strerror(status));
	} else {
		c->ai = res;
		c->ai_next = res->ai_next;
		hc_connect(c, res->ai_addr);
	}
	hc_unref(c);
}

/* Connect to an address literal at once, or resolve the name first. */
static void
hc_resolve(struct http_client *c)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct sockaddr_storage ss;
	const char *host = c->url.host.buf;
	char port[8];
	int r;

	if (uv_ip4_addr(host, c->url.port, (struct sockaddr_in *)&ss) == 0 ||
	    uv_ip6_addr(host, c->url.port, (struct sockaddr_in6 *)&ss) == 0) {
		hc_connect(c, (struct sockaddr *)&ss);
		return;
	}
	snprintf(port, sizeof(port), "%d", c->url.port);
	r = uv_getaddrinfo(c->loop, &c->gai, on_resolved, host, port, &hints);
	if (r != 0) {
		hc_fail(c, "cannot resolve '%s': %s", host, uv_strerror(r));
		return;
	}
	c->resolving = 1;
	c->refs++;
}

/* --- starting --- */

/* Whether s (len bytes) is a non-empty HTTP token (a method, a header name). */
static int
hc_is_token(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
			return 0;
	}
	return 1;
}

/* Check header number i, "Name: value"; note a Host header in *has_host. */
static int
hc_check_header(const char *h, size_t i, int *has_host, struct strbuf *err)
{
	static const char *const ours[] = {"Connection", "Content-Length", "Transfer-Encoding"};
	size_t n = strcspn(h, ":");

	if (h[n] != ':' || !hc_is_token(h, n)) {
		strbuf_addf(err, "invalid header #%zu: want 'Name: value'", i + 1);
		return -1;
	}
	if (strpbrk(h, "\r\n")) {
		strbuf_addf(err, "invalid header '%.*s': CR or LF in the value", (int)n, h);
		return -1;
	}
	for (size_t k = 0; k < sizeof(ours) / sizeof(ours[0]); k++) {
		if (strlen(ours[k]) == n && strncasecmp(h, ours[k], n) == 0) {
			strbuf_addf(err, "header '%.*s' is set by the client itself", (int)n, h);
			return -1;
		}
	}
	if (n == 4 && strncasecmp(h, "Host", 4) == 0)
		*has_host = 1;
	return 0;
}

/* Check everything but the URL; 0, or -1 with err. */
static int
hc_check_options(const struct http_client_options *o, int *has_host, struct strbuf *err)
{
	*has_host = 0;
	if (o->url == NULL || o->on_done == NULL) {
		strbuf_addstr(err, o->url ? "no on_done callback" : "no url");
		return -1;
	}
	if (o->method && !hc_is_token(o->method, strlen(o->method))) {
		strbuf_addf(err, "invalid method '%s'", o->method);
		return -1;
	}
	for (size_t i = 0; o->headers && o->headers[i]; i++)
		if (hc_check_header(o->headers[i], i, has_host, err) != 0)
			return -1;
	return 0;
}

/* Parse url into u (released by the caller either way); 0, or -1 with err. */
static int
hc_parse_url(const char *url, struct ws_url *u, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT, prefix = STRBUF_INIT;
	const char *reason = "want http://host[:port]/path";
	int r = 0;

	if (strncasecmp(url, "http://", 7) != 0) {
		strbuf_init(&u->host, 0);
		strbuf_init(&u->target, 0);
		strbuf_init(&u->authority, 0);
		strbuf_addf(err, "invalid url '%s': %s%s", url, reason,
		    strncasecmp(url, "https:", 6) == 0 ? " (no TLS)" : "");
		return -1;
	}
	if (ws_url_parse(url, u, &why) != 0) {
		/* ws_url says "bad url '<url>': <reason>": keep the reason */
		strbuf_addf(&prefix, "bad url '%s': ", url);
		if (why.len > prefix.len && memcmp(why.buf, prefix.buf, prefix.len) == 0)
			reason = why.buf + prefix.len;
		strbuf_addf(err, "invalid url '%s': %s", url, reason);
		r = -1;
	}
	strbuf_release(&why);
	strbuf_release(&prefix);
	return r;
}

static void
hc_build_request(struct http_client *c, const struct http_client_options *o, int has_host)
{
	strbuf_addf(
	    &c->request, "%s %s HTTP/1.1\r\n", o->method ? o->method : "GET", c->url.target.buf);
	if (!has_host)
		strbuf_addf(&c->request, "Host: %s\r\n", c->url.authority.buf);
	strbuf_addstr(&c->request, "Connection: close\r\n");
	if (o->body)
		strbuf_addf(&c->request, "Content-Length: %zu\r\n", o->body_len);
	for (size_t i = 0; o->headers && o->headers[i]; i++)
		strbuf_addf(&c->request, "%s\r\n", o->headers[i]);
	strbuf_addstr(&c->request, "\r\n");
	if (o->body)
		strbuf_add(&c->request, o->body, o->body_len);
}

static struct http_client *
hc_new(uv_loop_t *loop, const struct http_client_options *o)
{
	struct http_client *c = xcalloc(1, sizeof(*c));

	c->loop = loop;
	c->start_ns = uv_hrtime();
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : HC_DEFAULT_TIMEOUT_MS;
	c->body_max = o->body_max ? o->body_max : HC_DEFAULT_BODY_MAX;
	c->on_done = o->on_done;
	c->on_body = o->on_body;
	c->arg = o->arg;
	c->is_head = o->method && strcmp(o->method, "HEAD") == 0;
	strbuf_init(&c->request, 0);
	strbuf_init(&c->body, 0);
	strbuf_init(&c->error, 0);
	c->gai.data = c->creq.data = c->wreq.data = c->timer.data = c;
	llhttp_init(&c->parser, HTTP_RESPONSE, &hc_parse_settings);
	c->parser.data = c;
	return c;
}

int
http_client_start(uv_loop_t *loop, const struct http_client_options *o, struct http_client **out,
    struct strbuf *err)
{
	struct http_client *c;
	int has_host;

	if (out)
		*out = NULL;
	if (hc_check_options(o, &has_host, err) != 0)
		return -1;
	c = hc_new(loop, o);
	if (hc_parse_url(o->url, &c->url, err) != 0) {
		hc_free(c);
		return -1;
	}
	hc_build_request(c, o, has_host);
	signal(SIGPIPE, SIG_IGN); /* a vanished server must cost a write error */
	if (uv_timer_init(loop, &c->timer) != 0)
		fatalx("http_client: cannot initialise a timer");
	c->refs = 1; /* the timer */
	uv_timer_start(&c->timer, on_timer, c->timeout_ms, 0);
	hc_resolve(c);
	if (out)
		*out = c;
	return 0;
}

void
http_client_cancel(struct http_client *c)
{
	if (c->done)
		return;
	strbuf_reset(&c->error);
	strbuf_addstr(&c->error, "cancelled");
	hc_abort(c);
}
