/*
 * ws_url: the URLs ws_client connects to, "http://host[:port][/path][?query]"
 * ("ws://" alike), parsed into host, port, request target and Host header.
 */
#include <string.h>
#include <strings.h>

#include "net/ws_client.h"

static int
url_port(const char *s, size_t len, int *port)
{
	long n = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (n < 1 || n > 65535)
		return -1;
	*port = (int)n;
	return 0;
}

/* Split the authority a (len bytes) into u's host and port; -1 if malformed. */
static int
url_authority(const char *a, size_t len, struct ws_url *u)
{
	const char *colon;

	if (len > 0 && a[0] == '[') {
		const char *end = memchr(a, ']', len);

		if (end == NULL || end == a + 1)
			return -1;
		strbuf_add(&u->host, a + 1, (size_t)(end - a - 1));
		colon = end + 1 < a + len ? end + 1 : NULL;
		if (colon && *colon != ':')
			return -1;
	} else {
		colon = memchr(a, ':', len);
		strbuf_add(&u->host, a, colon ? (size_t)(colon - a) : len);
		if (u->host.len == 0 || (colon && memchr(colon + 1, ':', len - (colon + 1 - a))))
			return -1;
	}
	if (colon && url_port(colon + 1, len - (size_t)(colon + 1 - a), &u->port) != 0)
		return -1;
	for (size_t i = 0; i < u->host.len; i++)
		if ((unsigned char)u->host.buf[i] <= ' ' || strchr("@/?#", u->host.buf[i]))
			return -1;
	if (strchr(u->host.buf, ':'))
		strbuf_addf(&u->authority, "[%s]:%d", u->host.buf, u->port);
	else
		strbuf_addf(&u->authority, "%s:%d", u->host.buf, u->port);
	return 0;
}

int
ws_url_parse(const char *url, struct ws_url *u, struct strbuf *err)
{
	const char *p = NULL;
	size_t alen, tlen;

	strbuf_init(&u->host, 0);
	strbuf_init(&u->target, 0);
	strbuf_init(&u->authority, 0);
	u->port = 80;
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "ws://", 5) == 0)
		p = url + 5;
	if (p == NULL) {
		strbuf_addf(err, "bad url '%s': want http://host:port/path%s", url,
		    strncasecmp(url, "https:", 6) && strncasecmp(url, "wss:", 4) ? ""
		                                                                 : " (no TLS)");
		return -1;
	}
	alen = strcspn(p, "/?#");
	if (url_authority(p, alen, u) != 0) {
		strbuf_addf(err, "bad url '%s': want host, host:port or [v6]:port", url);
		return -1;
	}
	p += alen;
	tlen = strcspn(p, "#");
	if (p[0] != '/')
		strbuf_addch(&u->target, '/');
	strbuf_add(&u->target, p, tlen);
	for (size_t i = 0; i < u->target.len; i++) {
		if ((unsigned char)u->target.buf[i] <= ' ' || u->target.buf[i] == 0x7f) {
			strbuf_addf(err,
			    "bad url '%s': spaces and control characters must be "
			    "percent-encoded",
			    url);
			return -1;
		}
	}
	return 0;
}

void
ws_url_release(struct ws_url *u)
{
	strbuf_release(&u->host);
	strbuf_release(&u->target);
	strbuf_release(&u->authority);
}
