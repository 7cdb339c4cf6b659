/*
 * http.h - the HTTP/1.1 subset demo-app speaks: request heads parsed from a
 * bounded buffer, responses written to a socket.
 *
 * Rules: a request is parsed in place from the caller's buffer and copies what
 * it keeps into fixed, bounded fields; anything that does not fit is refused
 * with a status (414, 431, 413), never truncated.  One request per connection
 * (every response says "Connection: close").  A struct http_response owns its
 * body and its file descriptor; http_response_release() frees both.
 */
#ifndef DEMO_HTTP_H
#define DEMO_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#define HTTP_HEAD_MAX 8192   /* request line + headers */
#define HTTP_BODY_MAX 65536  /* request body */
#define HTTP_TARGET_MAX 2048 /* request target */
#define HTTP_AUTH_MAX 1024   /* Authorization header value */

struct http_request {
	char method[8];
	char target[HTTP_TARGET_MAX]; /* as received, for the log */
	char path[HTTP_TARGET_MAX];   /* percent-decoded, without query */
	char auth[HTTP_AUTH_MAX];     /* Authorization value, "" if absent */
	size_t content_length;
	const char *body; /* points into the caller's buffer, set by the caller */
	size_t body_len;
};

struct http_response {
	int status;
	const char *content_type; /* static string */
	const char *allow;        /* Allow header for 405, static string or NULL */
	int bearer_challenge;     /* send "WWW-Authenticate: Bearer" */
	int head_only;            /* HEAD: headers only */
	char *body;               /* owned */
	size_t body_len;
	int file_fd; /* owned; body comes from this file when >= 0 */
	off_t file_size;
};

/*
 * Parse the request head at the start of buf.  Returns the length of the head
 * (through the blank line) when it is complete, 0 when more bytes are needed,
 * or minus an HTTP status (-400, -413, -414, -431, -501, -505) when the
 * request must be refused.
 */
int http_parse_head(const char *buf, size_t len, struct http_request *req);

/* Percent-decode src (up to '?' or '#') into dst; -1 on a bad escape, %00 or overflow. */
int http_decode_path(const char *src, char *dst, size_t dstsize);

/* Prepare an empty response (status 500, no body). */
void http_response_init(struct http_response *res);

/* Set status and a body formatted with printf-style fmt; replaces any earlier body. */
void http_response_set(struct http_response *res, int status, const char *type, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* Set a JSON error response {"error":"message"}. */
void http_response_error(struct http_response *res, int status, const char *message);

/* Free the response's body and close its file. */
void http_response_release(struct http_response *res);

/* Write the response to fd; returns bytes of body sent, or -1 on a write error. */
long http_response_write(int fd, const struct http_response *res);

/* The reason phrase of a status ("Not Found"). */
const char *http_reason(int status);

#endif
