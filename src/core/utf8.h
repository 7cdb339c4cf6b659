/*
 * utf8: make arbitrary bytes (a program's output) valid UTF-8 for JSON.
 *
 * Output is read in chunks that may split a multi-byte sequence; the caller
 * keeps the bytes utf8_sanitize did not consume and passes them again in
 * front of the next chunk.  Invalid bytes become U+FFFD; NUL bytes are kept
 * (JSON escapes them).
 */
#ifndef SANDO_UTF8_H
#define SANDO_UTF8_H

#include <stddef.h>

#include "core/strbuf.h"

/* Append buf[0..len) to out as valid UTF-8 and return how many bytes were
 * consumed: all of them when final, else all but an incomplete sequence at
 * the end (at most 3 bytes). */
size_t utf8_sanitize(struct strbuf *out, const char *buf, size_t len, int final);

/* Append s (len bytes of valid UTF-8, NULs allowed) to out as the inside of
 * a JSON string: quotes, backslashes and control bytes escaped. */
void utf8_json_escape(struct strbuf *out, const char *s, size_t len);

#endif
