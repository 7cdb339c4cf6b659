/*
 * gate_spawn.c: what every runner of a process gate shares: the minimal
 * environment, the log file, gate_log_chunk events, reading the log back for
 * the classifier.
 *
 * gate_log_chunk events carry the run id, the chunk's seq within the run,
 * the byte offset of the chunk in the log and its text (made valid UTF-8;
 * a multi-byte character split between two reads is held back and sent
 * whole with the next chunk).  They are live only: the log file is the
 * record (see events_emit_live).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "daemon/events.h"
#include "daemon/gates/gates_int.h"

/* The classifier reads at most the last LOG_CLASSIFY_MAX bytes of a log. */
#define LOG_CLASSIFY_MAX (64u << 20)

/* Send buf (the next len bytes of the log) to subscribers: valid UTF-8,
 * serialized here into reused buffers (jansson would check and copy the text
 * again; this is the hot path of a chatty gate). */
static void
run_chunk(struct gate_run *r, const char *buf, size_t len, int final)
{
	struct events *ev = &r->d->events;
	uint64_t start = r->log_offset - r->carry.len; /* where the carried bytes began */
	size_t used;

	r->log_offset += len;
	if (!events_has_subscribers(ev)) {
		strbuf_reset(&r->carry); /* nobody sees this chunk: no character to complete */
		return;
	}
	strbuf_add(&r->carry, buf, len);
	strbuf_reset(&r->text);
	used = utf8_sanitize(&r->text, r->carry.buf, r->carry.len, final);
	strbuf_remove(&r->carry, 0, used);
	if (r->text.len == 0)
		return;
	strbuf_reset(&r->json);
	strbuf_addstr(&r->json, "{\"ts\":\"");
	strbuf_addtime(&r->json, 0);
	strbuf_addf(&r->json,
	    "\",\"kind\":\"gate_log_chunk\",\"run_id\":%lld,\"seq\":%llu,\"offset\":%llu,"
	    "\"text\":\"",
	    (long long)r->id, (unsigned long long)++r->chunk_seq, (unsigned long long)start);
	utf8_json_escape(&r->json, r->text.buf, r->text.len);
	strbuf_addstr(&r->json, "\"}");
	events_emit_live_raw(ev, r->json.buf, r->json.len);
}

void
gate_run_log(struct gate_run *r, const char *fmt, ...)
{
	struct strbuf line = STRBUF_INIT;
	va_list ap;
	int fd;

	strbuf_addstr(&line, "sando: ");
	va_start(ap, fmt);
	strbuf_vaddf(&line, fmt, ap);
	va_end(ap);
	strbuf_addch(&line, '\n');
	fd = open(r->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, line.buf, line.len) != (ssize_t)line.len)
		log_warn("gate run %lld: cannot write its log '%s'", (long long)r->id, r->log_path);
	if (fd >= 0)
		close(fd);
	run_chunk(r, line.buf, line.len, 1);
	strbuf_release(&line);
}

void
gate_run_env(struct gate_run *r, struct strvec *env)
{
	strvec_push(env, "PATH=/usr/local/bin:/usr/bin:/bin");
	strvec_push(env, "LANG=C.UTF-8");
	strvec_pushf(env, "HOME=%s", r->d->cfg.workdir);
	strvec_pushf(env, "SANDO_TIER=%s", r->tier->name);
	strvec_pushf(env, "SANDO_VERSION=%s", r->version);
	strvec_pushf(env, "SANDO_GATE=%s", r->g->name);
	strvec_pushf(env, "SANDO_RELEASE_DIR=%s", r->release_dir);
}

double
gate_run_timeout_s(const struct gate_run *r)
{
	return (double)r->g->timeout_s;
}

static void
spawn_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct gate_run *r = arg;

	run_chunk(r, buf, len, 0);
	gate_flow_check(r->d);
}

static void
spawn_exit(struct proc *p, const struct proc_result *res, void *arg)
{
	struct gate_run *r = arg;

	r->proc = NULL;
	if (r->carry.len > 0)
		run_chunk(r, "", 0, 1);
	r->proc_done(r, res);
}

int
gate_run_spawn(struct gate_run *r, const char *const *argv, const char *cwd,
    const struct strvec *env, uint64_t timeout_ms, int nice, gate_proc_done_fn *done,
    struct strbuf *err)
{
	struct proc_options o = {.argv = argv,
	    .env = (const char *const *)env->v,
	    .cwd = cwd,
	    .log_path = r->log_path,
	    .timeout_ms = timeout_ms,
	    .on_output = spawn_output,
	    .on_exit = spawn_exit,
	    .arg = r,
	    .nice = nice};

	r->proc_done = done;
	return proc_spawn(r->d->loop, &o, &r->proc, err);
}

/* Read path from offset from (keeping at most the last max bytes) into buf. */
static void
read_log_from(const char *path, uint64_t from, size_t max, struct strbuf *buf)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	strbuf_reset(buf);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > from) {
		uint64_t start =
		    (uint64_t)st.st_size - from > max ? (uint64_t)st.st_size - max : from;

		strbuf_grow(buf, (size_t)((uint64_t)st.st_size - start));
		if (lseek(fd, (off_t)start, SEEK_SET) != (off_t)-1) {
			while ((n = read(fd, buf->buf + buf->len, buf->alloc - buf->len - 1)) > 0) {
				buf->len += (size_t)n; /* strbuf_setlen only shortens */
				buf->buf[buf->len] = '\0';
				if (buf->alloc - buf->len - 1 == 0)
					strbuf_grow(buf, 64u << 10);
			}
		}
	}
	close(fd);
}

void
gate_run_raw(struct gate_run *r, const struct proc_result *res, uint64_t from, struct gate_raw *raw,
    struct strbuf *buf)
{
	gate_raw_from_proc(raw, res, gate_run_timeout_s(r), r->log_ref);
	read_log_from(r->log_path, from, LOG_CLASSIFY_MAX, buf);
	raw->log = buf->buf;
	raw->log_len = buf->len;
}

/* The byte offset the log has reached (where the next program's output starts). */
uint64_t
gate_run_log_size(const struct gate_run *r)
{
	struct stat st;

	return stat(r->log_path, &st) == 0 ? (uint64_t)st.st_size : 0;
}
