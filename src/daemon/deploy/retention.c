#include "daemon/deploy/retention.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/proc.h"
#include "core/xmalloc.h"
#include "daemon/daemon.h"
#include "daemon/deploy/node_ops.h"
#include "daemon/deploy/node_run.h"
#include "daemon/store.h"
#include "domain/version.h"

#define PRUNE_TIMEOUT_MS 600000
#define PRUNE_LISTING_MAX (1u << 20)

static int
listed(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->nr; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

static void
prune_done(struct proc *p, const struct proc_result *r, void *arg)
{
	if (!r->exited || r->exit_status != 0)
		log_warnx("pruning old releases failed (exit status %d)",
		    r->exited ? r->exit_status : -1);
}

static void
spawn(struct daemon *d, const struct strvec *argv, const char *log_path)
{
	struct strbuf err = STRBUF_INIT;
	struct proc_options o = {.argv = (const char *const *)argv->v,
	    .env = (const char *const *)d->env.v,
	    .log_path = log_path,
	    .timeout_ms = PRUNE_TIMEOUT_MS,
	    .on_exit = prune_done,
	    .nice = 10};

	if (proc_spawn(d->loop, &o, NULL, &err) == -1)
		log_warnx("cannot prune old releases: %s", err.buf);
	strbuf_release(&err);
}

/* The staged releases not kept: removed with rm -rf. */
static void
prune_staged(struct daemon *d, const char *log_path)
{
	struct strvec keep = STRVEC_INIT, aside = STRVEC_INIT, argv = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	DIR *dir;
	struct dirent *e;

	if (store_retention(d->store, NULL, d->cfg.retain_releases, &keep, &aside, &err) == -1 ||
	    (dir = opendir(d->cfg.release_root)) == NULL)
		goto out;
	strvec_pushv(&argv, (const char *const[]){"rm", "-rf", "--", NULL});
	while ((e = readdir(dir)) != NULL)
		if (version_valid(e->d_name, strlen(e->d_name)) && !listed(&keep, e->d_name) &&
		    !listed(&aside, e->d_name))
			strvec_pushf(&argv, "%s/%s", d->cfg.release_root, e->d_name);
	closedir(dir);
	if (argv.nr > 3)
		spawn(d, &argv, log_path);
out:
	if (err.len)
		log_warnx("retention: %s", err.buf);
	strvec_clear(&keep);
	strvec_clear(&aside);
	strvec_clear(&argv);
	strbuf_release(&err);
}

/* One node's pruning: list its releases, then remove or set aside. */
struct prune {
	struct daemon *d;
	const struct node_config *n;
	struct strvec keep, aside;
	char *log_path;
	struct strbuf out;
	int listed;
};

static void prune_node_exit(struct proc *p, const struct proc_result *r, void *arg);

static void
prune_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct prune *pn = arg;

	if (pn->out.len < PRUNE_LISTING_MAX)
		strbuf_add(&pn->out, buf, len);
}

static int
prune_node_run(struct prune *pn, const struct node_progs *progs)
{
	struct node_ssh ssh;
	struct strbuf err = STRBUF_INIT, ctl = STRBUF_INIT;
	struct proc_options o = {.env = (const char *const *)pn->d->env.v,
	    .log_path = pn->log_path,
	    .timeout_ms = PRUNE_TIMEOUT_MS,
	    .on_output = prune_output,
	    .on_exit = prune_node_exit,
	    .arg = pn,
	    .nice = 10,
	    .stderr_apart = 1};
	int rc;

	node_ssh_init(&ssh, &pn->d->cfg, &ctl);
	rc = node_run_start(pn->d->loop, &ssh, pn->n, progs, &o, NULL, &err);
	if (rc == -1)
		log_warnx("node '%s': cannot prune old releases: %s", pn->n->name, err.buf);
	strbuf_release(&err);
	strbuf_release(&ctl);
	return rc;
}

/* From the node's listing, what to remove and what to set aside: never the
 * releases kept, what current points to, or a .partial. */
static int
prune_decide(struct prune *pn, struct node_progs *progs)
{
	struct node_listing l;
	struct strvec drop = STRVEC_INIT, aside = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	const char *cur;

	if (node_listing_parse(pn->n, pn->out.buf, pn->out.len, &l, &err) == -1) {
		log_warnx("node '%s': %s", pn->n->name, err.buf);
		strbuf_release(&err);
		return -1;
	}
	cur = node_listing_current(&l);
	for (size_t i = 0; i < l.releases.nr; i++) {
		const char *v = l.releases.v[i];

		if (!version_valid(v, strlen(v)) || listed(&pn->keep, v) ||
		    (cur && !strcmp(cur, v)))
			continue;
		strvec_push(listed(&pn->aside, v) ? &aside : &drop, v);
	}
	node_prune_progs(pn->n, &drop, &aside, progs);
	node_listing_release(&l);
	strvec_clear(&drop);
	strvec_clear(&aside);
	return 0;
}

static void
prune_free(struct prune *pn)
{
	strvec_clear(&pn->keep);
	strvec_clear(&pn->aside);
	strbuf_release(&pn->out);
	free(pn->log_path);
	free(pn);
}

static void
prune_node_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct prune *pn = arg;
	struct node_progs progs = NODE_PROGS_INIT;
	int ok = r->spawned && r->exited && r->exit_status == 0;

	if (!ok) {
		log_warnx("node '%s': pruning old releases failed (%s)", pn->n->name,
		    r->exited ? "see the promote's log" : "not run");
	} else if (!pn->listed) {
		pn->listed = 1;
		if (prune_decide(pn, &progs) == 0 && progs.nr > 0 &&
		    prune_node_run(pn, &progs) == 0) {
			node_progs_clear(&progs);
			return;
		}
	}
	node_progs_clear(&progs);
	prune_free(pn);
}

static void
prune_node(struct daemon *d, const struct node_config *n, const struct strvec *keep,
    const struct strvec *aside, const char *log_path)
{
	struct prune *pn = xcalloc(1, sizeof(*pn));
	struct node_progs progs = NODE_PROGS_INIT;

	pn->d = d;
	pn->n = n;
	strvec_init(&pn->keep);
	strvec_init(&pn->aside);
	strvec_pushv(&pn->keep, (const char *const *)keep->v);
	strvec_pushv(&pn->aside, (const char *const *)aside->v);
	pn->log_path = log_path ? xstrdup(log_path) : NULL;
	strbuf_init(&pn->out, 0);
	node_probe_progs(n, &progs);
	if (prune_node_run(pn, &progs) == -1)
		prune_free(pn);
	node_progs_clear(&progs);
}

void
retention_run(struct daemon *d, const struct tier_config *t, const char *log_path)
{
	struct strvec keep = STRVEC_INIT, aside = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;

	if (store_retention(d->store, t->name, d->cfg.retain_releases, &keep, &aside, &err) == 0) {
		for (size_t i = 0; i < t->nnodes; i++)
			prune_node(d, &t->nodes[i], &keep, &aside, log_path);
	} else {
		log_warnx("retention: %s", err.buf);
	}
	prune_staged(d, log_path);
	strvec_clear(&keep);
	strvec_clear(&aside);
	strbuf_release(&err);
}
