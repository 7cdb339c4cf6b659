/*
 * repo: the bare git repository sandod owns, and every git command it runs.
 *
 * git runs through proc.h with a minimal environment (no daemon secrets, no
 * user or system git config, no terminal prompts).  Refs and shas reach git
 * only after --end-of-options, so a ref named "--upload-pack=..." is a name.
 *
 * repo_setup runs at start-up, before the loop serves anything: it creates
 * the bare repository if missing, installs the post-receive hook (from
 * deploy/post-receive, embedded at build time) and writes the hook's env file
 * with the daemon's address.
 */
#ifndef SANDO_REPO_H
#define SANDO_REPO_H

#include <stddef.h>

#include "core/strbuf.h"

struct daemon;
struct proc;

/* Create the bare repo if missing, install the hook, write the env file
 * with url ("http://127.0.0.1:7766"); 0 or -1 with err. */
int repo_setup(struct daemon *d, const char *url, struct strbuf *err);

/* Whether s is a full (40) or short (4-39) lowercase/uppercase hex sha. */
int repo_sha_syntax_ok(const char *s, size_t len);

/* Callback of an asynchronous git command: status is git's exit status (or
 * -1 when it could not run / was cancelled), out its output. */
typedef void (*repo_done_fn)(int status, const char *out, size_t len, void *arg);

/* Run git with args (argv without "git"; "--git-dir=<bare>" is added first
 * unless cwd is given) on the loop; *proc (if not NULL) may be cancelled. */
int repo_git(struct daemon *d, const char *cwd, const char *const *args, const char *log_path,
    repo_done_fn done, void *arg, struct proc **proc, struct strbuf *err);

/* Resolve spec (a sha, short sha; NULL: the head of the configured branch)
 * to a full commit sha; done gets status 0 and the sha (40 chars) on success. */
int repo_resolve(
    struct daemon *d, const char *spec, repo_done_fn done, void *arg, struct strbuf *err);

/* The environment every program sandod runs gets by default (NULL-ended). */
const char *const *repo_env(struct daemon *d);

/* Append s quoted for a POSIX shell script ('...', with ' as '\''). */
void repo_sh_quote(struct strbuf *out, const char *s);

#endif
