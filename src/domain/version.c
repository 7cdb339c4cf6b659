#include "domain/version.h"

#include <ctype.h>
#include <string.h>

/* A numeric identifier: digits, no leading zero unless it is "0". */
static const char *
numeric_id(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && isdigit((unsigned char)*p))
		p++;
	if (p == s || (p - s > 1 && s[0] == '0'))
		return NULL;
	return p;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; prerelease numeric ones may not
 * have leading zeros.  Returns the end, or NULL. */
static const char *
dotted_ids(const char *s, const char *end, int prerelease)
{
	const char *p = s;

	for (;;) {
		const char *start = p;
		int digits = 1;

		while (p < end && (isalnum((unsigned char)*p) || *p == '-')) {
			if (!isdigit((unsigned char)*p))
				digits = 0;
			p++;
		}
		if (p == start || (prerelease && digits && p - start > 1 && *start == '0'))
			return NULL;
		if (p == end || *p != '.')
			return p;
		p++;
	}
}

int
version_valid(const char *s, size_t len)
{
	const char *end = s + len, *p = s;

	if (len == 0 || len > VERSION_MAX)
		return 0;
	for (int i = 0; i < 3; i++) {
		if ((p = numeric_id(p, end)) == NULL)
			return 0;
		if (i < 2 && (p == end || *p++ != '.'))
			return 0;
	}
	if (p < end && *p == '-' && (p = dotted_ids(p + 1, end, 1)) == NULL)
		return 0;
	if (p < end && *p == '+' && (p = dotted_ids(p + 1, end, 0)) == NULL)
		return 0;
	return p == end;
}

int
version_has_build(const char *s)
{
	return strchr(s, '+') != NULL;
}
