/* http.c - request head parser and response writer; see http.h. */
#include "http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Find "\r\n" in [p, end); NULL if absent. */
static const char *
find_crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static int
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_decode_path(const char *src, char *dst, size_t dstsize)
{
	size_t n = 0;
	int hi, lo;

	for (; *src != '\0' && *src != '?' && *src != '#'; src++) {
		char c = *src;

		if (c == '%') {
			if ((hi = hexval(src[1])) < 0 || (lo = hexval(src[2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			if (c == '\0')
				return -1;
			src += 2;
		}
		if (n + 1 >= dstsize)
			return -1;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return 0;
}

/* Parse "METHOD SP target SP HTTP/1.x" in [p, end). */
static int
parse_request_line(const char *p, const char *end, struct http_request *req)
{
	const char *sp1 = memchr(p, ' ', (size_t)(end - p)), *sp2, *v;
	size_t n;

	if (sp1 == NULL || sp1 == p)
		return -400;
	for (n = 0; p + n < sp1; n++)
		if (p[n] < 'A' || p[n] > 'Z')
			return -400;
	if (n >= sizeof req->method)
		return -501;
	memcpy(req->method, p, n);
	req->method[n] = '\0';
	if ((sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL)
		return -400;
	n = (size_t)(sp2 - sp1 - 1);
	if (n == 0 || sp1[1] != '/')
		return -400;
	if (n >= sizeof req->target)
		return -414;
	memcpy(req->target, sp1 + 1, n);
	req->target[n] = '\0';
	if (strlen(req->target) != n || strpbrk(req->target, " \t\r\n") != NULL)
		return -400;
	v = sp2 + 1;
	if ((size_t)(end - v) != 8 || strncmp(v, "HTTP/1.", 7) != 0)
		return (end - v >= 5 && strncmp(v, "HTTP/", 5) == 0) ? -505 : -400;
	if (v[7] != '0' && v[7] != '1')
		return -505;
	if (http_decode_path(req->target, req->path, sizeof req->path) < 0)
		return -400;
	return 0;
}

/* Parse one "Name: value" header line in [p, end). */
static int
parse_header(const char *p, const char *end, struct http_request *req, int *seen_length)
{
	const char *colon = memchr(p, ':', (size_t)(end - p)), *v, *q;
	size_t namelen, vlen;
	unsigned long length;

	if (colon == NULL || colon == p)
		return -400;
	for (q = p; q < colon; q++)
		if (!is_tchar(*q))
			return -400;
	namelen = (size_t)(colon - p);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	vlen = (size_t)(end - v);
	if (memchr(v, '\0', vlen) != NULL)
		return -400;
	if (namelen == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
		if (vlen == 0 || vlen > 9)
			return vlen == 0 ? -400 : -413;
		for (length = 0, q = v; q < end; q++) {
			if (*q < '0' || *q > '9')
				return -400;
			length = length * 10 + (unsigned long)(*q - '0');
		}
		if (*seen_length && length != req->content_length)
			return -400;
		if (length > HTTP_BODY_MAX)
			return -413;
		*seen_length = 1;
		req->content_length = length;
	} else if (namelen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
		return -501;
	} else if (namelen == 13 && strncasecmp(p, "Authorization", 13) == 0) {
		if (vlen >= sizeof req->auth)
			return -431;
		memcpy(req->auth, v, vlen);
		req->auth[vlen] = '\0';
	}
	return 0;
}

int
http_parse_head(const char *buf, size_t len, struct http_request *req)
{
	const char *end = buf + (len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX);
	const char *p = buf, *eol;
	int rc, seen_length = 0;

	memset(req, 0, sizeof *req);
	if ((eol = find_crlf(p, end)) == NULL)
		return len >= HTTP_HEAD_MAX ? -431 : 0;
	if ((rc = parse_request_line(p, eol, req)) < 0)
		return rc;
	for (p = eol + 2;; p = eol + 2) {
		if ((eol = find_crlf(p, end)) == NULL)
			return len >= HTTP_HEAD_MAX ? -431 : 0;
		if (eol == p)
			break;
		if (*p == ' ' || *p == '\t')
			return -400; /* obsolete line folding */
		if ((rc = parse_header(p, eol, req, &seen_length)) < 0)
			return rc;
	}
	return (int)(eol + 2 - buf);
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

void
http_response_init(struct http_response *res)
{
	memset(res, 0, sizeof *res);
	res->status = 500;
	res->content_type = "text/plain";
	res->file_fd = -1;
}

void
http_response_set(struct http_response *res, int status, const char *type, const char *fmt, ...)
{
	va_list ap;
	int n;

	free(res->body);
	res->body = NULL;
	res->body_len = 0;
	res->status = status;
	res->content_type = type;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (res->body = malloc((size_t)n + 1)) == NULL) {
		res->status = 500;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(res->body, (size_t)n + 1, fmt, ap);
	va_end(ap);
	res->body_len = (size_t)n;
}

void
http_response_error(struct http_response *res, int status, const char *message)
{
	http_response_set(res, status, "application/json", "{\"error\":\"%s\"}\n", message);
}

void
http_response_release(struct http_response *res)
{
	free(res->body);
	res->body = NULL;
	if (res->file_fd >= 0)
		close(res->file_fd);
	res->file_fd = -1;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy the response's file to fd, at most file_size bytes. */
static long
write_file(int fd, const struct http_response *res)
{
	char buf[16384];
	long sent = 0;
	ssize_t n;

	while (sent < (long)res->file_size) {
		if ((n = read(res->file_fd, buf, sizeof buf)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* the file shrank or failed: the client sees a short body */
		if (n > (long)res->file_size - sent)
			n = (long)res->file_size - sent;
		if (write_all(fd, buf, (size_t)n) < 0)
			return -1;
		sent += n;
	}
	return sent;
}

long
http_response_write(int fd, const struct http_response *res)
{
	char head[512];
	size_t len = res->file_fd >= 0 ? (size_t)res->file_size : res->body_len;
	int n;

	if (res->status == 204)
		n = snprintf(
		    head, sizeof head, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	else
		n = snprintf(head, sizeof head,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n%s%s%s%s\r\n",
		    res->status, http_reason(res->status), res->content_type, len,
		    res->allow ? "Allow: " : "", res->allow ? res->allow : "",
		    res->allow ? "\r\n" : "",
		    res->bearer_challenge ? "WWW-Authenticate: Bearer\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof head || write_all(fd, head, (size_t)n) < 0)
		return -1;
	if (res->status == 204 || res->head_only)
		return 0;
	if (res->file_fd >= 0)
		return write_file(fd, res);
	if (write_all(fd, res->body, res->body_len) < 0)
		return -1;
	return (long)res->body_len;
}
