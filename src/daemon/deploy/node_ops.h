/*
 * node_ops: the programs sando runs to act on a node, as argv arrays.
 *
 * A node is reached through a transport (DESIGN.md section 7): `local` runs
 * the argv on this machine; `ssh` runs it on the node through the OpenSSH
 * client, with connection sharing (one ControlMaster socket per node under
 * the promote's control directory, kept 60 s), host keys checked against the
 * daemon's ssh_known_hosts (StrictHostKeyChecking=yes, never disabled) and
 * BatchMode (no prompts).  ssh hands the node's shell a command line: the
 * argv is quoted word by word (single quotes), so no argument is ever
 * interpreted by it.  A step that needs several programs is a node_progs
 * list: run one after another on a local node (node_run.h), and over ssh
 * sent in one session as the programs' quoted words joined by " && ", so
 * the node's shell sees no word of ours unquoted and runs no script of ours.
 * The daemon decides in C from what the programs print (node_listing).
 *
 * All functions append to out (which the caller owns and clears).
 */
#ifndef SANDO_NODE_OPS_H
#define SANDO_NODE_OPS_H

#include "core/strbuf.h"
#include "core/strvec.h"

struct daemon_config;
struct node_config;

/* Where ssh control sockets live and how ssh is told to use them. */
struct node_ssh {
	const struct daemon_config *cfg;
	const char *control_dir; /* NULL: no connection sharing */
};

/* Connection sharing for everything the daemon runs on ssh nodes (promotes,
 * rollbacks, pruning, the start-up check): one master a node, its socket in
 * <workdir>/ssh/ (made 0700; its path is kept in dir), so that pruning after
 * a promote rides on the promote's connections.  s->control_dir is NULL when
 * the path is too long for a unix socket. */
void node_ssh_init(struct node_ssh *s, const struct daemon_config *cfg, struct strbuf *dir);

/* argv run on node n: as is for local nodes, through ssh for ssh nodes. */
void node_cmd(const struct node_ssh *s, const struct node_config *n, const char *const *argv,
    struct strvec *out);

/* A list of programs (argv arrays) run in order; the list stops at the first
 * that fails.  node_progs_clear frees them and leaves an empty list. */
struct node_progs {
	struct strvec *v;
	size_t nr, alloc;
};
#define NODE_PROGS_INIT    \
	{                  \
		NULL, 0, 0 \
	}

/* Append an empty argv to p and return it to be filled. */
struct strvec *node_progs_add(struct node_progs *p);
void node_progs_clear(struct node_progs *p);

/* What to spawn for p on node n, into out (cleared first): p's programs for
 * a local node, one ssh command running them all for an ssh node. */
void node_progs_cmds(const struct node_ssh *s, const struct node_config *n,
    const struct node_progs *p, struct node_progs *out);

/* The probe: create <root>/releases, then list <root> and <root>/releases
 * one level deep (find -printf '%H\0%f\0%y\0%l\0') for node_listing_parse. */
void node_probe_progs(const struct node_config *n, struct node_progs *out);

/* What a probe found on the node. */
struct node_listing {
	char *current;          /* current's target ("releases/1.2.0"), NULL: no symlink */
	struct strvec releases; /* directories in releases/ (".partial" ones included) */
};

/* Parse len bytes of the probe's output for node n into l (which the caller
 * releases); -1 with a message in err when it is malformed. */
int node_listing_parse(const struct node_config *n, const char *buf, size_t len,
    struct node_listing *l, struct strbuf *err);
void node_listing_release(struct node_listing *l);

/* Whether l has the directory releases/<name>. */
int node_listing_has(const struct node_listing *l, const char *name);

/* The version current points to (a "releases/<v>" target), or NULL. */
const char *node_listing_current(const struct node_listing *l);

/* rsync the staged release src_dir into <root>/releases/<version>.partial/,
 * hard-linking unchanged files from releases/<link_dest> (NULL: none),
 * listing the files it wrote (one per line). */
void node_rsync_argv(const struct node_ssh *s, const struct node_config *n, const char *src_dir,
    const char *version, const char *link_dest, struct strvec *out);

/* List <root>/releases/<dir> for node_verify_listing. */
void node_list_argv(const struct node_config *n, const char *dir, struct strvec *out);

/* sha256sum -z of files (release-relative) inside <root>/releases/<dir>, by
 * absolute path; node_hash_relative turns its output back into
 * release-relative records for node_verify_hashes. */
void node_hash_argv(
    const struct node_config *n, const char *dir, const struct strvec *files, struct strvec *out);

/* Rewrite len bytes of sha256sum -z output whose paths all start with
 * <root>/releases/<dir>/ into out with that prefix removed; -1 with err
 * when a record is malformed or names another path. */
int node_hash_relative(const struct node_config *n, const char *dir, const char *sums, size_t len,
    struct strbuf *out, struct strbuf *err);

/* Point current at releases/<version> atomically (ln -sfn to current.new,
 * then mv -T), after publishing releases/<version>.partial as
 * releases/<version> (mv -T) when publish is set, or else checking that
 * releases/<version> is a directory; version NULL: remove current (a node
 * that had no release before). */
void node_swap_progs(
    const struct node_config *n, const char *version, int publish, struct node_progs *out);

/* Ask url for its status code from the node (ssh nodes; curl on the node). */
void node_health_argv(const char *url, int timeout_s, struct strvec *out);

/* Quote argv for a POSIX shell, word by word, into out. */
void node_shell_quote(const char *const *argv, struct strbuf *out);

/* Remove releases/<x> for each x in drop (rm -rf) and move each x in aside
 * to <root>/failed/<x> (replacing an older one); nothing when both are empty. */
void node_prune_progs(const struct node_config *n, const struct strvec *drop,
    const struct strvec *aside, struct node_progs *out);

/* The ssh options for node n (used by node_cmd and by rsync's -e). */
void node_ssh_options(const struct node_ssh *s, const struct node_config *n, struct strvec *out);

#endif
