#include "domain/ids.h"

#include <ctype.h>
#include <string.h>

int
id_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > ID_NAME_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

/* One component of a ref: git's check_refname_component rules. */
static int
branch_component_valid(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.')
		return 0;
	if (len >= 5 && memcmp(s + len - 5, ".lock", 5) == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || strchr(" ~^:?*[\\", c))
			return 0;
		if (c == '.' && i + 1 < len && s[i + 1] == '.')
			return 0;
		if (c == '@' && i + 1 < len && s[i + 1] == '{')
			return 0;
	}
	return 1;
}

int
id_branch_valid(const char *s)
{
	size_t len = strlen(s);
	const char *p = s;

	if (len == 0 || s[0] == '-' || s[len - 1] == '.' || s[len - 1] == '/' ||
	    strcmp(s, "@") == 0 || strcmp(s, "HEAD") == 0)
		return 0;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (!branch_component_valid(p, n))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}
