/*
 * ws: WebSocket connections on wslay (the rules are in ws.h); the server's
 * opening handshake is in ws_accept.c.
 *
 * Reading: the bytes the HTTP side had read past the request (pending), then
 * each read from the socket, are handed to wslay_event_recv through recv_cb;
 * complete messages come back through msg_cb.
 *
 * Writing: wslay_event_send frames the queued messages through send_cb, which
 * always takes all it is given and appends it to one chunk chosen before the
 * call (ws->target), so every chunk holds whole frames and wslay's own queue
 * is empty between calls.  Chunks are written in order, at most WS_MAX_WRITES
 * at a time; the ones not yet handed to uv_write can be dropped (a client too
 * slow) without cutting a frame.  ws->queued is the byte count of all chunks
 * until their write completes.
 *
 * One timer per connection: at start it feeds the pending bytes from the loop
 * (so nothing fires before ws_start has returned); once closing, it bounds
 * the closing handshake.  A connection is freed when both its handles have
 * closed; in-flight chunks are freed by their write callbacks, which libuv
 * runs (cancelled) before the close callbacks.
 */
#include "net/ws.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "core/log.h"
#include "core/xmalloc.h"

#define WS_DEFAULT_MAX_QUEUE (4 * 1024 * 1024)
#define WS_DEFAULT_MAX_MESSAGE (1024 * 1024)
#define WS_CHUNK_MAX (64 * 1024) /* frames gathered into one write */
#define WS_MAX_WRITES 2          /* uv_writes in flight */
#define WS_READ_SIZE (16 * 1024)
#define WS_CLOSE_WAIT_MS 2000 /* for the closing handshake */
#define WS_REASON_MAX 123     /* a close frame's payload is at most 125 bytes */

struct ws_chunk {
	struct ws_chunk *next;
	struct ws_conn *ws;
	uv_write_t wreq;
	struct strbuf data; /* whole frames */
	unsigned writing : 1;
};

struct ws_conn {
	uv_tcp_t *tcp;    /* owned; closed and freed with the connection */
	uv_timer_t timer; /* pending feed, then the closing deadline */
	int nhandles;     /* handles still open; freed at 0 */
	wslay_event_context_ptr ctx;
	struct ws_options opts; /* protocol cleared: not kept */
	struct ws_conn *prev, *next;
	struct strbuf pending; /* bytes read before the protocol started */
	const char *feed;      /* what recv_cb hands wslay */
	size_t feed_len;
	char *rbuf;
	struct ws_chunk *head, *tail; /* the first nwriting chunks are being written */
	struct ws_chunk *target;      /* where send_cb appends */
	size_t nwriting;
	size_t queued;
	uint64_t deadline; /* of the closing handshake */
	struct strbuf reason;
	unsigned listed : 1;
	unsigned client : 1;
	unsigned closing : 1;
	unsigned dead : 1; /* handles closing; on_close has fired */
};

static struct ws_conn *ws_list; /* connections made by ws_accept */

static void ws_flush(struct ws_conn *ws);

static void
list_add(struct ws_conn *ws)
{
	ws->next = ws_list;
	if (ws_list)
		ws_list->prev = ws;
	ws_list = ws;
	ws->listed = 1;
}

static void
list_remove(struct ws_conn *ws)
{
	if (ws->prev)
		ws->prev->next = ws->next;
	else
		ws_list = ws->next;
	if (ws->next)
		ws->next->prev = ws->prev;
	ws->listed = 0;
}

static void
chunk_free(struct ws_chunk *c)
{
	strbuf_release(&c->data);
	free(c);
}

static void
ws_free(struct ws_conn *ws)
{
	struct ws_chunk *c, *next;

	for (c = ws->head; c; c = next) {
		next = c->next;
		chunk_free(c);
	}
	wslay_event_context_free(ws->ctx);
	strbuf_release(&ws->pending);
	strbuf_release(&ws->reason);
	free(ws->rbuf);
	free(ws);
}

static void
on_handle_close(uv_handle_t *handle)
{
	struct ws_conn *ws = handle->data;

	if (handle != (uv_handle_t *)&ws->timer)
		free(handle); /* the tcp handle */
	if (--ws->nhandles == 0)
		ws_free(ws);
}

/* Close the socket and tell the owner; the memory goes when the handles have closed. */
static void
ws_teardown(struct ws_conn *ws)
{
	if (ws->dead)
		return;
	ws->dead = 1;
	ws->closing = 1;
	if (ws->listed)
		list_remove(ws);
	uv_close((uv_handle_t *)ws->tcp, on_handle_close);
	uv_close((uv_handle_t *)&ws->timer, on_handle_close);
	if (ws->opts.on_close)
		ws->opts.on_close(ws, ws->opts.arg);
}

/* Feed data to wslay, then send what that queued (pongs, close replies). */
static void
ws_feed(struct ws_conn *ws, const char *data, size_t len)
{
	int r;

	if (ws->dead)
		return;
	ws->feed = data;
	ws->feed_len = len;
	r = wslay_event_recv(ws->ctx);
	ws->feed_len = 0;
	if (r != 0) {
		log_debug("ws: cannot read a frame (wslay error %d)", r);
		ws_teardown(ws);
		return;
	}
	ws_flush(ws);
}

static void
ws_feed_pending(struct ws_conn *ws)
{
	struct strbuf in = ws->pending;

	strbuf_init(&ws->pending, 0);
	ws_feed(ws, in.buf, in.len);
	strbuf_release(&in);
}

static void
on_timer(uv_timer_t *timer)
{
	struct ws_conn *ws = timer->data;
	uint64_t now;

	if (ws->pending.len > 0)
		ws_feed_pending(ws);
	if (ws->dead || !ws->closing)
		return;
	now = uv_now(timer->loop);
	if (now >= ws->deadline) {
		log_debug("ws: closing handshake not finished in time");
		ws_teardown(ws);
	} else {
		uv_timer_start(timer, on_timer, ws->deadline - now, 0);
	}
}

/* Start the closing handshake's clock (once). */
static void
ws_set_closing(struct ws_conn *ws)
{
	if (ws->closing)
		return;
	ws->closing = 1;
	ws->deadline = uv_now(ws->timer.loop) + WS_CLOSE_WAIT_MS;
	uv_timer_start(&ws->timer, on_timer, ws->pending.len > 0 ? 0 : WS_CLOSE_WAIT_MS, 0);
}

/* Close the socket once our close frame is out and the peer's has come. */
static void
ws_check_done(struct ws_conn *ws)
{
	if (wslay_event_get_close_sent(ws->ctx) && ws->queued == 0 &&
	    wslay_event_get_close_received(ws->ctx))
		ws_teardown(ws);
}

static void
on_write(uv_write_t *wreq, int status)
{
	struct ws_chunk *c = wreq->data;
	struct ws_conn *ws = c->ws;

	ws->head = c->next; /* writes complete in order: c is the head */
	if (ws->tail == c)
		ws->tail = NULL;
	ws->nwriting--;
	ws->queued -= c->data.len;
	chunk_free(c);
	if (ws->dead)
		return;
	if (status < 0) {
		log_debug("ws: write failed: %s", uv_strerror(status));
		ws_teardown(ws);
		return;
	}
	ws_flush(ws);
}

/* Hand the chunks that wait to uv_write, up to WS_MAX_WRITES in flight. */
static void
ws_write(struct ws_conn *ws)
{
	struct ws_chunk *c = ws->head;
	uv_buf_t buf;
	int r;

	for (size_t i = 0; i < ws->nwriting; i++)
		c = c->next;
	for (; c && c->data.len > 0 && ws->nwriting < WS_MAX_WRITES; c = c->next) {
		buf = uv_buf_init(c->data.buf, (unsigned int)c->data.len);
		r = uv_write(&c->wreq, (uv_stream_t *)ws->tcp, &buf, 1, on_write);
		if (r != 0) {
			log_debug("ws: write failed: %s", uv_strerror(r));
			ws_teardown(ws);
			return;
		}
		c->writing = 1;
		ws->nwriting++;
	}
}

/* The chunk new frames go to: the tail if it is not being written and has room. */
static struct ws_chunk *
ws_tail_chunk(struct ws_conn *ws)
{
	struct ws_chunk *c = ws->tail;

	if (c && !c->writing && c->data.len < WS_CHUNK_MAX)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->ws = ws;
	c->wreq.data = c;
	strbuf_init(&c->data, 0);
	if (ws->tail)
		ws->tail->next = c;
	else
		ws->head = c;
	ws->tail = c;
	return c;
}

/* Free the chunks not handed to the socket yet (whole frames only). */
static void
ws_drop_unsent(struct ws_conn *ws)
{
	struct ws_chunk *keep = NULL, *c = ws->head, *next;

	for (size_t i = 0; i < ws->nwriting; i++) {
		keep = c;
		c = c->next;
	}
	for (; c; c = next) {
		next = c->next;
		ws->queued -= c->data.len;
		chunk_free(c);
	}
	if (keep)
		keep->next = NULL;
	else
		ws->head = NULL;
	ws->tail = keep;
}

static void
ws_too_slow(struct ws_conn *ws, size_t len)
{
	log_info("ws: peer too slow (%zu bytes queued, %zu more, limit %zu), closing", ws->queued,
	    len, ws->opts.max_queue);
	ws_drop_unsent(ws);
	ws_close(ws, 1008, "client too slow");
}

/* Frame what wslay has queued, start writing it, and close if all is done. */
static void
ws_flush(struct ws_conn *ws)
{
	int r = 0;

	if (ws->dead)
		return;
	if (wslay_event_want_write(ws->ctx)) {
		ws->target = ws_tail_chunk(ws);
		r = wslay_event_send(ws->ctx);
		ws->target = NULL;
	}
	if (r != 0) {
		log_debug("ws: cannot frame a message (wslay error %d)", r);
		ws_teardown(ws);
		return;
	}
	if (!ws->closing &&
	    ws->queued > ws->opts.max_queue) { /* pongs to a peer that never reads */
		ws_too_slow(ws, 0);
		return;
	}
	ws_write(ws);
	if (!ws->dead)
		ws_check_done(ws);
}

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
	struct ws_conn *ws = user;

	if (ws->feed_len == 0 || ws->dead) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (len > ws->feed_len)
		len = ws->feed_len;
	memcpy(buf, ws->feed, len);
	ws->feed += len;
	ws->feed_len -= len;
	return (ssize_t)len;
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
	struct ws_conn *ws = user;

	if (ws->target == NULL) { /* only ws_flush calls wslay_event_send */
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	strbuf_add(&ws->target->data, data, len);
	ws->queued += len;
	return (ssize_t)len;
}

static int
genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static void
msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct ws_conn *ws = user;

	switch (arg->opcode) {
	case WSLAY_TEXT_FRAME:
		if (!ws->closing && ws->opts.on_text)
			ws->opts.on_text(ws, (const char *)arg->msg, arg->msg_length, ws->opts.arg);
		break;
	case WSLAY_BINARY_FRAME:
		ws_close(ws, 1003, "binary messages are not supported");
		break;
	case WSLAY_CONNECTION_CLOSE:
		strbuf_reset(&ws->reason);
		if (arg->msg_length > 2)
			strbuf_add(&ws->reason, arg->msg + 2, arg->msg_length - 2);
		ws_set_closing(ws); /* wslay has queued the answer */
		break;
	default:
		break;
	}
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct ws_conn *ws = handle->data;

	*buf = uv_buf_init(ws->rbuf, WS_READ_SIZE);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct ws_conn *ws = stream->data;

	if (nread > 0) {
		if (ws->pending.len > 0)
			ws_feed_pending(ws);
		ws_feed(ws, buf->base, (size_t)nread);
	} else if (nread < 0) {
		if (nread != UV_EOF)
			log_debug("ws: read failed: %s", uv_strerror((int)nread));
		ws_teardown(ws);
	}
}

static struct ws_conn *
ws_new(uv_tcp_t *tcp, const struct ws_options *opts, int client)
{
	static const struct wslay_event_callbacks cbs = {
	    .recv_callback = recv_cb,
	    .send_callback = send_cb,
	    .genmask_callback = genmask_cb,
	    .on_msg_recv_callback = msg_cb,
	};
	struct ws_conn *ws = xcalloc(1, sizeof(*ws));
	int r;

	ws->tcp = tcp;
	tcp->data = ws;
	ws->opts = *opts;
	ws->opts.protocol = NULL;
	if (!ws->opts.max_queue)
		ws->opts.max_queue = WS_DEFAULT_MAX_QUEUE;
	if (!ws->opts.max_message)
		ws->opts.max_message = WS_DEFAULT_MAX_MESSAGE;
	ws->client = client != 0;
	strbuf_init(&ws->pending, 0);
	strbuf_init(&ws->reason, 0);
	ws->rbuf = xmalloc(WS_READ_SIZE);
	if (uv_timer_init(tcp->loop, &ws->timer) != 0)
		fatalx("ws: cannot initialise a timer");
	ws->timer.data = ws;
	ws->nhandles = 2;
	r = client ? wslay_event_context_client_init(&ws->ctx, &cbs, ws)
	           : wslay_event_context_server_init(&ws->ctx, &cbs, ws);
	if (r != 0)
		fatalx("ws: out of memory");
	wslay_event_config_set_max_recv_msg_length(ws->ctx, ws->opts.max_message);
	return ws;
}

struct ws_conn *
ws_start(uv_tcp_t *tcp, int client, const char *in, size_t len, const struct ws_options *opts)
{
	struct ws_conn *ws = ws_new(tcp, opts, client);
	int r;

	if (!client)
		list_add(ws);
	uv_tcp_nodelay(ws->tcp, 1);
	strbuf_add(&ws->pending, in, len);
	r = uv_read_start((uv_stream_t *)ws->tcp, on_alloc, on_read);
	if (r != 0) { /* let the timer close it: on_close must not fire before we return */
		log_debug("ws: cannot read: %s", uv_strerror(r));
		ws->closing = 1;
		ws->deadline = 0;
		uv_timer_start(&ws->timer, on_timer, 0, 0);
	} else if (len > 0) { /* fed from the loop, as for the same reason */
		uv_timer_start(&ws->timer, on_timer, 0, 0);
	}
	return ws;
}

/* --- the public calls --- */

/* The bytes a frame adds to a payload of len. */
static size_t
frame_overhead(size_t len, int client)
{
	size_t n = 2 + (client ? 4 : 0);

	if (len > 65535)
		return n + 8;
	return len > 125 ? n + 2 : n;
}

int
ws_send_text(struct ws_conn *ws, const char *buf, size_t len)
{
	struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)buf, len};
	size_t frame = len + frame_overhead(len, ws->client);

	if (ws->closing)
		return -1;
	if (frame > ws->opts.max_queue || ws->queued > ws->opts.max_queue - frame) {
		ws_too_slow(ws, frame);
		return -1;
	}
	if (wslay_event_queue_msg(ws->ctx, &msg) != 0) {
		log_debug("ws: cannot queue a message");
		ws_teardown(ws);
		return -1;
	}
	ws_flush(ws);
	return ws->dead ? -1 : 0;
}

void
ws_close(struct ws_conn *ws, uint16_t code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;

	if (ws->closing)
		return;
	ws_set_closing(ws);
	if (n > WS_REASON_MAX)
		n = WS_REASON_MAX;
	if (wslay_event_queue_close(ws->ctx, code, (const uint8_t *)reason, n) != 0) {
		log_debug("ws: cannot queue a close frame (status %u)", code);
		ws_teardown(ws);
		return;
	}
	ws_flush(ws);
}

size_t
ws_queued(const struct ws_conn *ws)
{
	return ws->queued;
}

uint16_t
ws_close_code(const struct ws_conn *ws)
{
	return wslay_event_get_status_code_received(ws->ctx);
}

const char *
ws_close_reason(const struct ws_conn *ws)
{
	return ws->reason.buf;
}

void
ws_close_all(uint16_t code, const char *reason)
{
	struct ws_conn *ws, *next;

	for (ws = ws_list; ws; ws = next) {
		next = ws->next;
		ws_close(ws, code, reason);
	}
}
