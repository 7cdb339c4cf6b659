/*
 * build: from a commit to a staged release (DESIGN.md section 1; issue 3).
 *
 * One build runs at a time and the latest request wins: starting a build
 * aborts the one in flight (its process group is killed, its stage is
 * cancelled, its row says 'aborted' and a build_aborted event is sent).
 *
 * Steps, each reported in the build's log (<logs_root>/builds/<id>.log):
 *   worktree  a detached git worktree of the sha under workdir/build-<id>
 *   command   [build] command in [build] dir, with [build] timeout_s
 *   version   from version_from; a version already staged from another sha
 *             becomes <version>+<short sha>; the same sha reuses its release
 *   stage     stage_run on libuv's thread pool (the loop keeps serving)
 * then the versions row, build_ok, and (for a first tier without gates) the
 * first tier's advance.  Older worktrees are removed after each build.
 */
#ifndef SANDO_BUILD_H
#define SANDO_BUILD_H

#include <stdint.h>

#include "core/strbuf.h"

struct daemon;

/* Start building sha (40 hex, already resolved); returns the build id, or -1
 * with err.  Aborts any build in flight first. */
int64_t build_start(struct daemon *d, const char *sha, struct strbuf *err);

/* Abort the build in flight, if any (daemon shutdown). */
void build_abort_current(struct daemon *d, const char *why);

/* At start-up, before recovery: kill the process groups that builds of a
 * dead daemon left running (build_reap.c). */
int build_reap_orphans(struct daemon *d, struct strbuf *err);

/* The id of the build in flight, or 0. */
int64_t build_current_id(const struct daemon *d);

/* The id of the build in flight if it has settled on version, or 0 (its log
 * can be followed by version before the version is staged). */
int64_t build_current_for_version(const struct daemon *d, const char *version);

#endif
