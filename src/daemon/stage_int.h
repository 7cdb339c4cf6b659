/*
 * stage_int: what the stage's files share (stage.c: the steps of stage_run;
 * stage_copy.c: the tree walk; stage_pump.c: copy + hash of one file;
 * stage_manifest.c: the manifest; stage_verify.c).  Not for other modules:
 * they use stage.h (node_verify.c alone reads manifests through it).
 *
 * A stage_ctx lives for one stage_run.  Paths inside the release are kept
 * release-relative ("docs/business/a.html", no leading or trailing '/'); the
 * manifest owns copies of every string added to it.
 */
#ifndef SANDO_STAGE_INT_H
#define SANDO_STAGE_INT_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/strbuf.h"
#include "daemon/stage.h"

#define STAGE_BUFSZ (256 * 1024) /* one read/hash/write block (fits L2 with the ring) */
#define STAGE_META ".sando"      /* reserved top-level name in a release */

enum stage_type { STAGE_FILE, STAGE_DIR, STAGE_SYMLINK };

struct stage_entry {
	char *path; /* release-relative */
	int type;   /* enum stage_type */
	unsigned mode;
	uint64_t size; /* file bytes, symlink target length, 0 for a directory */
	char *value;   /* hex SHA-256 of a file, target of a symlink, NULL for a directory */
	size_t seq;    /* insertion order: the later of two same paths wins */
};

struct stage_manifest {
	struct stage_entry *v;
	size_t nr, alloc;
};

struct stage_ctx {
	const struct stage_request *req;
	struct stage_result *res;
	char *worktree;        /* realpath of req->worktree */
	struct strbuf partial; /* <release_root>/<version>.partial */
	const char *label;     /* the row (its src) being copied, for messages */
	struct stage_manifest man;
	struct stage_pump *pump; /* buffers and hasher thread, reused for every file */
	struct strbuf disp[2];   /* stage_disp's ring */
	int disp_next;
};

/* What stage_pump_copy returns. */
enum {
	STAGE_PUMP_OK = 0,
	STAGE_PUMP_READ = -1,      /* reading failed (errno) */
	STAGE_PUMP_WRITE = -2,     /* writing failed (errno) */
	STAGE_PUMP_CANCELLED = -3, /* *cancel was set */
	STAGE_PUMP_NOHASH = -4,    /* SHA-256 is not available */
};

struct stage_pump;

/* A pump: STAGE_PUMP_SLOTS buffers and, once needed, a hasher thread. */
struct stage_pump *stage_pump_new(void);

/* Stop the hasher thread and free the pump (NULL is fine). */
void stage_pump_free(struct stage_pump *p);

/* Copy in to its end into out, hashing what passes; hint is the expected size
 * (a file bigger than one block is hashed on the hasher thread).  Sets hex and
 * *size; returns STAGE_PUMP_OK or an error above. */
int stage_pump_copy(struct stage_pump *p, int in, int out, uint64_t hint, char hex[65],
    uint64_t *size, volatile int *cancel);

/* Set res->error from a format (reset first); returns -1. */
int stage_error(struct stage_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add a warning to res->warnings and log it. */
void stage_warn(struct stage_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s with quotes, backslashes and bytes outside printable ASCII escaped, for a
 * message; valid until the second call after this one. */
const char *stage_disp(struct stage_ctx *c, const char *s);

/* Whether *req->cancel is set (then res->error is "cancelled"). */
int stage_cancelled(struct stage_ctx *c);

/* Whether path is root itself or lies under it (both canonical, absolute). */
int stage_path_under(const char *path, const char *root);

/* Copy row src (a realpath under the worktree; file or directory) to the
 * release-relative dst, whose parents exist; bin = 1 forces mode 0755. */
int stage_copy(struct stage_ctx *c, const char *src, const char *dst, int bin);

/* Create the release-relative directory dir and its missing parents (0755),
 * each added to the manifest; a parent that is not a directory is an error. */
int stage_mkdirs(struct stage_ctx *c, const char *dir);

/* Write all n bytes of p to fd; 0, or -1 with errno. */
int stage_write_all(int fd, const unsigned char *p, size_t n);

/* Add an entry (copies path and value). */
void stage_manifest_add(struct stage_manifest *m, const char *path, int type, unsigned mode,
    uint64_t size, const char *value);

/* Sort by path (bytewise), keeping only the last-added of equal paths. */
void stage_manifest_finish(struct stage_manifest *m);

/* The bundle digest (hex) of a finished manifest: SHA-256 of its canonical text. */
void stage_manifest_digest(const struct stage_manifest *m, char hex[65]);

/* Write <dir>/.sando/manifest.json; 0, or -1 with err. */
int stage_manifest_write(const struct stage_manifest *m, const char *dir, const char *version,
    const char *sha, const char *digest, struct strbuf *err);

/* Read <dir>/.sando/manifest.json into an empty m (entries must be sorted by
 * path) and its recorded bundle digest; 0, or -1 with err. */
int stage_manifest_read(
    struct stage_manifest *m, const char *dir, char digest[65], struct strbuf *err);

/* Free every entry. */
void stage_manifest_release(struct stage_manifest *m);

/* Hash the open file fd to its end with md, using buf (STAGE_BUFSZ bytes);
 * 0 with hex and *size set, or -1 with errno. */
int stage_sha256_fd(
    EVP_MD_CTX *md, const EVP_MD *sha256, int fd, unsigned char *buf, char hex[65], uint64_t *size);

/* Format a binary SHA-256 as 64 hex digits and a NUL. */
void stage_hex(const unsigned char *sum, unsigned len, char hex[65]);

#endif
