/*
 * stage_verify: check a release tree against its .sando/manifest.json (see
 * stage.h): every path, type, size and mode, symlink targets inside the
 * release, nothing extra, and with hash = 1 every file's SHA-256.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "daemon/stage_int.h"

struct verify {
	char *real; /* realpath of the release directory */
	struct stage_manifest man;
	char *seen; /* one flag per manifest entry */
	int hash;
	struct strbuf *err;
	struct strbuf abs, rel, quoted;
	EVP_MD_CTX *md;
	EVP_MD *sha256;
	unsigned char *buf;
};

static const char *const kinds[] = {"file", "directory", "symlink"};

/* Set err from a format whose %s values went through q(); returns -1. */
static int __attribute__((format(printf, 2, 3))) bad(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(v->err);
	va_start(ap, fmt);
	strbuf_vaddf(v->err, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
q(struct verify *v, const char *s)
{
	strbuf_reset(&v->quoted);
	strbuf_addquoted(&v->quoted, s, strlen(s));
	return v->quoted.buf;
}

static int
cmp_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct stage_entry *)elem)->path);
}

static int
check_link(struct verify *v, const struct stage_entry *e)
{
	struct strbuf target = STRBUF_INIT;
	char *real = NULL;
	ssize_t n;
	int rc = 0;

	strbuf_grow(&target, e->size + 1);
	n = readlink(v->abs.buf, target.buf, e->size + 1);
	if (n < 0 || (size_t)n != e->size || memcmp(target.buf, e->value, e->size) != 0)
		rc = bad(v, "symlink '%s' does not point where the manifest says", q(v, e->path));
	else if ((real = realpath(v->abs.buf, NULL)) == NULL || !stage_path_under(real, v->real))
		rc = bad(v, "symlink '%s' points outside the release", q(v, e->path));
	free(real);
	strbuf_release(&target);
	return rc;
}

static int
check_hash(struct verify *v, const struct stage_entry *e)
{
	char hex[65];
	uint64_t size;
	int fd = open(v->abs.buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd == -1 || stage_sha256_fd(v->md, v->sha256, fd, v->buf, hex, &size) == -1)
		rc = bad(v, "cannot read '%s': %s", q(v, e->path), strerror(errno));
	else if (size != e->size || strcmp(hex, e->value) != 0)
		rc = bad(v, "'%s' does not match its sha-256 in the manifest", q(v, e->path));
	if (fd != -1)
		close(fd);
	return rc;
}

static int
type_of(mode_t mode)
{
	if (S_ISREG(mode))
		return STAGE_FILE;
	if (S_ISDIR(mode))
		return STAGE_DIR;
	return S_ISLNK(mode) ? STAGE_SYMLINK : -1;
}

static int
check_entry(struct verify *v, const struct stage_entry *e, const struct stat *st)
{
	int type = type_of(st->st_mode);
	unsigned mode = st->st_mode & 07777;

	if (type != e->type)
		return bad(v, "'%s' is a %s, the manifest says %s", q(v, e->path),
		    type == -1 ? "special file" : kinds[type], kinds[e->type]);
	if (mode != e->mode)
		return bad(
		    v, "'%s' has mode %04o, the manifest says %04o", q(v, e->path), mode, e->mode);
	if (type != STAGE_DIR && (uint64_t)st->st_size != e->size)
		return bad(v, "'%s' has %llu bytes, the manifest says %llu", q(v, e->path),
		    (unsigned long long)st->st_size, (unsigned long long)e->size);
	if (type == STAGE_SYMLINK)
		return check_link(v, e);
	if (type == STAGE_FILE && v->hash)
		return check_hash(v, e);
	return 0;
}

static int walk(struct verify *v);

/* The entry at v->abs / v->rel: known to the manifest and matching it. */
static int
visit(struct verify *v)
{
	const struct stage_entry *e;
	struct stat st;

	e = bsearch(v->rel.buf, v->man.v, v->man.nr, sizeof(*v->man.v), cmp_path);
	if (e == NULL)
		return bad(v, "unexpected '%s' in the release", q(v, v->rel.buf));
	v->seen[e - v->man.v] = 1;
	if (lstat(v->abs.buf, &st) == -1)
		return bad(v, "cannot stat '%s': %s", q(v, e->path), strerror(errno));
	if (check_entry(v, e, &st) == -1)
		return -1;
	return S_ISDIR(st.st_mode) ? walk(v) : 0;
}

static int
walk(struct verify *v)
{
	size_t alen = v->abs.len, rlen = v->rel.len;
	struct dirent *de;
	DIR *d = opendir(v->abs.buf);
	int rc = 0;

	if (d == NULL)
		return bad(v, "cannot read directory '%s': %s", q(v, v->abs.buf), strerror(errno));
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (rlen == 0 && !strcmp(de->d_name, STAGE_META)))
			continue;
		strbuf_addf(&v->abs, "/%s", de->d_name);
		strbuf_addf(&v->rel, "%s%s", rlen ? "/" : "", de->d_name);
		rc = visit(v);
		strbuf_setlen(&v->abs, alen);
		strbuf_setlen(&v->rel, rlen);
	}
	if (rc == 0 && errno != 0)
		rc = bad(v, "cannot read directory '%s': %s", q(v, v->abs.buf), strerror(errno));
	closedir(d);
	return rc;
}

static int
verify_run(struct verify *v, const char *release_dir)
{
	char recorded[65], digest[65];

	if (stage_manifest_read(&v->man, release_dir, recorded, v->err) == -1)
		return -1;
	stage_manifest_digest(&v->man, digest);
	if (strcmp(digest, recorded) != 0)
		return bad(v, "the manifest's bundle digest does not match its entries");
	if ((v->real = realpath(release_dir, NULL)) == NULL)
		return bad(v, "cannot resolve '%s': %s", q(v, release_dir), strerror(errno));
	if (v->hash && v->sha256 == NULL)
		return bad(v, "sha-256 is not available");
	v->seen = xcalloc(v->man.nr + 1, 1);
	strbuf_addstr(&v->abs, v->real);
	if (walk(v) == -1)
		return -1;
	for (size_t i = 0; i < v->man.nr; i++)
		if (!v->seen[i])
			return bad(v, "'%s' is missing from the release", q(v, v->man.v[i].path));
	return 0;
}

int
stage_verify(const char *release_dir, int hash, struct strbuf *err)
{
	struct verify v = {.hash = hash, .err = err};
	int rc;

	strbuf_init(&v.abs, 0);
	strbuf_init(&v.rel, 0);
	strbuf_init(&v.quoted, 0);
	if (hash) {
		v.md = EVP_MD_CTX_new();
		v.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
		v.buf = xmalloc(STAGE_BUFSZ);
	}
	strbuf_reset(err);
	rc = verify_run(&v, release_dir);
	stage_manifest_release(&v.man);
	EVP_MD_free(v.sha256);
	EVP_MD_CTX_free(v.md);
	free(v.buf);
	free(v.seen);
	free(v.real);
	strbuf_release(&v.abs);
	strbuf_release(&v.rel);
	strbuf_release(&v.quoted);
	return rc;
}
