/*
 * toml.c: the document loop, the text checks every document passes first,
 * error reporting, and the public functions over the finished tree (freeing,
 * lookups, type names and the canonical text of dates and times).
 */
#include "toml.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "toml_private.h"
#include "xmalloc.h"

struct toml_pos
toml_pos_at(struct toml_parser *p, size_t off)
{
	struct toml_pos pos;

	if (off > p->len)
		off = p->len;
	if (off < p->pos_off && p->pos_bol <= off) {
		p->pos_off = off; /* same line as the cached position */
	} else if (off < p->pos_off) {
		while (p->pos_off > off)
			if (p->buf[--p->pos_off] == '\n')
				p->pos_line--;
		for (p->pos_bol = off; p->pos_bol > 0 && p->buf[p->pos_bol - 1] != '\n';)
			p->pos_bol--;
	}
	for (size_t i = p->pos_off; i < off; i++) {
		if (p->buf[i] == '\n') {
			p->pos_line++;
			p->pos_bol = i + 1;
		}
	}
	p->pos_off = off;
	pos.line = p->pos_line;
	pos.col = (int)(off - p->pos_bol + 1);
	return pos;
}

int
toml_fail(struct toml_parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	p->err->pos = toml_pos_at(p, off);
	va_start(ap, fmt);
	strbuf_vaddf(&p->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* The code point of the valid n-byte UTF-8 sequence at s. */
static unsigned
utf8_decode(const unsigned char *s, size_t n)
{
	unsigned cp = s[0] & (0x7f >> n);

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Describe the character at off for a message: 'x', newline, end of input. */
void
toml_describe(struct toml_parser *p, size_t off, struct strbuf *sb)
{
	unsigned char c;
	size_t n = 1;

	if (off >= p->len) {
		strbuf_addstr(sb, "end of input");
		return;
	}
	c = (unsigned char)p->buf[off];
	if (c == '\n' || (c == '\r' && off + 1 < p->len && p->buf[off + 1] == '\n')) {
		strbuf_addstr(sb, "end of line");
		return;
	}
	if (c == '\'') {
		strbuf_addstr(sb, "\"'\"");
		return;
	}
	if (c < 0x20 || c == 0x7f) {
		strbuf_addf(sb, "byte 0x%02x", c);
		return;
	}
	if (c >= 0x80) /* the text is valid UTF-8: show the whole character */
		n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	strbuf_addch(sb, '\'');
	strbuf_add(sb, p->buf + off, n);
	strbuf_addch(sb, '\'');
	if (n > 1)
		strbuf_addf(sb, " (U+%04X)", utf8_decode((const unsigned char *)p->buf + off, n));
}

/* Fail with "expected <expected>, found <what is at off>". */
int
toml_fail_found(struct toml_parser *p, size_t off, const char *expected)
{
	struct strbuf found = STRBUF_INIT;

	toml_describe(p, off, &found);
	toml_fail(p, off, "expected %s, found %s", expected, found.buf);
	strbuf_release(&found);
	return -1;
}

int
toml_peek(struct toml_parser *p, size_t ahead)
{
	if (p->off + ahead >= p->len)
		return -1;
	return (unsigned char)p->buf[p->off + ahead];
}

void
toml_skip_ws(struct toml_parser *p)
{
	while (p->off < p->len && (p->buf[p->off] == ' ' || p->buf[p->off] == '\t'))
		p->off++;
}

/* Skip a comment, if one starts here, up to (not past) the end of the line. */
static void
skip_comment(struct toml_parser *p)
{
	if (toml_peek(p, 0) != '#')
		return;
	while (p->off < p->len && p->buf[p->off] != '\n' && p->buf[p->off] != '\r')
		p->off++;
}

/* Consume one newline (LF or CRLF); 1 if there was one. */
static int
skip_newline(struct toml_parser *p)
{
	if (toml_peek(p, 0) == '\n') {
		p->off++;
		return 1;
	}
	if (toml_peek(p, 0) == '\r' && toml_peek(p, 1) == '\n') {
		p->off += 2;
		return 1;
	}
	return 0;
}

/* Skip whitespace, newlines and comments (inside arrays). */
void
toml_skip_ws_nl(struct toml_parser *p)
{
	do {
		toml_skip_ws(p);
		skip_comment(p);
	} while (skip_newline(p));
}

struct toml_value *
toml_value_new(struct toml_parser *p, enum toml_type type, size_t off)
{
	struct toml_value *v = xcalloc(1, sizeof(*v));

	v->type = type;
	v->pos = toml_pos_at(p, off);
	return v;
}

/* Make room for item number len of an array whose capacity is implicitly the
 * smallest power of two not below its length. */
void *
toml_grow(void *items, size_t len, size_t size)
{
	if (len == 0)
		return xreallocarray(items, 1, size);
	if ((len & (len - 1)) == 0)
		return xreallocarray(items, len * 2, size);
	return items;
}

/* Length of the valid UTF-8 sequence at s (no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Reject invalid UTF-8, control characters other than tab and newline, and a
 * carriage return not followed by a line feed, anywhere in the document. */
static int
check_text(struct toml_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->buf;
	size_t n;

	for (size_t i = 0; i < p->len; i++) {
		if (s[i] >= 0x80) {
			if ((n = utf8_len(s + i, p->len - i)) == 0)
				return toml_fail(p, i, "invalid UTF-8 byte 0x%02x", s[i]);
			i += n - 1;
		} else if (s[i] == '\r') {
			if (i + 1 == p->len || s[i + 1] != '\n')
				return toml_fail(
				    p, i, "carriage return not followed by a line feed");
		} else if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == 0x7f)
			return toml_fail(
			    p, i, "control character 0x%02x is not allowed (only tab is)", s[i]);
	}
	return 0;
}

/* After a key/value pair or a header: only a comment may end the line. */
static int
end_of_line(struct toml_parser *p, const char *after)
{
	struct strbuf what = STRBUF_INIT;

	toml_skip_ws(p);
	skip_comment(p);
	if (p->off == p->len || skip_newline(p))
		return 0;
	strbuf_addf(&what, "end of line after %s", after);
	toml_fail_found(p, p->off, what.buf);
	strbuf_release(&what);
	return -1;
}

static int
parse_line(struct toml_parser *p)
{
	toml_skip_ws(p);
	if (p->off == p->len)
		return 0;
	switch (p->buf[p->off]) {
	case '#':
	case '\n':
	case '\r':
		return end_of_line(p, "whitespace");
	case '[':
		if (toml_parse_header(p) == -1)
			return -1;
		return end_of_line(p, "table header");
	default:
		if (toml_parse_keyval(p, p->cur) == -1)
			return -1;
		return end_of_line(p, "value");
	}
}

int
toml_parse(const char *buf, size_t len, struct toml_value **root, struct toml_error *err)
{
	struct toml_parser p = {.buf = buf, .len = len, .err = err, .pos_line = 1};

	*root = NULL;
	err->pos.line = err->pos.col = 0;
	strbuf_init(&err->msg, 0);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p.off = 3;
	p.root = p.cur = toml_value_new(&p, TOML_TABLE, p.off);
	if (check_text(&p) == 0)
		while (p.off < p.len && parse_line(&p) == 0)
			;
	toml_keymap_release(&p.map);
	if (p.failed) {
		toml_free(p.root);
		return -1;
	}
	*root = p.root;
	return 0;
}

void
toml_error_release(struct toml_error *err)
{
	strbuf_release(&err->msg);
}

void
toml_free(struct toml_value *v)
{
	if (v == NULL)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->u.s.ptr);
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < v->u.arr.len; i++)
			toml_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case TOML_TABLE:
		for (size_t i = 0; i < v->u.tab.len; i++) {
			free(v->u.tab.items[i].key);
			toml_free(v->u.tab.items[i].value);
		}
		free(v->u.tab.items);
		break;
	default:
		break;
	}
	free(v);
}

const struct toml_keyval *
toml_table_entry(const struct toml_value *t, const char *key)
{
	size_t len;

	if (t == NULL || t->type != TOML_TABLE || key == NULL)
		return NULL;
	len = strlen(key);
	for (size_t i = 0; i < t->u.tab.len; i++) {
		const struct toml_keyval *kv = &t->u.tab.items[i];

		if (kv->key_len == len && memcmp(kv->key, key, len) == 0)
			return kv;
	}
	return NULL;
}

const struct toml_value *
toml_table_get(const struct toml_value *t, const char *key)
{
	const struct toml_keyval *kv = toml_table_entry(t, key);

	return kv ? kv->value : NULL;
}

const char *
toml_type_name(enum toml_type type)
{
	static const char *const names[] = {
	    [TOML_TABLE] = "table",
	    [TOML_ARRAY] = "array",
	    [TOML_STRING] = "string",
	    [TOML_INTEGER] = "integer",
	    [TOML_FLOAT] = "float",
	    [TOML_BOOL] = "boolean",
	    [TOML_DATETIME] = "offset date-time",
	    [TOML_DATETIME_LOCAL] = "local date-time",
	    [TOML_DATE_LOCAL] = "local date",
	    [TOML_TIME_LOCAL] = "local time",
	};

	if ((unsigned)type >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[type];
}

void
toml_datetime_format(const struct toml_value *v, struct strbuf *sb)
{
	const struct toml_datetime *dt = &v->u.dt;
	int frac = dt->nanosecond, width = 9, off = dt->offset_minutes;

	if (v->type == TOML_DATETIME || v->type == TOML_DATETIME_LOCAL ||
	    v->type == TOML_DATE_LOCAL)
		strbuf_addf(sb, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
	if (v->type == TOML_DATETIME || v->type == TOML_DATETIME_LOCAL)
		strbuf_addch(sb, 'T');
	if (v->type != TOML_DATETIME && v->type != TOML_DATETIME_LOCAL &&
	    v->type != TOML_TIME_LOCAL)
		return;
	strbuf_addf(sb, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			width--;
		}
		strbuf_addf(sb, ".%0*d", width, frac);
	}
	if (v->type == TOML_DATETIME && off == 0)
		strbuf_addch(sb, 'Z');
	else if (v->type == TOML_DATETIME)
		strbuf_addf(sb, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
}
