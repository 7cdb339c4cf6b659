/*
 * http_conn: one client connection, from accept to close.
 *
 * Reading fills conn->in, which llhttp parses in place; the parser callbacks
 * (http_parse.c) copy what they need into the request being parsed.  When a
 * request is complete, on_message_complete pauses the parser and the request
 * is dispatched; nothing more is parsed (leftover bytes stay buffered, and
 * reading stops once CONN_MAX_BUFFERED of them are waiting) until its response
 * has been written.  One timer per connection enforces the header, body, idle
 * and linger timeouts, and drops a streaming client that stops reading.
 *
 * Streams (http_stream_*, http.h) write their head and chunks as they come:
 * uv_try_write first when nothing is queued, the rest copied into a write
 * request of its own; the connection's usual course (linger or the next
 * request) resumes when the stream has ended and all of them completed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_int.h"

#define CONN_READ_CHUNK (16 * 1024)   /* free room offered to each read */
#define CONN_MAX_BUFFERED (64 * 1024) /* unparsed bytes before reading pauses */
#define CONN_KEEP_OUT (64 * 1024)     /* larger response buffers are not kept */
#define CONN_LINGER_MS 2000           /* wait this long for the FIN after "close" */

static void conn_parse(struct http_conn *c);
static void conn_start_reading(struct http_conn *c);
static void conn_linger(struct http_conn *c);

static void
on_timer(uv_timer_t *timer)
{
	struct http_conn *c = timer->data;

	switch (c->tmode) {
	case CONN_TIMER_HEADER:
	case CONN_TIMER_BODY:
		log_debug("http: request not received in time");
		http_conn_reply_error(c, 408, "request_timeout", "request not received in time");
		break;
	case CONN_TIMER_STREAM:
		log_debug("http: streaming client stopped reading");
		http_conn_close(c);
		break;
	default:
		http_conn_close(c);
		break;
	}
}

void
http_conn_timer(struct http_conn *c, enum conn_timer_mode mode)
{
	const struct http_server_options *o = &c->server->opts;
	uint64_t ms = CONN_LINGER_MS;

	if (c->closing)
		return;
	c->tmode = mode;
	if (mode == CONN_TIMER_NONE) {
		uv_timer_stop(&c->timer);
		return;
	}
	if (mode == CONN_TIMER_HEADER)
		ms = o->header_timeout_ms;
	else if (mode == CONN_TIMER_BODY || mode == CONN_TIMER_IDLE || mode == CONN_TIMER_STREAM)
		ms = o->idle_timeout_ms;
	uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* Route the complete request c->inflight, authorize it and call its handler. */
static void
conn_dispatch(struct http_conn *c)
{
	struct http_server *srv = c->server;
	struct http_request *req = c->inflight;
	struct strbuf allow = STRBUF_INIT;
	const struct route *route = NULL;
	enum router_result res;

	res = router_match(srv->routes, srv->nroutes, req->method, req->path.buf, req->path.len,
	    &route, &req->params, &allow);
	if (res == ROUTER_NOT_FOUND) {
		http_respond_error(req, 404, "not_found", "no such resource");
	} else if (res == ROUTER_METHOD_NOT_ALLOWED) {
		http_add_response_header(req, "Allow", allow.buf);
		http_respond_error(
		    req, 405, "method_not_allowed", "method '%s' not allowed here", req->method);
	} else {
		req->route = route;
		if (srv->authorize && srv->authorize(req, route->role, srv->ctx) != 0) {
			if (c->inflight == req) /* refused without an answer */
				http_respond_error(req, 403, "forbidden", "access denied");
		} else if (http_request_parse_body(req) == 0) {
			route->handler(req, srv->ctx);
		}
	}
	strbuf_release(&allow);
}

/* A parser error: answer it (unless the connection broke) and close. */
static void
conn_parse_error(struct http_conn *c, llhttp_errno_t err)
{
	const struct http_server_options *o = &c->server->opts;

	if (c->fail_status < 0) {
		http_conn_close(c);
	} else if (c->fail_status == 431) {
		http_conn_reply_error(c, 431, "header_too_large",
		    "request line and headers exceed %zu bytes", o->max_header);
	} else if (c->fail_status == 413) {
		http_conn_reply_error(
		    c, 413, "payload_too_large", "request body exceeds %zu bytes", o->max_body);
	} else {
		log_debug("http: malformed request: %s", llhttp_errno_name(err));
		http_conn_reply_error(c, 400, "bad_request", "malformed request");
	}
}

/* Start or stop reading by how much is buffered; close at EOF once done. */
static void
conn_flow(struct http_conn *c)
{
	size_t pending = c->in.len - c->in_off;

	if (c->closing || c->lingering)
		return;
	if (c->eof) {
		if (c->streaming || (!c->inflight && !c->writing))
			http_conn_close(c); /* a streaming client that stops sending is gone */
		return;
	}
	if (c->upgrade && c->inflight) { /* what follows is for the new protocol */
		if (c->reading)
			uv_read_stop((uv_stream_t *)c->tcp);
		c->reading = 0;
		return;
	}
	if (c->reading && pending > CONN_MAX_BUFFERED) {
		uv_read_stop((uv_stream_t *)c->tcp);
		c->reading = 0;
	} else if (!c->reading && pending <= CONN_MAX_BUFFERED) {
		conn_start_reading(c);
	}
}

/* Parse what is buffered, dispatching each complete request in turn. */
static void
conn_parse(struct http_conn *c)
{
	c->parsing = 1;
	while (!c->inflight && !c->writing && !c->discard && !c->closing && c->in_off < c->in.len) {
		const char *p = c->in.buf + c->in_off;
		llhttp_errno_t err = llhttp_execute(&c->parser, p, c->in.len - c->in_off);

		if (err == HPE_OK) {
			c->in_off = c->in.len;
		} else if (err == HPE_PAUSED) {
			c->in_off += (size_t)(llhttp_get_error_pos(&c->parser) - p);
			llhttp_resume(&c->parser);
			conn_dispatch(c);
		} else {
			c->in_off = c->in.len;
			conn_parse_error(c, err);
		}
	}
	c->parsing = 0;
	if (c->in_off == c->in.len) {
		strbuf_reset(&c->in);
		c->in_off = 0;
	}
	if (!c->closing && !c->discard && !c->inflight && !c->writing && !c->cur &&
	    c->tmode == CONN_TIMER_NONE)
		http_conn_timer(c, CONN_TIMER_IDLE); /* answered; waiting for the next request */
	conn_flow(c);
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct http_conn *c = handle->data;

	if (c->in_off > 0) {
		strbuf_remove(&c->in, 0, c->in_off);
		c->in_off = 0;
	}
	strbuf_grow(&c->in, CONN_READ_CHUNK);
	*buf = uv_buf_init(c->in.buf + c->in.len, (unsigned int)(c->in.alloc - c->in.len - 1));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct http_conn *c = stream->data;

	if (nread > 0) {
		c->in.len += (size_t)nread;
		c->in.buf[c->in.len] = '\0';
		if (c->discard) {
			strbuf_reset(&c->in);
			c->in_off = 0;
			return;
		}
		if (c->tmode == CONN_TIMER_BODY)
			http_conn_timer(c, CONN_TIMER_BODY);
		conn_parse(c);
	} else if (nread == UV_EOF) {
		c->eof = 1;
		c->reading = 0;
		conn_flow(c);
		if (c->lingering)
			http_conn_close(c);
	} else if (nread < 0) {
		log_debug("http: read failed: %s", uv_strerror((int)nread));
		http_conn_close(c);
	}
}

static void
conn_start_reading(struct http_conn *c)
{
	int r = uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read);

	if (r != 0) {
		log_debug("http: cannot read: %s", uv_strerror(r));
		http_conn_close(c);
		return;
	}
	c->reading = 1;
}

static void
on_shutdown(uv_shutdown_t *sreq, int status)
{
	struct http_conn *c = sreq->data;

	if (status < 0 && !c->closing)
		http_conn_close(c);
}

/* The last response is out: send our FIN and drain the peer until its own. */
static void
conn_linger(struct http_conn *c)
{
	c->discard = 1;
	c->lingering = 1;
	if (c->eof || uv_shutdown(&c->sreq, (uv_stream_t *)c->tcp, on_shutdown) != 0) {
		http_conn_close(c);
		return;
	}
	http_conn_timer(c, CONN_TIMER_LINGER);
	if (!c->reading)
		conn_start_reading(c);
}

/* The answer is out: close after it, or go on with the next request. */
static void
conn_written(struct http_conn *c)
{
	if (c->out_body.alloc > CONN_KEEP_OUT)
		strbuf_release(&c->out_body);
	if (!c->keep_alive || c->discard)
		conn_linger(c); /* the last answer, or the server is shutting down */
	else if (!c->parsing)
		conn_parse(c); /* (while parsing, conn_parse's loop goes on by itself) */
}

static void
on_write(uv_write_t *wreq, int status)
{
	struct http_conn *c = wreq->data;

	c->writing = 0;
	if (c->closing)
		return;
	if (status < 0) {
		log_debug("http: write failed: %s", uv_strerror(status));
		http_conn_close(c);
		return;
	}
	conn_written(c);
}

/* Drop the first done bytes from bufs; the number of buffers left. */
static unsigned int
bufs_consume(uv_buf_t *bufs, unsigned int n, size_t done)
{
	unsigned int i = 0;

	while (i < n && done >= bufs[i].len)
		done -= bufs[i++].len;
	if (i < n) {
		bufs[i].base += done;
		bufs[i].len -= done;
	}
	memmove(bufs, bufs + i, (n - i) * sizeof(*bufs));
	return n - i;
}

/*
 * Answers given while parsing (the handler answered at once) are first tried
 * with uv_try_write: when all of it fits in the socket, the next pipelined
 * request is parsed in the same loop, without a write callback (and the
 * epoll_ctl that comes with it).  Later answers use uv_write, so the next
 * request's handler never runs inside another handler's http_respond.
 */
void
http_conn_send(struct http_conn *c, int head_only)
{
	uv_buf_t bufs[2];
	unsigned int n = 0;
	int r = UV_EAGAIN;

	bufs[n++] = uv_buf_init(c->out_head.buf, (unsigned int)c->out_head.len);
	if (!head_only && c->out_body.len > 0)
		bufs[n++] = uv_buf_init(c->out_body.buf, (unsigned int)c->out_body.len);
	c->inflight = NULL;
	http_conn_timer(c, CONN_TIMER_NONE);
	if (c->parsing)
		r = uv_try_write((uv_stream_t *)c->tcp, bufs, n);
	if (r >= 0)
		n = bufs_consume(bufs, n, (size_t)r);
	if (r >= 0 && n == 0) {
		conn_written(c);
		return;
	}
	if (r >= 0 || r == UV_EAGAIN)
		r = uv_write(&c->wreq, (uv_stream_t *)c->tcp, bufs, n, on_write);
	if (r != 0) {
		log_debug("http: write failed: %s", uv_strerror(r));
		http_conn_close(c);
		return;
	}
	c->writing = 1;
}

/* A piece of a stream that the socket did not take at once. */
struct stream_write {
	uv_write_t wreq;
	struct http_conn *c;
	char data[];
};

static void
on_stream_write(uv_write_t *wreq, int status)
{
	struct stream_write *w = wreq->data;
	struct http_conn *c = w->c;

	free(w);
	c->nswrites--;
	if (c->closing || c->lingering)
		return;
	if (status < 0) {
		log_debug("http: stream write failed: %s", uv_strerror(status));
		http_conn_close(c);
	} else if (c->nswrites > 0) {
		http_conn_timer(c, CONN_TIMER_STREAM); /* progress: the stall clock restarts */
	} else {
		http_conn_timer(c, CONN_TIMER_NONE);
		if (c->writing) { /* the stream has ended and is all out */
			c->writing = 0;
			conn_written(c);
		}
	}
}

int
http_conn_stream_write(struct http_conn *c, uv_buf_t *bufs, unsigned int n, int try_first)
{
	struct stream_write *w;
	size_t len = 0;
	int r = UV_EAGAIN;

	if (try_first && c->nswrites == 0)
		r = uv_try_write((uv_stream_t *)c->tcp, bufs, n);
	if (r >= 0)
		n = bufs_consume(bufs, n, (size_t)r);
	if (r >= 0 && n == 0)
		return 0;
	if (r >= 0 || r == UV_EAGAIN) {
		for (unsigned int i = 0; i < n; i++)
			len += bufs[i].len;
		w = xmalloc(sizeof(*w) + len);
		w->c = c;
		w->wreq.data = w;
		len = 0;
		for (unsigned int i = 0; i < n; len += bufs[i++].len)
			memcpy(w->data + len, bufs[i].base, bufs[i].len);
		r = uv_write(&w->wreq, (uv_stream_t *)c->tcp,
		    &(uv_buf_t){.base = w->data, .len = len}, 1, on_stream_write);
		if (r != 0)
			free(w);
	}
	if (r != 0) {
		log_debug("http: stream write failed: %s", uv_strerror(r));
		http_conn_close(c);
		return -1;
	}
	if (c->nswrites++ == 0)
		http_conn_timer(c, CONN_TIMER_STREAM);
	return 0;
}

int
http_conn_stream_start(struct http_conn *c)
{
	uv_buf_t head = {.base = c->out_head.buf, .len = c->out_head.len};

	c->streaming = 1;
	return http_conn_stream_write(c, &head, 1, 1);
}

/*
 * The tail goes out with uv_write (never at once), so that the next request
 * is dispatched from its write callback, not inside the producer's call.
 * Only a close-delimited stream can have no tail; it never keeps alive.
 */
void
http_conn_stream_end(struct http_conn *c, const char *tail, size_t len)
{
	uv_buf_t buf = {.base = (char *)tail, .len = len};

	c->streaming = 0;
	c->inflight = NULL;
	if (len > 0 && http_conn_stream_write(c, &buf, 1, 0) != 0)
		return;
	if (c->nswrites > 0)
		c->writing = 1;
	else
		conn_written(c);
}

void
http_conn_stream_cut(struct http_conn *c)
{
	struct http_request *req = c->inflight;

	c->inflight = NULL;
	c->streaming = 0;
	c->keep_alive = 0;
	req->conn = NULL;
	conn_linger(c);
	http_stream_gone(req);
}

static void
on_close(uv_handle_t *handle)
{
	struct http_conn *c = handle->data;

	if (handle != (uv_handle_t *)&c->timer)
		free(handle); /* the tcp handle */
	if (--c->nhandles > 0)
		return;
	strbuf_release(&c->in);
	strbuf_release(&c->out_head);
	strbuf_release(&c->out_body);
	free(c->hoffs);
	http_server_conn_gone(c->server, c);
	free(c);
}

void
http_conn_close(struct http_conn *c)
{
	struct http_request *stream = c->streaming ? c->inflight : NULL;

	if (c->closing)
		return;
	c->closing = 1;
	c->streaming = 0;
	if (c->inflight) {
		c->inflight->conn = NULL; /* its handler's answer will be dropped */
		c->inflight = NULL;
	}
	if (c->cur) {
		http_request_free(c->cur);
		c->cur = NULL;
	}
	uv_close((uv_handle_t *)c->tcp, on_close);
	uv_close((uv_handle_t *)&c->timer, on_close);
	if (stream)
		http_stream_gone(stream); /* last: its producer may end it at once */
}

uv_tcp_t *
http_conn_detach(struct http_conn *c, struct strbuf *leftover)
{
	uv_tcp_t *tcp = c->tcp;

	if (c->reading)
		uv_read_stop((uv_stream_t *)tcp);
	c->reading = 0;
	strbuf_add(leftover, c->in.buf + c->in_off, c->in.len - c->in_off);
	c->in_off = c->in.len;
	c->inflight = NULL;
	c->tcp = NULL;
	tcp->data = NULL;
	c->closing = 1;
	c->nhandles--; /* only the timer is left to close */
	uv_close((uv_handle_t *)&c->timer, on_close);
	return tcp;
}

void
http_conn_accept(struct http_server *srv)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));
	int r;

	c->server = srv;
	strbuf_init(&c->in, 0);
	strbuf_init(&c->out_head, 0);
	strbuf_init(&c->out_body, 0);
	c->tcp = xmalloc(sizeof(*c->tcp));
	if (uv_tcp_init(srv->loop, c->tcp) != 0 || uv_timer_init(srv->loop, &c->timer) != 0)
		fatalx("http: cannot initialise a connection");
	c->tcp->data = c->timer.data = c->wreq.data = c->sreq.data = c;
	c->nhandles = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	llhttp_init(&c->parser, HTTP_REQUEST, &http_parse_settings);
	c->parser.data = c;
	r = uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)c->tcp);
	if (r != 0) {
		log_warnx("http: accept failed: %s", uv_strerror(r));
		http_conn_close(c);
		return;
	}
	uv_tcp_nodelay(c->tcp, 1);
	http_conn_timer(c, CONN_TIMER_HEADER);
	conn_start_reading(c);
}
