/*
 * utc: the store's timestamps, RFC 3339 UTC with seconds
 * ("2026-06-02T10:00:00Z"), parsed back into time_t.
 */
#ifndef SANDO_UTC_H
#define SANDO_UTC_H

#include <time.h>

/* Seconds since the epoch of s, or -1 when s is not in that exact form. */
time_t utc_parse(const char *s);

#endif
