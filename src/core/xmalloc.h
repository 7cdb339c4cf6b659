/*
 * xmalloc: allocation wrappers that abort the process on failure.
 *
 * sando is an application, not a library: running out of memory is not a
 * condition any caller can recover from, so callers never check for NULL after
 * these calls.  Memory they return is freed with free().
 */
#ifndef SANDO_XMALLOC_H
#define SANDO_XMALLOC_H

#include <stddef.h>

/* Allocate size bytes (at least one); aborts on failure. */
void *xmalloc(size_t size);

/* Allocate nmemb * size zeroed bytes; aborts on failure or overflow. */
void *xcalloc(size_t nmemb, size_t size);

/* Resize ptr to nmemb * size bytes; aborts on failure or overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);

/* Duplicate a NUL-terminated string. */
char *xstrdup(const char *s);

/* Duplicate at most n bytes of s and NUL-terminate the copy. */
char *xstrndup(const char *s, size_t n);

/* printf into a newly allocated string; aborts on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
