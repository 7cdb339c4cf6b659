/*
 * node_local: the swap of a local node (DESIGN.md section 7) done with
 * system calls on libuv's thread pool instead of programs, since a local
 * node is a directory on this machine.  It has exactly the effect of
 * node_swap_progs' programs (mv -T, test -d, ln -sfn, mv -T): publish
 * releases/<v>.partial as releases/<v> (rename) or check that releases/<v>
 * is a directory, then symlink releases/<v> as current.new and rename it
 * over current; version NULL removes current and current.new.  A rollback
 * of a tier of local nodes then starts no process at all (its latency is a
 * target of issue 5).  Blocking calls run only in node_local_swap_now,
 * which node_local_swap calls on a worker thread.
 */
#ifndef SANDO_NODE_LOCAL_H
#define SANDO_NODE_LOCAL_H

#include <uv.h>

#include "core/strbuf.h"

struct node_config;

/* Swap now (blocking); 0, or -1 with a message in err. */
int node_local_swap_now(
    const char *release_root, const char *version, int publish, struct strbuf *err);

/* Called on the loop when the swap is over: rc 0 or -1, err the message (or ""). */
typedef void node_local_done_fn(void *arg, int rc, const char *err);

/* Swap node n's release_root on the thread pool; done is called exactly
 * once from the loop.  The strings are copied. */
void node_local_swap(uv_loop_t *loop, const struct node_config *n, const char *version, int publish,
    node_local_done_fn *done, void *arg);

#endif
