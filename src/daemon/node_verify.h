/*
 * node_verify: check a node's copy of a release against the staged manifest
 * from what two programs print on the node (DESIGN.md section 7), since the
 * daemon's own code does not run there.
 *
 * The daemon runs, on the node, over the transferred directory:
 *
 *   find <dir> -mindepth 1 -printf '%y %m %s %P\0%l\0'
 *       one record per path: type letter (f, d, l, or another for a special
 *       file), octal mode without a leading zero, size in bytes, the path
 *       relative to <dir>, NUL, the symlink target (empty unless a link), NUL
 *   sha256sum -z -- <path>...        (cwd = <dir>, for verify = "sha256")
 *       one record per file: "<64 lowercase hex>  <path>\0" (" *" also
 *       accepted); -z turns off sha256sum's escaping of names
 *
 * Rules:
 * - The manifest is the local staged copy's <release_dir>/.sando/manifest.json,
 *   read with the stage's reader (entries sorted by path) and checked against
 *   its bundle digest.  Lookups are binary searches: a listing of n paths
 *   costs O(n log n).
 * - A listing matches when every manifest path is in it with the same type
 *   and mode (directories and symlinks as recorded: 0755 and 0777), files
 *   with the same size and symlinks with the same target, and nothing else is
 *   in it but ".sando" and ".sando/manifest.json"; those two must be there,
 *   with the type and mode of the local copy (and for the manifest its size).
 * - A sums output matches when every record names a regular file of the
 *   manifest (or ".sando/manifest.json", compared with the local copy) with
 *   its SHA-256.  Files not named are not checked: the caller chooses which
 *   files to hash (those rsync wrote, or node_manifest_files for all).
 * - Errors name the first difference, paths quoted as '%s' with bytes outside
 *   printable ASCII shown as \xNN: "'static/a.css': size 10, expected 12",
 *   "unexpected 'x'", "missing 'y'"; a listing or sums output that does not
 *   parse is "malformed ..." with the byte offset of the bad record.  err is
 *   reset first.
 * - A node_manifest is read-only after loading, so threads may share it; the
 *   caller frees it with node_manifest_free.
 */
#ifndef SANDO_NODE_VERIFY_H
#define SANDO_NODE_VERIFY_H

#include <stddef.h>

#include "core/strbuf.h"
#include "core/strvec.h"

struct node_manifest; /* parsed manifest: entries by path */

/* Load <release_dir>/.sando/manifest.json; 0 with *out, or -1 with err (and *out NULL). */
int node_manifest_load(const char *release_dir, struct node_manifest **out, struct strbuf *err);

/* Free a manifest (NULL is fine). */
void node_manifest_free(struct node_manifest *m);

/* Compare len bytes of find output (format above) with m; 0 when the copy
 * matches, -1 with the first difference (or what is malformed) in err. */
int node_verify_listing(
    const struct node_manifest *m, const char *listing, size_t len, struct strbuf *err);

/* Compare len bytes of sha256sum -z output with m; 0 when every record names
 * a file of m with its hash, -1 with the first difference in err. */
int node_verify_hashes(
    const struct node_manifest *m, const char *sums, size_t len, struct strbuf *err);

/* Append the paths of m's regular files (manifest order) to out, for the
 * sha256sum argv when every file must be hashed. */
void node_manifest_files(const struct node_manifest *m, struct strvec *out);

#endif
