/*
 * retention: after a successful promote, prune node and staged releases
 * beyond retain_releases (DESIGN.md section 7): only releases that reached
 * a tier count (store_retention says which to keep); the ones current and
 * previous point to are never pruned; a release whose latest promote failed
 * is kept aside (nodes: moved to <release_root>/failed/<version>; staged:
 * kept in place, so it can be promoted again once fixed).  `.partial`
 * directories are left alone (an interrupted transfer resumes from them).
 * Pruning runs in the background: a node's releases are listed (the
 * deploy's probe), the daemon decides, then rm -rf / mv -t run on the node;
 * what current points to on the node is kept whatever the store says.  A
 * failure is logged, never fails the promote.
 */
#ifndef SANDO_RETENTION_H
#define SANDO_RETENTION_H

struct daemon;
struct tier_config;

/* Prune tier t's nodes and the staged releases; log to log_path (may be NULL). */
void retention_run(struct daemon *d, const struct tier_config *t, const char *log_path);

#endif
