/*
 * proc: the one module that runs other programs (after git's run-command.h
 * and tmux's job.c).  Nothing else calls uv_spawn.
 *
 * Every program gets an argv array (never a shell string), an explicit
 * environment, a working directory, its own process group (session), stdin
 * from /dev/null (or a few bytes the caller gives, e.g. a secret that must
 * not appear on a command line), and stdout+stderr merged into one pipe that the loop reads
 * (or, with stderr_apart, stdout alone: stderr then goes straight to the log).
 * Output is appended to a log file (if given; with stderr_apart only stderr,
 * as stdout is then output to be parsed, not read by people) and handed to on_output in
 * chunks as it arrives; the last capture_max bytes are also kept in memory
 * for classifiers.  A timeout or proc_cancel sends SIGTERM to the whole
 * group, then SIGKILL after kill_grace_ms.  When the group leader exits, any
 * process left in its group is killed too, so no orphan survives.
 *
 * Life cycle: proc_spawn -> on_output* -> on_exit (exactly once, from the
 * loop, after the output pipe reached EOF and the leader was reaped) ->
 * the proc frees itself after on_exit returns.  The struct proc pointer is
 * valid until then; proc_cancel may be called any number of times before.
 *
 * Ownership: options are copied at spawn; the caller keeps its strings.  The
 * result passed to on_exit (and its strings) lives only during the callback.
 */
#ifndef SANDO_PROC_H
#define SANDO_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "core/strbuf.h"

struct proc;

struct proc_result {
	int spawned; /* 0: the program could not be started (see error) */
	int exited;  /* 1: exited normally with exit_status */
	int exit_status;
	int term_signal; /* the signal that ended it, or 0 */
	int timed_out;   /* ended by the timeout */
	int cancelled;   /* ended by proc_cancel */
	uint64_t duration_ms;
	const char *error;         /* spawn failure text ("no such file or directory") */
	const struct strbuf *tail; /* the last capture_max bytes of output */
};

struct proc_options {
	const char *const *argv; /* argv[0] is looked up in PATH of env (see below) */
	const char *const *env;  /* "KEY=VALUE" strings, NULL-terminated; NULL = empty */
	const char *cwd;         /* NULL: the daemon's cwd */
	const char *log_path;    /* output appended here (created 0640); NULL: none */
	uint64_t timeout_ms;     /* 0: no timeout */
	uint64_t kill_grace_ms;  /* SIGTERM -> SIGKILL delay; 0: 5000 */
	size_t capture_max;      /* bytes of output kept for the result; 0: 64 KiB */
	void (*on_output)(struct proc *p, const char *buf, size_t len, void *arg);
	void (*on_exit)(struct proc *p, const struct proc_result *r, void *arg);
	void *arg;
	int nice; /* 1-19: run the program at this lower priority (via nice(1)); 0: as is */
	const char *stdin_data; /* NULL: stdin is /dev/null; else these bytes, then EOF */
	size_t stdin_len;       /* at most PROC_STDIN_MAX (a pipe's buffer: written at once) */
	int stderr_apart;       /* 1: stdout is output to parse (listings, hashes): it goes to
	                     on_output and the tail only, never the log; stderr goes to the log
	                     file (or the daemon's stderr without one) */
};

#define PROC_STDIN_MAX 4096

/* Start a program on loop.  0 with *out set (may be NULL if not wanted), or
 * -1 with a message in err when argv is empty or the log file or the output
 * pipe cannot be opened.  A program that cannot be executed still returns 0:
 * on_exit then reports spawned = 0 with the error text (from the loop, never
 * re-entrantly).  An argv[0] without '/' is searched in the absolute entries
 * of env's PATH (default "/usr/local/bin:/usr/bin:/bin"), never the daemon's;
 * one with '/' is taken as is (relative to cwd). */
int proc_spawn(
    uv_loop_t *loop, const struct proc_options *o, struct proc **out, struct strbuf *err);

/* SIGTERM the process group now, SIGKILL after the grace period. */
void proc_cancel(struct proc *p);

/* Stop reading the program's output (it blocks once the pipe is full), or
 * read on; for consumers that cannot keep up.  A paused proc's on_exit waits
 * for proc_resume and the rest of the output. */
void proc_pause(struct proc *p);
void proc_resume(struct proc *p);

/* The leader's pid (also the process group id), or 0 before it started. */
pid_t proc_pid(const struct proc *p);

/* Cancel every running proc (daemon shutdown); on_exit still fires for each. */
void proc_cancel_all(void);

/* How many procs are running (not yet past on_exit). */
size_t proc_count(void);

/* Run a program to completion by spinning loop (start-up and tools only: the
 * loop's other handles run meanwhile).  o's on_output/on_exit/arg are ignored.
 * Returns the exit status (0-255), or -1 when it could not run or was killed
 * (then err says why); its output (the last capture_max bytes) goes to output. */
int proc_run_sync(
    uv_loop_t *loop, const struct proc_options *o, struct strbuf *output, struct strbuf *err);

#endif
