/*
 * http_int: the HTTP server's private structures, shared by http.c (server,
 * listening, request accessors), http_conn.c (one connection: reading,
 * dispatching, timers, writing, closing), http_parse.c (the llhttp callbacks)
 * and http_reply.c (building responses).
 *
 * Rules:
 * - A connection parses at most one request at a time: once a request is
 *   complete the connection stops feeding llhttp (leftover bytes stay in
 *   conn->in) until its response has been written, so answers go out strictly
 *   in order and at most one uv_write is outstanding per connection.
 * - The server owns its connections (a list); a connection owns the request it
 *   is parsing (cur) and the one awaiting its answer (inflight).  When a
 *   connection closes, an inflight request is orphaned (conn = NULL) and freed
 *   when its handler answers.
 * - A connection is freed when both its handles (tcp, timer) have closed.  The
 *   tcp handle is allocated on its own so that http_detach can hand it over
 *   (a protocol switch): the connection then closes only its timer, and is
 *   freed (and stops counting for the shutdown) when that has closed.
 * - An Upgrade request stops reading until it is answered, so that bytes the
 *   client sends after it stay in the socket for whoever takes it over.
 * - A streaming response (http_stream_*) keeps its request in inflight (so
 *   parsing stays paused) with streaming set, from begin to end.  Its writes
 *   are the exception to "one uv_write": each piece the socket does not take
 *   at once is copied into a write request of its own (nswrites of them
 *   outstanding).  After the end, writing is set until they have all
 *   completed; then the connection goes on as after any answer.
 */
#ifndef SANDO_HTTP_INT_H
#define SANDO_HTTP_INT_H

#include <llhttp.h>

#include "net/http.h"

enum conn_timer_mode {
	CONN_TIMER_NONE,
	CONN_TIMER_HEADER, /* headers of a request not complete yet: 408 */
	CONN_TIMER_BODY,   /* a body stalls for idle_timeout_ms: 408 */
	CONN_TIMER_IDLE,   /* keep-alive connection between requests: close */
	CONN_TIMER_LINGER, /* final response sent, waiting for the peer's FIN */
	CONN_TIMER_STREAM, /* stream writes queued and none completes: close */
};

struct http_conn {
	uv_tcp_t *tcp; /* owned (xmalloc); NULL once detached */
	uv_timer_t timer;
	uv_write_t wreq;
	uv_shutdown_t sreq;
	struct http_server *server;
	struct http_conn *prev, *next;
	int nhandles; /* handles still open; freed at 0 */

	llhttp_t parser;
	struct strbuf in; /* bytes read; in.buf[in_off..] not parsed yet */
	size_t in_off;
	struct http_request *cur;      /* being parsed */
	struct http_request *inflight; /* complete, awaiting its answer */
	size_t hbytes;                 /* request line + header bytes so far */
	size_t *hoffs;                 /* name/value offsets into cur's hdrdata */
	size_t nhoffs, ahoffs;
	int fail_status; /* set by a parser callback that refused the request */

	struct strbuf out_head, out_body; /* the response being written */
	enum conn_timer_mode tmode;
	unsigned headers_done : 1; /* cur's headers are complete (trailers are not kept) */
	unsigned keep_alive : 1;   /* the current request lets the connection live */
	unsigned parsing : 1;      /* inside conn_parse */
	unsigned writing : 1;      /* a uv_write is outstanding */
	unsigned reading : 1;      /* uv_read_start is in effect */
	unsigned discard : 1;      /* no more requests: drop what arrives */
	unsigned eof : 1;          /* the peer has shut down its side */
	unsigned lingering : 1;    /* shutdown sent; waiting for EOF */
	unsigned closing : 1;      /* uv_close called */
	unsigned upgrade : 1;      /* inflight is an Upgrade request */
	unsigned streaming : 1;    /* inflight is a streaming response not ended yet */
	unsigned chunked : 1;      /* the stream is chunked (else close-delimited) */
	unsigned nswrites;         /* stream write requests outstanding */
};

struct http_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	const struct route *routes;
	size_t nroutes;
	http_authorize_fn authorize;
	http_observe_fn observe; /* may be NULL */
	void *ctx;
	struct http_server_options opts;
	int port;
	struct http_conn *conns;
	size_t nconns;
	unsigned closing : 1;
	unsigned listener_closed : 1;
	void (*done)(void *arg);
	void *done_arg;
};

/* A request with the server's private parts; pub is first. */
struct http_req {
	struct http_request pub;
	struct strbuf hdrdata;       /* header names and values, NUL-terminated */
	struct strbuf resp_extra;    /* extra response header lines */
	http_stream_gone_fn on_gone; /* a stream's producer; NULL once told or ended */
	void *gone_arg;
	unsigned calling : 1; /* inside an http_stream_* call: no on_gone then */
};

/* The llhttp callbacks filling conn->cur (http_parse.c). */
extern const llhttp_settings_t http_parse_settings;

/* Switch conn's timer to mode, restarting it (http_conn.c). */
void http_conn_timer(struct http_conn *conn, enum conn_timer_mode mode);

/* Accept a new connection from the listener (http_conn.c). */
void http_conn_accept(struct http_server *srv);

/* Close a connection now; orphans its inflight request (http_conn.c). */
void http_conn_close(struct http_conn *conn);

/* Hand conn's socket over (http_detach): stop reading, append the bytes read
 * past the request to leftover, close the rest of the connection and return
 * the tcp handle, now the caller's (http_conn.c). */
uv_tcp_t *http_conn_detach(struct http_conn *conn, struct strbuf *leftover);

/* Write conn->out_head and (unless head_only) conn->out_body as the answer to
 * the current request (http_conn.c). */
void http_conn_send(struct http_conn *conn, int head_only);

/* Start a stream on conn (its inflight request): write conn->out_head and
 * set streaming; -1 if the connection failed and was closed (http_conn.c). */
int http_conn_stream_start(struct http_conn *conn);

/* Write n buffers of a stream, copying what the socket does not take at once
 * (try_first: try to write them at once first); -1 if the connection failed
 * and was closed (http_conn.c). */
int http_conn_stream_write(struct http_conn *conn, uv_buf_t *bufs, unsigned int n, int try_first);

/* End conn's stream: write tail (len may be 0; the last chunk) and go on as
 * after any answer once everything is written (http_conn.c). */
void http_conn_stream_end(struct http_conn *conn, const char *tail, size_t len);

/* Shutdown: orphan conn's stream, flush what is queued and close without the
 * last chunk (so the client sees a cut answer), telling the producer
 * (http_conn.c). */
void http_conn_stream_cut(struct http_conn *conn);

/* Tell a stream's producer, unless it is inside an http_stream_* call or was
 * told already, that its client has gone (http_reply.c). */
void http_stream_gone(struct http_request *req);

/* Answer on conn with an error of its own (parse errors, timeouts), dropping
 * the request being parsed, and close it after the write (http_reply.c). */
void http_conn_reply_error(struct http_conn *conn, int status, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* A new, empty request read from conn (http.c). */
struct http_request *http_request_new(struct http_conn *conn);

/* Free a request and everything it owns (http.c). */
void http_request_free(struct http_request *req);

/* Check and parse a request's body into req->json; -1 after answering 415/400. */
int http_request_parse_body(struct http_request *req);

/* Called when a connection is freed: the shutdown may be complete (http.c). */
void http_server_conn_gone(struct http_server *srv, struct http_conn *conn);

#endif
