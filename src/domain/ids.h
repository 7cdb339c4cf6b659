/*
 * ids: validation of the identifiers that name things in sando (tier and node
 * names), shared by daemon, client and agent.  Pure functions.
 */
#ifndef SANDO_DOMAIN_IDS_H
#define SANDO_DOMAIN_IDS_H

#include <stddef.h>

#define ID_NAME_MAX 63

/* A tier or node name: 1-63 bytes of [A-Za-z0-9_.-], starting with a letter or
 * digit (so it is safe in paths, URLs and argv). */
int id_name_valid(const char *s, size_t len);

/* A git branch name acceptable to `git check-ref-format --branch`, and not
 * starting with '-'.  Checked in-process with git's rules. */
int id_branch_valid(const char *s);

#endif
