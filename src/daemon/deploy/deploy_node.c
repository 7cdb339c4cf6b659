/*
 * deploy_node.c: one node's steps in a promote or rollback (see promote.h):
 * each step is one program run on the node (node_ops.h) whose output is
 * captured, appended to the promote's log, and judged by the next step.
 * A failure is typed: unreachable (ssh could not connect: exit 255),
 * transfer_failed, verify_failed, restart_failed, health_failed {status}.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/deploy/node_local.h"
#include "daemon/deploy/promote_int.h"
#include "daemon/events.h"
#include "daemon/node_verify.h"
#include "daemon/store.h"
#include "net/http_client.h"

#define OUT_MAX (16u << 20)
#define STEP_TIMEOUT_MS (120u * 1000)
#define TRANSFER_TIMEOUT_MS (3600u * 1000)
#define HEALTH_POLL_MS 250
#define SSH_UNREACHABLE 255

enum step {
	STEP_PROBE,
	STEP_TRANSFER,
	STEP_VERIFY,
	STEP_HASH,
	STEP_SWAP,
	STEP_WARN,
	STEP_RESTART,
	STEP_HEALTH
};

typedef void step_done_fn(struct node_job *job, const struct proc_result *r);

static void job_next(struct node_job *job);

static void
job_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct node_job *job = arg;

	if (job->out.len + len <= OUT_MAX)
		strbuf_add(&job->out, buf, len);
}

static step_done_fn *job_done_fns[8];

static void
job_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct node_job *job = arg;

	job->proc = NULL;
	job->run = NULL;
	job_done_fns[job->step](job, r);
}

/* Fail the job with kind and a message; the job is over. */
static void job_fail(struct node_job *job, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
job_fail(struct node_job *job, const char *kind, const char *fmt, ...)
{
	va_list ap;

	job->fail_kind = kind;
	strbuf_reset(&job->fail_msg);
	va_start(ap, fmt);
	strbuf_vaddf(&job->fail_msg, fmt, ap);
	va_end(ap);
	promote_log(job->pr, "node '%s': %s: %s", job->n->name, kind, job->fail_msg.buf);
	job->finished = 1;
	job->ok = 0;
	promote_job_done(job);
}

/* Run progs for step: on the node, or (rsync, which reaches the node itself)
 * its one program here. */
static void
job_run(struct node_job *job, int step, const struct node_progs *progs, uint64_t timeout_ms)
{
	struct promote *pr = job->pr;
	struct strbuf err = STRBUF_INIT;
	struct proc_options o = {.env = (const char *const *)pr->d->env.v,
	    .log_path = pr->log_path,
	    .timeout_ms = timeout_ms,
	    .capture_max = 4096,
	    .on_output = job_output,
	    .on_exit = job_exit,
	    .arg = job,
	    .stderr_apart = 1};
	int rc;

	job->step = step;
	strbuf_reset(&job->out);
	if (pr->stopping) {
		job_fail(job, "interrupted", "the daemon is shutting down");
		return;
	}
	if (step == STEP_TRANSFER) {
		o.argv = (const char *const *)progs->v[0].v;
		rc = proc_spawn(pr->d->loop, &o, &job->proc, &err);
	} else {
		rc = node_run_start(pr->d->loop, &pr->ssh, job->n, progs, &o, &job->run, &err);
	}
	if (rc == -1)
		job_fail(job, "transfer_failed", "%s", err.buf);
	strbuf_release(&err);
}

/* Whether r failed; when it did, fail the job with kind (unreachable when
 * ssh could not connect) and return 1. */
static int
step_failed(struct node_job *job, const struct proc_result *r, const char *kind, const char *what)
{
	if (r->spawned && r->exited && r->exit_status == 0)
		return 0;
	if (job->n->transport == TRANSPORT_SSH && r->exited && r->exit_status == SSH_UNREACHABLE)
		kind = "unreachable";
	if (!r->spawned)
		job_fail(job, kind, "%s: cannot run: %s", what, r->error ? r->error : "?");
	else if (r->timed_out)
		job_fail(job, kind, "%s: timed out", what);
	else if (r->exited)
		job_fail(job, kind, "%s: exit status %d", what, r->exit_status);
	else
		job_fail(job, kind, "%s: killed by signal %d", what, r->term_signal);
	return 1;
}

static void
probe_done(struct node_job *job, const struct proc_result *r)
{
	struct node_listing l;
	struct strbuf err = STRBUF_INIT;
	const char *cur;

	if (step_failed(job, r, "unreachable", "probe"))
		return;
	if (node_listing_parse(job->n, job->out.buf, job->out.len, &l, &err) == -1) {
		job_fail(job, "unreachable", "probe: %s", err.buf);
		strbuf_release(&err);
		return;
	}
	job->complete = node_listing_has(&l, job->pr->version);
	cur = node_listing_current(&l);
	/* an equal current: already here (an earlier promote failed after this node) */
	if (cur && strcmp(cur, job->pr->version) != 0) {
		job->from = xstrdup(cur);
		if (store_deploy_set_from(job->pr->d->store, job->deploy_id, job->from, &err) == -1)
			log_warnx("deploy %lld: %s", (long long)job->deploy_id, err.buf);
	}
	node_listing_release(&l);
	strbuf_release(&err);
	job_next(job);
}

static void
transfer_done(struct node_job *job, const struct proc_result *r)
{
	char *line, *save = NULL;

	if (step_failed(job, r, "transfer_failed", "rsync"))
		return;
	for (line = strtok_r(job->out.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (promote_is_file(job->pr, line))
			strvec_push(&job->written, line);
	promote_log(job->pr, "node '%s': rsync wrote %zu files", job->n->name, job->written.nr);
	job_next(job);
}

static void
verify_done(struct node_job *job, const struct proc_result *r)
{
	struct strbuf err = STRBUF_INIT;

	if (step_failed(job, r, "verify_failed", "listing the copy"))
		;
	else if (node_verify_listing(job->pr->manifest, job->out.buf, job->out.len, &err) == -1)
		job_fail(job, "verify_failed", "%s", err.buf);
	else {
		promote_log(job->pr, "node '%s': the copy matches the manifest", job->n->name);
		job_next(job);
	}
	strbuf_release(&err);
}

static void
hash_done(struct node_job *job, const struct proc_result *r)
{
	struct strbuf err = STRBUF_INIT, sums = STRBUF_INIT;
	char *dir = xasprintf("%s.partial", job->pr->version);

	if (step_failed(job, r, "verify_failed", "sha256sum"))
		;
	else if (node_hash_relative(job->n, dir, job->out.buf, job->out.len, &sums, &err) == -1 ||
	         node_verify_hashes(job->pr->manifest, sums.buf, sums.len, &err) == -1)
		job_fail(job, "verify_failed", "%s", err.buf);
	else
		job_next(job);
	free(dir);
	strbuf_release(&sums);
	strbuf_release(&err);
}

static void
swap_done(struct node_job *job, const struct proc_result *r)
{
	struct promote *pr = job->pr;
	struct strbuf err = STRBUF_INIT;
	const char *to = job->reverting ? job->from : pr->version;

	if (step_failed(job, r, job->reverting ? "revert_failed" : "transfer_failed", "swap"))
		return;
	job->switched = !job->reverting;
	promote_log(pr, "node '%s': current -> %s", job->n->name, to ? to : "(none)");
	if (store_node_set_versions(
	        pr->d->store, job->n->name, to, job->reverting ? NULL : job->from, &err) == -1)
		log_warnx("node '%s': %s", job->n->name, err.buf);
	strbuf_release(&err);
	job_next(job);
}

static void
restart_done(struct node_job *job, const struct proc_result *r)
{
	if (!step_failed(job, r, "restart_failed", "restart"))
		job_next(job);
}

static void health_poll(uv_timer_t *t);

/* One answer (or none: status 0): done on 2xx, else poll again until the deadline. */
static void
health_answer(struct node_job *job, int status, const char *error)
{
	struct promote *pr = job->pr;

	job->last_status = status;
	if (status >= 200 && status < 300) {
		promote_log(
		    pr, "node '%s': '%s' answered %d", job->n->name, pr->tier->health_url, status);
		job_next(job);
	} else if (uv_now(pr->d->loop) >= job->deadline) {
		job_fail(job, "health_failed", "'%s' %s%d within %lld s", pr->tier->health_url,
		    status ? "answered " : "did not answer 2xx; last: ", status,
		    (long long)pr->d->cfg.health_timeout_s);
		(void)error;
	} else {
		uv_timer_start(&job->timer, health_poll, HEALTH_POLL_MS, 0);
	}
}

static void
health_http_done(const struct http_client_result *res, void *arg)
{
	struct node_job *job = arg;

	job->http = NULL;
	health_answer(job, res->status, res->error);
}

static void
health_curl_done(struct node_job *job, const struct proc_result *r)
{
	int status = r->exited && r->exit_status != SSH_UNREACHABLE ? atoi(job->out.buf) : 0;

	health_answer(job, status, NULL);
}

/* Ask the health URL once: from here for local nodes, with curl on the node for ssh. */
static void
health_poll(uv_timer_t *t)
{
	struct node_job *job = t->data;
	struct promote *pr = job->pr;
	struct node_progs progs = NODE_PROGS_INIT;
	struct strbuf err = STRBUF_INIT;
	struct http_client_options o = {.url = pr->tier->health_url,
	    .timeout_ms = 5000,
	    .on_done = health_http_done,
	    .arg = job};

	if (pr->stopping) {
		job_fail(job, "interrupted", "the daemon is shutting down");
	} else if (job->n->transport == TRANSPORT_SSH) {
		node_health_argv(pr->tier->health_url, 5, node_progs_add(&progs));
		job_run(job, STEP_HEALTH, &progs, 10000);
	} else if (http_client_start(pr->d->loop, &o, &job->http, &err) == -1) {
		job_fail(job, "health_failed", "%s", err.buf);
	}
	node_progs_clear(&progs);
	strbuf_release(&err);
}

static void
health_start(struct node_job *job)
{
	job->step = STEP_HEALTH;
	job->deadline =
	    uv_now(job->pr->d->loop) + (uint64_t)job->pr->d->cfg.health_timeout_s * 1000;
	if (!job->timer_open) {
		uv_timer_init(job->pr->d->loop, &job->timer);
		job->timer.data = job;
		job->timer_open = 1;
	}
	health_poll(&job->timer);
}

static step_done_fn *job_done_fns[8] = {probe_done, transfer_done, verify_done, hash_done,
    swap_done, NULL, restart_done, health_curl_done};

/* The job is through its last step. */
static void
job_succeed(struct node_job *job)
{
	job->finished = 1;
	job->ok = 1;
	promote_job_done(job);
}

/* Start the step after job->step (for a revert: swap, restart, done). */
void
node_job_continue(struct node_job *job)
{
	job_next(job);
}

static void
swap_local_done(void *arg, int rc, const char *err)
{
	struct node_job *job = arg;
	struct proc_result r = {.spawned = 1, .exited = 1, .exit_status = rc == 0 ? 0 : 1};

	if (rc != 0)
		promote_log(job->pr, "node '%s': %s", job->n->name, err);
	swap_done(job, &r);
}

/* Switch current: with system calls on a local node (node_local.h), else programs. */
static void
job_swap(struct node_job *job)
{
	struct promote *pr = job->pr;
	const char *v = job->reverting ? job->from : pr->version;
	int publish = !job->reverting && !job->complete;
	struct node_progs progs = NODE_PROGS_INIT;

	job->step = STEP_SWAP;
	if (pr->stopping) {
		job_fail(job, "interrupted", "the daemon is shutting down");
	} else if (job->n->transport == TRANSPORT_LOCAL) {
		node_local_swap(pr->d->loop, job->n, v, publish, swap_local_done, job);
	} else {
		node_swap_progs(job->n, v, publish, &progs);
		job_run(job, STEP_SWAP, &progs, STEP_TIMEOUT_MS);
	}
	node_progs_clear(&progs);
}

/* The first step from job->step + 1 that applies to this job and tier. */
static int
job_next_step(const struct node_job *job)
{
	const struct tier_config *t = job->pr->tier;
	int step = job->step + 1;

	if (step == STEP_TRANSFER && job->complete)
		step = STEP_SWAP; /* whole and verified when it was made */
	if (step == STEP_HASH && (t->verify != VERIFY_SHA256 || job->written.nr == 0))
		step = STEP_SWAP;
	if (step == STEP_WARN &&
	    (job->reverting || t->restart.nr == 0 || t->restart_warning_url == NULL ||
	        t->restart_warning_seconds <= 0))
		step = STEP_RESTART;
	if (step == STEP_RESTART && t->restart.nr == 0)
		step = STEP_HEALTH;
	if (step == STEP_HEALTH && (job->reverting || t->health_url == NULL))
		step = STEP_HEALTH + 1;
	return step;
}

/* The tier's restart command, with the node's name, root and version in its
 * environment whatever the transport. */
static void
job_restart_argv(const struct node_job *job, struct strvec *argv)
{
	const char *v = job->reverting ? (job->from ? job->from : "") : job->pr->version;

	strvec_push(argv, "env");
	strvec_pushf(argv, "SANDO_NODE=%s", job->n->name);
	strvec_pushf(argv, "SANDO_NODE_ROOT=%s", job->n->release_root);
	strvec_pushf(argv, "SANDO_VERSION=%s", v);
	strvec_pushv(argv, (const char *const *)job->pr->tier->restart.v);
}

static void
job_next(struct node_job *job)
{
	struct promote *pr = job->pr;
	struct node_progs progs = NODE_PROGS_INIT;
	int step = job_next_step(job);
	char *dir = xasprintf("%s.partial", pr->version);
	uint64_t timeout = STEP_TIMEOUT_MS;

	switch (step) {
	case STEP_TRANSFER:
		node_rsync_argv(
		    &pr->ssh, job->n, pr->src_dir, pr->version, job->from, node_progs_add(&progs));
		timeout = TRANSFER_TIMEOUT_MS;
		break;
	case STEP_VERIFY:
		node_list_argv(job->n, dir, node_progs_add(&progs));
		break;
	case STEP_HASH:
		node_hash_argv(job->n, dir, &job->written, node_progs_add(&progs));
		break;
	case STEP_SWAP:
		job_swap(job);
		break;
	case STEP_WARN:
		job->step = STEP_WARN;
		node_job_warn(job);
		break;
	case STEP_RESTART:
		job_restart_argv(job, node_progs_add(&progs));
		break;
	case STEP_HEALTH:
		health_start(job);
		break;
	default:
		job_succeed(job);
		break;
	}
	if (progs.nr > 0)
		job_run(job, step, &progs, timeout);
	free(dir);
	node_progs_clear(&progs);
}

void
node_job_start(struct node_job *job)
{
	struct promote *pr = job->pr;
	struct node_progs progs = NODE_PROGS_INIT;

	strbuf_init(&job->out, 0);
	strbuf_init(&job->fail_msg, 0);
	strvec_init(&job->written);
	if (pr->kind == ROLLBACK) {
		job->complete = 1;     /* the previous release: whole on the node */
		job->step = STEP_HASH; /* next: swap */
		job_next(job);
	} else {
		node_probe_progs(job->n, &progs);
		job_run(job, STEP_PROBE, &progs, STEP_TIMEOUT_MS);
	}
	node_progs_clear(&progs);
}

void
node_job_revert(struct node_job *job)
{
	job->deployed_ok = job->ok;
	job->reverting = 1;
	job->finished = 0;
	job->step = STEP_HASH; /* next: swap back, restart */
	job_next(job);
}

void
node_job_cancel(struct node_job *job)
{
	if (job->proc)
		proc_cancel(job->proc);
	if (job->run)
		node_run_cancel(job->run);
	if (job->http)
		http_client_cancel(job->http);
	if (job->warn_proc)
		proc_cancel(job->warn_proc);
	if (job->warn_http)
		http_client_cancel(job->warn_http);
}

void
node_job_release(struct node_job *job)
{
	free(job->from);
	strvec_clear(&job->written);
	strbuf_release(&job->out);
	strbuf_release(&job->fail_msg);
}
