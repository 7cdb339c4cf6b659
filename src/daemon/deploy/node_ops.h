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
 * interpreted by it.  The node-side steps that need more than one program
 * are small fixed sh scripts run as `sh -c SCRIPT sh ARG...`: the script is
 * a constant, the node's data only ever arrives as positional arguments.
 *
 * All functions append to out (a strvec the caller owns and clears).
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

/* argv run on node n: as is for local nodes, through ssh for ssh nodes. */
void node_cmd(const struct node_ssh *s, const struct node_config *n, const char *const *argv,
    struct strvec *out);

/* The probe: create <root>/releases, say "complete" when releases/<version>
 * exists, then print where current points (nothing when it does not exist). */
void node_probe_argv(const struct node_config *n, const char *version, struct strvec *out);

/* rsync the staged release src_dir into <root>/releases/<version>.partial/,
 * hard-linking unchanged files from releases/<link_dest> (NULL: none),
 * listing the files it wrote (one per line). */
void node_rsync_argv(const struct node_ssh *s, const struct node_config *n, const char *src_dir,
    const char *version, const char *link_dest, struct strvec *out);

/* List <root>/releases/<dir> for node_verify_listing. */
void node_list_argv(const struct node_config *n, const char *dir, struct strvec *out);

/* sha256sum -z of files (release-relative) inside <root>/releases/<dir>. */
void node_hash_argv(
    const struct node_config *n, const char *dir, const struct strvec *files, struct strvec *out);

/* Publish releases/<version>.partial (when there) as releases/<version>, then
 * point current at it atomically (current.new + mv -T); version NULL: remove
 * current (a node that had no release before).  Fails when the release is
 * missing. */
void node_swap_argv(const struct node_config *n, const char *version, struct strvec *out);

/* Ask url for its status code from the node (ssh nodes; curl on the node). */
void node_health_argv(const char *url, int timeout_s, struct strvec *out);

/* Quote argv for a POSIX shell, word by word, into out. */
void node_shell_quote(const char *const *argv, struct strbuf *out);

/* The ssh options for node n (used by node_cmd and by rsync's -e). */
void node_ssh_options(const struct node_ssh *s, const struct node_config *n, struct strvec *out);

#endif
