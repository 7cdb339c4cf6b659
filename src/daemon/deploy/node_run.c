/*
 * node_run.c: a node step's programs in sequence (node_run.h).
 */
#include "daemon/deploy/node_run.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

struct node_run {
	uv_loop_t *loop;
	struct node_progs cmds;
	size_t next; /* the index of the program to start after the running one */
	struct proc_options o;
	char *log_path;
	char *cwd;
	struct strbuf stdin_data;
	struct proc *proc;
	int cancelled;
};

static void run_exit(struct proc *p, const struct proc_result *r, void *arg);

static void
run_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct node_run *run = arg;

	if (run->o.on_output)
		run->o.on_output(p, buf, len, run->o.arg);
}

/* Spawn the next program; -1 with err when proc could not. */
static int
run_next(struct node_run *run, struct strbuf *err)
{
	struct proc_options o = run->o;

	o.argv = (const char *const *)run->cmds.v[run->next++].v;
	o.on_output = run_output;
	o.on_exit = run_exit;
	o.arg = run;
	return proc_spawn(run->loop, &o, &run->proc, err);
}

static void
run_free(struct node_run *run)
{
	node_progs_clear(&run->cmds);
	free(run->log_path);
	free(run->cwd);
	strbuf_release(&run->stdin_data);
	free(run);
}

static void
run_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct node_run *run = arg;
	struct strbuf err = STRBUF_INIT;
	int ok = r->spawned && r->exited && r->exit_status == 0;

	run->proc = NULL;
	if (ok && !run->cancelled && run->next < run->cmds.nr && run_next(run, &err) == 0) {
		strbuf_release(&err);
		return;
	}
	if (err.len) {
		struct proc_result failed = {.error = err.buf, .tail = r->tail};

		run->o.on_exit(p, &failed, run->o.arg);
	} else {
		run->o.on_exit(p, r, run->o.arg);
	}
	strbuf_release(&err);
	run_free(run);
}

int
node_run_start(uv_loop_t *loop, const struct node_ssh *s, const struct node_config *n,
    const struct node_progs *progs, const struct proc_options *o, struct node_run **out,
    struct strbuf *err)
{
	struct node_run *run = xcalloc(1, sizeof(*run));

	run->loop = loop;
	run->o = *o;
	run->log_path = o->log_path ? xstrdup(o->log_path) : NULL;
	run->cwd = o->cwd ? xstrdup(o->cwd) : NULL;
	run->o.log_path = run->log_path;
	run->o.cwd = run->cwd;
	strbuf_init(&run->stdin_data, 0);
	if (o->stdin_data) {
		strbuf_add(&run->stdin_data, o->stdin_data, o->stdin_len);
		run->o.stdin_data = run->stdin_data.buf;
	}
	node_progs_cmds(s, n, progs, &run->cmds);
	if (run->cmds.nr == 0) {
		strbuf_addstr(err, "no program to run on the node");
	} else if (run_next(run, err) == 0) {
		if (out)
			*out = run;
		return 0;
	}
	run_free(run);
	return -1;
}

void
node_run_cancel(struct node_run *r)
{
	r->cancelled = 1;
	if (r->proc)
		proc_cancel(r->proc);
}
