/*
 * node_check.c: the start-up check and repair of every node (node_check.h).
 */
#include "daemon/deploy/node_check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proc.h"
#include "core/xmalloc.h"
#include "daemon/daemon.h"
#include "daemon/deploy/node_ops.h"
#include "daemon/deploy/node_run.h"
#include "daemon/events.h"
#include "daemon/store.h"

#define CHECK_TIMEOUT_MS 60000
#define CHECK_HOLDER "check:startup"

enum phase { PHASE_PROBE, PHASE_SWAP, PHASE_RESTART };

struct node_check {
	struct daemon *d;
	const struct tier_config *t;
	const struct node_config *n;
	char *expected; /* the tier's current version, or NULL */
	const char *status;
	char *found;
	struct strbuf message;
	struct strbuf out;
	struct node_run *run;
	int phase;
};

struct node_checks {
	struct node_check *v;
	size_t nr;
	size_t *pending; /* per tier: nodes still being checked */
	int stopping;
};

static void check_run(struct node_check *c, int phase, const struct node_progs *progs);

static void
tier_done(struct node_check *c)
{
	struct node_checks *all = c->d->node_checks;
	size_t ti = (size_t)(c->t - c->d->topo.tiers);
	struct strbuf err = STRBUF_INIT;

	if (--all->pending[ti] == 0 &&
	    store_tier_unlock(c->d->store, c->t->name, CHECK_HOLDER, &err) == -1)
		log_warnx("tier '%s': %s", c->t->name, err.buf);
	strbuf_release(&err);
}

static void check_end(struct node_check *c, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
check_end(struct node_check *c, const char *status, const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	strbuf_reset(&c->message);
	va_start(ap, fmt);
	strbuf_vaddf(&c->message, fmt, ap);
	va_end(ap);
	if (strcmp(status, "ok") != 0)
		log_warnx("node '%s' of tier '%s': %s: %s", c->n->name, c->t->name, status,
		    c->message.buf);
	tier_done(c);
}

/* Record the repair: the node's versions, the audit log, an event. */
static void
check_repaired(struct node_check *c)
{
	struct strbuf err = STRBUF_INIT;
	json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "tier", c->t->name, "node", c->n->name,
	    "found", c->found ? json_string(c->found) : json_null(), "restored",
	    c->expected ? json_string(c->expected) : json_null());
	char *text = json_dumps(j, JSON_COMPACT);

	if (store_node_set_versions(c->d->store, c->n->name, c->expected, NULL, &err) == -1 ||
	    store_audit(c->d->store, "sandod", "repair", c->t->name, text, &err) == -1)
		log_warnx("node '%s': %s", c->n->name, err.buf);
	events_emit(&c->d->events, "node_repaired", j);
	free(text);
	strbuf_release(&err);
	check_end(c, "repaired", "current pointed at '%s'; switched back to '%s'",
	    c->found ? c->found : "", c->expected ? c->expected : "(none)");
}

/* The probe said where current points: fine, repair, or report. */
static void
check_judge(struct node_check *c)
{
	struct strbuf want = STRBUF_INIT, err = STRBUF_INIT;
	struct node_progs progs = NODE_PROGS_INIT;
	struct node_listing l;

	if (node_listing_parse(c->n, c->out.buf, c->out.len, &l, &err) == -1) {
		check_end(c, "drift", "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	c->found = xstrdup(l.current ? l.current : "");
	if (c->expected)
		strbuf_addf(&want, "releases/%s", c->expected);
	if (strcmp(c->found, want.buf) == 0) {
		check_end(c, "ok", "current is '%s'", want.len ? want.buf : "(none)");
	} else if (c->expected && !node_listing_has(&l, c->expected)) {
		check_end(c, "drift",
		    "current is '%s', the recorded release '%s' is not on the node", c->found,
		    c->expected);
	} else {
		node_swap_progs(c->n, c->expected, 0, &progs);
		check_run(c, PHASE_SWAP, &progs);
	}
	node_listing_release(&l);
	node_progs_clear(&progs);
	strbuf_release(&want);
}

static void
check_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct node_check *c = arg;
	int ok = r->spawned && r->exited && r->exit_status == 0;
	struct node_progs progs = NODE_PROGS_INIT;
	struct strvec *argv;

	c->run = NULL;
	if (!ok && c->n->transport == TRANSPORT_SSH && r->exited && r->exit_status == 255)
		check_end(c, "unreachable", "ssh could not reach the node");
	else if (!ok)
		check_end(c, "drift", "%s failed (see the daemon's log)",
		    c->phase == PHASE_PROBE  ? "the check"
		    : c->phase == PHASE_SWAP ? "the repair"
		                             : "the restart");
	else if (c->phase == PHASE_PROBE)
		check_judge(c);
	else if (c->phase == PHASE_SWAP && c->expected && c->t->restart.nr > 0) {
		argv = node_progs_add(&progs);
		strvec_push(argv, "env");
		strvec_pushf(argv, "SANDO_NODE=%s", c->n->name);
		strvec_pushf(argv, "SANDO_NODE_ROOT=%s", c->n->release_root);
		strvec_pushf(argv, "SANDO_VERSION=%s", c->expected);
		strvec_pushv(argv, (const char *const *)c->t->restart.v);
		check_run(c, PHASE_RESTART, &progs);
	} else
		check_repaired(c);
	node_progs_clear(&progs);
}

static void
check_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct node_check *c = arg;

	if (c->out.len < 65536)
		strbuf_add(&c->out, buf, len);
}

static void
check_run(struct node_check *c, int phase, const struct node_progs *progs)
{
	struct node_ssh ssh;
	struct strbuf err = STRBUF_INIT, ctl = STRBUF_INIT;
	struct proc_options o = {.env = (const char *const *)c->d->env.v,
	    .timeout_ms = CHECK_TIMEOUT_MS,
	    .on_output = check_output,
	    .on_exit = check_exit,
	    .arg = c,
	    .stderr_apart = 1};

	c->phase = phase;
	strbuf_reset(&c->out);
	node_ssh_init(&ssh, &c->d->cfg, &ctl);
	if (c->d->node_checks->stopping ||
	    node_run_start(c->d->loop, &ssh, c->n, progs, &o, &c->run, &err) == -1)
		check_end(
		    c, "drift", "cannot run the check: %s", err.len ? err.buf : "shutting down");
	strbuf_release(&err);
	strbuf_release(&ctl);
}

void
node_check_start(struct daemon *d)
{
	struct node_checks *all = xcalloc(1, sizeof(*all));
	struct strbuf err = STRBUF_INIT, held = STRBUF_INIT;
	struct node_progs progs = NODE_PROGS_INIT;
	size_t k = 0;

	for (size_t i = 0; i < d->topo.ntiers; i++)
		all->nr += d->topo.tiers[i].nnodes;
	all->v = xcalloc(all->nr ? all->nr : 1, sizeof(*all->v));
	all->pending = xcalloc(d->topo.ntiers ? d->topo.ntiers : 1, sizeof(*all->pending));
	d->node_checks = all;
	for (size_t i = 0; i < d->topo.ntiers; i++) {
		const struct tier_config *t = &d->topo.tiers[i];
		struct store_tier_state ts;

		if (t->nnodes == 0 || store_tier_state(d->store, t->name, &ts, &err) == -1)
			continue;
		store_tier_lock(d->store, t->name, CHECK_HOLDER, (int64_t)getpid(), &held, &err);
		all->pending[i] = t->nnodes;
		for (size_t j = 0; j < t->nnodes; j++, k++) {
			struct node_check *c = &all->v[k];

			c->d = d;
			c->t = t;
			c->n = &t->nodes[j];
			c->status = "pending";
			c->expected = ts.current_version ? xstrdup(ts.current_version) : NULL;
			strbuf_init(&c->message, 0);
			strbuf_init(&c->out, 0);
		}
		store_tier_state_release(&ts);
	}
	for (size_t i = 0; i < k; i++) {
		node_progs_clear(&progs);
		node_probe_progs(all->v[i].n, &progs);
		check_run(&all->v[i], PHASE_PROBE, &progs);
	}
	node_progs_clear(&progs);
	strbuf_release(&err);
	strbuf_release(&held);
}

json_t *
node_check_json(const struct daemon *d, const struct node_config *n)
{
	const struct node_checks *all = d->node_checks;

	for (size_t i = 0; all && i < all->nr; i++) {
		const struct node_check *c = &all->v[i];

		if (c->n == n && c->d)
			return json_pack("{s:s, s:o, s:s}", "status", c->status, "found",
			    c->found ? json_string(c->found) : json_null(), "message",
			    c->message.buf);
	}
	return NULL;
}

void
node_check_shutdown(struct daemon *d)
{
	struct node_checks *all = d->node_checks;

	if (all == NULL)
		return;
	all->stopping = 1;
	for (size_t i = 0; i < all->nr; i++)
		if (all->v[i].run)
			node_run_cancel(all->v[i].run);
}

void
node_check_free(struct daemon *d)
{
	struct node_checks *all = d->node_checks;

	if (all == NULL)
		return;
	for (size_t i = 0; i < all->nr; i++) {
		free(all->v[i].expected);
		free(all->v[i].found);
		strbuf_release(&all->v[i].message);
		strbuf_release(&all->v[i].out);
	}
	free(all->v);
	free(all->pending);
	free(all);
	d->node_checks = NULL;
}
