/*
 * http_reply: building responses.  The body goes into conn->out_body, the
 * status line and headers into conn->out_head, and both leave in one uv_write
 * (http_conn_send).  A request whose client has gone (conn == NULL) is only
 * freed.  http_detach is the other way to answer: a protocol switch, after
 * which the socket belongs to the caller.  Streams (http_stream_*) send their
 * head here and their body in pieces through http_conn_stream_write.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_int.h"

/* How the body of an answer is delimited. */
enum reply_framing {
	FRAME_LENGTH,  /* Content-Length */
	FRAME_CHUNKED, /* Transfer-Encoding: chunked (a stream, HTTP/1.1) */
	FRAME_CLOSE,   /* the connection's close (a stream, HTTP/1.0) */
};

/* Whether status forbids a body (and so Content-Length and Content-Type). */
static int
status_has_no_body(int status)
{
	return status < 200 || status == 204 || status == 304;
}

/* Append v in decimal (the head is built on every answer: no printf). */
static void
add_decimal(struct strbuf *sb, size_t v)
{
	char digits[24];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	strbuf_add(sb, digits + i, sizeof(digits) - i);
}

/* Tell srv's observer, if any, that status goes out for req (NULL: a
 * request refused while it was parsed, with method). */
static void
reply_observe(
    struct http_server *srv, const struct http_request *req, const char *method, int status)
{
	if (srv->observe)
		srv->observe(req ? req->route : NULL, method ? method : "", status, srv->ctx);
}

/* Put the status line and headers for status into c->out_head, with the
 * extra headers of req (NULL: a request refused while it was parsed, whose
 * method is method), and tell the observer. */
static void
reply_head(struct http_conn *c, const struct http_request *req, const char *method, int status,
    const char *content_type, enum reply_framing framing)
{
	const struct strbuf *extra = req ? &((const struct http_req *)req)->resp_extra : NULL;
	struct strbuf *h = &c->out_head;

	reply_observe(c->server, req, req ? req->method : method,
	    status >= 100 && status <= 999 ? status : 500); /* the code that goes out */
	c->keep_alive = c->keep_alive && !c->discard && !c->server->closing;
	if (framing == FRAME_CLOSE)
		c->keep_alive = 0;
	strbuf_reset(h);
	strbuf_addstr(h, "HTTP/1.1 ");
	add_decimal(h, status >= 100 && status <= 999 ? (size_t)status : 500);
	strbuf_addch(h, ' ');
	strbuf_addstr(h, http_status_text(status));
	if (!status_has_no_body(status)) {
		strbuf_addstr(h, "\r\nContent-Type: ");
		strbuf_addstr(h, content_type);
		if (framing == FRAME_LENGTH) {
			strbuf_addstr(h, "\r\nContent-Length: ");
			add_decimal(h, c->out_body.len);
		} else if (framing == FRAME_CHUNKED) {
			strbuf_addstr(h, "\r\nTransfer-Encoding: chunked");
		}
	}
	strbuf_addstr(
	    h, c->keep_alive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n");
	if (extra)
		strbuf_addbuf(h, extra);
	strbuf_addstr(h, "\r\n");
}

/* Send the answer to req, whose body is in c->out_body. */
static void
reply_send(struct http_conn *c, struct http_request *req, int status, const char *content_type)
{
	int head_only = status_has_no_body(status) || strcmp(req->method, "HEAD") == 0;

	reply_head(c, req, NULL, status, content_type, FRAME_LENGTH);
	http_conn_send(c, head_only);
}

static int
dump_to_strbuf(const char *buf, size_t size, void *data)
{
	strbuf_add(data, buf, size);
	return 0;
}

/* {"error":{"code":code,"message":msg}}, msg quoted if it is not UTF-8. */
static json_t *
error_json(const char *code, const char *msg, size_t len)
{
	json_t *m = json_stringn(msg, len);

	if (m == NULL) {
		struct strbuf q = STRBUF_INIT;

		strbuf_addquoted(&q, msg, len);
		m = json_stringn(q.buf, q.len);
		strbuf_release(&q);
	}
	return json_pack("{s:{s:s,s:o}}", "error", "code", code, "message", m);
}

void
http_add_response_header(struct http_request *req, const char *name, const char *value)
{
	struct http_req *r = (struct http_req *)req;

	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
		log_warnx("http: refusing a response header with a line break or a bad name");
		return;
	}
	strbuf_addf(&r->resp_extra, "%s: %s\r\n", name, value);
}

void
http_respond(
    struct http_request *req, int status, const char *content_type, const char *body, size_t len)
{
	struct http_conn *c = req->conn;

	if (c) {
		strbuf_reset(&c->out_body);
		strbuf_add(&c->out_body, body, len);
		reply_send(c, req, status, content_type);
	}
	http_request_free(req);
}

/* The 101 head written on a detached socket; freed when written. */
struct detach_write {
	uv_write_t wreq;
	char head[];
};

static void
on_head_written(uv_write_t *wreq, int status)
{
	if (status < 0 && status != UV_ECANCELED)
		log_debug("http: protocol switch answer not sent: %s", uv_strerror(status));
	free(wreq->data);
}

int
http_detach(
    struct http_request *req, const char *head, size_t len, uv_tcp_t **tcp, struct strbuf *leftover)
{
	struct http_conn *c = req->conn;
	struct detach_write *w;
	uv_buf_t buf;
	int r;

	*tcp = NULL;
	if (c && c->server->closing) {
		http_respond_error(req, 503, "shutting_down", "the server is shutting down");
		return -1;
	}
	if (c && !c->eof) {
		w = xmalloc(sizeof(*w) + len);
		memcpy(w->head, head, len);
		w->wreq.data = w;
		buf = uv_buf_init(w->head, (unsigned int)len);
		r = uv_write(&w->wreq, (uv_stream_t *)c->tcp, &buf, 1, on_head_written);
		if (r == 0) {
			reply_observe(req->server, req, req->method, 101);
			*tcp = http_conn_detach(c, leftover);
		} else {
			log_debug("http: protocol switch failed: %s", uv_strerror(r));
			free(w);
		}
	}
	if (c && *tcp == NULL)
		http_conn_close(c);
	http_request_free(req);
	return *tcp ? 0 : -1;
}

/* Answer req with json (stolen) without freeing req. */
static void
reply_json(struct http_request *req, int status, json_t *json)
{
	struct http_conn *c = req->conn;

	if (json == NULL) {
		log_warnx("http: no json to answer '%s' with", req->path.buf);
		status = 500;
		json = error_json("internal", "internal error", strlen("internal error"));
	}
	if (c) {
		strbuf_reset(&c->out_body);
		json_dump_callback(json, dump_to_strbuf, &c->out_body, JSON_COMPACT);
		reply_send(c, req, status, "application/json");
	}
	json_decref(json);
}

void
http_respond_json(struct http_request *req, int status, json_t *json)
{
	reply_json(req, status, json);
	http_request_free(req);
}

void
http_respond_error(struct http_request *req, int status, const char *code, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	http_respond_json(req, status, error_json(code, msg.buf, msg.len));
	strbuf_release(&msg);
}

/* A stream that cannot carry a body (HEAD, 1xx/204/304): send the head alone,
 * as the whole answer, and leave req without a connection. */
static void
stream_head_only(struct http_request *req, int status, const char *content_type)
{
	struct http_conn *c = req->conn;
	int http11 = c->parser.http_major == 1 && c->parser.http_minor >= 1;

	req->conn = NULL;
	reply_head(c, req, NULL, status, content_type, http11 ? FRAME_CHUNKED : FRAME_CLOSE);
	http_conn_send(c, 1);
}

/*
 * The request's HTTP version is read from the parser: it is paused right
 * after the request's end and parses nothing more until the request is
 * answered (the stream's end).
 */
int
http_stream_begin(struct http_request *req, int status, const char *content_type,
    http_stream_gone_fn on_gone, void *arg)
{
	struct http_req *r = (struct http_req *)req;
	struct http_conn *c = req->conn;
	int ret;

	if (c && c->server->closing) {
		reply_json(req, 503,
		    error_json("shutting_down", "the server is shutting down",
		        strlen("the server is shutting down")));
		req->conn = NULL;
	} else if (c && c->eof) {
		http_conn_close(c); /* a client that stopped sending is gone (http.h) */
	} else if (c && (status_has_no_body(status) || strcmp(req->method, "HEAD") == 0)) {
		stream_head_only(req, status, content_type);
		return 0;
	}
	if (req->conn == NULL)
		return -1;
	c->chunked = c->parser.http_major == 1 && c->parser.http_minor >= 1;
	reply_head(c, req, NULL, status, content_type, c->chunked ? FRAME_CHUNKED : FRAME_CLOSE);
	r->on_gone = on_gone;
	r->gone_arg = arg;
	r->calling = 1;
	ret = http_conn_stream_start(c);
	r->calling = 0;
	return ret;
}

int
http_stream_write(struct http_request *req, const char *buf, size_t len)
{
	struct http_req *r = (struct http_req *)req;
	struct http_conn *c = req->conn;
	char size[2 * sizeof(size_t) + 2]; /* the chunk's size line: hex digits, CRLF */
	size_t i = sizeof(size), v = len;
	uv_buf_t bufs[3];
	unsigned int n = 0;
	int ret;

	if (c == NULL)
		return -1;
	if (len == 0)
		return 0; /* an empty chunk would end the stream */
	if (c->chunked) {
		size[--i] = '\n';
		size[--i] = '\r';
		for (; v; v >>= 4)
			size[--i] = "0123456789abcdef"[v & 15];
		bufs[n++] = (uv_buf_t){.base = size + i, .len = sizeof(size) - i};
	}
	bufs[n++] = (uv_buf_t){.base = (char *)buf, .len = len};
	if (c->chunked)
		bufs[n++] = (uv_buf_t){.base = "\r\n", .len = 2};
	r->calling = 1;
	ret = http_conn_stream_write(c, bufs, n, 1);
	r->calling = 0;
	return ret;
}

size_t
http_stream_queued(const struct http_request *req)
{
	if (req->conn == NULL)
		return 0;
	return uv_stream_get_write_queue_size((const uv_stream_t *)req->conn->tcp);
}

void
http_stream_end(struct http_request *req)
{
	struct http_req *r = (struct http_req *)req;
	struct http_conn *c = req->conn;

	r->on_gone = NULL;
	r->calling = 1;
	if (c && c->chunked)
		http_conn_stream_end(c, "0\r\n\r\n", 5);
	else if (c)
		http_conn_stream_end(c, NULL, 0);
	http_request_free(req);
}

void
http_stream_gone(struct http_request *req)
{
	struct http_req *r = (struct http_req *)req;
	http_stream_gone_fn fn = r->on_gone;

	if (fn == NULL || r->calling)
		return;
	r->on_gone = NULL;
	fn(req, r->gone_arg);
}

void
http_conn_reply_error(struct http_conn *c, int status, const char *code, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	json_t *json;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	c->discard = 1;
	c->keep_alive = 0;
	json = error_json(code, msg.buf, msg.len);
	strbuf_reset(&c->out_body);
	json_dump_callback(json, dump_to_strbuf, &c->out_body, JSON_COMPACT);
	json_decref(json);
	strbuf_release(&msg);
	/* the request being parsed is not answered: no headers of its own */
	reply_head(
	    c, NULL, c->cur ? c->cur->method : NULL, status, "application/json", FRAME_LENGTH);
	if (c->cur) {
		http_request_free(c->cur);
		c->cur = NULL;
	}
	http_conn_send(c, 0);
}
