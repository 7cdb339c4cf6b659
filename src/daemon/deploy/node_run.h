/*
 * node_run: run a node step's programs (a node_progs list from node_ops.h)
 * one after another through proc, as if they were one program.
 *
 * The list is turned into what to spawn for the node's transport
 * (node_progs_cmds: each program for a local node, one ssh command for an
 * ssh node).  Every program gets the same proc_options (argv aside); their
 * output reaches o->on_output in order.  o->on_exit is called exactly once:
 * with the result of the first program that did not exit 0, or of the last
 * one.  Its struct proc argument is the program that ended the run.
 *
 * Life cycle: node_run_start -> on_output* -> on_exit -> the run frees
 * itself after on_exit returns; node_run_cancel (any number of times before)
 * cancels the running program and starts no other.  Options are copied at
 * start (o->env excepted: it must outlive the run, as the daemon's does);
 * the caller keeps its strings.
 */
#ifndef SANDO_NODE_RUN_H
#define SANDO_NODE_RUN_H

#include "core/proc.h"
#include "daemon/deploy/node_ops.h"

struct node_run;

/* Start progs on node n.  0 with *out set (may be NULL if not wanted), or -1
 * with a message in err (nothing started; on_exit is not called). */
int node_run_start(uv_loop_t *loop, const struct node_ssh *s, const struct node_config *n,
    const struct node_progs *progs, const struct proc_options *o, struct node_run **out,
    struct strbuf *err);

/* Cancel the running program (proc_cancel); no further program starts. */
void node_run_cancel(struct node_run *r);

#endif
