/*
 * promote.c: the orchestrator of a promote or rollback (see promote.h): the
 * lock and rows, pre_deploy, the canary over the tier's nodes, reverting the
 * switched nodes after a failure, the tier's state, events, post_deploy.
 */
#include "daemon/deploy/promote.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/deploy/promote_int.h"
#include "daemon/deploy/retention.h"
#include "daemon/events.h"
#include "daemon/gates/gates.h"
#include "daemon/node_verify.h"
#include "daemon/store.h"

static struct promote *promotes; /* every promote in flight */

void
promote_log(struct promote *pr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fs_log_line(pr->log_path, fmt, ap);
	va_end(ap);
}

static const char *
kind_name(const struct promote *pr)
{
	return pr->kind == ROLLBACK ? "rollback" : "promote";
}

static void
handle_closed(uv_handle_t *h)
{
	struct node_job *job = h->data;
	struct promote *pr = job->pr;

	if (--pr->closing == 0) {
		free(pr->jobs);
		free(pr);
	}
}

static void
promote_free(struct promote *pr)
{
	for (struct promote **p = &promotes; *p; p = &(*p)->next_all)
		if (*p == pr) {
			*p = pr->next_all;
			break;
		}
	for (size_t i = 0; i < pr->njobs; i++)
		node_job_release(&pr->jobs[i]);
	if (pr->manifest)
		node_manifest_free(pr->manifest);
	strvec_clear(&pr->files);
	strbuf_release(&pr->warn_auth);
	free(pr->version);
	free(pr->from_version);
	free(pr->actor);
	free(pr->holder);
	free(pr->log_path);
	free(pr->src_dir);
	strbuf_release(&pr->ctl_dir);
	pr->closing = 1;
	for (size_t i = 0; i < pr->njobs; i++)
		if (pr->jobs[i].timer_open)
			pr->closing++, uv_close((uv_handle_t *)&pr->jobs[i].timer, handle_closed);
	if (--pr->closing == 0) {
		free(pr->jobs);
		free(pr);
	}
}

static json_t *
node_fields(const struct node_job *job)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "promote_id", (json_int_t)job->pr->id,
	    "deploy_id", (json_int_t)job->deploy_id, "action", kind_name(job->pr), "tier",
	    job->pr->tier->name, "node", job->n->name, "version", job->pr->version);
}

/* The typed outcome of a node's deploy. */
static json_t *
node_outcome(const struct node_job *job)
{
	json_t *f;

	if (job->ok)
		return json_pack("{s:s}", "status", "ok");
	f = json_pack("{s:s}", "kind", job->fail_kind ? job->fail_kind : "interrupted");
	if (job->fail_kind && strcmp(job->fail_kind, "health_failed") == 0)
		json_object_set_new(f, "status", json_integer(job->last_status));
	return json_pack("{s:s, s:o, s:s, s:s}", "status", "failed", "failure", f, "message",
	    job->fail_msg.buf, "log_ref",
	    job->pr->log_path + strlen(job->pr->d->cfg.logs_root) + 1);
}

static void pr_settle(struct promote *pr);

/* Write the node's deploy row and event, then start it. */
static void
job_launch(struct promote *pr, struct node_job *job)
{
	struct strbuf err = STRBUF_INIT;

	job->deploy_id = store_deploy_insert(pr->d->store, pr->id, kind_name(pr), pr->tier->name,
	    job->n->name, pr->version, pr->kind == ROLLBACK ? job->from : NULL, &err);
	if (job->deploy_id == -1)
		log_warnx("node '%s': deploy not recorded: %s", job->n->name, err.buf);
	events_emit(&pr->d->events, "deploy_start", node_fields(job));
	promote_log(pr, "node '%s': %s to '%s'", job->n->name, kind_name(pr), pr->version);
	pr->running++;
	strbuf_release(&err);
	node_job_start(job);
}

/* Start nodes while the canary policy allows. */
static void
pr_launch(struct promote *pr)
{
	size_t limit = pr->kind == ROLLBACK                  ? pr->njobs
	               : pr->tier->canary == CANARY_PARALLEL ? (size_t)pr->tier->max_parallel
	                                                     : 1;

	pr->running++; /* a hold: a job that fails at once must not settle pr under us */
	while (!pr->failed && !pr->stopping && pr->next < pr->njobs && pr->running - 1 < limit)
		job_launch(pr, &pr->jobs[pr->next++]);
	if (--pr->running == 0)
		pr_settle(pr);
}

static void
job_record(struct node_job *job)
{
	struct promote *pr = job->pr;
	struct strbuf err = STRBUF_INIT;
	json_t *o = node_outcome(job), *f = node_fields(job);
	char *text = json_dumps(o, JSON_COMPACT);

	if (store_deploy_finish(
	        pr->d->store, job->deploy_id, job->ok ? "ok" : "failed", text, &err) == -1)
		log_warnx("deploy %lld: %s", (long long)job->deploy_id, err.buf);
	json_object_set_new(f, "outcome", o);
	events_emit(&pr->d->events, job->ok ? "deploy_ok" : "deploy_failed", f);
	free(text);
	strbuf_release(&err);
}

void
promote_job_done(struct node_job *job)
{
	struct promote *pr = job->pr;
	struct strbuf err = STRBUF_INIT;

	pr->running--;
	if (job->reverting) {
		if (job->ok && job->deployed_ok &&
		    store_deploy_finish(pr->d->store, job->deploy_id, "reverted", NULL, &err) == -1)
			log_warnx("deploy %lld: %s", (long long)job->deploy_id, err.buf);
		if (!job->ok)
			log_warnx("node '%s': could not be switched back: %s", job->n->name,
			    job->fail_msg.buf);
		if (pr->running == 0)
			pr_settle(pr);
	} else {
		job_record(job);
		if (!job->ok)
			pr->failed = 1;
		pr_launch(pr);
	}
	strbuf_release(&err);
}

/* Switch every node this promote switched back; 1 if any revert started. */
static int
pr_revert(struct promote *pr)
{
	int started = 0;

	pr->reverting = 1;
	pr->running++; /* a hold, as in pr_launch */
	for (size_t i = 0; i < pr->njobs; i++) {
		struct node_job *job = &pr->jobs[i];

		if (!job->switched || pr->stopping)
			continue;
		promote_log(pr, "node '%s': switching back to '%s'", job->n->name,
		    job->from ? job->from : "(none)");
		pr->running++;
		started = 1;
		node_job_revert(job);
	}
	pr->running--;
	return started && pr->running > 0;
}

static void
pr_unlock(struct promote *pr)
{
	struct strbuf err = STRBUF_INIT;

	if (store_tier_unlock(pr->d->store, pr->tier->name, pr->holder, &err) == -1)
		log_warnx("tier '%s': lock not released: %s", pr->tier->name, err.buf);
	strbuf_release(&err);
}

/* The promote's outcome in the store: the tier's state when it succeeded. */
static void
pr_record(struct promote *pr, int ok, const char *error)
{
	struct daemon *d = pr->d;
	struct strbuf err = STRBUF_INIT;

	/* a rollback's version is the old previous, its from the old current */
	if (ok && store_tier_set_versions(
	              d->store, pr->tier->name, pr->version, pr->from_version, 1, &err) == -1)
		log_warnx("tier '%s': %s", pr->tier->name, err.buf);
	if (store_promote_finish(d->store, pr->id,
	        ok ? "ok" : (pr->stopping ? "interrupted" : "failed"), error, &err) == -1)
		log_warnx("promote %lld: %s", (long long)pr->id, err.buf);
	strbuf_release(&err);
}

/* The first failed node's message, for the promote's error. */
static const char *
pr_first_error(const struct promote *pr)
{
	for (size_t i = 0; i < pr->njobs; i++)
		if (pr->jobs[i].finished && !pr->jobs[i].ok && !pr->jobs[i].reverting)
			return pr->jobs[i].fail_msg.buf;
	return pr->stopping ? "the daemon is shutting down" : "a node failed";
}

static int run_hook(struct promote *pr, const struct strvec *argv,
    void (*on_exit)(struct proc *, const struct proc_result *, void *));

static void
post_deploy_done(struct proc *p, const struct proc_result *r, void *arg)
{
	if (!r->exited || r->exit_status != 0)
		log_warnx("a post_deploy hook failed (exit status %d): see the promote's log",
		    r->exited ? r->exit_status : -1);
}

static void
pr_finish(struct promote *pr, int ok, const char *error)
{
	struct daemon *d = pr->d;
	struct strbuf err = STRBUF_INIT;

	pr_record(pr, ok, error);
	promote_log(pr, "%s of tier '%s' to '%s': %s%s%s", kind_name(pr), pr->tier->name,
	    pr->version, ok ? "ok" : "failed", error ? ": " : "", error ? error : "");
	events_emit(&d->events, pr->kind == ROLLBACK ? "rollback" : "promote_complete",
	    json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:b}", "promote_id", (json_int_t)pr->id,
	        "tier", pr->tier->name, "version", pr->version, "from_version",
	        pr->from_version ? json_string(pr->from_version) : json_null(), "status",
	        ok ? "ok" : "failed", "error", error ? json_string(error) : json_null(), "hotfix",
	        pr->hotfix));
	log_info("%s %lld of tier '%s' to '%s': %s", kind_name(pr), (long long)pr->id,
	    pr->tier->name, pr->version, ok ? "ok" : "failed");
	pr_unlock(pr);
	if (ok && pr->kind == PROMOTE && !d->stopping)
		retention_run(d, pr->tier, pr->log_path);
	if (ok && pr->tier->post_deploy.nr > 0 && !d->stopping)
		run_hook(pr, &pr->tier->post_deploy, post_deploy_done);
	if (ok && !d->stopping &&
	    gates_start(d, pr->tier, pr->version, store_version_build(d->store, pr->version, &err),
	        &err) == -1)
		log_warnx("tier '%s': gates not started: %s", pr->tier->name, err.buf);
	gates_burn_in_schedule(d);
	strbuf_release(&err);
	promote_free(pr);
}

static void
pr_settle(struct promote *pr)
{
	if (pr->failed && pr->kind == PROMOTE && !pr->reverting && pr_revert(pr))
		return; /* finished when the reverts are */
	if (pr->failed || pr->stopping)
		pr_finish(pr, 0, pr_first_error(pr));
	else
		pr_finish(pr, 1, NULL);
}

/* The controller-side hooks' environment: tier, versions, node names. */
static void
hook_env(struct promote *pr, struct strvec *env)
{
	struct strbuf nodes = STRBUF_INIT;

	for (size_t i = 0; i < pr->njobs; i++)
		strbuf_addf(&nodes, "%s%s", i ? " " : "", pr->jobs[i].n->name);
	strvec_pushv(env, (const char *const *)pr->d->env.v);
	strvec_pushf(env, "SANDO_TIER=%s", pr->tier->name);
	strvec_pushf(env, "SANDO_VERSION=%s", pr->version);
	strvec_pushf(env, "SANDO_FROM_VERSION=%s", pr->from_version ? pr->from_version : "");
	strvec_pushf(env, "SANDO_NODES=%s", nodes.buf);
	strvec_pushf(env, "SANDO_ACTION=%s", kind_name(pr));
	strbuf_release(&nodes);
}

static void
pre_deploy_done(struct proc *p, const struct proc_result *r, void *arg)
{
	struct promote *pr = arg;

	pr->hook = NULL;
	if (r->exited && r->exit_status == 0) {
		pr_launch(pr);
		return;
	}
	pr->failed = 1;
	pr_finish(pr, 0, "pre_deploy failed: the promote is refused (see its log)");
}

/* Run argv (pre_deploy or post_deploy) on the controller; on_exit may be NULL. */
static int
run_hook(struct promote *pr, const struct strvec *argv,
    void (*on_exit)(struct proc *, const struct proc_result *, void *))
{
	struct strvec env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct proc_options o = {.argv = (const char *const *)argv->v,
	    .log_path = pr->log_path,
	    .timeout_ms = 600000,
	    .on_exit = on_exit,
	    .arg = pr};
	int rc;

	hook_env(pr, &env);
	o.env = (const char *const *)env.v;
	promote_log(pr, "running '%s' on the controller", argv->v[0]);
	rc = proc_spawn(pr->d->loop, &o, on_exit ? &pr->hook : NULL, &err);
	if (rc == -1)
		promote_log(pr, "%s", err.buf);
	strvec_clear(&env);
	strbuf_release(&err);
	return rc;
}

/* Take the tier's lock and write the promote's row: 1, 0 when locked, -1. */
static int
pr_begin(struct promote *pr, struct strbuf *held_by, struct strbuf *err)
{
	struct store *st = pr->d->store;
	int rc = store_tier_lock(st, pr->tier->name, "pending", (int64_t)getpid(), held_by, err);

	if (rc != 1)
		return rc;
	pr->id = store_promote_insert(st, kind_name(pr), pr->tier->name, pr->version,
	    pr->from_version, pr->hotfix, pr->actor, err);
	pr->holder = xasprintf("%s:%lld", kind_name(pr), (long long)pr->id);
	/* no other request runs between these statements: one loop */
	if (pr->id == -1 || store_tier_unlock(st, pr->tier->name, "pending", err) == -1 ||
	    store_tier_lock(st, pr->tier->name, pr->holder, (int64_t)getpid(), held_by, err) != 1) {
		store_tier_unlock(st, pr->tier->name, "pending", held_by);
		return -1;
	}
	return 1;
}

/* The restart warning's header, from restart_warning_token_file (a missing
 * or unreadable file is logged: the warning then goes without a token). */
static void
warn_token(struct promote *pr)
{
	struct strbuf tok = STRBUF_INIT;
	const char *file = pr->tier->restart_warning_token_file;

	if (file == NULL || pr->tier->restart_warning_url == NULL)
		return;
	if (strbuf_read_file(&tok, file, 4096) == -1) {
		log_warn(
		    "tier '%s': cannot read restart_warning_token_file '%s'", pr->tier->name, file);
	} else {
		strbuf_rtrim(&tok);
		if (tok.len > 0 && !strpbrk(tok.buf, "\r\n"))
			strbuf_addf(&pr->warn_auth, "Authorization: Bearer %s", tok.buf);
	}
	strbuf_release(&tok);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Paths, jobs and the manifest; -1 with err when the release cannot be read. */
static int
pr_prepare(struct promote *pr, struct strbuf *err)
{
	struct daemon *d = pr->d;
	struct strbuf ref = STRBUF_INIT, v = STRBUF_INIT;

	strbuf_addf(&ref, "%s/promotes", d->cfg.logs_root);
	fs_mkdir_p(ref.buf, 0755);
	pr->log_path = xasprintf("%s/%lld.log", ref.buf, (long long)pr->id);
	strbuf_reset(&ref);
	strbuf_addf(&ref, "promotes/%lld.log", (long long)pr->id);
	store_promote_set_log(d->store, pr->id, ref.buf, err);
	pr->src_dir = xasprintf("%s/%s", d->cfg.release_root, pr->version);
	node_ssh_init(&pr->ssh, &d->cfg, &pr->ctl_dir);
	warn_token(pr);
	pr->njobs = pr->tier->nnodes;
	pr->jobs = xcalloc(pr->njobs ? pr->njobs : 1, sizeof(*pr->jobs));
	for (size_t i = 0; i < pr->njobs; i++) {
		pr->jobs[i].pr = pr;
		pr->jobs[i].n = &pr->tier->nodes[i];
		if (pr->kind == ROLLBACK &&
		    store_node_version(d->store, pr->tier->nodes[i].name, &v, err) == 0)
			pr->jobs[i].from = xstrdup(v.buf);
	}
	strbuf_release(&ref);
	strbuf_release(&v);
	strbuf_reset(err);
	if (pr->kind == ROLLBACK)
		return 0;
	if (node_manifest_load(pr->src_dir, &pr->manifest, err) == -1)
		return -1;
	node_manifest_files(pr->manifest, &pr->files);
	qsort(pr->files.v, pr->files.nr, sizeof(char *), cmp_str);
	return 0;
}

int
promote_is_file(const struct promote *pr, const char *path)
{
	return pr->files.nr > 0 &&
	       bsearch(&path, pr->files.v, pr->files.nr, sizeof(char *), cmp_str) != NULL;
}

int64_t
promote_start(
    struct daemon *d, const struct promote_request *rq, struct strbuf *held_by, struct strbuf *err)
{
	struct promote *pr = xcalloc(1, sizeof(*pr));
	int rc;

	strvec_init(&pr->files);
	strbuf_init(&pr->warn_auth, 0);
	strbuf_init(&pr->ctl_dir, 0);
	pr->d = d;
	pr->kind = rq->kind;
	pr->tier = rq->tier;
	pr->version = xstrdup(rq->version);
	pr->from_version = rq->from_version ? xstrdup(rq->from_version) : NULL;
	pr->hotfix = rq->hotfix;
	pr->actor = xstrdup(rq->actor);
	if ((rc = pr_begin(pr, held_by, err)) != 1) {
		free(pr->holder);
		pr->holder = NULL;
		pr->njobs = 0;
		pr->log_path = NULL;
		promote_free(pr);
		return rc;
	}
	pr->next_all = promotes;
	promotes = pr;
	events_emit(&d->events, pr->kind == ROLLBACK ? "rollback_start" : "promote_start",
	    json_pack("{s:I, s:s, s:s, s:o, s:s}", "promote_id", (json_int_t)pr->id, "tier",
	        pr->tier->name, "version", pr->version, "from_version",
	        pr->from_version ? json_string(pr->from_version) : json_null(), "actor",
	        pr->actor));
	{
		int64_t id = pr->id;

		if (pr_prepare(pr, err) == -1)
			pr_finish(pr, 0, err->buf);
		else if (pr->kind == PROMOTE && pr->tier->pre_deploy.nr > 0)
			run_hook(pr, &pr->tier->pre_deploy, pre_deploy_done) == -1
			    ? pr_finish(pr, 0, "pre_deploy could not be started")
			    : (void)0;
		else
			pr_launch(pr);
		return id;
	}
}

int
promote_running(const struct daemon *d)
{
	return promotes != NULL;
}

void
promote_shutdown(struct daemon *d)
{
	for (struct promote *pr = promotes; pr; pr = pr->next_all) {
		pr->stopping = 1;
		if (pr->hook)
			proc_cancel(pr->hook);
		for (size_t i = 0; i < pr->njobs; i++)
			node_job_cancel(&pr->jobs[i]);
	}
}
