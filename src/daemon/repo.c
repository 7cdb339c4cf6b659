#include "daemon/repo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/strvec.h"
#include "core/xmalloc.h"
#include "daemon/daemon.h"

extern const char repo_hook_template[];

const char *const *
repo_env(struct daemon *d)
{
	if (d->env.nr == 0) {
		strvec_push(&d->env, "PATH=/usr/local/bin:/usr/bin:/bin");
		strvec_push(&d->env, "LANG=C.UTF-8");
		strvec_pushf(&d->env, "HOME=%s", d->cfg.workdir);
		strvec_push(&d->env, "GIT_CONFIG_NOSYSTEM=1");
		strvec_push(&d->env, "GIT_TERMINAL_PROMPT=0");
	}
	return (const char *const *)d->env.v;
}

int
repo_sha_syntax_ok(const char *s, size_t len)
{
	if (len < 4 || len > 40)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

void
repo_sh_quote(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addstr(out, "'\\''");
		else
			strbuf_addch(out, *s);
	}
	strbuf_addch(out, '\'');
}

static int
repo_git_sync(struct daemon *d, const char *const *argv, struct strbuf *err)
{
	struct proc_options o = {.argv = argv, .env = repo_env(d), .timeout_ms = 120000};
	struct strbuf out = STRBUF_INIT;
	int rc = proc_run_sync(d->loop, &o, &out, err);

	if (rc != 0 && err->len == 0)
		strbuf_addf(err, "'%s %s' failed (exit %d): %s", argv[0], argv[1], rc, out.buf);
	strbuf_release(&out);
	return rc == 0 ? 0 : -1;
}

/* Write the hook with the branch and env file filled in, then rename it in. */
static int
repo_install_hook(struct daemon *d, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, val = STRBUF_INIT, path = STRBUF_INIT, tmp = STRBUF_INIT;
	int rc = 0;

	strbuf_addstr(&text, repo_hook_template);
	repo_sh_quote(&val, d->topo.branch);
	strbuf_replace_all(&text, "@BRANCH@", val.buf);
	strbuf_reset(&val);
	repo_sh_quote(&val, d->cfg.hook_env_file);
	strbuf_replace_all(&text, "@ENV_FILE@", val.buf);
	strbuf_addf(&path, "%s/hooks/post-receive", d->topo.bare_path);
	strbuf_addf(&tmp, "%s.sando-new", path.buf);
	if (fs_write_file(tmp.buf, text.buf, text.len, 0755) == -1 ||
	    rename(tmp.buf, path.buf) == -1) {
		strbuf_addf(err, "cannot install hook '%s': %s", path.buf, strerror(errno));
		rc = -1;
	}
	strbuf_release(&text);
	strbuf_release(&val);
	strbuf_release(&path);
	strbuf_release(&tmp);
	return rc;
}

int
repo_setup(struct daemon *d, const char *url, struct strbuf *err)
{
	struct strbuf head = STRBUF_INIT, env = STRBUF_INIT;
	int rc = 0;

	strbuf_addf(&head, "%s/HEAD", d->topo.bare_path);
	if (access(head.buf, F_OK) == -1) {
		const char *argv[] = {"git", "init", "--quiet", "--bare", "--initial-branch",
		    d->topo.branch, "--", d->topo.bare_path, NULL};

		rc = repo_git_sync(d, argv, err);
		if (rc == 0)
			log_info("created bare repository '%s'", d->topo.bare_path);
	}
	if (rc == 0)
		rc = repo_install_hook(d, err);
	strbuf_addf(&env,
	    "# written by sandod at start-up: where the post-receive hook finds it\n"
	    "SANDO_DAEMON_URL=%s\n",
	    url);
	if (rc == 0 && fs_write_file(d->cfg.hook_env_file, env.buf, env.len, 0644) == -1)
		log_warn("cannot write hook env file '%s'", d->cfg.hook_env_file);
	strbuf_release(&head);
	strbuf_release(&env);
	return rc;
}

struct repo_call {
	repo_done_fn done;
	void *arg;
};

static void
repo_call_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct repo_call *c = arg;
	int status = r->spawned && r->exited ? r->exit_status : -1;

	c->done(status, r->tail->buf, r->tail->len, c->arg);
	free(c);
}

int
repo_git(struct daemon *d, const char *cwd, const char *const *args, const char *log_path,
    repo_done_fn done, void *arg, struct proc **proc, struct strbuf *err)
{
	struct strvec argv = STRVEC_INIT;
	struct repo_call *c = xmalloc(sizeof(*c));
	struct proc_options o = {.env = repo_env(d),
	    .cwd = cwd,
	    .log_path = log_path,
	    .timeout_ms = 600000,
	    .on_exit = repo_call_exit,
	    .arg = c};
	int rc;

	strvec_push(&argv, "git");
	if (cwd == NULL)
		strvec_pushf(&argv, "--git-dir=%s", d->topo.bare_path);
	strvec_pushv(&argv, args);
	o.argv = (const char *const *)argv.v;
	c->done = done;
	c->arg = arg;
	rc = proc_spawn(d->loop, &o, proc, err);
	if (rc == -1)
		free(c);
	strvec_clear(&argv);
	return rc;
}

struct repo_resolve {
	repo_done_fn done;
	void *arg;
};

static void
repo_resolved(int status, const char *out, size_t len, void *arg)
{
	struct repo_resolve *r = arg;

	/* rev-parse --verify prints exactly the 40-hex sha and a newline */
	if (status == 0 && (len < 40 || !repo_sha_syntax_ok(out, 40)))
		status = 1;
	r->done(status, out, status == 0 ? 40 : len, r->arg);
	free(r);
}

int
repo_resolve(struct daemon *d, const char *spec, repo_done_fn done, void *arg, struct strbuf *err)
{
	struct strbuf rev = STRBUF_INIT;
	struct repo_resolve *r = xmalloc(sizeof(*r));
	const char *args[] = {"rev-parse", "--verify", "--quiet", "--end-of-options", NULL, NULL};
	int rc;

	if (spec)
		strbuf_addf(&rev, "%s^{commit}", spec);
	else
		strbuf_addf(&rev, "refs/heads/%s^{commit}", d->topo.branch);
	args[4] = rev.buf;
	r->done = done;
	r->arg = arg;
	rc = repo_git(d, NULL, args, NULL, repo_resolved, r, NULL, err);
	if (rc == -1)
		free(r);
	strbuf_release(&rev);
	return rc;
}
