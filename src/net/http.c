/*
 * http: the server's life cycle, listening, and the request accessors.
 * Connections live in http_conn.c, responses in http_reply.c.
 */
#include "net/http.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_int.h"

#define HTTP_DEFAULT_MAX_HEADER (16 * 1024)
#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)
#define HTTP_DEFAULT_HEADER_TIMEOUT_MS 10000
#define HTTP_DEFAULT_IDLE_TIMEOUT_MS 60000
#define HTTP_BACKLOG 1024

struct http_server *
http_server_new(uv_loop_t *loop, const struct route *routes, size_t nroutes,
    http_authorize_fn authorize, void *ctx, const struct http_server_options *opts)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));

	srv->loop = loop;
	srv->routes = routes;
	srv->nroutes = nroutes;
	srv->authorize = authorize;
	srv->ctx = ctx;
	if (opts)
		srv->opts = *opts;
	if (!srv->opts.max_header)
		srv->opts.max_header = HTTP_DEFAULT_MAX_HEADER;
	if (!srv->opts.max_body)
		srv->opts.max_body = HTTP_DEFAULT_MAX_BODY;
	if (!srv->opts.header_timeout_ms)
		srv->opts.header_timeout_ms = HTTP_DEFAULT_HEADER_TIMEOUT_MS;
	if (!srv->opts.idle_timeout_ms)
		srv->opts.idle_timeout_ms = HTTP_DEFAULT_IDLE_TIMEOUT_MS;
	if (uv_tcp_init(loop, &srv->listener) != 0)
		fatalx("http: cannot initialise the listener");
	srv->listener.data = srv;
	/* A client that vanishes must cost a write error, not the process. */
	signal(SIGPIPE, SIG_IGN);
	return srv;
}

void
http_server_observe(struct http_server *srv, http_observe_fn fn)
{
	srv->observe = fn;
}

/* Split "host:port" or "[v6]:port" into host and port; -1 if malformed. */
static int
parse_hostport(const char *hostport, struct strbuf *host, int *port)
{
	const char *colon, *end;
	char *stop;
	long n;

	if (hostport[0] == '[') {
		end = strchr(hostport, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		strbuf_add(host, hostport + 1, (size_t)(end - hostport - 1));
		colon = end + 1;
	} else {
		colon = strrchr(hostport, ':');
		if (colon == NULL || memchr(hostport, ':', (size_t)(colon - hostport)))
			return -1;
		strbuf_add(host, hostport, (size_t)(colon - hostport));
	}
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	n = strtol(colon + 1, &stop, 10);
	if (*stop != '\0' || n < 0 || n > 65535 || host->len == 0)
		return -1;
	*port = (int)n;
	return 0;
}

/* Resolve host (a literal address or "localhost") and port into ss. */
static int
make_addr(const char *host, int port, struct sockaddr_storage *ss)
{
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
		return 0;
	return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
}

static void
on_connection(uv_stream_t *listener, int status)
{
	struct http_server *srv = listener->data;

	if (status < 0) {
		log_warnx("http: accept failed: %s", uv_strerror(status));
		return;
	}
	http_conn_accept(srv);
}

/* The port the listener is bound to, or -1. */
static int
bound_port(uv_tcp_t *tcp)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int
http_server_listen(struct http_server *srv, const char *hostport, struct strbuf *err)
{
	struct strbuf host = STRBUF_INIT;
	struct sockaddr_storage ss;
	int port, r;

	if (parse_hostport(hostport, &host, &port) != 0) {
		strbuf_addf(err, "bad listen address '%s': want host:port or [v6]:port", hostport);
		strbuf_release(&host);
		return -1;
	}
	r = make_addr(host.buf, port, &ss);
	strbuf_release(&host);
	if (r != 0) {
		strbuf_addf(err, "bad listen address '%s': %s", hostport, uv_strerror(r));
		return -1;
	}
	r = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&srv->listener, HTTP_BACKLOG, on_connection);
	if (r != 0) {
		strbuf_addf(err, "cannot listen on '%s': %s", hostport, uv_strerror(r));
		return -1;
	}
	srv->port = bound_port(&srv->listener);
	return 0;
}

int
http_server_port(const struct http_server *srv)
{
	return srv->port;
}

static void
server_check_done(struct http_server *srv)
{
	void (*done)(void *) = srv->done;

	if (!srv->closing || !srv->listener_closed || srv->nconns > 0 || done == NULL)
		return;
	srv->done = NULL;
	done(srv->done_arg);
}

static void
on_listener_close(uv_handle_t *handle)
{
	struct http_server *srv = handle->data;

	srv->listener_closed = 1;
	server_check_done(srv);
}

void
http_server_conn_gone(struct http_server *srv, struct http_conn *conn)
{
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		srv->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	srv->nconns--;
	server_check_done(srv);
}

void
http_server_shutdown(struct http_server *srv, void (*done)(void *arg), void *arg)
{
	struct http_conn *conn, *next;

	srv->done = done;
	srv->done_arg = arg;
	if (srv->closing)
		return;
	srv->closing = 1;
	uv_close((uv_handle_t *)&srv->listener, on_listener_close);
	for (conn = srv->conns; conn; conn = next) {
		next = conn->next;
		if (conn->streaming)
			http_conn_stream_cut(conn); /* its producer is told; see http.h */
		else if (conn->inflight || conn->writing)
			conn->discard = 1; /* answered with Connection: close */
		else
			http_conn_close(conn);
	}
}

void
http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->nconns > 0 || !srv->listener_closed)
		fatalx("http: server freed before its shutdown completed");
	free(srv);
}

struct http_request *
http_request_new(struct http_conn *conn)
{
	struct http_req *req = xcalloc(1, sizeof(*req));

	strbuf_init(&req->pub.target, 0);
	strbuf_init(&req->pub.path, 0);
	strbuf_init(&req->pub.query, 0);
	strbuf_init(&req->pub.body, 0);
	strbuf_init(&req->hdrdata, 0);
	strbuf_init(&req->resp_extra, 0);
	req->pub.conn = conn;
	req->pub.server = conn->server;
	req->pub.method = "";
	return &req->pub;
}

void
http_request_free(struct http_request *pub)
{
	struct http_req *req = (struct http_req *)pub;

	strbuf_release(&pub->target);
	strbuf_release(&pub->path);
	strbuf_release(&pub->query);
	strbuf_release(&pub->body);
	json_decref(pub->json);
	free(pub->headers);
	strbuf_release(&req->hdrdata);
	strbuf_release(&req->resp_extra);
	free(req);
}

int
http_request_parse_body(struct http_request *req)
{
	const char *ct = http_request_header(req, "Content-Type");
	size_t n = strlen("application/json");
	json_error_t jerr;

	if (req->body.len == 0)
		return 0;
	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0 ||
	    (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
		http_respond_error(
		    req, 415, "unsupported_media_type", "a request body must be application/json");
		return -1;
	}
	req->json = json_loadb(
	    req->body.buf, req->body.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req->json == NULL) {
		http_respond_error(req, 400, "malformed_json",
		    "malformed JSON body at line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text);
		return -1;
	}
	return 0;
}

const char *
http_request_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s into out, '+' as a space if plus_space; -1 leaves out as it was. */
static int
url_decode(const char *s, size_t len, int plus_space, struct strbuf *out)
{
	size_t start = out->len;

	strbuf_grow(out, len);
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;

			if (lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		} else if (c == '\0') {
			goto bad;
		}
		strbuf_addch(out, c);
	}
	return 0;
bad:
	strbuf_setlen(out, start);
	return -1;
}

int
http_url_decode(const char *s, size_t len, struct strbuf *out)
{
	return url_decode(s, len, 0, out);
}

int
http_query_get(const struct http_request *req, const char *name, struct strbuf *out)
{
	struct strbuf key = STRBUF_INIT;
	const char *p = req->query.buf, *end = p + req->query.len;
	int ret = -1;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		strbuf_reset(&key);
		if (url_decode(p, (size_t)((eq ? eq : stop) - p), 1, &key) == 0 &&
		    strcmp(key.buf, name) == 0) {
			ret = eq ? url_decode(eq + 1, (size_t)(stop - eq - 1), 1, out) : 0;
			break; /* the first occurrence decides */
		}
		p = stop + 1;
	}
	strbuf_release(&key);
	return ret;
}

static const struct {
	int status;
	const char *text;
} status_texts[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *
http_status_text(int status)
{
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Unknown";
}
