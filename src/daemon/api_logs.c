/*
 * The log routes: GET /builds/{id}/log and /logs/{version}/{gate}[?tier=]
 * (gate "build" or a configured gate's name; the newest run's log, on tier
 * when given).
 *
 * A log is served whole, or with ?follow=1 streamed while its producer (the
 * build or gate run) is active: what the file has, then what is appended to
 * it, read by a timer every FOLLOW_TICK_MS in pieces of FOLLOW_CHUNK while
 * fewer than FOLLOW_QUEUE_MAX bytes wait for the client (so a slow reader
 * costs the daemon no memory), until the producer is no longer active; then
 * a last read to the end of the file, and the stream ends.  An active
 * producer's log that does not exist yet is waited for.  A client that goes
 * stops the follow.
 *
 * ?tail=N (bytes, 0 to TAIL_MAX) serves only the end of the log: its last N
 * bytes, from just past the first newline among them when the byte before
 * them is not one (a partial first line is dropped, unless the only newline
 * is the last byte: then the partial line is all there is).  With ?follow=1
 * the stream starts there (tail=0: only what is appended from now); a log
 * that does not exist yet is tailed when it appears.  The answer's
 * X-Log-Offset header says where in the file the body starts.
 *
 * Names are validated before any lookup (a semantic version, a gate name of
 * the topology, a known tier), and the file is resolved with realpath under
 * logs_root: "../", "%2e%2e", absolute paths and NUL never reach a path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/api.h"
#include "daemon/build.h"
#include "daemon/gates/gates.h"
#include "daemon/store.h"
#include "domain/ids.h"
#include "domain/version.h"

#define LOG_MAX (64u << 20)
#define FOLLOW_TICK_MS 5
#define FOLLOW_CHUNK (64u << 10)
#define FOLLOW_QUEUE_MAX (2u << 20)
#define FOLLOW_TICK_MAX (4u << 20) /* read per tick at most, so the loop moves on */
#define TAIL_MAX (4u << 20)
#define TAIL_NONE (-1)

/* What the query asked for. */
struct log_query {
	int follow;   /* ?follow=1 */
	int64_t tail; /* ?tail=N, or TAIL_NONE */
};

/* Whether the producer of a log is still writing it. */
typedef int log_active_fn(const struct daemon *d, int64_t id);

/* A client following a log. */
struct log_follow {
	uv_timer_t timer;
	struct daemon *d;
	struct http_request *req;
	log_active_fn *active;
	int64_t id;
	char *path;
	int fd;       /* -1 until the log exists */
	int64_t tail; /* where to start once it exists (TAIL_NONE: at 0) */
};

/* Where the last tail bytes of the log open at fd start (see the top): 0 with
 * *start set, or -1 with errno. */
static int
tail_offset(int fd, uint64_t tail, off_t *start)
{
	static char buf[FOLLOW_CHUNK];
	struct stat st;
	off_t off, end;
	ssize_t n;
	char *nl;

	if (fstat(fd, &st) == -1)
		return -1;
	end = st.st_size;
	*start = off = (uint64_t)end > tail ? end - (off_t)tail : 0;
	if (off == 0)
		return 0;
	for (off--; off < end - 1; off += n) { /* from the byte before, not the last */
		size_t want =
		    (uint64_t)(end - 1 - off) < sizeof(buf) ? (size_t)(end - 1 - off) : sizeof(buf);

		n = pread(fd, buf, want, off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return n == 0 ? 0 : -1;
		if ((nl = memchr(buf, '\n', (size_t)n)) != NULL) {
			*start = off + (nl - buf) + 1;
			return 0;
		}
	}
	return 0;
}

/* Read the end of the log at path (?tail) into out, its offset in the file in
 * *start: 0, or -1 with errno. */
static int
read_tail(const char *path, uint64_t tail, struct strbuf *out, off_t *start)
{
	static char buf[FOLLOW_CHUNK];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	ssize_t n = 1;

	if (fd < 0)
		return -1;
	if (tail_offset(fd, tail, start) == -1 || lseek(fd, *start, SEEK_SET) == -1)
		rc = -1;
	while (rc == 0 && out->len < tail && n != 0) {
		size_t want = tail - out->len < sizeof(buf) ? tail - out->len : sizeof(buf);

		n = read(fd, buf, want);
		if (n < 0 && errno != EINTR)
			rc = -1;
		else if (n > 0)
			strbuf_add(out, buf, (size_t)n);
	}
	n = errno;
	close(fd);
	errno = (int)n;
	return rc;
}

/* The X-Log-Offset header: where in the file the body starts. */
static void
offset_header(struct http_request *req, off_t start)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", (long long)start);
	http_add_response_header(req, "X-Log-Offset", v);
}

static void
follow_free(uv_handle_t *handle)
{
	struct log_follow *f = handle->data;

	free(f->path);
	free(f);
}

/* End the follow: the stream (if the client is still there) and the timer. */
static void
follow_stop(struct log_follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	http_stream_end(f->req);
	uv_close((uv_handle_t *)&f->timer, follow_free);
}

static void
follow_gone(struct http_request *req, void *arg)
{
	follow_stop(arg);
}

/* Open the followed log, at its tail when asked: 0, or -1 with errno (logged
 * unless the log does not exist yet). */
static int
follow_open(struct log_follow *f)
{
	off_t start = 0;
	int e;

	if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			log_warn("%lld: cannot open the log '%s'", (long long)f->id, f->path);
		return -1;
	}
	if (f->tail == TAIL_NONE)
		return 0;
	if (tail_offset(f->fd, (uint64_t)f->tail, &start) == 0 &&
	    lseek(f->fd, start, SEEK_SET) != -1)
		return 0;
	e = errno;
	log_warn("%lld: cannot seek in the log '%s'", (long long)f->id, f->path);
	close(f->fd);
	f->fd = -1;
	errno = e == ENOENT ? EIO : e;
	return -1;
}

/* Send what the log has past what was sent, within the pacing limits: 1 at
 * the end of the file (or when there is no file yet), 0 when more is left,
 * -1 when the client has gone or the log cannot be read. */
static int
follow_pump(struct log_follow *f)
{
	static char buf[FOLLOW_CHUNK];
	size_t sent = 0;
	ssize_t n;

	if (f->fd < 0 && follow_open(f) == -1)
		return errno == ENOENT ? 1 : -1;
	while (sent < FOLLOW_TICK_MAX && http_stream_queued(f->req) < FOLLOW_QUEUE_MAX) {
		n = read(f->fd, buf, sizeof(buf));
		if (n == 0)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("%lld: cannot read the log '%s'", (long long)f->id, f->path);
			return -1;
		}
		if (http_stream_write(f->req, buf, (size_t)n) == -1)
			return -1;
		sent += (size_t)n;
	}
	return 0;
}

static void
follow_tick(uv_timer_t *timer)
{
	struct log_follow *f = timer->data;
	/* asked before reading: a build no longer in flight has written all it will */
	int running = f->active(f->d, f->id);
	int r = follow_pump(f);

	if (r == -1 || (r == 1 && !running))
		follow_stop(f);
}

/* Stream the log at path of producer id as it grows (?follow=1), from its
 * tail when asked. */
static void
follow_start(struct http_request *req, struct daemon *d, log_active_fn *active, int64_t id,
    const char *path, int64_t tail)
{
	struct log_follow *f = xcalloc(1, sizeof(*f));

	f->d = d;
	f->active = active;
	f->req = req;
	f->id = id;
	f->path = xstrdup(path);
	f->fd = -1;
	f->tail = tail;
	if (uv_timer_init(d->loop, &f->timer) != 0)
		fatalx("cannot initialise a timer");
	f->timer.data = f;
	if (follow_open(f) == 0)
		offset_header(req, lseek(f->fd, 0, SEEK_CUR));
	http_add_response_header(req, "Cache-Control", "no-store");
	if (http_stream_begin(req, 200, "text/plain; charset=utf-8", follow_gone, f) == -1)
		follow_stop(f);
	else
		uv_timer_start(&f->timer, follow_tick, 0, FOLLOW_TICK_MS);
}

/* ?follow: 1 to follow, 0 (absent or "0") not to; -1 after answering 400. */
static int
query_follow(struct http_request *req)
{
	struct strbuf v = STRBUF_INIT;
	int follow = 0;

	if (http_query_get(req, "follow", &v) == 0 && strcmp(v.buf, "0") != 0) {
		follow = strcmp(v.buf, "1") == 0 ? 1 : -1;
		if (follow == -1)
			http_respond_error(req, 400, "bad_request", "'follow' must be 0 or 1");
	}
	strbuf_release(&v);
	return follow;
}

/* ?tail: the bytes, TAIL_NONE when absent; -2 after answering 400. */
static int64_t
query_tail(struct http_request *req)
{
	struct strbuf v = STRBUF_INIT;
	int64_t tail = TAIL_NONE;
	size_t i;

	if (http_query_get(req, "tail", &v) == 0) {
		for (i = 0; i < v.len && i < 8 && v.buf[i] >= '0' && v.buf[i] <= '9'; i++)
			;
		tail = v.len > 0 && i == v.len ? strtoll(v.buf, NULL, 10) : -2;
		if (tail < 0 || tail > TAIL_MAX) {
			tail = -2;
			http_respond_error(req, 400, "bad_request",
			    "'tail' must be a number of bytes from 0 to %u", TAIL_MAX);
		}
	}
	strbuf_release(&v);
	return tail;
}

/* ?follow and ?tail into q: 0, or -1 after answering 400. */
static int
query_log(struct http_request *req, struct log_query *q)
{
	if ((q->follow = query_follow(req)) == -1)
		return -1;
	return (q->tail = query_tail(req)) == -2 ? -1 : 0;
}

static int
build_active(const struct daemon *d, int64_t id)
{
	return build_current_id(d) == id;
}

static int
gate_active(const struct daemon *d, int64_t id)
{
	return gates_run_active(d, id);
}

/* Read the log at path (its tail when asked) into text: 0, or -1 with errno. */
static int
read_log(struct http_request *req, const char *path, int64_t tail, struct strbuf *text)
{
	off_t start = 0;

	if (tail == TAIL_NONE)
		return strbuf_read_file(text, path, LOG_MAX);
	if (read_tail(path, (uint64_t)tail, text, &start) == -1)
		return -1;
	offset_header(req, start);
	return 0;
}

/* Serve the log at path (or follow it: a log that does not exist yet is
 * waited for only while its producer is active). */
static void
respond_log(struct http_request *req, struct daemon *d, log_active_fn *active, int64_t id,
    const char *path, const struct log_query *q)
{
	struct strbuf text = STRBUF_INIT;

	if (q->follow && (active(d, id) || access(path, F_OK) == 0))
		follow_start(req, d, active, id, path, q->tail);
	else if (read_log(req, path, q->tail, &text) == 0)
		http_respond(req, 200, "text/plain; charset=utf-8", text.buf, text.len);
	else if (errno == ENOENT)
		http_respond_error(req, 404, "no_log", "there is no log yet");
	else if (errno == EFBIG)
		http_respond_error(req, 413, "log_too_large",
		    "the log is larger than %u bytes (?tail= serves its end)", LOG_MAX);
	else
		http_respond_error(
		    req, 500, "internal", "cannot read the log: %s", strerror(errno));
	strbuf_release(&text);
}

/* logs_root/ref resolved with realpath and required to stay under logs_root
 * (a missing file resolves through its directory): 0 with path set, or -1. */
static int
log_path(struct daemon *d, const char *ref, struct strbuf *path)
{
	char root[PATH_MAX], dir[PATH_MAX];
	const char *base = strrchr(ref, '/');
	struct strbuf parent = STRBUF_INIT;
	size_t n;
	int rc = -1;

	strbuf_reset(path);
	if (ref[0] == '/' || strstr(ref, "..") || base == NULL ||
	    realpath(d->cfg.logs_root, root) == NULL)
		return -1;
	strbuf_addf(&parent, "%s/%.*s", d->cfg.logs_root, (int)(base - ref), ref);
	n = strlen(root);
	if (realpath(parent.buf, dir) != NULL && strncmp(dir, root, n) == 0 && dir[n] == '/') {
		strbuf_addf(path, "%s%s", dir, base);
		rc = 0;
	}
	strbuf_release(&parent);
	return rc;
}

void
api_build_log(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT, ref = STRBUF_INIT;
	int64_t id = api_param_id(req, "id");
	struct log_query q;
	json_t *rows;

	if (id <= 0 || query_log(req, &q) == -1)
		return;
	rows = store_builds_json(d->store, id, 1, &err);
	strbuf_addf(&ref, "builds/%lld.log", (long long)id);
	if (rows == NULL || json_array_size(rows) == 0)
		api_respond_rows(req, rows, &err, "unknown_build");
	else if (json_decref(rows), log_path(d, ref.buf, &path) == -1)
		http_respond_error(req, 404, "no_log", "build %lld has no log", (long long)id);
	else
		respond_log(req, d, build_active, id, path.buf, &q);
	strbuf_release(&err);
	strbuf_release(&path);
	strbuf_release(&ref);
}

/* /logs/{version}/build */
static void
version_build_log(
    struct http_request *req, struct daemon *d, const char *version, const struct log_query *q)
{
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT, ref = STRBUF_INIT;
	int64_t id = store_version_build(d->store, version, &err);

	if (id == 0)
		id = build_current_for_version(d, version);
	strbuf_addf(&ref, "builds/%lld.log", (long long)id);
	if (id == 0)
		http_respond_error(req, 404, "unknown_version", "no such version");
	else if (id < 0)
		http_respond_error(req, 500, "internal", "%s", err.buf);
	else if (log_path(d, ref.buf, &path) == -1)
		http_respond_error(req, 404, "no_log", "build %lld has no log", (long long)id);
	else
		respond_log(req, d, build_active, id, path.buf, q);
	strbuf_release(&err);
	strbuf_release(&path);
	strbuf_release(&ref);
}

/* Whether gate is configured on tier t (any tier when t is NULL). */
static int
gate_configured(struct daemon *d, const struct tier_config *t, const char *gate)
{
	for (size_t i = 0; i < d->topo.ntiers; i++) {
		const struct tier_config *ti = &d->topo.tiers[i];

		for (size_t j = 0; (t == NULL || t == ti) && j < ti->ngates; j++)
			if (strcmp(ti->gates[j].name, gate) == 0)
				return 1;
	}
	return 0;
}

/* /logs/{version}/{gate}?tier= for a gate: the newest run's log. */
static void
version_gate_log(struct http_request *req, struct daemon *d, const char *version, const char *gate,
    const struct tier_config *t, const struct log_query *q)
{
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT, ref = STRBUF_INIT;
	int64_t id;

	if (!gate_configured(d, t, gate))
		http_respond_error(req, 404, "unknown_gate", "no gate named '%s'%s%s", gate,
		    t ? " on tier " : "", t ? t->name : "");
	else if ((id = store_gate_run_find(
	              d->store, t ? t->name : NULL, version, gate, &ref, &err)) == -1)
		http_respond_error(req, 500, "internal", "%s", err.buf);
	else if (id == 0)
		http_respond_error(
		    req, 404, "no_log", "gate '%s' has not run for version '%s'", gate, version);
	else if (log_path(d, ref.buf, &path) == -1)
		http_respond_error(req, 404, "no_log", "gate run %lld has no log", (long long)id);
	else
		respond_log(req, d, gate_active, id, path.buf, q);
	strbuf_release(&err);
	strbuf_release(&path);
	strbuf_release(&ref);
}

void
api_version_log(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf raw = STRBUF_INIT, v = STRBUF_INIT, g = STRBUF_INIT, tier = STRBUF_INIT;
	const struct tier_config *t = NULL;
	int has_tier = http_query_get(req, "tier", &tier) == 0;
	struct log_query q;

	route_param(&req->params, "version", &raw);
	if (http_url_decode(raw.buf, raw.len, &v) == -1 || !version_valid(v.buf, v.len)) {
		http_respond_error(req, 400, "invalid_version", "not a semantic version");
		goto out;
	}
	strbuf_reset(&raw);
	route_param(&req->params, "gate", &raw);
	if (http_url_decode(raw.buf, raw.len, &g) == -1 || !id_name_valid(g.buf, g.len))
		http_respond_error(req, 400, "invalid_gate", "not a gate name");
	else if (has_tier && (t = topology_tier(&d->topo, tier.buf, tier.len)) == NULL)
		http_respond_error(req, 404, "unknown_tier", "no tier named '%s'", tier.buf);
	else if (query_log(req, &q) == -1)
		; /* answered 400 */
	else if (strcmp(g.buf, "build") == 0)
		version_build_log(req, d, v.buf, &q);
	else
		version_gate_log(req, d, v.buf, g.buf, t, &q);
out:
	strbuf_release(&raw);
	strbuf_release(&v);
	strbuf_release(&g);
	strbuf_release(&tier);
}
