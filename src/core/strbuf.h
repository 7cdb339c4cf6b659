/*
 * strbuf: the one growable byte buffer used for all string building.
 *
 * Rules (after git's strbuf.h):
 * - A strbuf is always NUL-terminated: buf[len] == '\0', even when empty, so
 *   sb.buf can be passed to any function taking a C string.  The data itself
 *   may contain NUL bytes; len is authoritative.
 * - STRBUF_INIT (or strbuf_init) gives an empty buffer that owns no memory;
 *   sb.buf then points at a shared static "" that must never be written.
 * - The strbuf owns buf.  strbuf_release frees it and leaves the buffer
 *   re-initialised; strbuf_detach hands buf to the caller (free() it) and
 *   re-initialises the strbuf.
 * - Growth aborts on allocation failure (see xmalloc.h).
 */
#ifndef SANDO_STRBUF_H
#define SANDO_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT                  \
	{                            \
		0, 0, strbuf_slopbuf \
	}

/* Initialise sb, reserving room for hint bytes (0 allocates nothing). */
void strbuf_init(struct strbuf *sb, size_t hint);

/* Free the buffer's memory and re-initialise it. */
void strbuf_release(struct strbuf *sb);

/* Return the buffer's string (caller frees) and re-initialise sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* Make sure at least extra more bytes fit without another allocation. */
void strbuf_grow(struct strbuf *sb, size_t extra);

/* Set the length to len (<= current length), keeping the NUL terminator. */
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Empty the buffer, keeping its allocation. */
#define strbuf_reset(sb) strbuf_setlen(sb, 0)

/* Append len bytes of data. */
void strbuf_add(struct strbuf *sb, const void *data, size_t len);

/* Append a NUL-terminated string. */
void strbuf_addstr(struct strbuf *sb, const char *s);

/* Append one byte. */
void strbuf_addch(struct strbuf *sb, int c);

/* Append another strbuf's contents. */
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);

/* Append printf-formatted text. */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append vprintf-formatted text. */
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);

/* Insert len bytes of data at pos (clamped to the end). */
void strbuf_insert(struct strbuf *sb, size_t pos, const void *data, size_t len);

/* Insert a NUL-terminated string at pos. */
void strbuf_insertstr(struct strbuf *sb, size_t pos, const char *s);

/* Insert printf-formatted text at pos. */
void strbuf_insertf(struct strbuf *sb, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Remove len bytes starting at pos (clamped to the buffer). */
void strbuf_remove(struct strbuf *sb, size_t pos, size_t len);

/* Replace every occurrence of from (non-empty) with to. */
void strbuf_replace_all(struct strbuf *sb, const char *from, const char *to);

/* Strip trailing ASCII whitespace. */
void strbuf_rtrim(struct strbuf *sb);

/* Append s with every byte that is not printable ASCII shown as \xNN, quotes as \'. */
void strbuf_addquoted(struct strbuf *sb, const char *s, size_t len);

/* Append the current UTC time as RFC 3339 ("2026-06-02T10:00:00Z"), with
 * milliseconds ("...:00.123Z") when millis is set. */
void strbuf_addtime(struct strbuf *sb, int millis);

/* Replace the contents with the whole file at path; 0 on success, -1 with errno set. */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);

#endif
