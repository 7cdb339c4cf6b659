/*
 * stage: copy a build's outputs into a self-contained release directory with
 * a SHA-256 manifest (DESIGN.md sections 2 and 7; issue 3).
 *
 * stage_run is blocking and touches no loop state, so the build runs it on
 * libuv's thread pool; it reads each source file once, hashing while it
 * writes the copy.  Layout of a staged release:
 *
 *   <release_root>/<version>.partial/   while staging (removed first if left over)
 *   <release_root>/<version>/           after the final rename (atomic)
 *       <bin>                           each bin_names entry, mode 0755
 *       <dst>/...                       each release_contents row (cp -a semantics:
 *                                       modes kept, rows merge into one dst)
 *       .sando/manifest.json            every other path: type, size, mode, sha256
 *
 * Regular files are written 0644 or 0755 (0755 when any execute bit was set in
 * the source).  A symlink whose target resolves inside the release is kept as a
 * symlink; one that points outside is replaced by a copy of what it points at,
 * so no symlink in a release points outside it; a dangling symlink is an error.
 * Sources are resolved under the worktree with realpath: a row whose source
 * escapes the worktree is an error.
 *
 * The bundle digest is the SHA-256 of the manifest's canonical text: one line
 * "<type> <mode-octal> <size> <sha256-or-target> <path>\n" per entry, sorted by
 * path (bytewise).  The manifest is written with the digest in it.
 *
 * Details (issue 3):
 * - Paths: src, dst and artifact_dir must be relative without ".." ("." and
 *   empty components are dropped; dst "." is the release root).  A release
 *   path starting ".sando" is reserved; every release path and kept symlink
 *   target must be UTF-8 without a newline (the manifest is JSON).
 * - Merging: rows and binaries are copied in order into one tree; directories
 *   merge; when two of them write the same file path the later wins and a
 *   warning names it; a file where a directory is (or the reverse) is an error.
 * - Symlinks: a link is kept when its target is relative, stays inside the
 *   row's source tree when read lexically and names what the link resolves
 *   to; otherwise the file or directory it resolves to is copied in its place
 *   (a directory walked like a row, with loops refused).  A symlink resolving
 *   outside the worktree is an error, not copied: a repository must not be
 *   able to ship the build host's files.
 * - Kept from the source: execute bits (as above) and modification times.
 *   Directories are 0755.  The manifest records symlinks as mode 0777.
 * - Manifest JSON: {"version", "sha", "bundle_digest", "files": [{"path",
 *   "type": "file"|"dir"|"symlink", "mode": "0644" (octal string), "size",
 *   "sha256" (files) | "target" (symlinks)}]}; ".sando/" itself is not listed.
 *   In the canonical text a directory's sha256-or-target is "-".
 * - Speed: each file is read once in 256 KiB blocks; a file over 1 MiB is
 *   hashed by a helper thread while the caller writes the same block (so
 *   stage_run uses up to two threads).  mmap measured about 10% faster on the
 *   bench but a source truncated while mapped would kill the daemon with
 *   SIGBUS, so read() it is.
 * - Durability: one syncfs() of the release filesystem after the manifest is
 *   written and before the rename, then an fsync of release_root.  An fsync
 *   per file cost 0.3-0.45 s more on the 164 MB bench (a cache flush per
 *   file); a bare syncfs about the time to write the data (~0.1 s there).
 *   Writeback is therefore started every 4 MiB while copying
 *   (sync_file_range, asynchronous), which leaves the syncfs ~10 ms.  syncfs
 *   also waits for other dirty data of that filesystem (a build's outputs):
 *   time, never correctness.  The rename uses RENAME_NOREPLACE, so a version
 *   that appeared meanwhile is never replaced.
 * - Unchanged files keep their time: a file whose path, SHA-256 and mode are
 *   the same as in prev_release gets that file's modification time (a fresh
 *   checkout gives every file a new one).  rsync --link-dest on the nodes
 *   then finds it unchanged by its quick check (size + time) and hard-links
 *   it instead of copying it; a changed file keeps its own time, so it can
 *   never be mistaken for the old one by time alone.
 * - The .partial tree is checked with stage_verify (without hashing) before
 *   it is published.  release_root is created when missing.  The caller runs
 *   one stage_run per version at a time (a second would remove the first's
 *   .partial).  *cancel is also checked between blocks of a big file.
 */
#ifndef SANDO_STAGE_H
#define SANDO_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/strvec.h"

struct stage_row {
	const char *src; /* worktree-relative file or directory */
	const char *dst; /* release-relative destination */
	int required;    /* a missing src fails the stage; else a warning */
};

struct stage_request {
	const char *worktree;     /* absolute path of the checked-out tree */
	const char *artifact_dir; /* worktree-relative directory holding the binaries */
	const char *const *bins;  /* NULL-terminated binary names */
	const struct stage_row *rows;
	size_t nrows;
	const char *release_root; /* absolute; releases land in <release_root>/<version>/ */
	const char *version;      /* a validated version string (safe as a file name) */
	const char *sha;          /* the commit, recorded in the manifest */
	volatile int *cancel;     /* checked between files; non-zero aborts with "cancelled" */
	const char *prev_release; /* the previous staged release, or NULL (see below) */
};

struct stage_result {
	struct strbuf error;    /* set when stage_run returns -1 */
	struct strvec warnings; /* e.g. "optional release content 'x' is missing" */
	char bundle_digest[65]; /* hex SHA-256, NUL-terminated */
	uint64_t bytes;         /* bytes of regular files copied */
	size_t files;           /* entries in the manifest */
};

/* Initialise a result before stage_run. */
void stage_result_init(struct stage_result *res);

/* Free what a result holds. */
void stage_result_release(struct stage_result *res);

/* Stage req into <release_root>/<version>/.  0 on success; -1 with
 * res->error set (the .partial directory is removed; nothing else changes).
 * An existing <release_root>/<version>/ is an error: versions are immutable. */
int stage_run(const struct stage_request *req, struct stage_result *res);

/* Check a staged release against its manifest (every path, type, size and
 * mode, nothing extra; with hash = 1 also every file's SHA-256).  0 when it
 * matches; -1 with the first difference in err.  Also checked: the recorded
 * bundle digest matches the entries, and each symlink has its recorded target
 * and resolves inside the release.  ".sando/" at the top is not compared. */
int stage_verify(const char *release_dir, int hash, struct strbuf *err);

#endif
