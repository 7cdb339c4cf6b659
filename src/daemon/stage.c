/*
 * stage: stage_run's steps (checks, binaries, content rows, manifest, sync,
 * rename) and the helpers stage_copy.c and stage_manifest.c share.  The rules
 * are in stage.h.
 */
#include "daemon/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/stage_int.h"

void
stage_result_init(struct stage_result *res)
{
	strbuf_init(&res->error, 0);
	strvec_init(&res->warnings);
	res->bundle_digest[0] = '\0';
	res->bytes = 0;
	res->files = 0;
}

void
stage_result_release(struct stage_result *res)
{
	strbuf_release(&res->error);
	strvec_clear(&res->warnings);
}

int
stage_error(struct stage_ctx *c, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(&c->res->error);
	va_start(ap, fmt);
	strbuf_vaddf(&c->res->error, fmt, ap);
	va_end(ap);
	return -1;
}

void
stage_warn(struct stage_ctx *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	log_warnx("stage: %s", sb.buf);
	strvec_push(&c->res->warnings, sb.buf);
	strbuf_release(&sb);
}

const char *
stage_disp(struct stage_ctx *c, const char *s)
{
	struct strbuf *sb = &c->disp[c->disp_next];

	c->disp_next ^= 1;
	strbuf_reset(sb);
	strbuf_addquoted(sb, s, strlen(s));
	return sb->buf;
}

int
stage_cancelled(struct stage_ctx *c)
{
	if (c->req->cancel == NULL || *c->req->cancel == 0)
		return 0;
	stage_error(c, "cancelled");
	return 1;
}

int
stage_path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Normalise a worktree- or release-relative path into out ("" for "."):
 * refuse an empty or absolute path and any ".." component. */
static int
clean_relpath(const char *in, struct strbuf *out)
{
	const char *p = in, *slash;

	strbuf_reset(out);
	if (in == NULL || *in == '\0' || *in == '/')
		return -1;
	for (; *p; p = *slash ? slash + 1 : slash) {
		size_t n;

		slash = strchrnul(p, '/');
		n = (size_t)(slash - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (out->len > 0)
			strbuf_addch(out, '/');
		strbuf_add(out, p, n);
	}
	return 0;
}

/* realpath of worktree/rel into *real: 0, 1 when it does not exist, or -1. */
static int
resolve(struct stage_ctx *c, const char *rel, char **real)
{
	struct strbuf path = STRBUF_INIT;
	int rc = 0;

	strbuf_addstr(&path, c->worktree);
	if (*rel) {
		strbuf_addch(&path, '/');
		strbuf_addstr(&path, rel);
	}
	*real = realpath(path.buf, NULL);
	if (*real == NULL && (errno == ENOENT || errno == ENOTDIR))
		rc = 1;
	else if (*real == NULL)
		rc = stage_error(c, "cannot resolve '%s': %s", stage_disp(c, rel), strerror(errno));
	strbuf_release(&path);
	return rc;
}

static int
stage_bin(struct stage_ctx *c, const char *artifact, const char *name)
{
	struct strbuf rel = STRBUF_INIT;
	char *real = NULL;
	int rc;

	strbuf_addstr(&rel, artifact);
	strbuf_addf(&rel, "%s%s", *artifact ? "/" : "", name);
	c->label = rel.buf;
	if (*name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		rc = stage_error(c, "bad binary name '%s'", stage_disp(c, name));
	else if ((rc = resolve(c, rel.buf, &real)) == 1)
		rc = stage_error(c, "binary '%s' is missing from '%s'", stage_disp(c, name),
		    stage_disp(c, c->req->artifact_dir));
	else if (rc == 0 && !stage_path_under(real, c->worktree))
		rc = stage_error(c, "binary '%s' escapes the worktree", stage_disp(c, rel.buf));
	else if (rc == 0)
		rc = stage_copy(c, real, name, 1);
	free(real);
	strbuf_release(&rel);
	return rc;
}

static int
stage_bins(struct stage_ctx *c)
{
	struct strbuf artifact = STRBUF_INIT;
	int rc = 0;

	if (c->req->bins != NULL && c->req->bins[0] != NULL &&
	    clean_relpath(c->req->artifact_dir, &artifact) == -1)
		rc = stage_error(c, "artifact_dir '%s' must be a relative path without '..'",
		    stage_disp(c, c->req->artifact_dir ? c->req->artifact_dir : ""));
	for (size_t i = 0; rc == 0 && c->req->bins != NULL && c->req->bins[i] != NULL; i++)
		rc = stage_bin(c, artifact.buf, c->req->bins[i]);
	strbuf_release(&artifact);
	return rc;
}

/* A content row whose source does not exist: required fails, optional warns. */
static int
missing_row(struct stage_ctx *c, const struct stage_row *row)
{
	if (row->required)
		return stage_error(
		    c, "required release content '%s' is missing", stage_disp(c, row->src));
	stage_warn(c, "optional release content '%s' is missing", stage_disp(c, row->src));
	return 0;
}

static int
stage_row(struct stage_ctx *c, const struct stage_row *row)
{
	struct strbuf src = STRBUF_INIT, dst = STRBUF_INIT;
	char *real = NULL, *slash;
	int rc = 0;

	c->label = row->src ? row->src : "";
	if (clean_relpath(row->src, &src) == -1 || clean_relpath(row->dst, &dst) == -1)
		rc = stage_error(c,
		    "release content '%s' -> '%s' must use relative paths without '..'",
		    stage_disp(c, row->src ? row->src : ""),
		    stage_disp(c, row->dst ? row->dst : ""));
	else if ((rc = resolve(c, src.buf, &real)) == 1)
		rc = missing_row(c, row);
	else if (rc == 0 && !stage_path_under(real, c->worktree))
		rc = stage_error(
		    c, "release content '%s' escapes the worktree", stage_disp(c, row->src));
	else if (rc == 0 && (slash = strrchr(dst.buf, '/')) != NULL) {
		*slash = '\0';
		rc = stage_mkdirs(c, dst.buf);
		*slash = '/';
	}
	if (rc == 0 && real != NULL)
		rc = stage_copy(c, real, dst.buf, 0);
	free(real);
	strbuf_release(&src);
	strbuf_release(&dst);
	return rc;
}

/* Check the request and make an empty <version>.partial. */
static int
stage_prepare(struct stage_ctx *c, struct strbuf *final, int *created)
{
	const struct stage_request *req = c->req;
	const char *v = req->version ? req->version : "";
	struct stat st;
	size_t vlen = strlen(v), plen = strlen(".partial");

	if (*v == '\0' || strchr(v, '/') || strchr(v, '\n') || !strcmp(v, ".") ||
	    !strcmp(v, "..") || (vlen >= plen && strcmp(v + vlen - plen, ".partial") == 0))
		return stage_error(c, "invalid version '%s'", stage_disp(c, v));
	if (req->worktree == NULL || (c->worktree = realpath(req->worktree, NULL)) == NULL)
		return stage_error(c, "cannot resolve worktree '%s': %s",
		    stage_disp(c, req->worktree ? req->worktree : ""), strerror(errno));
	if (req->release_root == NULL || req->release_root[0] != '/')
		return stage_error(c, "release root must be an absolute path");
	if (fs_mkdir_p(req->release_root, 0755) == -1)
		return stage_error(c, "cannot create release root '%s': %s",
		    stage_disp(c, req->release_root), strerror(errno));
	strbuf_addf(final, "%s/%s", req->release_root, v);
	strbuf_addf(&c->partial, "%s.partial", final->buf);
	if (lstat(final->buf, &st) == 0)
		return stage_error(c, "release '%s' already exists", stage_disp(c, v));
	if (errno != ENOENT)
		return stage_error(
		    c, "cannot stat '%s': %s", stage_disp(c, final->buf), strerror(errno));
	if (lstat(c->partial.buf, &st) == 0) {
		log_info("stage: removing left-over '%s'", c->partial.buf);
		if (fs_remove_tree(c->partial.buf) == -1)
			return stage_error(c, "cannot remove '%s': %s",
			    stage_disp(c, c->partial.buf), strerror(errno));
	}
	if (mkdir(c->partial.buf, 0755) == -1 || chmod(c->partial.buf, 0755) == -1)
		return stage_error(
		    c, "cannot create '%s': %s", stage_disp(c, c->partial.buf), strerror(errno));
	*created = 1;
	return 0;
}

/* One syncfs of the release's filesystem: the rename must not reach the disk
 * before what it publishes (see stage.h for why not an fsync per file). */
static int
stage_sync(struct stage_ctx *c)
{
	int fd = open(c->partial.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd == -1 || syncfs(fd) == -1)
		rc = stage_error(
		    c, "cannot sync '%s': %s", stage_disp(c, c->partial.buf), strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

/* Publish: rename <version>.partial to <version> unless that exists. */
static int
stage_publish(struct stage_ctx *c, const char *final)
{
	int fd;

	if (renameat2(AT_FDCWD, c->partial.buf, AT_FDCWD, final, RENAME_NOREPLACE) == -1) {
		if (errno == EEXIST)
			return stage_error(
			    c, "release '%s' already exists", stage_disp(c, c->req->version));
		if (errno != EINVAL || rename(c->partial.buf, final) == -1)
			return stage_error(c, "cannot rename '%s': %s",
			    stage_disp(c, c->partial.buf), strerror(errno));
	}
	fd = open(c->req->release_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* Give each file that is unchanged since req->prev_release that file's
 * modification time (see stage.h); best effort: a failure only costs links. */
static void
stage_carry_times(struct stage_ctx *c)
{
	struct stage_manifest prev = {0};
	struct strbuf err = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	char digest[65];
	size_t j = 0;
	struct stat st;

	if (c->req->prev_release == NULL ||
	    stage_manifest_read(&prev, c->req->prev_release, digest, &err) == -1)
		goto out;
	for (size_t i = 0; i < c->man.nr; i++) {
		const struct stage_entry *e = &c->man.v[i];

		while (j < prev.nr && strcmp(prev.v[j].path, e->path) < 0)
			j++;
		if (j == prev.nr || e->type != STAGE_FILE || prev.v[j].type != STAGE_FILE ||
		    strcmp(prev.v[j].path, e->path) != 0 || prev.v[j].mode != e->mode ||
		    strcmp(prev.v[j].value, e->value) != 0)
			continue;
		strbuf_reset(&a);
		strbuf_reset(&b);
		strbuf_addf(&a, "%s/%s", c->req->prev_release, e->path);
		strbuf_addf(&b, "%s/%s", c->partial.buf, e->path);
		if (stat(a.buf, &st) == 0)
			utimensat(AT_FDCWD, b.buf,
			    (struct timespec[]){{.tv_nsec = UTIME_OMIT}, st.st_mtim}, 0);
	}
out:
	stage_manifest_release(&prev);
	strbuf_release(&err);
	strbuf_release(&a);
	strbuf_release(&b);
}

static int
stage_finish(struct stage_ctx *c, const char *final)
{
	struct strbuf meta = STRBUF_INIT, err = STRBUF_INIT;
	int rc = 0;

	stage_manifest_finish(&c->man);
	stage_carry_times(c);
	stage_manifest_digest(&c->man, c->res->bundle_digest);
	c->res->files = c->man.nr;
	strbuf_addf(&meta, "%s/%s", c->partial.buf, STAGE_META);
	if (mkdir(meta.buf, 0755) == -1 || chmod(meta.buf, 0755) == -1)
		rc = stage_error(
		    c, "cannot create '%s': %s", stage_disp(c, meta.buf), strerror(errno));
	if (rc == 0 && stage_manifest_write(&c->man, c->partial.buf, c->req->version,
	                   c->req->sha ? c->req->sha : "", c->res->bundle_digest, &err) == -1)
		rc = stage_error(c, "%s", err.buf);
	if (rc == 0 && stage_verify(c->partial.buf, 0, &err) == -1)
		rc = stage_error(c, "staged release does not match its manifest: %s", err.buf);
	if (rc == 0)
		rc = stage_sync(c);
	if (rc == 0)
		rc = stage_publish(c, final);
	strbuf_release(&meta);
	strbuf_release(&err);
	return rc;
}

static void
ctx_init(struct stage_ctx *c, const struct stage_request *req, struct stage_result *res)
{
	memset(c, 0, sizeof(*c));
	c->req = req;
	c->res = res;
	c->label = "";
	strbuf_init(&c->partial, 0);
	strbuf_init(&c->disp[0], 0);
	strbuf_init(&c->disp[1], 0);
	c->pump = stage_pump_new();
}

static void
ctx_release(struct stage_ctx *c)
{
	stage_manifest_release(&c->man);
	stage_pump_free(c->pump);
	free(c->worktree);
	strbuf_release(&c->partial);
	strbuf_release(&c->disp[0]);
	strbuf_release(&c->disp[1]);
}

int
stage_run(const struct stage_request *req, struct stage_result *res)
{
	struct strbuf final = STRBUF_INIT;
	struct stage_ctx c;
	int created = 0, rc;

	ctx_init(&c, req, res);
	strbuf_reset(&res->error);
	rc = stage_prepare(&c, &final, &created);
	if (rc == 0)
		rc = stage_bins(&c);
	for (size_t i = 0; rc == 0 && i < req->nrows; i++)
		rc = stage_row(&c, &req->rows[i]);
	if (rc == 0)
		rc = stage_finish(&c, final.buf);
	if (rc == -1 && created && fs_remove_tree(c.partial.buf) == -1)
		log_warn("stage: cannot remove '%s'", c.partial.buf);
	if (rc == -1)
		res->bundle_digest[0] = '\0';
	ctx_release(&c);
	strbuf_release(&final);
	return rc;
}
