/*
 * http: the HTTP/1.1 server on libuv + llhttp.
 *
 * One server per daemon, on the daemon's loop.  Connections are keep-alive and
 * may pipeline: requests on one connection are answered strictly in order (the
 * connection stops parsing while a request awaits its response).  Limits:
 * request line + headers above max_header bytes -> 431, a body above max_body
 * -> 413, headers not complete within header_timeout_ms -> the connection is
 * closed (408 if nothing was answered yet), an idle keep-alive connection is
 * closed after idle_timeout_ms.  Malformed requests get 400 and the connection
 * is closed.  Every error body is JSON: {"error":{"code":...,"message":...}}.
 *
 * A request body must be JSON: a non-empty body without Content-Type
 * application/json gets 415 (unsupported_media_type), one that does not parse
 * 400 (malformed_json, naming line and column); handlers get it in req->json.
 *
 * Each request is routed through the route table (router.h); 404 for an unknown
 * path, 405 with an Allow header for a known path with another method.  HEAD is
 * not implied by GET: it is 405 unless a route names it (its answer then goes
 * out without the body).  Before its handler, every matched route passes the
 * server's authorize hook with the route's required role (a hook returning -1
 * without answering gets a 403 sent for it).
 *
 * Responses always carry Content-Length (except 1xx/204/304, which have no
 * body, and streams, below), Content-Type and "Connection: keep-alive" or "Connection: close".  The
 * connection closes after the response to a request with "Connection: close",
 * an HTTP/1.0 request without keep-alive, an Upgrade request (unless its
 * handler takes the connection over with http_detach), a refused request
 * (400, 408, 413, 431), or any answer sent during shutdown; closing
 * sends our FIN first and drains the client for up to 2 s so that it reads the
 * answer instead of a reset.  The header timeout runs from accept, and from the
 * first byte of each later request, until its headers are complete; a body
 * that stalls for idle_timeout_ms is also answered 408.  "Expect: 100-continue"
 * gets its interim answer when the body is within max_body.  The process
 * ignores SIGPIPE from http_server_new on.
 *
 * Ownership: the server owns each struct http_request.  A handler must answer
 * exactly once with one of the http_respond* calls (or a stream, ended by
 * http_stream_end), either before it returns or later from the loop
 * (asynchronously); after answering, req is no longer valid.  If the client vanishes before an asynchronous answer, the request is
 * kept until the handler answers, and the answer is discarded.
 *
 * Protocol switch: an Upgrade request stops the connection reading until it is
 * answered.  Its handler may answer normally (the connection then closes) or
 * call http_detach, which answers with the caller's 101 head and hands over the
 * socket: the caller owns the uv_tcp_t from then on, and the connection no
 * longer exists for the server (http_server_shutdown does not wait for it).
 *
 * Streaming: instead of http_respond, a handler (or later code on the loop)
 * may answer with http_stream_begin, send the body in pieces with
 * http_stream_write and finish with http_stream_end, which frees req.  An
 * HTTP/1.1 request gets "Transfer-Encoding: chunked" (one chunk per write, the
 * empty last chunk at the end) and its connection stays usable; an HTTP/1.0
 * request gets a body delimited by the connection's close.  Requests pipelined
 * behind a stream wait for its end.  No timeout applies while the producer is
 * silent; a client that takes none of the queued bytes for idle_timeout_ms is
 * dropped.  Writes are copied when the socket cannot take them at once:
 * http_stream_queued tells how many bytes wait, so that a producer pauses
 * (at a few hundred KiB, say) instead of letting a slow reader grow the queue.
 *
 * The producer learns that no one will read more from http_stream_write
 * returning -1, or from the on_gone callback given to http_stream_begin,
 * called from the loop (never from inside an http_stream_* call) when that
 * happens between writes; on_gone is called at most once, and never after
 * http_stream_end.  Either way the producer stops and calls http_stream_end,
 * which then only frees req.  The client is gone when its connection fails,
 * when it shuts down its sending side (a half-close has no use while a
 * response streams, so it counts as leaving), or at the stall timeout above.
 *
 * Observing: http_server_observe installs a function told, with the
 * server's ctx, of every status line written on a connection: handlers'
 * answers and stream heads, the server's own refusals (400, 404, 405, 408,
 * 413, 415, 431, 503) and protocol switches (101, when http_detach hands the
 * socket over).  It is not told of the interim "100 Continue", nor of answers
 * discarded because their client had gone.  It gets the route that answered
 * (NULL when the request matched none or was refused before routing) and the
 * request's method (llhttp's static name, "" when the request line was not
 * parsed); whoever counts by them keeps the labels bounded.
 *
 * Shutdown cuts open streams: http_server_shutdown tells their producers
 * through on_gone, flushes what was already written (for up to 2 s) and
 * closes without the last chunk, so an HTTP/1.1 client sees a truncated
 * answer, not a complete one.  A stream begun during shutdown is answered 503
 * (shutting_down).
 */
#ifndef SANDO_HTTP_H
#define SANDO_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/strbuf.h"
#include "net/router.h"

struct http_server;
struct http_conn;

struct http_header {
	char *name;  /* as sent; compare case-insensitively */
	char *value; /* leading/trailing whitespace removed */
};

struct http_request {
	struct http_conn *conn; /* NULL once the client has gone */
	struct http_server *server;
	const char *method;   /* "GET", "POST", ... */
	struct strbuf target; /* raw request target: path + '?' + query */
	struct strbuf path;   /* raw path (no query), still percent-encoded */
	struct strbuf query;  /* raw query without '?' ("" if none) */
	size_t nheaders;
	struct http_header *headers;
	struct strbuf body;
	json_t *json;               /* the parsed body (NULL when empty); owned by req */
	const struct route *route;  /* the matched route */
	struct route_params params; /* its bound placeholders (point into path) */
	void *identity;             /* set by the authorize hook, if any */
};

/* Authorization hook: return 0 to let the request through to its handler, or
 * answer the request itself (401/403) and return -1. */
typedef int (*http_authorize_fn)(struct http_request *req, enum role required, void *ctx);

struct http_server_options {
	size_t max_header;          /* bytes of request line + headers; default 16 KiB */
	size_t max_body;            /* default 1 MiB */
	uint64_t header_timeout_ms; /* default 10 s */
	uint64_t idle_timeout_ms;   /* default 60 s */
};

/* A server on loop with the given route table (not copied: it must outlive the
 * server), authorize hook and context passed to handlers and the hook.  opts
 * may be NULL for the defaults. */
struct http_server *http_server_new(uv_loop_t *loop, const struct route *routes, size_t nroutes,
    http_authorize_fn authorize, void *ctx, const struct http_server_options *opts);

/* Observer of the answers sent (see "Observing" above): the route (NULL if
 * none), the method ("" if unknown) and the status; ctx is the server's. */
typedef void (*http_observe_fn)(
    const struct route *route, const char *method, int status, void *ctx);

/* Have fn told of every answer srv writes from now on (NULL: no one). */
void http_server_observe(struct http_server *srv, http_observe_fn fn);

/* Bind and listen on "host:port" ("[::1]:port" for IPv6; port 0 picks a free
 * one).  0 on success; -1 with a message in err. */
int http_server_listen(struct http_server *srv, const char *hostport, struct strbuf *err);

/* The port actually bound (useful after listening on port 0). */
int http_server_port(const struct http_server *srv);

/* Stop accepting, let in-flight responses finish, close idle connections; when
 * every connection is closed call done(arg) (from the loop). */
void http_server_shutdown(struct http_server *srv, void (*done)(void *arg), void *arg);

/* Free a server after its shutdown completed. */
void http_server_free(struct http_server *srv);

/* The value of header name (case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);

/* Append the decoded query parameter name ('+' is a space, first occurrence
 * wins, "?name" alone is "") to out; 0 if present, -1 if absent or badly
 * encoded (out unchanged). */
int http_query_get(const struct http_request *req, const char *name, struct strbuf *out);

/* Append len bytes of s, percent-decoded ('+' stays '+'), to out; -1 on a bad
 * escape or a decoded NUL (out unchanged). */
int http_url_decode(const char *s, size_t len, struct strbuf *out);

/* Add "name: value" to the response req will get (Allow, WWW-Authenticate,
 * Set-Cookie...); call it before answering.  A line break in either, or a ':'
 * in the name, is refused (logged and dropped). */
void http_add_response_header(struct http_request *req, const char *name, const char *value);

/* Answer with status and a body of content_type (the body is copied). */
void http_respond(
    struct http_request *req, int status, const char *content_type, const char *body, size_t len);

/* Answer req by switching protocols and take its connection over.  head is
 * the complete answer (status line, headers and the blank line; copied),
 * queued as the first write on the socket; the HTTP side of the connection
 * (parser, timers) is stopped and req is freed.  On success *tcp is the
 * connection's handle, heap-allocated and now the caller's (not reading, its
 * data pointer free for the caller; uv_close it and free() it in the close
 * callback), the bytes the client sent past the request are appended to
 * leftover, and 0 is returned.  If the client has gone or the socket failed
 * (req freed, connection closed), or the server is shutting down (answered
 * 503), *tcp is NULL and -1 is returned. */
int http_detach(struct http_request *req, const char *head, size_t len, uv_tcp_t **tcp,
    struct strbuf *leftover);

/* Answer with status and a JSON body; takes ownership of (steals) json.  A NULL
 * json (a failed json_pack) is answered 500 internal. */
void http_respond_json(struct http_request *req, int status, json_t *json);

/* Answer with status and {"error":{"code":code,"message":...}}. */
void http_respond_error(struct http_request *req, int status, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* Told that a stream's client has gone (see "Streaming" above); req is still
 * the producer's, to be ended with http_stream_end. */
typedef void (*http_stream_gone_fn)(struct http_request *req, void *arg);

/* Answer req with a streaming response: send the head with status and
 * content_type, plus any response headers added before.  on_gone (may be
 * NULL) is called with arg if the client goes between writes.  0 if the
 * stream is open; -1 if the client has gone or the server is shutting down
 * (then answered 503).  A HEAD request, or a status without a body (1xx,
 * 204, 304), gets the head alone as its whole answer: begin returns 0 and
 * every write -1.  Whatever the result, req stays the caller's until
 * http_stream_end. */
int http_stream_begin(struct http_request *req, int status, const char *content_type,
    http_stream_gone_fn on_gone, void *arg);

/* Send len bytes (copied if they cannot go out at once; len 0 sends nothing)
 * as one chunk of req's stream; 0, or -1 when no one will read them (the
 * client has gone, the server is shutting down, or the stream failed to begin). */
int http_stream_write(struct http_request *req, const char *buf, size_t len);

/* Bytes written to req's stream that the socket has not taken yet (0 once the
 * client has gone). */
size_t http_stream_queued(const struct http_request *req);

/* End req's stream (the last chunk; for HTTP/1.0 the connection's close) and
 * free req; if the client has gone, only free it. */
void http_stream_end(struct http_request *req);

/* The reason phrase for a status code ("Not Found"). */
const char *http_status_text(int status);

#endif
