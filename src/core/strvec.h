/*
 * strvec: a growable NULL-terminated array of owned strings (git's strvec),
 * used for argv arrays and string lists.
 *
 * v[nr] is always NULL, so v can be passed as an argv.  The strvec owns each
 * string and the array; strvec_clear frees them and re-initialises it.
 */
#ifndef SANDO_STRVEC_H
#define SANDO_STRVEC_H

#include <stddef.h>

struct strvec {
	char **v;
	size_t nr;
	size_t alloc;
};

extern const char *strvec_empty[];
#define STRVEC_INIT                         \
	{                                   \
		(char **)strvec_empty, 0, 0 \
	}

/* Initialise an empty strvec. */
void strvec_init(struct strvec *sv);

/* Append a copy of s. */
void strvec_push(struct strvec *sv, const char *s);

/* Append a printf-formatted string. */
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a copy of each string of a NULL-terminated array. */
void strvec_pushv(struct strvec *sv, const char *const *v);

/* Insert a copy of s before the first element. */
void strvec_insert0(struct strvec *sv, const char *s);

/* Free every string and the array; sv is empty again. */
void strvec_clear(struct strvec *sv);

/* Replace dst's contents with copies of src's. */
void strvec_copy(struct strvec *dst, const struct strvec *src);

#endif
