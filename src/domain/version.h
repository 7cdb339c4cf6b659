/*
 * version: release versions are Semantic Versioning 2.0.0 strings
 * ("1.2.3", "1.2.3-rc.1", "1.2.3+abc1234"), parsed once at the edge.
 * A valid version is also safe as a file name and in a URL path segment.
 */
#ifndef SANDO_DOMAIN_VERSION_H
#define SANDO_DOMAIN_VERSION_H

#include <stddef.h>

#define VERSION_MAX 128

/* Whether s (len bytes) is a valid semver 2.0.0 version, at most VERSION_MAX. */
int version_valid(const char *s, size_t len);

/* Whether a version already carries build metadata ("+..."). */
int version_has_build(const char *s);

#endif
