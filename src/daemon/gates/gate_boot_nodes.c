/*
 * gate_boot_nodes.c: boot_smoke on a tier with nodes and a health_url.
 *
 * There the version already runs on the nodes (a promote restarted them), so
 * the gate does not start a binary of its own: it requires that every node's
 * health_url answers 2xx on every round (one every BOOT_POLL_MS) for
 * `seconds`.  Local nodes are asked from here; ssh nodes with curl on the
 * node (the URL names the node's own loopback).  The first answer that is
 * not 2xx fails the gate (unclassified, "health check failed: node ...").
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "daemon/deploy/node_ops.h"
#include "daemon/gates/gates_int.h"
#include "net/http_client.h"

#define BOOT_POLL_MS 500

struct nodes_watch {
	struct gate_run *run;
	uv_timer_t timer;
	int timer_open;
	uint64_t end;       /* uv_now when the window closes */
	int pending;        /* answers awaited in this round */
	int done;           /* the outcome is decided */
	struct strbuf fail; /* the first failure, or empty */
};

struct node_ask {
	struct nodes_watch *w;
	const struct node_config *n;
	struct strbuf out;
};

static void watch_try_finish(struct nodes_watch *w);

static void
watch_answer(struct nodes_watch *w, const struct node_config *n, int status, const char *error)
{
	w->pending--;
	if ((status < 200 || status > 299) && w->fail.len == 0) {
		if (status)
			strbuf_addf(&w->fail, "node '%s': '%s' answered %d", n->name,
			    w->run->tier->health_url, status);
		else
			strbuf_addf(&w->fail, "node '%s': '%s': %s", n->name,
			    w->run->tier->health_url, error ? error : "no answer");
	}
	watch_try_finish(w);
}

static void
ask_http_done(const struct http_client_result *res, void *arg)
{
	struct node_ask *a = arg;

	watch_answer(a->w, a->n, res->status, res->error);
	strbuf_release(&a->out);
	free(a);
}

static void
ask_curl_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct node_ask *a = arg;

	if (a->out.len < 64)
		strbuf_add(&a->out, buf, len);
}

static void
ask_curl_done(struct proc *p, const struct proc_result *r, void *arg)
{
	struct node_ask *a = arg;

	watch_answer(a->w, a->n, r->exited && r->exit_status != 255 ? atoi(a->out.buf) : 0,
	    r->exited && r->exit_status == 255 ? "ssh could not reach the node" : "curl failed");
	strbuf_release(&a->out);
	free(a);
}

/* Ask node n once. */
static void
watch_ask(struct nodes_watch *w, const struct node_config *n)
{
	struct daemon *d = w->run->d;
	struct node_ask *a = xcalloc(1, sizeof(*a));
	struct node_ssh ssh = {&d->cfg, NULL};
	struct strvec argv = STRVEC_INIT, full = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct http_client_options ho = {.url = w->run->tier->health_url,
	    .timeout_ms = 5000,
	    .on_done = ask_http_done,
	    .arg = a};
	struct proc_options po = {.env = (const char *const *)d->env.v,
	    .timeout_ms = 15000,
	    .on_output = ask_curl_output,
	    .on_exit = ask_curl_done,
	    .arg = a,
	    .stderr_apart = 1};
	int rc;

	a->w = w;
	a->n = n;
	strbuf_init(&a->out, 0);
	w->pending++;
	if (n->transport == TRANSPORT_LOCAL) {
		rc = http_client_start(d->loop, &ho, NULL, &err);
	} else {
		node_health_argv(w->run->tier->health_url, 5, &argv);
		node_cmd(&ssh, n, (const char *const *)argv.v, &full);
		po.argv = (const char *const *)full.v;
		rc = proc_spawn(d->loop, &po, NULL, &err);
	}
	if (rc == -1) {
		strbuf_release(&a->out);
		free(a);
		watch_answer(w, n, 0, err.buf);
	}
	strvec_clear(&argv);
	strvec_clear(&full);
	strbuf_release(&err);
}

static void
watch_tick(uv_timer_t *t)
{
	struct nodes_watch *w = t->data;
	const struct tier_config *tier = w->run->tier;

	if (w->pending > 0 || w->done)
		return;
	w->pending++; /* a hold while asking */
	for (size_t i = 0; i < tier->nnodes; i++)
		watch_ask(w, &tier->nodes[i]);
	w->pending--;
	watch_try_finish(w);
}

static void
watch_closed(uv_handle_t *h)
{
	struct nodes_watch *w = h->data;
	struct gate_run *r = w->run;
	struct outcome o;

	memset(&o, 0, sizeof(o));
	if (r->cancelled || w->fail.len > 0) {
		gate_run_log(r, "health check failed: %s", w->fail.len ? w->fail.buf : "cancelled");
		strbuf_insertstr(&w->fail, 0, "health check failed: ");
		outcome_failed_unclassified(&o, r->log_ref, w->fail.buf);
	} else {
		outcome_passed_stayed_up(&o, (double)r->g->seconds);
		outcome_set_log_ref(&o, r->log_ref);
	}
	strbuf_release(&w->fail);
	free(w);
	r->state = NULL;
	gate_run_finish(r, &o);
}

/* Decide once a round is complete: a failure, the end of the window, a cancel. */
static void
watch_try_finish(struct nodes_watch *w)
{
	if (w->pending > 0 || w->done)
		return;
	if (w->fail.len == 0 && !w->run->cancelled && uv_now(w->run->d->loop) < w->end)
		return;
	w->done = 1;
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, watch_closed);
}

void
gate_boot_nodes_start(struct gate_run *r)
{
	struct nodes_watch *w = xcalloc(1, sizeof(*w));

	w->run = r;
	strbuf_init(&w->fail, 0);
	r->state = w;
	w->end = uv_now(r->d->loop) + (uint64_t)r->g->seconds * 1000;
	gate_run_log(r, "the nodes of tier '%s' must answer 2xx at '%s' for %lld s", r->tier->name,
	    r->tier->health_url, (long long)r->g->seconds);
	uv_timer_init(r->d->loop, &w->timer);
	w->timer.data = w;
	uv_timer_start(&w->timer, watch_tick, 0, BOOT_POLL_MS);
}

void
gate_boot_nodes_cancel(struct gate_run *r)
{
	struct nodes_watch *w = r->state;

	if (w && w->run == r)
		watch_try_finish(w);
}
