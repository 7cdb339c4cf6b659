/*
 * http_reply: building responses.  The body goes into conn->out_body, the
 * status line and headers into conn->out_head, and both leave in one uv_write
 * (http_conn_send).  A request whose client has gone (conn == NULL) is only
 * freed.  http_detach is the other way to answer: a protocol switch, after
 * which the socket belongs to the caller.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_int.h"

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

/* Put the status line and headers for status into c->out_head. */
static void
reply_head(struct http_conn *c, int status, const char *content_type, const struct strbuf *extra)
{
	struct strbuf *h = &c->out_head;

	c->keep_alive = c->keep_alive && !c->discard && !c->server->closing;
	strbuf_reset(h);
	strbuf_addstr(h, "HTTP/1.1 ");
	add_decimal(h, status >= 100 && status <= 999 ? (size_t)status : 500);
	strbuf_addch(h, ' ');
	strbuf_addstr(h, http_status_text(status));
	if (!status_has_no_body(status)) {
		strbuf_addstr(h, "\r\nContent-Type: ");
		strbuf_addstr(h, content_type);
		strbuf_addstr(h, "\r\nContent-Length: ");
		add_decimal(h, c->out_body.len);
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
	struct http_req *r = (struct http_req *)req;
	int head_only = status_has_no_body(status) || strcmp(req->method, "HEAD") == 0;

	reply_head(c, status, content_type, &r->resp_extra);
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

void
http_respond_json(struct http_request *req, int status, json_t *json)
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

void
http_conn_reply_error(struct http_conn *c, int status, const char *code, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	json_t *json;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (c->cur) {
		http_request_free(c->cur);
		c->cur = NULL;
	}
	c->discard = 1;
	c->keep_alive = 0;
	json = error_json(code, msg.buf, msg.len);
	strbuf_reset(&c->out_body);
	json_dump_callback(json, dump_to_strbuf, &c->out_body, JSON_COMPACT);
	json_decref(json);
	strbuf_release(&msg);
	reply_head(c, status, "application/json", NULL);
	http_conn_send(c, 0);
}
