/*
 * node_verify: compare a node's find listing and sha256sum output with the
 * staged manifest (see node_verify.h).  The manifest is read by stage's
 * reader (stage_int.h); the two ".sando" entries are taken from the local
 * copy and looked up after the manifest's own entries.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/strbuf.h"
#include "core/strvec.h"
#include "core/xmalloc.h"
#include "daemon/node_verify.h"
#include "daemon/stage_int.h"

#define META_DIR 0  /* meta[0]: ".sando" */
#define META_FILE 1 /* meta[1]: ".sando/manifest.json" */

struct node_manifest {
	struct stage_manifest man; /* sorted by path */
	struct stage_entry meta[2];
	char meta_hex[65]; /* SHA-256 of the local manifest.json */
};

/* One check: its manifest, error buffer and a ring of quoted strings. */
struct nv {
	const struct node_manifest *m;
	struct strbuf *err;
	struct strbuf q[3];
	int qnext;
	char *seen; /* per entry (manifest, then meta): listed already */
};

/* One record of a find listing; path and target point into the listing. */
struct record {
	char type; /* find's %y letter */
	unsigned mode;
	uint64_t size;
	const char *path; /* NUL-terminated */
	const char *target;
	size_t tlen;
};

static const char *const kinds[] = {"file", "directory", "symlink"};

static void
nv_init(struct nv *v, const struct node_manifest *m, struct strbuf *err)
{
	v->m = m;
	v->err = err;
	for (int i = 0; i < 3; i++)
		strbuf_init(&v->q[i], 0);
	v->qnext = 0;
	v->seen = NULL;
	strbuf_reset(err);
}

static void
nv_release(struct nv *v)
{
	for (int i = 0; i < 3; i++)
		strbuf_release(&v->q[i]);
	free(v->seen);
}

/* s (len bytes) escaped for a message; valid until the third call after. */
static const char *
q(struct nv *v, const char *s, size_t len)
{
	struct strbuf *sb = &v->q[v->qnext++ % 3];

	strbuf_reset(sb);
	strbuf_addquoted(sb, s, len);
	return sb->buf;
}

static const char *
qs(struct nv *v, const char *s)
{
	return q(v, s, strlen(s));
}

/* Set err from a format; returns -1. */
static int __attribute__((format(printf, 2, 3))) bad(struct nv *v, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(v->err);
	va_start(ap, fmt);
	strbuf_vaddf(v->err, fmt, ap);
	va_end(ap);
	return -1;
}

static int
cmp_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct stage_entry *)elem)->path);
}

/* The entry for path and its index (manifest entries, then the meta pair). */
static const struct stage_entry *
lookup(const struct node_manifest *m, const char *path, size_t *idx)
{
	const struct stage_entry *e;

	e = bsearch(path, m->man.v, m->man.nr, sizeof(*m->man.v), cmp_path);
	if (e != NULL) {
		*idx = (size_t)(e - m->man.v);
		return e;
	}
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(path, m->meta[i].path) == 0) {
			*idx = m->man.nr + i;
			return &m->meta[i];
		}
	}
	return NULL;
}

static int
is_meta(const char *path)
{
	size_t n = strlen(STAGE_META);

	return strncmp(path, STAGE_META, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Fill m->meta from the local .sando and its manifest.json. */
static int
load_meta(struct node_manifest *m, const char *dir, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	struct stat st, fst;
	int rc = 0;

	strbuf_addf(&path, "%s/%s", dir, STAGE_META);
	if (lstat(path.buf, &st) == -1 || !S_ISDIR(st.st_mode)) {
		strbuf_addf(err, "cannot use '%s': not a directory", path.buf);
		rc = -1;
	}
	strbuf_addstr(&path, "/manifest.json");
	if (rc == 0 && (lstat(path.buf, &fst) == -1 || !S_ISREG(fst.st_mode) ||
	                   strbuf_read_file(&text, path.buf, 0) == -1 ||
	                   !EVP_Digest(text.buf, text.len, sum, &len, EVP_sha256(), NULL))) {
		strbuf_addf(err, "cannot read '%s': %s", path.buf, strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		stage_hex(sum, len, m->meta_hex);
		m->meta[META_DIR] = (struct stage_entry){
		    .path = STAGE_META, .type = STAGE_DIR, .mode = st.st_mode & 07777};
		m->meta[META_FILE] = (struct stage_entry){.path = STAGE_META "/manifest.json",
		    .type = STAGE_FILE,
		    .mode = fst.st_mode & 07777,
		    .size = text.len,
		    .value = m->meta_hex};
	}
	strbuf_release(&path);
	strbuf_release(&text);
	return rc;
}

int
node_manifest_load(const char *release_dir, struct node_manifest **out, struct strbuf *err)
{
	struct node_manifest *m = xcalloc(1, sizeof(*m));
	char recorded[65], digest[65];
	int rc;

	strbuf_reset(err);
	rc = stage_manifest_read(&m->man, release_dir, recorded, err);
	if (rc == 0) {
		stage_manifest_digest(&m->man, digest);
		if (strcmp(digest, recorded) != 0) {
			strbuf_addf(err, "the manifest of '%s' does not match its bundle digest",
			    release_dir);
			rc = -1;
		}
	}
	for (size_t i = 0; rc == 0 && i < m->man.nr; i++) {
		if (is_meta(m->man.v[i].path)) {
			strbuf_addf(err, "the manifest of '%s' lists the reserved '%s'",
			    release_dir, STAGE_META);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = load_meta(m, release_dir, err);
	if (rc == -1) {
		node_manifest_free(m);
		m = NULL;
	}
	*out = m;
	return rc;
}

void
node_manifest_free(struct node_manifest *m)
{
	if (m == NULL)
		return;
	stage_manifest_release(&m->man);
	free(m);
}

void
node_manifest_files(const struct node_manifest *m, struct strvec *out)
{
	for (size_t i = 0; i < m->man.nr; i++)
		if (m->man.v[i].type == STAGE_FILE)
			strvec_push(out, m->man.v[i].path);
}

/* Digits of base 8 or 10 at s[*p] ending in a space, at most max; -1 if not. */
static int
parse_num(const char *s, size_t len, size_t *p, unsigned base, uint64_t max, uint64_t *out)
{
	size_t start = *p;
	uint64_t v = 0;

	while (*p < len && s[*p] >= '0' && s[*p] < (char)('0' + base)) {
		unsigned d = (unsigned)(s[*p] - '0');

		if (v > (max - d) / base)
			return -1;
		v = v * base + d;
		(*p)++;
	}
	if (*p == start || *p >= len || s[*p] != ' ')
		return -1;
	(*p)++;
	*out = v;
	return 0;
}

/* Parse the record at *p into r and move *p past it; NULL, or what is wrong. */
static const char *
parse_record(const char *s, size_t len, size_t *p, struct record *r)
{
	const char *nul;
	uint64_t mode;

	if (len - *p < 2 || s[*p + 1] != ' ' || strchr("fdlbcpsDU", s[*p]) == NULL || s[*p] == '\0')
		return "bad type";
	r->type = s[*p];
	*p += 2;
	if (parse_num(s, len, p, 8, 07777, &mode) == -1)
		return "bad mode";
	r->mode = (unsigned)mode;
	if (parse_num(s, len, p, 10, UINT64_MAX, &r->size) == -1)
		return "bad size";
	if ((nul = memchr(s + *p, '\0', len - *p)) == NULL)
		return "truncated record";
	r->path = s + *p;
	*p = (size_t)(nul - s) + 1;
	if (*r->path == '\0')
		return "empty path";
	if ((nul = memchr(s + *p, '\0', len - *p)) == NULL)
		return "truncated record";
	r->target = s + *p;
	r->tlen = (size_t)(nul - r->target);
	*p = (size_t)(nul - s) + 1;
	if (r->tlen != 0 && r->type != 'l')
		return "link target on a non-symlink";
	return NULL;
}

static int
letter_type(char c)
{
	if (c == 'f')
		return STAGE_FILE;
	if (c == 'd')
		return STAGE_DIR;
	return c == 'l' ? STAGE_SYMLINK : -1;
}

/* One parsed record against the manifest. */
static int
check_record(struct nv *v, const struct record *r)
{
	const struct stage_entry *e;
	size_t i;
	int type = letter_type(r->type);

	if ((e = lookup(v->m, r->path, &i)) == NULL)
		return bad(v, "unexpected '%s'", qs(v, r->path));
	if (v->seen[i])
		return bad(v, "malformed listing: '%s' is listed twice", qs(v, r->path));
	v->seen[i] = 1;
	if (type != e->type)
		return bad(v, "'%s': type %s, expected %s", qs(v, e->path),
		    type == -1 ? "special file" : kinds[type], kinds[e->type]);
	if (r->mode != e->mode)
		return bad(v, "'%s': mode %04o, expected %04o", qs(v, e->path), r->mode, e->mode);
	if (type == STAGE_FILE && r->size != e->size)
		return bad(v, "'%s': size %llu, expected %llu", qs(v, e->path),
		    (unsigned long long)r->size, (unsigned long long)e->size);
	if (type == STAGE_SYMLINK &&
	    (r->tlen != strlen(e->value) || memcmp(r->target, e->value, r->tlen) != 0))
		return bad(v, "'%s': target '%s', expected '%s'", qs(v, e->path),
		    q(v, r->target, r->tlen), qs(v, e->value));
	return 0;
}

/* The first entry (manifest order, then the meta pair) not seen. */
static int
check_missing(struct nv *v)
{
	for (size_t i = 0; i < v->m->man.nr; i++)
		if (!v->seen[i])
			return bad(v, "missing '%s'", qs(v, v->m->man.v[i].path));
	for (size_t i = 0; i < 2; i++)
		if (!v->seen[v->m->man.nr + i])
			return bad(v, "missing '%s'", v->m->meta[i].path);
	return 0;
}

int
node_verify_listing(
    const struct node_manifest *m, const char *listing, size_t len, struct strbuf *err)
{
	struct nv v;
	struct record r;
	const char *what;
	size_t p = 0, start;
	int rc = 0;

	nv_init(&v, m, err);
	v.seen = xcalloc(m->man.nr + 2, 1);
	while (rc == 0 && p < len) {
		start = p;
		if ((what = parse_record(listing, len, &p, &r)) != NULL)
			rc = bad(&v, "malformed listing: %s at byte %zu", what, start);
		else
			rc = check_record(&v, &r);
	}
	if (rc == 0)
		rc = check_missing(&v);
	nv_release(&v);
	return rc;
}

/* One "<hex>  <path>" record of rlen bytes (NUL after it) against the manifest. */
static int
check_sum(struct nv *v, const char *rec, size_t rlen, size_t at)
{
	const struct stage_entry *e;
	const char *path = rec + 66;
	size_t i;

	if (rlen < 67 || strspn(rec, "0123456789abcdef") != 64 || rec[64] != ' ' ||
	    (rec[65] != ' ' && rec[65] != '*'))
		return bad(v, "malformed sha256sum output at byte %zu", at);
	if ((e = lookup(v->m, path, &i)) == NULL || e->type != STAGE_FILE)
		return bad(v, "'%s' is not a file of the manifest", qs(v, path));
	if (memcmp(rec, e->value, 64) != 0)
		return bad(v, "'%s': sha-256 %.64s, expected %s", qs(v, path), rec, e->value);
	return 0;
}

int
node_verify_hashes(const struct node_manifest *m, const char *sums, size_t len, struct strbuf *err)
{
	struct nv v;
	const char *nul;
	size_t p = 0;
	int rc = 0;

	nv_init(&v, m, err);
	while (rc == 0 && p < len) {
		if ((nul = memchr(sums + p, '\0', len - p)) == NULL) {
			rc = bad(&v, "malformed sha256sum output: truncated record at byte %zu", p);
			break;
		}
		rc = check_sum(&v, sums + p, (size_t)(nul - sums) - p, p);
		p = (size_t)(nul - sums) + 1;
	}
	nv_release(&v);
	return rc;
}
