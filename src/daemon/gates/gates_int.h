/*
 * gates_int: what the gate engine's files share (gates.c, gate_spawn.c and
 * one file per kind of gate).  Not for other modules: they use gates.h.
 *
 * A runner starts its gate from start(), and when the gate has ended (or
 * could not start) calls gate_run_finish exactly once, from the loop.
 * gate_run_cancel asks it to stop early: the default stops the process that
 * gate_run_spawn started; a runner with other work in flight (a thread-pool
 * job, an HTTP request, a timer) checks run->cancelled when it comes back.
 */
#ifndef SANDO_GATES_INT_H
#define SANDO_GATES_INT_H

#include <stdint.h>
#include <uv.h>

#include "core/proc.h"
#include "core/strbuf.h"
#include "core/strvec.h"
#include "daemon/classify/classify.h"
#include "daemon/daemon.h"
#include "daemon/topology.h"
#include "domain/outcome.h"

struct gate_seq;
struct gate_run;

/* The engine's state (daemon->gates). */
struct gate_engine {
	struct gate_seq **current; /* per tier (topology order): the sequence that counts */
	struct gate_seq *all;      /* every live sequence, cancelled ones included */
	uv_timer_t burn_in_timer;
	int burn_in_armed;
	char **burn_in_noted;  /* per tier: "<version> <clock start>" whose elapse was recorded */
	uv_timer_t flow_timer; /* gate_flow.c */
	int flow_open;
	int flow_paused;
	uint64_t flow_since;
};

/* gate_flow.c: pause the gates' output while a live subscriber catches up
 * (called after each chunk sent), and the timer's life. */
void gate_flow_check(struct daemon *d);
void gate_flow_init(struct daemon *d);
void gate_flow_stop(struct daemon *d);

/* Every run in flight, cancelled sequences' included. */
struct gate_run *gates_first_run(struct daemon *d);
struct gate_run *gates_next_run(struct gate_run *run);

/* gate_burn_in.c: the timer's life. */
void gates_burn_in_init(struct daemon *d);
void gates_burn_in_stop(struct daemon *d);

typedef void gate_proc_done_fn(struct gate_run *run, const struct proc_result *res);

struct gate_run {
	struct daemon *d;
	struct gate_seq *seq;
	const struct tier_config *tier;
	const struct gate_config *g;
	int64_t id;          /* the gate_runs row */
	const char *version; /* the sequence's */
	char *release_dir;   /* release_root/<version> */
	char *build_dir;     /* the build's worktree dir, NULL when gone */
	char *log_path;      /* absolute */
	char *log_ref;       /* relative to logs_root: "gates/<id>.log" */
	uint64_t t0;         /* uv_now at start */
	struct proc *proc;   /* the process gate_run_spawn started, while it runs */
	gate_proc_done_fn *proc_done;
	uint64_t chunk_seq;  /* gate_log_chunk events sent */
	uint64_t log_offset; /* bytes of output seen */
	struct strbuf carry; /* an incomplete UTF-8 sequence held for the next chunk */
	struct strbuf text;  /* a chunk made valid UTF-8 (reused) */
	struct strbuf json;  /* a chunk's event (reused) */
	int cancelled;
	void *state; /* the runner's */
};

struct gate_runner {
	int kind; /* enum gate_kind */
	void (*start)(struct gate_run *run);
	void (*cancel)(struct gate_run *run); /* NULL: stop run->proc */
};

/* The runner of kind, or NULL for gates that are evaluated, not run. */
const struct gate_runner *gate_runner_for(int kind);

extern const struct gate_runner gate_runner_test, gate_runner_cargo_test, gate_runner_command,
    gate_runner_boot_smoke, gate_runner_migration;

/* Record the run's outcome (taken: released here), emit gate_done and go on
 * with the sequence.  A cancelled run is recorded interrupted. */
void gate_run_finish(struct gate_run *run, struct outcome *o);

/* Append a "sando: ..." line to the run's log (and to its subscribers). */
void gate_run_log(struct gate_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The gate's environment: minimal and explicit (PATH, LANG, HOME, SANDO_*),
 * none of the daemon's; extra "KEY=VALUE" strings appended. */
void gate_run_env(struct gate_run *run, struct strvec *env);

/* Start argv for the run in cwd with env, output to the run's log and to
 * gate_log_chunk events, stopped after timeout_ms; done is called once from
 * the loop.  0, or -1 with err (then done is not called). */
int gate_run_spawn(struct gate_run *run, const char *const *argv, const char *cwd,
    const struct strvec *env, uint64_t timeout_ms, int nice, gate_proc_done_fn *done,
    struct strbuf *err);

/* Fill raw from res with the run's log from byte offset from (the last
 * LOG_CLASSIFY_MAX bytes when longer) read into buf. */
void gate_run_raw(struct gate_run *run, const struct proc_result *res, uint64_t from,
    struct gate_raw *raw, struct strbuf *buf);

/* gate_boot_nodes.c: boot_smoke on a promoted tier's nodes (their
 * health_url for `seconds`), and its cancel. */
void gate_boot_nodes_start(struct gate_run *run);
void gate_boot_nodes_cancel(struct gate_run *run);

/* The size of the run's log file now (where the next program's output starts). */
uint64_t gate_run_log_size(const struct gate_run *run);

/* The gate's timeout in seconds. */
double gate_run_timeout_s(const struct gate_run *run);

/* Finish with an outcome that says the gate could not start (unclassified
 * with msg, logged). */
void gate_run_finish_error(struct gate_run *run, const char *msg);

#endif
