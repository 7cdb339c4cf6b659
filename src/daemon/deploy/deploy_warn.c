/*
 * deploy_warn.c: the restart warning of a node (DESIGN.md section 2): the
 * app is told `POST {"seconds": N}` at restart_warning_url with the bearer
 * token from restart_warning_token_file, then sando waits
 * restart_warning_seconds before restarting it.  From here for local nodes;
 * with curl on the node for ssh nodes, the Authorization header fed on its
 * stdin (`-H @-`), so the token is on no command line.  A warning that fails
 * is logged and the restart goes on: it never blocks a promote or rollback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/deploy/promote_int.h"
#include "net/http_client.h"

static void
warn_waited(uv_timer_t *t)
{
	node_job_continue(t->data);
}

/* Log how the warning went, then wait restart_warning_seconds. */
static void
warn_then_wait(struct node_job *job, int status, const char *error)
{
	struct promote *pr = job->pr;

	if (status >= 200 && status < 300)
		promote_log(pr, "node '%s': restart warning sent (%d); restarting in %lld s",
		    job->n->name, status, (long long)pr->tier->restart_warning_seconds);
	else
		promote_log(pr,
		    "node '%s': restart warning failed (%s%d%s%s); restarting in %lld s anyway",
		    job->n->name, status ? "status " : "", status, error ? " " : "",
		    error ? error : "", (long long)pr->tier->restart_warning_seconds);
	if (pr->stopping) {
		node_job_continue(job);
		return;
	}
	if (!job->timer_open) {
		uv_timer_init(pr->d->loop, &job->timer);
		job->timer_open = 1;
	}
	job->timer.data = job;
	uv_timer_start(
	    &job->timer, warn_waited, (uint64_t)pr->tier->restart_warning_seconds * 1000, 0);
}

static void
warn_http_done(const struct http_client_result *r, void *arg)
{
	struct node_job *job = arg;

	job->warn_http = NULL;
	warn_then_wait(job, r->status, r->error);
}

static void
warn_curl_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct node_job *job = arg;

	if (job->out.len < 64)
		strbuf_add(&job->out, buf, len);
}

static void
warn_curl_done(struct proc *p, const struct proc_result *r, void *arg)
{
	struct node_job *job = arg;

	job->warn_proc = NULL;
	warn_then_wait(job, r->exited ? atoi(job->out.buf) : 0,
	    r->exited && r->exit_status == 255 ? "ssh could not reach the node" : NULL);
}

/* curl on an ssh node, the header on its stdin. */
static int
warn_ssh(struct node_job *job, const char *body, struct strbuf *err)
{
	struct promote *pr = job->pr;
	struct strvec argv = STRVEC_INIT, full = STRVEC_INIT;
	struct strbuf header = STRBUF_INIT;
	struct proc_options o = {
	    .env = (const char *const *)pr->d->env.v,
	    .log_path = pr->log_path,
	    .timeout_ms = 15000,
	    .on_output = warn_curl_output,
	    .on_exit = warn_curl_done,
	    .arg = job,
	    .stderr_apart = 1,
	};
	int rc;

	/* curl -H @- reads header lines; an empty stdin adds none */
	if (pr->warn_auth.len)
		strbuf_addf(&header, "%s\n", pr->warn_auth.buf);
	o.stdin_data = header.buf;
	o.stdin_len = header.len;
	strvec_pushv(
	    &argv, (const char *const[]){"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
	               "-m5", "-X", "POST", "-H", "Content-Type: application/json", "-H", "@-",
	               "--data", body, "--", pr->tier->restart_warning_url, NULL});
	node_cmd(&pr->ssh, job->n, (const char *const *)argv.v, &full);
	o.argv = (const char *const *)full.v;
	strbuf_reset(&job->out);
	rc = proc_spawn(pr->d->loop, &o, &job->warn_proc, err);
	strbuf_release(&header);
	strvec_clear(&argv);
	strvec_clear(&full);
	return rc;
}

void
node_job_warn(struct node_job *job)
{
	struct promote *pr = job->pr;
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
	const char *headers[] = {
	    "Content-Type: application/json", pr->warn_auth.len ? pr->warn_auth.buf : NULL, NULL};
	struct http_client_options o = {.method = "POST",
	    .url = pr->tier->restart_warning_url,
	    .headers = headers,
	    .timeout_ms = 5000,
	    .on_done = warn_http_done,
	    .arg = job};
	int rc;

	strbuf_addf(&body, "{\"seconds\": %lld}", (long long)pr->tier->restart_warning_seconds);
	o.body = body.buf;
	o.body_len = body.len;
	if (job->n->transport == TRANSPORT_SSH)
		rc = warn_ssh(job, body.buf, &err);
	else
		rc = http_client_start(pr->d->loop, &o, &job->warn_http, &err);
	if (rc == -1)
		warn_then_wait(job, 0, err.buf);
	strbuf_release(&body);
	strbuf_release(&err);
}
