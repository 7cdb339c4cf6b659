/*
 * backup_url.c: the pure part of backup.h: parsing and redacting a backup
 * source URL and the rsync argv that fetches it.  No I/O.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "daemon/backup.h"
#include "daemon/config.h"
#include "daemon/deploy/node_ops.h"
#include "daemon/topology.h"

#define URL_MAX 4096

static const char schemes_hint[] = "expected file:///path, rsync://host/module/path or "
                                   "ssh://user@host/path";

static int url_fail(struct backup_url *u, struct strbuf *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
url_fail(struct backup_url *u, struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	backup_url_release(u);
	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether s[0..len) is 1-max bytes of alnum or extra, not starting with '-' or '.'. */
static int
name_ok(const char *s, size_t len, size_t max, const char *extra)
{
	if (len == 0 || len > max || s[0] == '-' || s[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
			return 0;
	return 1;
}

/* A port: 1-5 digits, 1-65535; -1 when not. */
static int
parse_port(const char *s, size_t len)
{
	int port = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535 ? port : -1;
}

/* host[:port] or [v6][:port] of s[0..len) into u. */
static int
parse_hostport(const char *s, size_t len, struct backup_url *u, struct strbuf *err)
{
	const char *end = s + len, *colon, *close;
	size_t hlen;

	if (len > 0 && s[0] == '[') {
		close = memchr(s, ']', len);
		if (close == NULL || close == s + 1 ||
		    strspn(s + 1, "0123456789abcdefABCDEF:.") != (size_t)(close - s - 1))
			return url_fail(
			    u, err, "'%.*s' is not an IPv6 address in brackets", (int)len, s);
		u->host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			return url_fail(
			    u, err, "unexpected '%.*s' after the host", (int)(end - colon), colon);
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
		if (!name_ok(s, hlen, 253, ".-"))
			return url_fail(u, err,
			    "host '%.*s' is not a host name or address (letters, digits, '.' and "
			    "'-', not starting with '-' or '.')",
			    (int)hlen, s);
		u->host = xstrndup(s, hlen);
	}
	if (colon && (u->port = parse_port(colon + 1, (size_t)(end - colon - 1))) == -1)
		return url_fail(
		    u, err, "port '%.*s' is not 1-65535", (int)(end - colon - 1), colon + 1);
	return 0;
}

/* [user[:password]@]host[:port] of s[0..len) into u. */
static int
parse_authority(const char *s, size_t len, struct backup_url *u, struct strbuf *err)
{
	const char *at = NULL, *colon;
	size_t ulen;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '@')
			at = s + i;
	if (len == 0)
		return url_fail(u, err, "the URL names no host");
	if (at == NULL)
		return parse_hostport(s, len, u, err);
	colon = memchr(s, ':', (size_t)(at - s));
	ulen = colon ? (size_t)(colon - s) : (size_t)(at - s);
	if (!name_ok(s, ulen, 64, "._-"))
		return url_fail(u, err,
		    "user '%.*s' is not a user name (letters, digits, '.', '_' and '-', not "
		    "starting with '-' or '.')",
		    (int)ulen, s);
	u->user = xstrndup(s, ulen);
	if (colon && u->scheme == BACKUP_SSH)
		return url_fail(u, err, "ssh:// takes no password: sando logs in with ssh_key");
	if (colon)
		u->password = xstrndup(colon + 1, (size_t)(at - colon - 1));
	return parse_hostport(at + 1, (size_t)(s + len - at - 1), u, err);
}

/* The path: absolute, a file, clean segments of safe characters. */
static int
check_path(const char *p, struct backup_url *u, struct strbuf *err)
{
	static const char extra[] = "._+,=@~:-";
	const char *seg = p + 1, *end;
	size_t len;

	if (p[0] != '/')
		return url_fail(u, err, "the URL has no absolute path");
	for (;; seg = end + 1) {
		end = strchr(seg, '/');
		len = end ? (size_t)(end - seg) : strlen(seg);
		if (len == 0)
			return url_fail(
			    u, err, "path '%s' has an empty segment (it must name a file)", p);
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return url_fail(u, err, "path '%s' has a '.' or '..' segment", p);
		if (seg[0] == '-')
			return url_fail(u, err, "path '%s' has a segment starting with '-'", p);
		for (size_t i = 0; i < len; i++)
			if (!is_alnum((unsigned char)seg[i]) && strchr(extra, seg[i]) == NULL)
				return url_fail(u, err,
				    "path '%s' has the character '%c' (allowed: letters, digits "
				    "and "
				    "'%s/'; no percent-encoding)",
				    p, seg[i], extra);
		if (end == NULL)
			return 0;
	}
}

/* Whether url is printable ASCII of sane length. */
static int
check_bytes(const char *url, struct backup_url *u, struct strbuf *err)
{
	size_t len = strlen(url);

	if (len == 0 || len > URL_MAX)
		return url_fail(u, err, "the URL must be 1-%d bytes", URL_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c < 0x20 || c == 0x7f)
			return url_fail(u, err, "the URL has a control character at byte %zu", i);
		if (c >= 0x80 || c == ' ')
			return url_fail(
			    u, err, "the URL has a space or non-ASCII byte at byte %zu", i);
	}
	return 0;
}

static int
parse_scheme(const char *url, const char **rest, struct backup_url *u, struct strbuf *err)
{
	static const char *const names[] = {"file", "rsync", "ssh"};
	const char *sep = strstr(url, "://");

	if (sep == NULL)
		return url_fail(u, err, "not a URL: %s", schemes_hint);
	for (int i = 0; i < 3; i++)
		if ((size_t)(sep - url) == strlen(names[i]) &&
		    strncmp(url, names[i], strlen(names[i])) == 0) {
			u->scheme = i; /* the order of enum backup_scheme */
			*rest = sep + 3;
			return 0;
		}
	return url_fail(u, err, "unknown scheme '%.*s': %s", (int)(sep - url), url, schemes_hint);
}

int
backup_url_parse(const char *url, struct backup_url *u, struct strbuf *err)
{
	const char *auth = NULL, *path;

	memset(u, 0, sizeof(*u));
	if (check_bytes(url, u, err) == -1 || parse_scheme(url, &auth, u, err) == -1)
		return -1;
	path = strchr(auth, '/');
	if (path == NULL)
		path = auth + strlen(auth);
	if (u->scheme == BACKUP_FILE) {
		if (path != auth &&
		    !((size_t)(path - auth) == 9 && strncmp(auth, "localhost", 9) == 0))
			return url_fail(u, err,
			    "file:// takes an absolute path on this machine: file:///path (not "
			    "host '%.*s')",
			    (int)(path - auth), auth);
	} else if (parse_authority(auth, (size_t)(path - auth), u, err) == -1) {
		return -1;
	}
	if (strpbrk(path, "?#%"))
		return url_fail(u, err, "the URL has a query, fragment or percent-encoding");
	if (check_path(path, u, err) == -1)
		return -1;
	if (u->scheme == BACKUP_RSYNC && strchr(path + 1, '/') == NULL)
		return url_fail(
		    u, err, "rsync:// needs a module and a file: rsync://host/module/path");
	u->path = xstrdup(u->scheme == BACKUP_RSYNC ? path + 1 : path);
	return 0;
}

void
backup_url_release(struct backup_url *u)
{
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

void
backup_url_redact(const char *url, struct strbuf *out)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *colon;

	if (auth == NULL) {
		strbuf_addstr(out, url);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL) {
		strbuf_addstr(out, url);
		return;
	}
	strbuf_add(out, url, (size_t)(colon + 1 - url));
	strbuf_addstr(out, "***");
	strbuf_addstr(out, at);
}

/* Append the host for rsync's command line: IPv6 in brackets. */
static void
add_host(const struct backup_url *u, struct strbuf *out)
{
	if (u->user)
		strbuf_addf(out, "%s@", u->user);
	strbuf_addf(out, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
}

/* rsync's -e: "ssh <options>", an option with a space quoted (rsync splits
 * the string on spaces and honours quotes). */
static void
ssh_command(const struct backup_url *u, const struct daemon_config *cfg, struct strbuf *out)
{
	struct node_ssh s = {cfg, NULL};
	struct node_config n = {.ssh_port = u->port ? u->port : 22};
	struct strvec opts = STRVEC_INIT;

	strvec_push(&opts, "ssh");
	node_ssh_options(&s, &n, &opts);
	for (size_t i = 0; i < opts.nr; i++) {
		char q = strchr(opts.v[i], '\'') ? '"' : '\'';

		strbuf_addstr(out, i ? " " : "");
		if (strpbrk(opts.v[i], " \"'"))
			strbuf_addf(out, "%c%s%c", q, opts.v[i], q);
		else
			strbuf_addstr(out, opts.v[i]);
	}
	strvec_clear(&opts);
}

void
backup_rsync_argv(const struct backup_url *u, const struct daemon_config *cfg, const char *dest,
    struct strvec *out)
{
	struct strbuf src = STRBUF_INIT, e = STRBUF_INIT;

	/* one file, times kept, symlinks followed, written in place into a
	 * fresh dest (the caller removes it on failure), mode 0640 */
	strvec_pushv(out, (const char *const[]){"rsync", "-t", "-L", "--inplace", "--chmod=F0640",
	                      "--timeout=600", NULL});
	if (u->scheme == BACKUP_SSH) {
		ssh_command(u, cfg, &e);
		strvec_push(out, "-e");
		strvec_push(out, e.buf);
		add_host(u, &src);
		strbuf_addf(&src, ":%s", u->path);
	} else if (u->scheme == BACKUP_RSYNC) {
		strvec_push(out, "--contimeout=10");
		strbuf_addstr(&src, "rsync://");
		add_host(u, &src);
		if (u->port)
			strbuf_addf(&src, ":%d", u->port);
		strbuf_addf(&src, "/%s", u->path);
	} else {
		strbuf_addstr(&src, u->path);
	}
	strvec_pushv(out, (const char *const[]){"--", src.buf, dest, NULL});
	strbuf_release(&src);
	strbuf_release(&e);
}
