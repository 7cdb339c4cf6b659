/*
 * http_parse: the llhttp callbacks that turn a connection's bytes into a
 * struct http_request (conn->cur), enforcing max_header and max_body as they
 * go.  A callback that refuses the request sets conn->fail_status (431, 413,
 * or -1 for "close without an answer") and fails the parse; on_message_complete
 * moves the request to conn->inflight and pauses the parser.
 */
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "net/http_int.h"

#define PARSE_LINE_OVERHEAD 16 /* method, spaces, version of the request line */
#define PARSE_FIELD_OVERHEAD 4 /* ": " and CRLF of a header line */

/* Refuse the request being parsed with status (sent once parsing stopped). */
static int
parse_refuse(struct http_conn *c, int status)
{
	c->fail_status = status;
	return HPE_USER;
}

/* Count n more bytes of request line and headers against max_header. */
static int
parse_count_header(struct http_conn *c, size_t n)
{
	c->hbytes += n;
	if (c->hbytes > c->server->opts.max_header)
		return parse_refuse(c, 431);
	return 0;
}

static void
parse_push_hoff(struct http_conn *c, size_t off)
{
	if (c->nhoffs == c->ahoffs) {
		c->ahoffs = c->ahoffs ? 2 * c->ahoffs : 32;
		c->hoffs = xreallocarray(c->hoffs, c->ahoffs, sizeof(*c->hoffs));
	}
	c->hoffs[c->nhoffs++] = off;
}

static int
on_message_begin(llhttp_t *p)
{
	struct http_conn *c = p->data;

	c->cur = http_request_new(c);
	c->hbytes = PARSE_LINE_OVERHEAD;
	c->nhoffs = 0;
	c->fail_status = 0;
	c->headers_done = 0;
	if (c->tmode != CONN_TIMER_HEADER)
		http_conn_timer(c, CONN_TIMER_HEADER);
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;

	if (parse_count_header(c, n))
		return HPE_USER;
	strbuf_add(&c->cur->target, at, n);
	return 0;
}

static int
on_url_complete(llhttp_t *p)
{
	struct http_request *req = ((struct http_conn *)p->data)->cur;
	const char *q = memchr(req->target.buf, '?', req->target.len);
	size_t plen = q ? (size_t)(q - req->target.buf) : req->target.len;

	strbuf_add(&req->path, req->target.buf, plen);
	if (q)
		strbuf_add(&req->query, q + 1, req->target.len - plen - 1);
	return 0;
}

/*
 * Header names and values go into the request's hdrdata, NUL-terminated, with
 * their offsets in conn->hoffs (name, value, name, value...); trailers after
 * a chunked body are counted but not kept, as hdrdata is final by then.
 */
static int
on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;
	struct http_req *req = (struct http_req *)c->cur;

	if (parse_count_header(c, n))
		return HPE_USER;
	if (c->headers_done)
		return 0;
	if (c->nhoffs % 2 == 0)
		parse_push_hoff(c, req->hdrdata.len);
	strbuf_add(&req->hdrdata, at, n);
	return 0;
}

static int
on_header_field_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;
	struct http_req *req = (struct http_req *)c->cur;

	if (c->headers_done)
		return parse_count_header(c, PARSE_FIELD_OVERHEAD);
	if (c->nhoffs % 2 == 0)
		parse_push_hoff(c, req->hdrdata.len);
	strbuf_addch(&req->hdrdata, '\0');
	parse_push_hoff(c, req->hdrdata.len);
	return parse_count_header(c, PARSE_FIELD_OVERHEAD);
}

static int
on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;
	struct http_req *req = (struct http_req *)c->cur;

	if (parse_count_header(c, n))
		return HPE_USER;
	if (!c->headers_done)
		strbuf_add(&req->hdrdata, at, n);
	return 0;
}

static int
on_header_value_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;
	struct strbuf *data = &((struct http_req *)c->cur)->hdrdata;
	size_t start, len = data->len;

	if (c->headers_done || c->nhoffs == 0)
		return 0;
	start = c->hoffs[c->nhoffs - 1];
	while (len > start && (data->buf[len - 1] == ' ' || data->buf[len - 1] == '\t'))
		len--;
	strbuf_setlen(data, len);
	strbuf_addch(data, '\0');
	return 0;
}

/* Point the request's header array into its hdrdata, now that it is final. */
static void
parse_set_headers(struct http_conn *c)
{
	struct http_req *req = (struct http_req *)c->cur;
	size_t n = c->nhoffs / 2;

	if (n == 0)
		return;
	req->pub.headers = xreallocarray(NULL, n, sizeof(*req->pub.headers));
	for (size_t i = 0; i < n; i++) {
		req->pub.headers[i].name = req->hdrdata.buf + c->hoffs[2 * i];
		req->pub.headers[i].value = req->hdrdata.buf + c->hoffs[2 * i + 1];
	}
	req->pub.nheaders = n;
}

/* Answer "Expect: 100-continue" before the body comes; -1 if that broke the
 * connection (half an interim answer went out).  When nothing could be sent
 * the client sends its body anyway, after a delay. */
static int
parse_continue(struct http_conn *c)
{
	static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
	const char *expect = http_request_header(c->cur, "Expect");
	uv_buf_t buf = uv_buf_init((char *)msg, sizeof(msg) - 1);
	int r;

	if (expect == NULL || strcasecmp(expect, "100-continue") != 0)
		return 0;
	r = uv_try_write((uv_stream_t *)c->tcp, &buf, 1);
	return r > 0 && r < (int)buf.len ? -1 : 0;
}

static int
on_headers_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;
	struct http_request *req = c->cur;
	int has_length = (p->flags & F_CONTENT_LENGTH) != 0;

	req->method = llhttp_method_name(llhttp_get_method(p));
	parse_set_headers(c);
	c->headers_done = 1;
	if (has_length && p->content_length > c->server->opts.max_body) {
		c->fail_status = 413;
		return -1;
	}
	if (!(p->flags & F_CHUNKED) && !(has_length && p->content_length > 0))
		return 0;
	if (has_length)
		strbuf_grow(&req->body, (size_t)p->content_length);
	if (p->http_major == 1 && p->http_minor >= 1 && parse_continue(c) != 0) {
		c->fail_status = -1;
		return -1;
	}
	http_conn_timer(c, CONN_TIMER_BODY);
	return 0;
}

static int
on_chunk_header(llhttp_t *p)
{
	struct http_conn *c = p->data;

	if (p->content_length > c->server->opts.max_body - c->cur->body.len)
		return parse_refuse(c, 413);
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;

	if (n > c->server->opts.max_body - c->cur->body.len)
		return parse_refuse(c, 413);
	strbuf_add(&c->cur->body, at, n);
	return 0;
}

static int
on_message_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;

	c->inflight = c->cur;
	c->cur = NULL;
	c->upgrade = llhttp_get_upgrade(p) != 0;
	c->keep_alive = llhttp_should_keep_alive(p) && !c->upgrade;
	if (!c->keep_alive)
		c->discard = 1;
	http_conn_timer(c, CONN_TIMER_NONE);
	return HPE_PAUSED;
}

const llhttp_settings_t http_parse_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_chunk_header = on_chunk_header,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};
