/*
 * toml_value.c: values that are not containers: the four kinds of string,
 * integers, floats, booleans, dates and times.
 *
 * A bare value (anything but a string, array or inline table) is first
 * delimited as a token of the characters numbers and dates are made of, then
 * classified by its shape, so errors can quote the whole token.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toml_private.h"

static int
is_digit(int c, int base)
{
	switch (base) {
	case 2:
		return c == '0' || c == '1';
	case 8:
		return c >= '0' && c <= '7';
	case 16:
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	default:
		return c >= '0' && c <= '9';
	}
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static void
add_utf8(struct strbuf *out, uint32_t cp)
{
	if (cp < 0x80)
		strbuf_addch(out, (int)cp);
	else if (cp < 0x800) {
		strbuf_addch(out, (int)(0xc0 | cp >> 6));
		strbuf_addch(out, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		strbuf_addch(out, (int)(0xe0 | cp >> 12));
		strbuf_addch(out, (int)(0x80 | (cp >> 6 & 0x3f)));
		strbuf_addch(out, (int)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addch(out, (int)(0xf0 | cp >> 18));
		strbuf_addch(out, (int)(0x80 | (cp >> 12 & 0x3f)));
		strbuf_addch(out, (int)(0x80 | (cp >> 6 & 0x3f)));
		strbuf_addch(out, (int)(0x80 | (cp & 0x3f)));
	}
}

/* Whether c is one of the bytes in set (never true for NUL). */
static int
in_set(const char *set, char c)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* \uXXXX or \UXXXXXXXX at p->off: n hex digits naming a Unicode scalar value. */
static int
escape_unicode(struct toml_parser *p, struct strbuf *out, int n)
{
	const char *s = p->buf + p->off;
	uint32_t cp = 0;

	for (int i = 0; i < n; i++) {
		int c = toml_peek(p, 2 + (size_t)i);

		if (c == -1 || !is_digit(c, 16))
			return toml_fail(p, p->off + 2 + (size_t)i,
			    "expected %d hexadecimal digits after '\\%c'", n, s[1]);
		cp = cp << 4 | (uint32_t)hex_value(c);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return toml_fail(
		    p, p->off, "escape '%.*s' is not a unicode scalar value", n + 2, s);
	add_utf8(out, cp);
	p->off += 2 + (size_t)n;
	return 0;
}

/* A backslash ending a line of a multi-line basic string: it swallows the
 * newline and all whitespace and newlines after it. */
static int
escape_line_end(struct toml_parser *p)
{
	p->off++;
	toml_skip_ws(p);
	if (toml_peek(p, 0) != '\n' && toml_peek(p, 0) != '\r')
		return toml_fail_found(p, p->off, "end of line after a line-ending '\\'");
	while (p->off < p->len && in_set(" \t\r\n", p->buf[p->off]))
		p->off++;
	return 0;
}

static int
escape(struct toml_parser *p, struct strbuf *out, int multi)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	int c = toml_peek(p, 1);
	const char *e;
	struct strbuf found = STRBUF_INIT;

	if (c > 0 && (e = strchr(from, c)) != NULL) {
		strbuf_addch(out, to[e - from]);
		p->off += 2;
		return 0;
	}
	if (c == 'u' || c == 'U')
		return escape_unicode(p, out, c == 'u' ? 4 : 8);
	if (multi && c > 0 && strchr(" \t\r\n", c))
		return escape_line_end(p);
	toml_describe(p, p->off + 1, &found);
	toml_fail(p, p->off,
	    "invalid escape sequence: '\\' followed by %s (expected one of "
	    "\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)",
	    found.buf);
	strbuf_release(&found);
	return -1;
}

/* Append the plain bytes from p->off up to the next byte in stops. */
static void
add_run(struct toml_parser *p, struct strbuf *out, const char *stops)
{
	size_t start = p->off;

	while (p->off < p->len && !in_set(stops, p->buf[p->off]))
		p->off++;
	strbuf_add(out, p->buf + start, p->off - start);
}

static int
scan_single(struct toml_parser *p, char q, struct strbuf *out)
{
	const char *stops = q == '"' ? "\"\\\r\n" : "'\r\n";

	p->off++;
	for (;;) {
		int c = toml_peek(p, 0);

		if (c == q) {
			p->off++;
			return 0;
		}
		if (c == -1 || c == '\n' || c == '\r')
			return toml_fail_found(p, p->off,
			    q == '"' ? "'\"' to close the string" : "\"'\" to close the string");
		if (c == '\\' && q == '"') {
			if (escape(p, out, 0) == -1)
				return -1;
		} else
			add_run(p, out, stops);
	}
}

/* One to five quotes at p->off inside a multi-line string: content, or (three
 * and more) the closing delimiter with up to two quotes of content before it. */
static int
multi_quotes(struct toml_parser *p, char q, struct strbuf *out, int *closed)
{
	size_t n = 0;

	while (toml_peek(p, n) == q)
		n++;
	if (n > 5)
		return toml_fail(p, p->off + 5,
		    "expected at most five quotes in a row at the end "
		    "of a multi-line string");
	*closed = n >= 3;
	for (size_t i = *closed ? 3 : 0; i < n; i++)
		strbuf_addch(out, q);
	p->off += n;
	return 0;
}

static int
scan_multi(struct toml_parser *p, char q, struct strbuf *out)
{
	const char *stops = q == '"' ? "\"\\\r" : "'\r";
	size_t open = p->off;
	int closed = 0;

	p->off += 3;
	if (toml_peek(p, 0) == '\n')
		p->off++;
	else if (toml_peek(p, 0) == '\r')
		p->off += 2; /* the text check made sure a line feed follows */
	while (!closed) {
		int c = toml_peek(p, 0);

		if (c == -1)
			return toml_fail(p, open, "unterminated multi-line string (expected %s)",
			    q == '"' ? "'\"\"\"'" : "\"'''\"");
		if (c == q) {
			if (multi_quotes(p, q, out, &closed) == -1)
				return -1;
		} else if (c == '\\' && q == '"') {
			if (escape(p, out, 1) == -1)
				return -1;
		} else if (c == '\r') {
			strbuf_addch(out, '\n');
			p->off += 2;
		} else
			add_run(p, out, stops);
	}
	return 0;
}

int
toml_scan_string(struct toml_parser *p, int allow_multi, struct strbuf *out)
{
	char q = p->buf[p->off];

	if (toml_peek(p, 1) != q || toml_peek(p, 2) != q)
		return scan_single(p, q, out);
	if (!allow_multi)
		return toml_fail(p, p->off, "expected a key, found a multi-line string");
	return scan_multi(p, q, out);
}

/* Scan digits of base from s[i] with single underscores between digits;
 * *end is where they stop; -1 if an underscore is not between two digits. */
static int
scan_digits(const char *s, size_t n, size_t i, int base, size_t *end)
{
	size_t start = i;

	for (; i < n; i++) {
		if (s[i] == '_') {
			if (i == start || i + 1 >= n || !is_digit(s[i + 1], base))
				break;
		} else if (!is_digit(s[i], base)) {
			*end = i;
			return 0;
		}
	}
	*end = i;
	return i < n ? -1 : 0;
}

static int
bad_number(struct toml_parser *p, size_t off, const char *s, size_t n, const char *why)
{
	return toml_fail(p, off, "invalid number '%.*s': %s", (int)n, s, why);
}

/* The integer in s[i..n) (digits of base and underscores), or out of range. */
static int
make_int(struct toml_parser *p, size_t off, const char *s, size_t n, size_t i, int base, int neg,
    struct toml_value **out)
{
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, mag = 0;

	for (; i < n; i++) {
		uint64_t d;

		if (s[i] == '_')
			continue;
		d = (uint64_t)hex_value(s[i]);
		if (mag > (limit - d) / (uint64_t)base)
			return toml_fail(
			    p, off, "integer '%.*s' is out of range (64-bit)", (int)n, s);
		mag = mag * (uint64_t)base + d;
	}
	*out = toml_value_new(p, TOML_INTEGER, off);
	if (neg)
		(*out)->u.i = mag == limit ? INT64_MIN : -(int64_t)mag;
	else
		(*out)->u.i = (int64_t)mag;
	return 0;
}

/* 0x, 0o and 0b integers: no sign; leading zeros are allowed. */
static int
parse_based(struct toml_parser *p, size_t off, const char *s, size_t n, struct toml_value **out)
{
	int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
	size_t end;

	if (scan_digits(s, n, 2, base, &end) == -1)
		return bad_number(p, off + end, s, n, "'_' must be between two digits");
	if (end == 2)
		return bad_number(p, off + end, s, n, "expected digits after the base prefix");
	if (end != n)
		return bad_number(p, off + end, s, n, "invalid digit for the base");
	return make_int(p, off, s, n, 2, base, 0, out);
}

/* The "C" locale for strtod_l, so a caller's setlocale cannot change how
 * floats read; made once (two threads racing here would leak one). */
static locale_t
c_locale(void)
{
	static locale_t loc;

	if (loc == (locale_t)0)
		loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return loc;
}

static int
make_float(struct toml_parser *p, size_t off, const char *s, size_t n, struct toml_value **out)
{
	struct strbuf sb = STRBUF_INIT;
	double d;

	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			strbuf_addch(&sb, s[i]);
	errno = 0;
	d = c_locale() ? strtod_l(sb.buf, NULL, c_locale()) : strtod(sb.buf, NULL);
	strbuf_release(&sb);
	if (errno == ERANGE && isinf(d))
		return toml_fail(p, off, "float '%.*s' is out of range", (int)n, s);
	*out = toml_value_new(p, TOML_FLOAT, off);
	(*out)->u.f = d;
	return 0;
}

/* Scan a group of decimal digits at *i that must hold at least one digit. */
static int
digit_group(struct toml_parser *p, size_t off, const char *s, size_t n, size_t *i, const char *what)
{
	size_t end;

	if (scan_digits(s, n, *i, 10, &end) == -1)
		return bad_number(p, off + end, s, n, "'_' must be between two digits");
	if (end == *i)
		return bad_number(p, off + *i, s, n, what);
	*i = end;
	return 0;
}

static int
parse_decimal(struct toml_parser *p, size_t off, const char *s, size_t n, struct toml_value **out)
{
	size_t i = s[0] == '+' || s[0] == '-', first = i;
	int is_float = 0;

	if (digit_group(p, off, s, n, &i, "expected a digit") == -1)
		return -1;
	if (s[first] == '0' && i - first > 1)
		return bad_number(p, off + first, s, n, "leading zeros are not allowed");
	if (i < n && s[i] == '.') {
		i++;
		is_float = 1;
		if (digit_group(p, off, s, n, &i, "expected a digit after '.'") == -1)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i += 1 + (i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-'));
		is_float = 1;
		if (digit_group(p, off, s, n, &i, "expected a digit in the exponent") == -1)
			return -1;
	}
	if (i != n)
		return bad_number(p, off + i, s, n, "unexpected character");
	if (is_float)
		return make_float(p, off, s, n, out);
	return make_int(p, off, s, n, first, 10, s[0] == '-', out);
}

static int
parse_number(struct toml_parser *p, size_t off, const char *s, size_t n, struct toml_value **out)
{
	size_t i = s[0] == '+' || s[0] == '-';

	if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) {
		*out = toml_value_new(p, TOML_FLOAT, off);
		(*out)->u.f = s[i] == 'i' ? INFINITY : NAN;
		if (s[0] == '-')
			(*out)->u.f = -(*out)->u.f;
		return 0;
	}
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
		if (i)
			return bad_number(p, off, s, n, "no sign is allowed before 0x, 0o or 0b");
		return parse_based(p, off, s, n, out);
	}
	return parse_decimal(p, off, s, n, out);
}

/* The value of count decimal digits at s[i], or -1. */
static int
digits(const char *s, size_t n, size_t i, int count)
{
	int v = 0;

	if (i + (size_t)count > n)
		return -1;
	for (int k = 0; k < count; k++) {
		if (!is_digit(s[i + (size_t)k], 10))
			return -1;
		v = v * 10 + s[i + (size_t)k] - '0';
	}
	return v;
}

static int
bad_datetime(struct toml_parser *p, size_t off, const char *s, size_t n, const char *why)
{
	return toml_fail(p, off, "invalid date or time '%.*s': %s", (int)n, s, why);
}

static int
days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

	return month == 2 && leap ? 29 : days[month - 1];
}

static int
parse_date(struct toml_parser *p, size_t off, const char *s, size_t n, struct toml_datetime *dt)
{
	dt->year = digits(s, n, 0, 4);
	dt->month = digits(s, n, 5, 2);
	dt->day = digits(s, n, 8, 2);
	if (dt->year < 0 || dt->month < 0 || dt->day < 0 || s[4] != '-' || s[7] != '-')
		return bad_datetime(p, off, s, n, "expected a date as YYYY-MM-DD");
	if (dt->month < 1 || dt->month > 12)
		return bad_datetime(p, off + 5, s, n, "month must be 01 to 12");
	if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
		return bad_datetime(p, off + 8, s, n, "no such day in that month");
	return 0;
}

static int
parse_time(
    struct toml_parser *p, size_t off, const char *s, size_t n, size_t *i, struct toml_datetime *dt)
{
	size_t at = *i;

	dt->hour = digits(s, n, at, 2);
	dt->minute = digits(s, n, at + 3, 2);
	dt->second = digits(s, n, at + 6, 2);
	if (dt->hour < 0 || dt->minute < 0 || dt->second < 0 || s[at + 2] != ':' ||
	    s[at + 5] != ':')
		return bad_datetime(p, off + at, s, n, "expected a time as HH:MM:SS");
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return bad_datetime(p, off + at, s, n, "time out of range (00:00:00 to 23:59:60)");
	at += 8;
	if (at < n && s[at] == '.') {
		int scale = 100000000;

		if (++at == n || !is_digit(s[at], 10))
			return bad_datetime(p, off + at, s, n, "expected a digit after '.'");
		for (; at < n && is_digit(s[at], 10); at++, scale /= 10)
			dt->nanosecond += (s[at] - '0') * scale;
	}
	*i = at;
	return 0;
}

static int
parse_offset(
    struct toml_parser *p, size_t off, const char *s, size_t n, size_t *i, struct toml_datetime *dt)
{
	size_t at = *i;
	int hh, mm;

	if (s[at] == 'Z' || s[at] == 'z') {
		*i = at + 1;
		return 0;
	}
	hh = digits(s, n, at + 1, 2);
	mm = digits(s, n, at + 4, 2);
	if ((s[at] != '+' && s[at] != '-') || hh < 0 || mm < 0 || s[at + 3] != ':')
		return bad_datetime(p, off + at, s, n, "expected 'Z' or an offset as +HH:MM");
	if (hh > 23 || mm > 59)
		return bad_datetime(p, off + at, s, n, "offset out of range (at most 23:59)");
	dt->offset_minutes = (s[at] == '-' ? -1 : 1) * (hh * 60 + mm);
	*i = at + 6;
	return 0;
}

static int
parse_datetime(struct toml_parser *p, size_t off, const char *s, size_t n, int has_date,
    struct toml_value **out)
{
	struct toml_datetime dt = {0};
	enum toml_type type = TOML_DATE_LOCAL;
	size_t i = 0;

	if (has_date) {
		if (parse_date(p, off, s, n, &dt) == -1)
			return -1;
		i = 10;
	}
	if (has_date && i < n) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return bad_datetime(p, off + i, s, n, "expected 'T' between date and time");
		i++;
	}
	if (!has_date || i > 10) {
		if (parse_time(p, off, s, n, &i, &dt) == -1)
			return -1;
		type = has_date ? TOML_DATETIME_LOCAL : TOML_TIME_LOCAL;
	}
	if (type == TOML_DATETIME_LOCAL && i < n) {
		if (parse_offset(p, off, s, n, &i, &dt) == -1)
			return -1;
		type = TOML_DATETIME;
	}
	if (i != n)
		return bad_datetime(p, off + i, s, n, "unexpected character");
	*out = toml_value_new(p, type, off);
	(*out)->u.dt = dt;
	return 0;
}

static int
is_token(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '+' || c == '-' || c == '.' || c == ':';
}

/* The end of the bare token at start; a date followed by a space and a time
 * is one token. */
static size_t
token_end(struct toml_parser *p, size_t start)
{
	const char *b = p->buf;
	size_t e = start;

	while (e < p->len && is_token((unsigned char)b[e]))
		e++;
	if (e - start == 10 && b[start + 4] == '-' && b[start + 7] == '-' && e + 3 < p->len &&
	    b[e] == ' ' && is_digit(b[e + 1], 10) && is_digit(b[e + 2], 10) && b[e + 3] == ':')
		for (e++; e < p->len && is_token((unsigned char)b[e]);)
			e++;
	return e;
}

static int
parse_bare(struct toml_parser *p, struct toml_value **out)
{
	size_t off = p->off, n = token_end(p, off), lead = 0;
	const char *s = p->buf + off;

	if ((n -= off) == 0)
		return toml_fail_found(p, off, "a value");
	p->off += n;
	while (lead < n && is_digit(s[lead], 10))
		lead++;
	if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) {
		*out = toml_value_new(p, TOML_BOOL, off);
		(*out)->u.b = s[0] == 't';
		return 0;
	}
	if (lead >= 2 && lead < n && s[lead] == '-')
		return parse_datetime(p, off, s, n, 1, out);
	if (lead >= 1 && lead < n && s[lead] == ':')
		return parse_datetime(p, off, s, n, 0, out);
	if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))
		if (n != 3 || (memcmp(s, "inf", 3) != 0 && memcmp(s, "nan", 3) != 0))
			return toml_fail(p, off,
			    "expected a value, found '%.*s' (strings must be "
			    "quoted)",
			    (int)n, s);
	return parse_number(p, off, s, n, out);
}

int
toml_parse_value(struct toml_parser *p, int depth, struct toml_value **out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t start = p->off;

	switch (toml_peek(p, 0)) {
	case '"':
	case '\'':
		if (toml_scan_string(p, 1, &sb) == -1) {
			strbuf_release(&sb);
			return -1;
		}
		*out = toml_value_new(p, TOML_STRING, start);
		(*out)->u.s.ptr = strbuf_detach(&sb, &(*out)->u.s.len);
		return 0;
	case '[':
		return toml_parse_array(p, depth, out);
	case '{':
		return toml_parse_inline(p, depth, out);
	default:
		return parse_bare(p, out);
	}
}
