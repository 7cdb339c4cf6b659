#include "daemon/build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/xmalloc.h"
#include "daemon/build_int.h"
#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/gates/gates.h"
#include "daemon/repo.h"
#include "daemon/store.h"

int64_t
build_current_id(const struct daemon *d)
{
	return d->build ? d->build->id : 0;
}

int64_t
build_current_for_version(const struct daemon *d, const char *version)
{
	if (d->build && d->build->version && strcmp(d->build->version, version) == 0)
		return d->build->id;
	return 0;
}

static void
build_free(struct build *b)
{
	free(b->worktree);
	free(b->log_path);
	free(b->version);
	free(b->prev_release);
	stage_result_release(&b->res);
	free(b);
}

/* Free a finished build unless an async step still refers to it (that step's
 * build_settle frees it then). */
static void
build_release_if_idle(struct build *b)
{
	if (b->proc == NULL && !b->stage_running)
		build_free(b);
}

/* The build's last async step returned: free it if it was abandoned. */
int
build_settle(struct build *b)
{
	if (!b->aborted && !b->finished)
		return 0;
	build_free(b);
	return 1;
}

void
build_log(struct build *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fs_log_line(b->log_path, fmt, ap);
	va_end(ap);
}

static json_t *
build_fields(struct build *b)
{
	return json_pack("{s:I, s:s}", "build_id", (json_int_t)b->id, "sha", b->sha);
}

void
build_fail(struct build *b, const char *step, const char *fmt, ...)
{
	struct daemon *d = b->d;
	struct strbuf msg = STRBUF_INIT, err = STRBUF_INIT;
	json_t *f = build_fields(b);
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	build_log(b, "build failed at %s: %s", step, msg.buf);
	log_warnx("build %lld of %.12s failed at %s: %s", (long long)b->id, b->sha, step, msg.buf);
	if (store_build_finish(d->store, b->id, "failed", b->version, msg.buf, &err) == -1)
		log_warnx("build %lld: %s", (long long)b->id, err.buf);
	json_object_set_new(f, "step", json_string(step));
	json_object_set_new(f, "error", json_string(msg.buf));
	events_emit(&d->events, "build_failed", f);
	b->finished = 1;
	d->build = NULL;
	build_cleanup_worktrees(d, b->id);
	strbuf_release(&msg);
	strbuf_release(&err);
	build_release_if_idle(b);
}

void
build_succeed(struct build *b)
{
	struct daemon *d = b->d;
	struct strbuf err = STRBUF_INIT;
	json_t *f = build_fields(b);
	const struct tier_config *first = &d->topo.tiers[0];

	build_log(b, "staged version '%s' (bundle %s)", b->version, b->res.bundle_digest);
	if (store_build_finish(d->store, b->id, "ok", b->version, NULL, &err) == -1)
		log_warnx("build %lld: %s", (long long)b->id, err.buf);
	json_object_set_new(f, "version", json_string(b->version));
	json_object_set_new(f, "bundle_digest", json_string(b->res.bundle_digest));
	json_object_set_new(f, "duration_ms", json_integer((json_int_t)(uv_now(d->loop) - b->t0)));
	events_emit(&d->events, "build_ok", f);
	log_info("build %lld of %.12s staged version '%s'", (long long)b->id, b->sha, b->version);
	b->finished = 1;
	d->build = NULL;
	build_cleanup_worktrees(d, b->id);
	/* the first tier's gates run in this build's worktree; the tier advances
	 * when they all pass (burn_in and manual_confirm are checked at promote) */
	if (gates_start(d, first, b->version, b->id, &err) == -1)
		log_warnx("tier '%s': gates not started: %s", first->name, err.buf);
	strbuf_release(&err);
	build_release_if_idle(b);
}

static void
build_abort(struct build *b, const char *why)
{
	struct daemon *d = b->d;
	struct strbuf err = STRBUF_INIT;
	json_t *f = build_fields(b);

	b->aborted = 1;
	b->cancel = 1;
	if (b->proc)
		proc_cancel(b->proc);
	build_log(b, "build aborted: %s", why);
	if (store_build_finish(d->store, b->id, "aborted", NULL, why, &err) == -1)
		log_warnx("build %lld: %s", (long long)b->id, err.buf);
	json_object_set_new(f, "reason", json_string(why));
	events_emit(&d->events, "build_aborted", f);
	log_info("build %lld of %.12s aborted: %s", (long long)b->id, b->sha, why);
	d->build = NULL;
	strbuf_release(&err);
}

void
build_abort_current(struct daemon *d, const char *why)
{
	if (d->build)
		build_abort(d->build, why);
}

int64_t
build_start(struct daemon *d, const char *sha, struct strbuf *err)
{
	struct build *b;
	struct strbuf ref = STRBUF_INIT;
	int64_t id;

	{
		struct strbuf why = STRBUF_INIT;

		strbuf_addf(&why, "superseded by a newer build of %.12s", sha);
		if (d->build)
			build_abort(d->build, why.buf);
		gates_cancel(d, &d->topo.tiers[0], why.buf);
		strbuf_release(&why);
	}
	id = store_build_insert(d->store, sha, NULL, err);
	if (id == -1)
		return -1;
	b = xcalloc(1, sizeof(*b));
	b->d = d;
	b->id = id;
	memcpy(b->sha, sha, 40);
	b->t0 = uv_now(d->loop);
	stage_result_init(&b->res);
	strbuf_addf(&ref, "builds/%lld.log", (long long)id);
	b->log_path = xasprintf("%s/%s", d->cfg.logs_root, ref.buf);
	b->worktree = xasprintf("%s/build-%lld", d->cfg.workdir, (long long)id);
	store_build_set_log(d->store, id, ref.buf, err);
	d->build = b;
	strbuf_reset(&ref);
	strbuf_addf(&ref, "%s/builds", d->cfg.logs_root);
	if (fs_mkdir_p(ref.buf, 0755) == -1)
		log_warn("cannot create '%s'", ref.buf);
	events_emit(&d->events, "build_start", build_fields(b));
	build_log(b, "build %lld of %s", (long long)id, sha);
	strbuf_release(&ref);
	build_step_worktree(b);
	return id;
}
