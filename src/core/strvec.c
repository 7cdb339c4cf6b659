#include "strvec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

const char *strvec_empty[] = {NULL};

void
strvec_init(struct strvec *sv)
{
	sv->v = (char **)strvec_empty;
	sv->nr = sv->alloc = 0;
}

void
strvec_push(struct strvec *sv, const char *s)
{
	if (sv->nr + 2 > sv->alloc) {
		size_t n = sv->alloc ? sv->alloc * 2 : 8;

		sv->v = xreallocarray(sv->alloc ? sv->v : NULL, n, sizeof(*sv->v));
		sv->alloc = n;
	}
	sv->v[sv->nr++] = xstrdup(s);
	sv->v[sv->nr] = NULL;
}

void
strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	strvec_push(sv, s);
	free(s);
}

void
strvec_pushv(struct strvec *sv, const char *const *v)
{
	for (; *v; v++)
		strvec_push(sv, *v);
}

void
strvec_insert0(struct strvec *sv, const char *s)
{
	char *first;

	strvec_push(sv, s);
	first = sv->v[sv->nr - 1];
	memmove(sv->v + 1, sv->v, (sv->nr - 1) * sizeof(*sv->v));
	sv->v[0] = first;
}

void
strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->nr; i++)
		free(sv->v[i]);
	if (sv->alloc)
		free(sv->v);
	strvec_init(sv);
}

void
strvec_copy(struct strvec *dst, const struct strvec *src)
{
	strvec_clear(dst);
	strvec_pushv(dst, (const char *const *)src->v);
}
