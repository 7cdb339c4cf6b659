#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

static const char replacement[] = "\xef\xbf\xbd";

/* Length of the valid sequence at p (1-4), 0 when invalid, or -1 when p
 * holds the valid start of a sequence cut off at the end. */
static int
utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	int n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((size_t)i >= avail)
			return -1;
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
		/* reject overlong forms and surrogates as soon as they show */
		if (i == 1 && ((n == 3 && c == 0xe0 && p[1] < 0xa0) ||
		                  (n == 3 && c == 0xed && p[1] >= 0xa0) ||
		                  (n == 4 && c == 0xf0 && p[1] < 0x90) ||
		                  (n == 4 && c == 0xf4 && p[1] >= 0x90)))
			return 0;
	}
	(void)cp;
	return n;
}

size_t
utf8_sanitize(struct strbuf *out, const char *buf, size_t len, int final)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, run = 0;

	strbuf_grow(out, len);
	while (i < len) {
		int n = utf8_seq(p + i, len - i);

		if (n > 0) {
			i += (size_t)n;
			continue;
		}
		strbuf_add(out, buf + run, i - run);
		if (n == -1 && !final)
			return i;
		strbuf_add(out, replacement, 3);
		i++;
		run = i;
	}
	strbuf_add(out, buf + run, i - run);
	return len;
}

void
utf8_json_escape(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	strbuf_grow(out, len + len / 8);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(out, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\')
			esc[1] = (char)c;
		else if (c == '\n')
			esc[1] = 'n';
		else if (c == '\t')
			esc[1] = 't';
		else if (c == '\r')
			esc[1] = 'r';
		else {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		strbuf_add(out, esc, n);
	}
	strbuf_add(out, s + run, len - run);
}
