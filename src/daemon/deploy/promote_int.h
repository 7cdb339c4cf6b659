/*
 * promote_int: what promote.c (the orchestrator) and deploy_node.c (one
 * node's steps) share.  Not for other modules: they use promote.h.
 */
#ifndef SANDO_PROMOTE_INT_H
#define SANDO_PROMOTE_INT_H

#include <stdint.h>
#include <uv.h>

#include "core/proc.h"
#include "core/strbuf.h"
#include "core/strvec.h"
#include "daemon/daemon.h"
#include "daemon/deploy/node_ops.h"
#include "daemon/deploy/node_run.h"
#include "daemon/deploy/promote.h"
#include "daemon/topology.h"

struct node_manifest;
struct http_client;

struct node_job {
	struct promote *pr;
	const struct node_config *n;
	int64_t deploy_id;
	char *from;    /* the release current pointed at before (NULL: none) */
	int complete;  /* the release was already whole on the node: not copied */
	int step;      /* enum in deploy_node.c */
	int switched;  /* current points at the new version */
	int reverting; /* switching back after the promote failed */
	int finished;  /* done (ok or not) */
	int ok;
	int deployed_ok;       /* how the deploy itself ended, kept through a revert */
	struct strvec written; /* the release's regular files rsync wrote */
	struct strbuf out;     /* the running step's output */
	struct proc *proc;     /* rsync, run from here */
	struct node_run *run;  /* the other steps' programs, on the node */
	struct http_client *http;
	uv_timer_t timer;
	int timer_open;
	uint64_t deadline;
	int last_status;       /* the health check's last HTTP status */
	const char *fail_kind; /* transfer_failed, verify_failed, ... */
	struct strbuf fail_msg;
	struct proc *warn_proc; /* the restart warning's curl (ssh nodes) */
	struct http_client *warn_http;
};

struct promote {
	struct daemon *d;
	int64_t id;
	int kind; /* enum promote_kind */
	const struct tier_config *tier;
	char *version;
	char *from_version;
	char *actor;
	char *holder; /* the lock's holder, "promote:<id>" */
	int hotfix;
	char *log_path;
	char *src_dir;         /* the staged release */
	struct strbuf ctl_dir; /* ssh control sockets (node_ssh_init) */
	struct node_manifest *manifest;
	struct strvec files; /* the manifest's regular files, sorted */
	struct node_ssh ssh;
	struct node_job *jobs;
	size_t njobs;
	size_t next;    /* the next job to start */
	size_t running; /* jobs (or reverts) in flight */
	int failed;
	int reverting;
	int stopping;
	struct proc *hook; /* pre_deploy / post_deploy while it runs */
	int closing;       /* handles being closed before pr can be freed */
	struct strbuf
	    warn_auth; /* "Authorization: Bearer <token>" for restart warnings, or empty */
	struct promote *next_all;
};

/* Start job's steps (promote or rollback by pr->kind). */
void node_job_start(struct node_job *job);

/* Go on with the job's next step (after an asynchronous step of another file). */
void node_job_continue(struct node_job *job);

/* deploy_warn.c: tell the node's app about the coming restart (POST
 * {"seconds": N} with the bearer token to restart_warning_url), wait N
 * seconds, then node_job_continue.  A failed warning is logged only. */
void node_job_warn(struct node_job *job);

/* Switch a job's node back to its previous release and restart it. */
void node_job_revert(struct node_job *job);

/* Stop what the job runs now (it finishes failed). */
void node_job_cancel(struct node_job *job);

/* Free what a finished job holds (not its timer: promote.c closes it). */
void node_job_release(struct node_job *job);

/* A job (or its revert) has finished: the orchestrator goes on. */
void promote_job_done(struct node_job *job);

/* Whether path is a regular file of the release being promoted. */
int promote_is_file(const struct promote *pr, const char *path);

/* Append a "sando: ..." line to the promote's log. */
void promote_log(struct promote *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
