/*
 * stage_copy: the copying half of stage_run.  Walks a source tree and writes
 * its copy under the .partial directory, hashing each file while it copies it
 * and adding every path to the manifest.  See stage.h for the rules.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "daemon/stage_int.h"

/* One source directory tree being copied: root (canonical) maps to the
 * release path rel had when the walk started; up is the walk that followed a
 * symlink into this one, for loop detection. */
struct walk {
	const char *root;
	struct strbuf src;  /* current source path, under root */
	struct strbuf *rel; /* current release-relative path */
	const struct walk *up;
	int depth;
};

#define STAGE_MAX_DEREF 32 /* symlinked directories followed inside one another */

static int walk_dir(struct stage_ctx *c, struct walk *w);

/* The worktree-relative form of a canonical source path, for messages. */
static const char *
wt_rel(struct stage_ctx *c, const char *path)
{
	size_t n = strlen(c->worktree);

	if (!stage_path_under(path, c->worktree))
		return stage_disp(c, path);
	path += n;
	if (*path == '/')
		path++;
	return stage_disp(c, *path ? path : ".");
}

static void
dst_path(struct stage_ctx *c, const char *rel, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_addbuf(out, &c->partial);
	if (*rel) {
		strbuf_addch(out, '/');
		strbuf_addstr(out, rel);
	}
}

/* The multi-byte UTF-8 forms: lead byte under mask, smallest code point. */
static const struct {
	unsigned char mask, lead;
	unsigned min;
} utf8_forms[] = {
    {0xe0, 0xc0, 0x80},
    {0xf0, 0xe0, 0x800},
    {0xf8, 0xf0, 0x10000},
};

/* The length of the UTF-8 sequence at s, or 0 when it is malformed. */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	for (size_t f = 0; f < 3; f++) {
		unsigned cp = s[0] & (unsigned char)~utf8_forms[f].mask;

		if ((s[0] & utf8_forms[f].mask) != utf8_forms[f].lead)
			continue;
		for (size_t i = 1; i <= f + 1; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < utf8_forms[f].min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		return f + 2;
	}
	return 0;
}

/* Whether s is well-formed UTF-8 (the manifest is JSON). */
static int
valid_utf8(const char *s)
{
	for (size_t n; *s; s += n)
		if ((n = utf8_len((const unsigned char *)s)) == 0)
			return 0;
	return 1;
}

/* A release path must be representable in the manifest and not reserved. */
static int
check_rel(struct stage_ctx *c, const char *rel)
{
	size_t n = strlen(STAGE_META);

	if (strncmp(rel, STAGE_META, n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
		return stage_error(c, "release path '%s' is reserved (from '%s')",
		    stage_disp(c, rel), stage_disp(c, c->label));
	if (strchr(rel, '\n') != NULL || !valid_utf8(rel))
		return stage_error(c, "release path '%s' is not a valid utf-8 name on one line",
		    stage_disp(c, rel));
	return 0;
}

/* Make way for a new file or symlink at rel: an earlier row's file or symlink
 * is removed with a warning (the later row wins); a directory is an error. */
static int
replace_existing(struct stage_ctx *c, const char *rel, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return stage_error(c, "cannot stat '%s': %s", stage_disp(c, rel), strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return stage_error(c,
		    "release path '%s' is both a directory and a file (from '%s')",
		    stage_disp(c, rel), stage_disp(c, c->label));
	stage_warn(c, "release path '%s' is written twice: the copy from '%s' wins",
	    stage_disp(c, rel), stage_disp(c, c->label));
	if (unlink(path) == -1)
		return stage_error(
		    c, "cannot remove '%s': %s", stage_disp(c, rel), strerror(errno));
	return 0;
}

/* Create the release directory rel (0755) unless it exists as a directory. */
static int
make_dir(struct stage_ctx *c, const char *rel)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int rc = 0;

	if (*rel == '\0')
		return 0;
	dst_path(c, rel, &path);
	if (mkdir(path.buf, 0755) == 0) {
		if (chmod(path.buf, 0755) == -1)
			rc = stage_error(
			    c, "cannot chmod '%s': %s", stage_disp(c, rel), strerror(errno));
		stage_manifest_add(&c->man, rel, STAGE_DIR, 0755, 0, NULL);
	} else if (errno != EEXIST || lstat(path.buf, &st) == -1) {
		rc = stage_error(
		    c, "cannot create directory '%s': %s", stage_disp(c, rel), strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		rc = stage_error(c, "release path '%s' is both a file and a directory (from '%s')",
		    stage_disp(c, rel), stage_disp(c, c->label));
	}
	strbuf_release(&path);
	return rc;
}

int
stage_mkdirs(struct stage_ctx *c, const char *dir)
{
	struct strbuf rel = STRBUF_INIT;
	int rc = 0;

	strbuf_addstr(&rel, dir);
	for (size_t i = 1; i <= rel.len && rc == 0; i++) {
		if (i < rel.len && rel.buf[i] != '/')
			continue;
		rel.buf[i] = '\0';
		rc = make_dir(c, rel.buf);
		if (i < rel.len)
			rel.buf[i] = '/';
	}
	strbuf_release(&rel);
	return rc;
}

/* Open a new file at rel for writing, replacing an earlier row's copy. */
static int
create_file(struct stage_ctx *c, const char *rel, unsigned mode)
{
	struct strbuf path = STRBUF_INIT;
	int fd, flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

	dst_path(c, rel, &path);
	fd = open(path.buf, flags, 0600);
	if (fd == -1 && errno == EEXIST && replace_existing(c, rel, path.buf) == 0)
		fd = open(path.buf, flags, 0600);
	if (fd == -1 && c->res->error.len == 0)
		stage_error(c, "cannot create '%s': %s", stage_disp(c, rel), strerror(errno));
	if (fd != -1 && fchmod(fd, mode) == -1) {
		stage_error(c, "cannot chmod '%s': %s", stage_disp(c, rel), strerror(errno));
		close(fd);
		fd = -1;
	}
	strbuf_release(&path);
	return fd;
}

int
stage_write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read in to its end once, hashing each block and writing it to out. */
static int
pump(struct stage_ctx *c, int in, int out, const char *src, const char *rel, uint64_t hint,
    char hex[65], uint64_t *size)
{
	switch (stage_pump_copy(c->pump, in, out, hint, hex, size, c->req->cancel)) {
	case STAGE_PUMP_OK:
		return 0;
	case STAGE_PUMP_READ:
		return stage_error(c, "cannot read '%s': %s", wt_rel(c, src), strerror(errno));
	case STAGE_PUMP_WRITE:
		return stage_error(c, "cannot write '%s': %s", stage_disp(c, rel), strerror(errno));
	case STAGE_PUMP_CANCELLED:
		return stage_error(c, "cancelled");
	default:
		return stage_error(c, "sha-256 is not available");
	}
}

/* Copy the regular file src to rel: 0755 for a binary or when any execute bit
 * is set, else 0644; the modification time is kept (cp -a). */
static int
copy_file(struct stage_ctx *c, const char *src, const char *rel, int bin)
{
	struct timespec times[2];
	struct stat st;
	char hex[65];
	uint64_t size;
	unsigned mode;
	int in, out, rc;

	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in == -1 || fstat(in, &st) == -1) {
		rc = stage_error(c, "cannot read '%s': %s", wt_rel(c, src), strerror(errno));
		if (in != -1)
			close(in);
		return rc;
	}
	mode = bin || (st.st_mode & 0111) ? 0755 : 0644;
	out = create_file(c, rel, mode);
	if (out == -1) {
		close(in);
		return -1;
	}
	posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = pump(c, in, out, src, rel, (uint64_t)st.st_size, hex, &size);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (rc == 0 && futimens(out, times) == -1)
		rc = stage_error(
		    c, "cannot set times of '%s': %s", stage_disp(c, rel), strerror(errno));
	if (close(out) == -1 && rc == 0)
		rc = stage_error(c, "cannot write '%s': %s", stage_disp(c, rel), strerror(errno));
	close(in);
	if (rc == 0) {
		stage_manifest_add(&c->man, rel, STAGE_FILE, mode, size, hex);
		c->res->bytes += size;
	}
	return rc;
}

/* Create the symlink rel -> target, replacing an earlier row's copy. */
static int
make_link(struct stage_ctx *c, const char *rel, const char *target)
{
	struct strbuf path = STRBUF_INIT;
	int rc = 0;

	dst_path(c, rel, &path);
	if (symlink(target, path.buf) == -1) {
		if (errno != EEXIST)
			rc = stage_error(c, "cannot create symlink '%s': %s", stage_disp(c, rel),
			    strerror(errno));
		else if ((rc = replace_existing(c, rel, path.buf)) == 0 &&
		         symlink(target, path.buf) == -1)
			rc = stage_error(c, "cannot create symlink '%s': %s", stage_disp(c, rel),
			    strerror(errno));
	}
	if (rc == 0)
		stage_manifest_add(&c->man, rel, STAGE_SYMLINK, 0777, strlen(target), target);
	strbuf_release(&path);
	return rc;
}

static int
read_link(const char *path, struct strbuf *out)
{
	for (size_t size = 256;; size *= 2) {
		ssize_t n;

		strbuf_reset(out);
		strbuf_grow(out, size);
		n = readlink(path, out->buf, size);
		if (n == -1)
			return -1;
		if ((size_t)n < size) {
			out->len = (size_t)n;
			out->buf[n] = '\0';
			return 0;
		}
	}
}

/* Whether the relative symlink target, read lexically from the link's place
 * under w->root, stays under it and names what the link resolves to (real):
 * then the same link in the release resolves to the copy of that path.  (A
 * target that is not UTF-8 cannot be written in the manifest: copied too.) */
static int
link_stays_inside(const struct walk *w, const char *target, const char *real)
{
	struct strbuf lex = STRBUF_INIT;
	const char *p = target, *slash;
	char *got;
	int ok = target[0] != '/' && valid_utf8(target);

	strbuf_addbuf(&lex, &w->src);
	strbuf_setlen(&lex, (size_t)(strrchr(lex.buf, '/') - lex.buf));
	for (; ok && *p; p = *slash ? slash + 1 : slash) {
		size_t n;

		slash = strchrnul(p, '/');
		n = (size_t)(slash - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			ok = lex.len > strlen(w->root);
			if (ok)
				strbuf_setlen(&lex, (size_t)(strrchr(lex.buf, '/') - lex.buf));
			continue;
		}
		strbuf_addch(&lex, '/');
		strbuf_add(&lex, p, n);
	}
	got = ok ? realpath(lex.buf, NULL) : NULL;
	ok = got != NULL && strcmp(got, real) == 0;
	free(got);
	strbuf_release(&lex);
	return ok;
}

/* Copy what a symlink leading out of its tree points at (real, canonical). */
static int
deref(struct stage_ctx *c, struct walk *w, const char *real)
{
	struct walk sub = {real, STRBUF_INIT, w->rel, w, w->depth + 1};
	struct stat st;
	int rc;

	if (stat(real, &st) == -1)
		return stage_error(c, "cannot stat '%s': %s", wt_rel(c, real), strerror(errno));
	if (S_ISREG(st.st_mode))
		return copy_file(c, real, w->rel->buf, 0);
	if (!S_ISDIR(st.st_mode))
		return stage_error(c, "symlink '%s' points at '%s', not a file or directory",
		    wt_rel(c, w->src.buf), wt_rel(c, real));
	for (const struct walk *u = w; u != NULL; u = u->up)
		if (stage_path_under(u->src.buf, real) || u->depth >= STAGE_MAX_DEREF)
			return stage_error(c, "symlink '%s' makes a loop", wt_rel(c, w->src.buf));
	if (make_dir(c, w->rel->buf) == -1)
		return -1;
	strbuf_addstr(&sub.src, real);
	rc = walk_dir(c, &sub);
	strbuf_release(&sub.src);
	return rc;
}

/* A symlink is kept when it resolves inside the copy of its tree, else
 * replaced by a copy of its target; dangling or leaving the worktree fails. */
static int
copy_link(struct stage_ctx *c, struct walk *w)
{
	struct strbuf target = STRBUF_INIT;
	char *real = NULL;
	int rc;

	if (read_link(w->src.buf, &target) == -1)
		rc = stage_error(
		    c, "cannot read symlink '%s': %s", wt_rel(c, w->src.buf), strerror(errno));
	else if ((real = realpath(w->src.buf, NULL)) == NULL)
		rc = stage_error(
		    c, "symlink '%s' is dangling (%s)", wt_rel(c, w->src.buf), strerror(errno));
	else if (!stage_path_under(real, c->worktree))
		rc = stage_error(
		    c, "symlink '%s' points outside the worktree", wt_rel(c, w->src.buf));
	else if (link_stays_inside(w, target.buf, real))
		rc = make_link(c, w->rel->buf, target.buf);
	else
		rc = deref(c, w, real);
	free(real);
	strbuf_release(&target);
	return rc;
}

static int
walk_entry(struct stage_ctx *c, struct walk *w)
{
	struct stat st;

	if (stage_cancelled(c) || check_rel(c, w->rel->buf) == -1)
		return -1;
	if (lstat(w->src.buf, &st) == -1)
		return stage_error(
		    c, "cannot stat '%s': %s", wt_rel(c, w->src.buf), strerror(errno));
	if (S_ISREG(st.st_mode))
		return copy_file(c, w->src.buf, w->rel->buf, 0);
	if (S_ISDIR(st.st_mode))
		return make_dir(c, w->rel->buf) == -1 ? -1 : walk_dir(c, w);
	if (S_ISLNK(st.st_mode))
		return copy_link(c, w);
	return stage_error(c, "'%s' is not a file, directory or symlink", wt_rel(c, w->src.buf));
}

static int
walk_dir(struct stage_ctx *c, struct walk *w)
{
	size_t slen = w->src.len, rlen = w->rel->len;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(w->src.buf)) == NULL)
		return stage_error(
		    c, "cannot read directory '%s': %s", wt_rel(c, w->src.buf), strerror(errno));
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		strbuf_addch(&w->src, '/');
		strbuf_addstr(&w->src, de->d_name);
		if (rlen > 0)
			strbuf_addch(w->rel, '/');
		strbuf_addstr(w->rel, de->d_name);
		rc = walk_entry(c, w);
		strbuf_setlen(&w->src, slen);
		strbuf_setlen(w->rel, rlen);
	}
	if (rc == 0 && errno != 0)
		rc = stage_error(
		    c, "cannot read directory '%s': %s", wt_rel(c, w->src.buf), strerror(errno));
	closedir(d);
	return rc;
}

int
stage_copy(struct stage_ctx *c, const char *src, const char *dst, int bin)
{
	struct strbuf rel = STRBUF_INIT;
	struct walk w = {src, STRBUF_INIT, &rel, NULL, 0};
	struct stat st;
	int rc;

	if (stage_cancelled(c) || check_rel(c, dst) == -1)
		return -1;
	if (stat(src, &st) == -1)
		return stage_error(c, "cannot stat '%s': %s", wt_rel(c, src), strerror(errno));
	if (S_ISREG(st.st_mode) && *dst == '\0')
		return stage_error(c, "'%s' is a file: it needs a release path", wt_rel(c, src));
	if (S_ISREG(st.st_mode))
		return copy_file(c, src, dst, bin);
	if (bin || !S_ISDIR(st.st_mode))
		return stage_error(c, "'%s' is not a %s", wt_rel(c, src),
		    bin ? "regular file" : "file or directory");
	if (make_dir(c, dst) == -1)
		return -1;
	strbuf_addstr(&rel, dst);
	strbuf_addstr(&w.src, src);
	rc = walk_dir(c, &w);
	strbuf_release(&w.src);
	strbuf_release(&rel);
	return rc;
}
