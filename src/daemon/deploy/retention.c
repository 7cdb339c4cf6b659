#include "daemon/deploy/retention.h"

#include <dirent.h>
#include <string.h>

#include "core/log.h"
#include "core/proc.h"
#include "daemon/daemon.h"
#include "daemon/deploy/node_ops.h"
#include "daemon/store.h"
#include "domain/version.h"

static const char prune_sh[] =
    "root=$1; shift; keep=' '; aside=' '; mode=keep\n"
    "for a; do case $a in --aside) mode=aside ;; *) if [ $mode = keep ]; then "
    "keep=\"$keep$a \"; else aside=\"$aside$a \"; fi ;; esac; done\n"
    "cd \"$root/releases\" || exit 0\n"
    "for d in *; do\n"
    "  [ -d \"$d\" ] || continue\n"
    "  case $d in *.partial) continue ;; esac\n"
    "  case $keep in *\" $d \"*) continue ;; esac\n"
    "  case $aside in *\" $d \"*) mkdir -p \"$root/failed\" && rm -rf \"$root/failed/$d\" && "
    "mv \"$d\" \"$root/failed/$d\"; echo \"kept aside: $d\"; continue ;; esac\n"
    "  rm -rf -- \"$d\" && echo \"pruned: $d\"\n"
    "done\n";

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
	    .timeout_ms = 600000,
	    .on_exit = prune_done,
	    .nice = 10};

	if (proc_spawn(d->loop, &o, NULL, &err) == -1)
		log_warnx("cannot prune old releases: %s", err.buf);
	strbuf_release(&err);
}

static int
listed(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->nr; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
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

void
retention_run(struct daemon *d, const struct tier_config *t, const char *log_path)
{
	struct strvec keep = STRVEC_INIT, aside = STRVEC_INIT, argv = STRVEC_INIT,
	              full = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct node_ssh ssh = {&d->cfg, NULL};

	if (store_retention(d->store, t->name, d->cfg.retain_releases, &keep, &aside, &err) == 0) {
		for (size_t i = 0; i < t->nnodes; i++) {
			strvec_clear(&argv);
			strvec_clear(&full);
			strvec_pushv(&argv, (const char *const[]){"sh", "-c", prune_sh, "sh",
			                        t->nodes[i].release_root, NULL});
			strvec_pushv(&argv, (const char *const *)keep.v);
			strvec_push(&argv, "--aside");
			strvec_pushv(&argv, (const char *const *)aside.v);
			node_cmd(&ssh, &t->nodes[i], (const char *const *)argv.v, &full);
			spawn(d, &full, log_path);
		}
	} else {
		log_warnx("retention: %s", err.buf);
	}
	prune_staged(d, log_path);
	strvec_clear(&keep);
	strvec_clear(&aside);
	strvec_clear(&argv);
	strvec_clear(&full);
	strbuf_release(&err);
}
