/*
 * build_int: what build.c and build_steps.c share.  Not for other modules.
 */
#ifndef SANDO_BUILD_INT_H
#define SANDO_BUILD_INT_H

#include <stdint.h>
#include <uv.h>

#include "daemon/stage.h"

struct daemon;
struct proc;

struct build {
	struct daemon *d;
	int64_t id;
	char sha[41];
	uint64_t t0;        /* uv_now at start, for duration_ms */
	char *worktree;     /* workdir/build-<id> */
	char *log_path;     /* logs_root/builds/<id>.log */
	char *version;      /* once known */
	char *prev_release; /* the release staged before this one, for unchanged files' times */
	struct proc *proc;  /* the step's process, while one runs */
	uv_work_t work;     /* the stage on the thread pool */
	struct stage_request req;
	struct stage_result res;
	struct stage_row *rows;
	volatile int cancel; /* read by stage_run on the pool thread */
	int stage_running;   /* its stage is on the thread pool */
	int aborted;         /* superseded or shut down: results are ignored */
	int finished;        /* ok or failed was recorded */
};

/* Append a "sando: ..." line to the build's log. */
void build_log(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the build as failed at step (row, event, log). */
void build_fail(struct build *b, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the build as ok (row, event, first tier). */
void build_succeed(struct build *b);

/* An async step returned: if the build was aborted or finished, free it and
 * return 1 (the step must not touch it again). */
int build_settle(struct build *b);

/* The steps, each starting the next when it succeeds. */
void build_step_worktree(struct build *b);

/* Remove the worktrees of builds other than keep_id (async, best effort). */
void build_cleanup_worktrees(struct daemon *d, int64_t keep_id);

#endif
