/*
 * ws_client: resolve, connect, handshake, then hand the socket to ws.c.
 *
 * The answer to the upgrade request is parsed by llhttp (HTTP_RESPONSE); its
 * on_message_complete pauses the parser, so the bytes after the answer (the
 * first frames) are where the parser stopped and go to ws_start.
 *
 * Memory: refs counts what may still call back (the resolver request, the
 * timer, the tcp handle while it is ours); the client is freed when on_close
 * has fired and refs is 0.
 */
#include "net/ws_client.h"

#include <llhttp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/ws.h"

#define WC_DEFAULT_TIMEOUT_MS 10000
#define WC_DEFAULT_MAX_MESSAGE (64 * 1024 * 1024)
#define WC_READ_SIZE (16 * 1024)
#define WC_MAX_HEAD (64 * 1024) /* of the answer's status line and headers */
#define WC_MAX_BODY (16 * 1024) /* of a refusal's body, kept for the reason */

struct ws_client {
	uv_loop_t *loop;
	struct ws_url url;
	char *protocol;
	uint64_t timeout_ms;
	size_t max_message;
	void (*on_open)(struct ws_client *wc, void *arg);
	void (*on_text)(struct ws_client *wc, const char *buf, size_t len, void *arg);
	void (*on_close)(struct ws_client *wc, int code, const char *reason, void *arg);
	void *arg;

	uv_getaddrinfo_t gai;
	uv_connect_t creq;
	uv_write_t wreq;
	uv_timer_t timer;
	uv_tcp_t *tcp;      /* ours until the WebSocket is up */
	struct ws_conn *ws; /* then this owns the socket */
	int refs;

	llhttp_t parser;
	char *rbuf;
	size_t head_bytes;
	struct strbuf request, accept;
	struct strbuf status, field, value, body;
	struct strbuf h_upgrade, h_connection, h_accept, h_protocol;
	struct strbuf abort_reason;
	unsigned resolving : 1;
	unsigned complete : 1; /* the answer has been parsed */
	unsigned aborting : 1;
	unsigned closing : 1; /* we sent the close frame */
	unsigned done : 1;    /* on_close has fired */
};

/* Every strbuf of struct ws_client, for init and release. */
static const size_t wc_buf_offsets[] = {
    offsetof(struct ws_client, request),
    offsetof(struct ws_client, accept),
    offsetof(struct ws_client, status),
    offsetof(struct ws_client, field),
    offsetof(struct ws_client, value),
    offsetof(struct ws_client, body),
    offsetof(struct ws_client, h_upgrade),
    offsetof(struct ws_client, h_connection),
    offsetof(struct ws_client, h_accept),
    offsetof(struct ws_client, h_protocol),
    offsetof(struct ws_client, abort_reason),
};
#define WC_NBUFS (sizeof(wc_buf_offsets) / sizeof(wc_buf_offsets[0]))
#define WC_BUF(wc, i) ((struct strbuf *)((char *)(wc) + wc_buf_offsets[i]))

/* --- life cycle --- */

static void
wc_free(struct ws_client *wc)
{
	for (size_t i = 0; i < WC_NBUFS; i++)
		strbuf_release(WC_BUF(wc, i));
	ws_url_release(&wc->url);
	free(wc->protocol);
	free(wc->rbuf);
	free(wc);
}

static void
wc_unref(struct ws_client *wc)
{
	if (--wc->refs == 0)
		wc_free(wc);
}

static void
on_handle_close(uv_handle_t *handle)
{
	struct ws_client *wc = handle->data;

	if (handle != (uv_handle_t *)&wc->timer)
		free(handle); /* the tcp handle */
	wc_unref(wc);
}

/* Fire on_close once and let go of everything. */
static void
wc_finish(struct ws_client *wc, int code, const char *reason)
{
	if (wc->done)
		return;
	wc->done = 1;
	if (wc->tcp)
		uv_close((uv_handle_t *)wc->tcp, on_handle_close);
	wc->tcp = NULL;
	if (wc->resolving)
		uv_cancel((uv_req_t *)&wc->gai);
	uv_close((uv_handle_t *)&wc->timer, on_handle_close);
	wc->on_close(wc, code, reason, wc->arg);
}

static void wc_fail(struct ws_client *wc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
wc_fail(struct ws_client *wc, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	wc_finish(wc, 0, msg.buf);
	strbuf_release(&msg);
}

static void
on_timer(uv_timer_t *timer)
{
	struct ws_client *wc = timer->data;

	if (wc->aborting)
		wc_finish(wc, 0, wc->abort_reason.buf);
	else
		wc_fail(wc, "no answer from '%s' within %llu s", wc->url.authority.buf,
		    (unsigned long long)(wc->timeout_ms + 999) / 1000);
}

/* --- the WebSocket, once open --- */

static void
wc_ws_text(struct ws_conn *ws, const char *buf, size_t len, void *arg)
{
	struct ws_client *wc = arg;

	if (!wc->done && wc->on_text)
		wc->on_text(wc, buf, len, wc->arg);
}

static void
wc_ws_close(struct ws_conn *ws, void *arg)
{
	struct ws_client *wc = arg;
	uint16_t code = ws_close_code(ws);
	struct strbuf msg = STRBUF_INIT;

	wc->ws = NULL;
	if (code == 1006)
		strbuf_addf(&msg, "connection to '%s' lost", wc->url.authority.buf);
	else if (wc->closing)
		strbuf_addstr(&msg, "closed");
	else if (code == 1005)
		strbuf_addstr(&msg, "closed by the server");
	else
		strbuf_addf(&msg, "closed by the server (%u '%s')", code, ws_close_reason(ws));
	wc_finish(wc, code, msg.buf);
	strbuf_release(&msg);
}

/* Whether the 101 answer is the one our request asked for; else fail. */
static int
wc_check_answer(struct ws_client *wc)
{
	const char *what = NULL;

	if (strcasecmp(wc->h_upgrade.buf, "websocket") != 0)
		what = "no 'Upgrade: websocket'";
	else if (strcasestr(wc->h_connection.buf, "upgrade") == NULL)
		what = "no 'Connection: Upgrade'";
	else if (strcmp(wc->h_accept.buf, wc->accept.buf) != 0)
		what = "a wrong Sec-WebSocket-Accept";
	else if (strcmp(wc->h_protocol.buf, wc->protocol ? wc->protocol : "") != 0)
		what = "another subprotocol than asked for";
	if (what == NULL)
		return 0;
	wc_fail(wc, "bad websocket answer from '%s': %s", wc->url.authority.buf, what);
	return -1;
}

/* The answer is complete; rest (len bytes) follows it on the socket. */
static void
wc_answered(struct ws_client *wc, const char *rest, size_t len)
{
	struct ws_options o = {.max_message = wc->max_message,
	    .on_text = wc_ws_text,
	    .on_close = wc_ws_close,
	    .arg = wc};
	struct strbuf msg = STRBUF_INIT;

	if (wc->parser.status_code != 101) {
		strbuf_addf(&msg, "server refused the upgrade: %d %s", wc->parser.status_code,
		    wc->status.buf);
		if (wc->body.len > 0) {
			strbuf_addstr(&msg, ": ");
			strbuf_addquoted(&msg, wc->body.buf, wc->body.len);
		}
		wc_finish(wc, 0, msg.buf);
		strbuf_release(&msg);
		return;
	}
	if (wc_check_answer(wc) != 0)
		return;
	uv_timer_stop(&wc->timer);
	uv_read_stop((uv_stream_t *)wc->tcp);
	wc->ws = ws_start(wc->tcp, 1, rest, len, &o);
	wc->tcp = NULL;
	wc->refs--; /* the tcp handle is the ws_conn's now */
	if (wc->on_open)
		wc->on_open(wc, wc->arg);
}

/* --- the handshake --- */

static int
on_status(llhttp_t *p, const char *at, size_t n)
{
	struct ws_client *wc = p->data;

	wc->head_bytes += n;
	if (wc->head_bytes > WC_MAX_HEAD)
		return -1;
	strbuf_add(&wc->status, at, n);
	return 0;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct ws_client *wc = p->data;

	wc->head_bytes += n;
	if (wc->head_bytes > WC_MAX_HEAD)
		return -1;
	strbuf_add(&wc->field, at, n);
	return 0;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct ws_client *wc = p->data;

	wc->head_bytes += n;
	if (wc->head_bytes > WC_MAX_HEAD)
		return -1;
	strbuf_add(&wc->value, at, n);
	return 0;
}

static int
on_header_value_complete(llhttp_t *p)
{
	static const char *const names[] = {
	    "Upgrade", "Connection", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol"};
	struct ws_client *wc = p->data;
	struct strbuf *const dest[] = {
	    &wc->h_upgrade, &wc->h_connection, &wc->h_accept, &wc->h_protocol};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(wc->field.buf, names[i]) == 0) {
			strbuf_reset(dest[i]);
			strbuf_addbuf(dest[i], &wc->value);
			strbuf_rtrim(dest[i]);
		}
	}
	strbuf_reset(&wc->field);
	strbuf_reset(&wc->value);
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct ws_client *wc = p->data;

	if (wc->body.len < WC_MAX_BODY)
		strbuf_add(
		    &wc->body, at, n < WC_MAX_BODY - wc->body.len ? n : WC_MAX_BODY - wc->body.len);
	return 0;
}

static int
on_message_complete(llhttp_t *p)
{
	struct ws_client *wc = p->data;

	wc->complete = 1;
	return HPE_PAUSED;
}

static const llhttp_settings_t wc_parse_settings = {
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct ws_client *wc = handle->data;

	*buf = uv_buf_init(wc->rbuf, WC_READ_SIZE);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct ws_client *wc = stream->data;
	llhttp_errno_t err;
	const char *pos;

	if (nread == 0 || wc->done)
		return;
	if (nread < 0 && nread != UV_EOF) {
		wc_fail(wc, "connection to '%s' failed during the handshake: %s",
		    wc->url.authority.buf, uv_strerror((int)nread));
	} else if (nread == UV_EOF) {
		llhttp_finish(&wc->parser); /* a body that ends with the connection */
		if (wc->complete)
			wc_answered(wc, "", 0);
		else
			wc_fail(wc, "connection to '%s' closed during the handshake",
			    wc->url.authority.buf);
	} else {
		err = llhttp_execute(&wc->parser, buf->base, (size_t)nread);
		pos = llhttp_get_error_pos(&wc->parser);
		if (wc->complete && pos)
			wc_answered(wc, pos, (size_t)(buf->base + nread - pos));
		else if (err != HPE_OK)
			wc_fail(wc, "malformed answer from '%s': %s", wc->url.authority.buf,
			    llhttp_errno_name(err));
	}
}

static void
on_written(uv_write_t *wreq, int status)
{
	struct ws_client *wc = wreq->data;

	strbuf_release(&wc->request);
	if (status < 0 && !wc->done)
		wc_fail(wc, "cannot send to '%s': %s", wc->url.authority.buf, uv_strerror(status));
}

static void
on_connected(uv_connect_t *creq, int status)
{
	struct ws_client *wc = creq->data;
	uv_buf_t buf = uv_buf_init(wc->request.buf, (unsigned int)wc->request.len);
	int r;

	if (wc->done)
		return;
	if (status < 0) {
		wc_fail(
		    wc, "cannot connect to '%s': %s", wc->url.authority.buf, uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(wc->tcp, 1);
	r = uv_write(&wc->wreq, (uv_stream_t *)wc->tcp, &buf, 1, on_written);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)wc->tcp, on_alloc, on_read);
	if (r != 0)
		wc_fail(wc, "cannot talk to '%s': %s", wc->url.authority.buf, uv_strerror(r));
}

static void
on_resolved(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
	struct ws_client *wc = gai->data;
	int r;

	wc->resolving = 0;
	if (!wc->done && status < 0)
		wc_fail(wc, "cannot resolve '%s': %s", wc->url.host.buf, uv_strerror(status));
	if (!wc->done) {
		wc->tcp = xmalloc(sizeof(*wc->tcp));
		if (uv_tcp_init(wc->loop, wc->tcp) != 0)
			fatalx("ws_client: cannot initialise a socket");
		wc->tcp->data = wc;
		wc->refs++;
		r = uv_tcp_connect(&wc->creq, wc->tcp, res->ai_addr, on_connected);
		if (r != 0)
			wc_fail(wc, "cannot connect to '%s': %s", wc->url.authority.buf,
			    uv_strerror(r));
	}
	uv_freeaddrinfo(res);
	wc_unref(wc);
}

/* The upgrade request, with a fresh key; the answer it expects into accept. */
static void
wc_build_request(struct ws_client *wc)
{
	unsigned char raw[16], key[32];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		fatalx("ws_client: no random bytes");
	EVP_EncodeBlock(key, raw, sizeof(raw));
	ws_accept_value((const char *)key, &wc->accept);
	strbuf_addf(&wc->request,
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
	    wc->url.target.buf, wc->url.authority.buf, key);
	if (wc->protocol)
		strbuf_addf(&wc->request, "Sec-WebSocket-Protocol: %s\r\n", wc->protocol);
	strbuf_addstr(&wc->request, "\r\n");
}

static struct ws_client *
wc_new(uv_loop_t *loop, const struct ws_client_options *opts)
{
	struct ws_client *wc = xcalloc(1, sizeof(*wc));

	for (size_t i = 0; i < WC_NBUFS; i++)
		strbuf_init(WC_BUF(wc, i), 0);
	wc->loop = loop;
	wc->protocol = opts->protocol ? xstrdup(opts->protocol) : NULL;
	wc->timeout_ms = opts->timeout_ms ? opts->timeout_ms : WC_DEFAULT_TIMEOUT_MS;
	wc->max_message = opts->max_message ? opts->max_message : WC_DEFAULT_MAX_MESSAGE;
	wc->on_open = opts->on_open;
	wc->on_text = opts->on_text;
	wc->on_close = opts->on_close;
	wc->arg = opts->arg;
	wc->rbuf = xmalloc(WC_READ_SIZE);
	wc->gai.data = wc->creq.data = wc->wreq.data = wc->timer.data = wc;
	llhttp_init(&wc->parser, HTTP_RESPONSE, &wc_parse_settings);
	wc->parser.data = wc;
	return wc;
}

struct ws_client *
ws_client_new(uv_loop_t *loop, const struct ws_client_options *opts, struct strbuf *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct ws_client *wc = wc_new(loop, opts);
	char port[8];
	const char *host;
	int r;

	if (ws_url_parse(opts->url, &wc->url, err) != 0) {
		wc_free(wc);
		return NULL;
	}
	host = strcmp(wc->url.host.buf, "localhost") == 0 ? "127.0.0.1" : wc->url.host.buf;
	snprintf(port, sizeof(port), "%d", wc->url.port);
	r = uv_getaddrinfo(loop, &wc->gai, on_resolved, host, port, &hints);
	if (r != 0) {
		strbuf_addf(err, "cannot resolve '%s': %s", host, uv_strerror(r));
		wc_free(wc);
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN); /* a vanished server must cost a write error */
	wc->resolving = 1;
	wc->refs = 2; /* the resolver and the timer */
	if (uv_timer_init(loop, &wc->timer) != 0)
		fatalx("ws_client: cannot initialise a timer");
	uv_timer_start(&wc->timer, on_timer, wc->timeout_ms, 0);
	wc_build_request(wc);
	return wc;
}

int
ws_client_send_text(struct ws_client *wc, const char *buf, size_t len)
{
	if (wc->ws == NULL || wc->done)
		return -1;
	return ws_send_text(wc->ws, buf, len);
}

void
ws_client_close(struct ws_client *wc, uint16_t code, const char *reason)
{
	if (wc->done || wc->closing || wc->aborting)
		return;
	if (wc->ws) {
		wc->closing = 1;
		ws_close(wc->ws, code, reason);
		return;
	}
	wc->aborting = 1;
	strbuf_addstr(&wc->abort_reason, "closed before the connection was open");
	uv_timer_start(&wc->timer, on_timer, 0, 0);
}
