/*
 * http_client: one asynchronous HTTP/1.1 request on libuv, for health checks,
 * webhooks and the agent: resolve, connect, send, read the whole response
 * (Content-Length, chunked, or until the server closes), report.
 *
 * Life cycle: http_client_start -> on_done, exactly once, always from the
 * loop (never from inside http_client_start or http_client_cancel).  The
 * request frees itself when on_done has returned and its handles have closed
 * (the loop runs until then): the struct http_client pointer must not be used
 * after on_done.  The result and its strings live only during on_done.
 *
 * Results: any HTTP status is a result (status != 0, error NULL); redirects
 * are not followed.  When no complete response came, status is 0 and error
 * says why, lowercase and short: "connection refused" (libuv's text), "timed
 * out after 2000 ms", "cancelled", "cannot resolve 'x': unknown node or
 * service", "malformed response (HPE_INVALID_CONSTANT)"...  A body longer
 * than body_max is truncated to body_max bytes and ends the request there,
 * with the status (so an endless stream is a result too, not a timeout).
 * Interim answers (1xx but 101) are skipped; a HEAD answer has no body.
 *
 * The request: "METHOD target HTTP/1.1", then Host (unless the caller gives
 * one), Connection: close, Content-Length when there is a body, then the
 * caller's headers.  The caller may not set Connection, Content-Length or
 * Transfer-Encoding, and header lines may not hold CR or LF.
 *
 * Ownership: http_client_start copies what it needs from the options (the
 * URL, headers and body); the caller keeps its strings.  A host name is
 * resolved with uv_getaddrinfo and its addresses are tried in turn.  No TLS:
 * "https:" URLs are refused.  SIGPIPE is ignored from the first request on.
 */
#ifndef SANDO_HTTP_CLIENT_H
#define SANDO_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/strbuf.h"

struct http_client;

struct http_client_result {
	int status;           /* HTTP status, or 0 when no response came (then error is set) */
	const char *error;    /* why there is no status; NULL when status != 0 */
	const char *body;     /* response body (up to body_max bytes, NUL-terminated), never NULL */
	size_t body_len;      /* bytes in body */
	uint64_t duration_ms; /* from http_client_start to on_done */
};

struct http_client_options {
	const char *method;         /* "GET" default */
	const char *url;            /* "http://host[:port]/path?query"; host: IPv4, [IPv6], name */
	const char *const *headers; /* "Name: value" strings, NULL-terminated, may be NULL */
	const char *body;           /* sent with Content-Length when not NULL */
	size_t body_len;
	uint64_t timeout_ms; /* the whole request; 0: 10000 */
	size_t body_max;     /* 0: 64 KiB; a longer body is truncated (not an error) */
	void (*on_done)(const struct http_client_result *r, void *arg);
	void *arg;
	/* When set, a 2xx answer's body is handed over here as it arrives (for
	 * streams such as a followed log) instead of being kept (result.body is
	 * then ""; body_max does not apply); other answers are kept as usual. */
	void (*on_body)(const char *buf, size_t len, void *arg);
};

/* Start a request on loop; 0 with *out set (out may be NULL), or -1 with a
 * message in err ("invalid url 'x': ...") for malformed options, and then
 * on_done never fires. */
int http_client_start(uv_loop_t *loop, const struct http_client_options *o,
    struct http_client **out, struct strbuf *err);

/* Abort a request in flight: on_done still fires once, from the loop, with
 * status 0 and error "cancelled"; a no-op from inside on_done. */
void http_client_cancel(struct http_client *c);

#endif
