/*
 * stage_manifest: the release manifest in memory, its canonical text and
 * bundle digest, and .sando/manifest.json (written with jansson, read back
 * by stage_verify).  The format is described in stage.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "daemon/stage_int.h"

static const char *const type_names[] = {
    [STAGE_FILE] = "file",
    [STAGE_DIR] = "dir",
    [STAGE_SYMLINK] = "symlink",
};

void
stage_hex(const unsigned char *sum, unsigned len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < len && i < 32; i++) {
		hex[2 * i] = digits[sum[i] >> 4];
		hex[2 * i + 1] = digits[sum[i] & 15];
	}
	hex[len < 32 ? 2 * len : 64] = '\0';
}

int
stage_sha256_fd(
    EVP_MD_CTX *md, const EVP_MD *sha256, int fd, unsigned char *buf, char hex[65], uint64_t *size)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	ssize_t n;

	*size = 0;
	if (!EVP_DigestInit_ex(md, sha256, NULL)) {
		errno = ENOSYS;
		return -1;
	}
	while ((n = read(fd, buf, STAGE_BUFSZ)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		EVP_DigestUpdate(md, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, sum, &len);
	stage_hex(sum, len, hex);
	return 0;
}

void
stage_manifest_add(struct stage_manifest *m, const char *path, int type, unsigned mode,
    uint64_t size, const char *value)
{
	struct stage_entry *e;

	if (m->nr == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 64;
		m->v = xreallocarray(m->v, m->alloc, sizeof(*m->v));
	}
	e = &m->v[m->nr];
	e->path = xstrdup(path);
	e->type = type;
	e->mode = mode;
	e->size = size;
	e->value = value ? xstrdup(value) : NULL;
	e->seq = m->nr++;
}

static void
entry_free(struct stage_entry *e)
{
	free(e->path);
	free(e->value);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct stage_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
stage_manifest_finish(struct stage_manifest *m)
{
	size_t out = 0;

	if (m->nr > 1)
		qsort(m->v, m->nr, sizeof(*m->v), entry_cmp);
	for (size_t i = 0; i < m->nr; i++) {
		if (i + 1 < m->nr && strcmp(m->v[i].path, m->v[i + 1].path) == 0) {
			entry_free(&m->v[i]);
			continue;
		}
		m->v[out++] = m->v[i];
	}
	m->nr = out;
}

void
stage_manifest_release(struct stage_manifest *m)
{
	for (size_t i = 0; i < m->nr; i++)
		entry_free(&m->v[i]);
	free(m->v);
	m->v = NULL;
	m->nr = m->alloc = 0;
}

void
stage_manifest_digest(const struct stage_manifest *m, char hex[65])
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	struct strbuf line = STRBUF_INIT;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < m->nr; i++) {
		const struct stage_entry *e = &m->v[i];

		strbuf_reset(&line);
		strbuf_addf(&line, "%s %04o %llu %s %s\n", type_names[e->type], e->mode,
		    (unsigned long long)e->size, e->value ? e->value : "-", e->path);
		EVP_DigestUpdate(md, line.buf, line.len);
	}
	EVP_DigestFinal_ex(md, sum, &len);
	EVP_MD_CTX_free(md);
	stage_hex(sum, len, hex);
	strbuf_release(&line);
}

static json_t *
entry_json(const struct stage_entry *e)
{
	char mode[16];

	snprintf(mode, sizeof(mode), "%04o", e->mode);
	return json_pack("{s:s, s:s, s:s, s:I, s:s*}", "path", e->path, "type", type_names[e->type],
	    "mode", mode, "size", (json_int_t)e->size,
	    e->type == STAGE_SYMLINK ? "target" : "sha256", e->value);
}

/* Write text to a new file path, 0644 (synced with the rest by stage_run). */
static int
write_file(const char *path, const char *text, struct strbuf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd == -1 || fchmod(fd, 0644) == -1 ||
	    stage_write_all(fd, (const unsigned char *)text, strlen(text)) == -1) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
stage_manifest_write(const struct stage_manifest *m, const char *dir, const char *version,
    const char *sha, const char *digest, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	json_t *files = json_array(), *root;
	char *text;
	int rc;

	for (size_t i = 0; i < m->nr; i++)
		if (json_array_append_new(files, entry_json(&m->v[i])) == -1)
			break;
	if (json_array_size(files) != m->nr) {
		json_decref(files);
		strbuf_reset(err);
		strbuf_addstr(err, "cannot encode the manifest");
		return -1;
	}
	root = json_pack("{s:s, s:s, s:s, s:o}", "version", version, "sha", sha, "bundle_digest",
	    digest, "files", files);
	text = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	strbuf_reset(err);
	strbuf_addf(&path, "%s/%s/manifest.json", dir, STAGE_META);
	if (text == NULL) {
		strbuf_addstr(err, "cannot encode the manifest");
		rc = -1;
	} else {
		rc = write_file(path.buf, text, err);
	}
	free(text);
	json_decref(root);
	strbuf_release(&path);
	return rc;
}

static int
parse_mode(const char *s, unsigned *mode)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (*s == '\0' || *end != '\0' || errno != 0 || v > 07777)
		return -1;
	*mode = (unsigned)v;
	return 0;
}

/* One "files" item into m; -1 when it is malformed. */
static int
parse_entry(json_t *item, struct stage_manifest *m)
{
	const char *path, *type, *mode, *sha = NULL, *target = NULL;
	json_int_t size;
	unsigned bits;
	int t;

	if (json_unpack(item, "{s:s, s:s, s:s, s:I, s?s, s?s !}", "path", &path, "type", &type,
	        "mode", &mode, "size", &size, "sha256", &sha, "target", &target) == -1)
		return -1;
	for (t = 0; t < 3 && strcmp(type, type_names[t]) != 0; t++)
		;
	if (t == 3 || size < 0 || parse_mode(mode, &bits) == -1 || *path == '\0')
		return -1;
	if ((t == STAGE_FILE) != (sha != NULL) || (t == STAGE_SYMLINK) != (target != NULL))
		return -1;
	if (sha != NULL && (strlen(sha) != 64 || sha[strspn(sha, "0123456789abcdef")] != '\0'))
		return -1;
	stage_manifest_add(m, path, t, bits, (uint64_t)size, sha ? sha : target);
	return 0;
}

static int
manifest_bad(struct strbuf *err, const char *path, const char *what)
{
	strbuf_addf(err, "manifest '%s' %s", path, what);
	return -1;
}

int
stage_manifest_read(struct stage_manifest *m, const char *dir, char digest[65], struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	const char *d = NULL;
	json_t *root, *files = NULL;
	json_error_t jerr;
	int rc = 0;

	strbuf_addf(&path, "%s/%s/manifest.json", dir, STAGE_META);
	root = json_load_file(path.buf, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		strbuf_addf(err, "cannot read manifest '%s': %s", path.buf, jerr.text);
		rc = -1;
	} else if (json_unpack(root, "{s:s, s:o}", "bundle_digest", &d, "files", &files) == -1 ||
	           strlen(d) != 64 || !json_is_array(files)) {
		rc = manifest_bad(err, path.buf, "is malformed");
	}
	for (size_t i = 0; rc == 0 && i < json_array_size(files); i++)
		if (parse_entry(json_array_get(files, i), m) == -1)
			rc = manifest_bad(err, path.buf, "has a malformed entry");
	for (size_t i = 1; rc == 0 && i < m->nr; i++)
		if (strcmp(m->v[i - 1].path, m->v[i].path) >= 0)
			rc = manifest_bad(err, path.buf, "is not sorted by path");
	if (rc == 0)
		memcpy(digest, d, 65);
	json_decref(root);
	strbuf_release(&path);
	return rc;
}
