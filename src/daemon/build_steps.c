/*
 * build_steps: the steps of a build, each an asynchronous call that starts
 * the next one when it succeeds (see build.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/toml.h"
#include "core/xmalloc.h"
#include "daemon/build_int.h"
#include "daemon/daemon.h"
#include "daemon/repo.h"
#include "daemon/store.h"
#include "domain/version.h"

static void build_step_command(struct build *b);
static void build_step_version(struct build *b);
static void build_step_stage(struct build *b);

static void
worktree_done(int status, const char *out, size_t len, void *arg)
{
	struct build *b = arg;

	b->proc = NULL;
	if (build_settle(b))
		return;
	if (status != 0)
		build_fail(b, "worktree", "git worktree add failed (exit %d): %.*s", status,
		    (int)len, out);
	else
		build_step_command(b);
}

void
build_step_worktree(struct build *b)
{
	struct strbuf err = STRBUF_INIT, dir = STRBUF_INIT;
	const char *args[] = {
	    "worktree", "add", "--quiet", "--detach", "--force", b->worktree, b->sha, NULL};

	strbuf_addf(&dir, "%s/builds", b->d->cfg.logs_root);
	if (fs_mkdir_p(dir.buf, 0755) == -1)
		build_fail(b, "worktree", "cannot create '%s': %s", dir.buf, strerror(errno));
	else if (repo_git(b->d, NULL, args, b->log_path, worktree_done, b, &b->proc, &err) == -1)
		build_fail(b, "worktree", "%s", err.buf);
	strbuf_release(&err);
	strbuf_release(&dir);
}

static void
command_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct build *b = arg;
	const struct strvec *cmd = &b->d->cfg.build.command;

	b->proc = NULL;
	if (build_settle(b))
		return;
	if (!r->spawned)
		build_fail(b, "command", "cannot run '%s': %s", cmd->v[0], r->error);
	else if (r->timed_out)
		build_fail(b, "command", "build command timed out after %lld s",
		    (long long)b->d->cfg.build.timeout_s);
	else if (!r->exited)
		build_fail(b, "command", "build command was killed by signal %d", r->term_signal);
	else if (r->exit_status != 0)
		build_fail(b, "command", "build command exited with status %d", r->exit_status);
	else
		build_step_version(b);
}

static void
build_step_command(struct build *b)
{
	struct daemon *d = b->d;
	struct strbuf err = STRBUF_INIT, cwd = STRBUF_INIT;
	struct proc_options o = {.argv = (const char *const *)d->cfg.build.command.v,
	    .env = repo_env(d),
	    .log_path = b->log_path,
	    .timeout_ms = (uint64_t)d->cfg.build.timeout_s * 1000,
	    .on_exit = command_exit,
	    .arg = b,
	    .nice = 10};

	strbuf_addf(&cwd, "%s/%s", b->worktree, d->cfg.build.dir);
	o.cwd = cwd.buf;
	build_log(b, "running build command in '%s'", d->cfg.build.dir);
	if (proc_spawn(d->loop, &o, &b->proc, &err) == -1)
		build_fail(b, "command", "%s", err.buf);
	else if (proc_pid(b->proc) > 0 &&
	         store_build_set_pgid(d->store, b->id, proc_pid(b->proc), &err) == -1)
		log_warnx("build %lld: %s", (long long)b->id, err.buf);
	strbuf_release(&err);
	strbuf_release(&cwd);
}

/* Read the version from a Cargo.toml's [package] version or a VERSION file. */
static int
version_from_file(struct build *b, struct strbuf *version, struct strbuf *err)
{
	const char *from = b->d->cfg.build.version_from;
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	size_t n = strlen(from);
	int rc = -1;

	strbuf_addf(&path, "%s/%s", b->worktree, from);
	if (strbuf_read_file(&text, path.buf, 1 << 20) == -1) {
		strbuf_addf(err, "cannot read '%s': %s", from, strerror(errno));
	} else if (n >= 10 && strcmp(from + n - 10, "Cargo.toml") == 0) {
		struct toml_value *root = NULL;
		struct toml_error terr;
		const struct toml_value *v;

		if (toml_parse(text.buf, text.len, &root, &terr) == -1)
			strbuf_addf(
			    err, "'%s':%d:%d: %s", from, terr.pos.line, terr.pos.col, terr.msg.buf);
		else if ((v = toml_table_get(toml_table_get(root, "package"), "version")) == NULL ||
		         v->type != TOML_STRING)
			strbuf_addf(err, "'%s' has no [package] version string", from);
		else
			rc = (strbuf_addstr(version, v->u.s.ptr), 0);
		toml_error_release(&terr);
		toml_free(root);
	} else {
		size_t eol = strcspn(text.buf, "\n");

		strbuf_add(version, text.buf, eol);
		strbuf_rtrim(version);
		rc = 0;
	}
	strbuf_release(&path);
	strbuf_release(&text);
	return rc;
}

static void
version_known(struct build *b, const char *raw)
{
	struct daemon *d = b->d;
	struct strbuf v = STRBUF_INIT, sha = STRBUF_INIT, err = STRBUF_INIT;
	int have;

	strbuf_addstr(&v, raw[0] == 'v' ? raw + 1 : raw);
	if (!version_valid(v.buf, v.len)) {
		build_fail(
		    b, "version", "version '%s' is not a semantic version (like 1.2.3)", raw);
		goto out;
	}
	have = store_version_sha(d->store, v.buf, &sha, &err);
	if (have == 1 && strcmp(sha.buf, b->sha) != 0) {
		build_log(b, "version '%s' is already staged from %.12s", v.buf, sha.buf);
		strbuf_addf(&v, "%c%.7s", version_has_build(v.buf) ? '.' : '+', b->sha);
		have = store_version_sha(d->store, v.buf, &sha, &err);
	}
	b->version = xstrdup(v.buf);
	if (have == -1)
		build_fail(b, "version", "%s", err.buf);
	else if (have == 1 && strcmp(sha.buf, b->sha) != 0)
		build_fail(b, "version", "version '%s' is staged from another commit", v.buf);
	else if (have == 1) {
		build_log(b, "version '%s' is already staged from this commit", v.buf);
		build_succeed(b);
	} else
		build_step_stage(b);
out:
	strbuf_release(&v);
	strbuf_release(&sha);
	strbuf_release(&err);
}

static void
describe_done(int status, const char *out, size_t len, void *arg)
{
	struct build *b = arg;
	struct strbuf v = STRBUF_INIT;

	b->proc = NULL;
	if (build_settle(b))
		return;
	strbuf_add(&v, out, len);
	strbuf_rtrim(&v);
	if (status != 0)
		build_fail(b, "version", "git describe failed (exit %d): %s", status, v.buf);
	else
		version_known(b, v.buf);
	strbuf_release(&v);
}

static void
build_step_version(struct build *b)
{
	struct strbuf v = STRBUF_INIT, err = STRBUF_INIT;
	const char *args[] = {"describe", "--tags", "--always", NULL};

	if (strcmp(b->d->cfg.build.version_from, "git-describe") == 0) {
		if (repo_git(b->d, b->worktree, args, NULL, describe_done, b, &b->proc, &err) == -1)
			build_fail(b, "version", "%s", err.buf);
	} else if (version_from_file(b, &v, &err) == -1) {
		build_fail(b, "version", "%s", err.buf);
	} else {
		version_known(b, v.buf);
	}
	strbuf_release(&v);
	strbuf_release(&err);
}

static void
stage_work(uv_work_t *w)
{
	struct build *b = w->data;

	/* staging is background work: the loop's requests come first.  (The
	 * pool thread stays at this niceness; later pool work is background too.) */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) == -1)
		log_warn("cannot lower the stage thread's priority");

	stage_run(&b->req, &b->res);
}

static void stage_start(struct build *b);

static void
stage_after(uv_work_t *w, int status)
{
	struct build *b = w->data;
	struct daemon *d = b->d;
	struct strbuf err = STRBUF_INIT;
	struct build *next = d->stage_waiter;

	d->stage_busy = 0;
	d->stage_waiter = NULL;
	b->stage_running = 0;
	free(b->rows);
	b->rows = NULL;
	if (!build_settle(b)) {
		for (size_t i = 0; i < b->res.warnings.nr; i++)
			build_log(b, "warning: %s", b->res.warnings.v[i]);
		if (b->res.error.len)
			build_fail(b, "stage", "%s", b->res.error.buf);
		else if (store_version_insert(
		             d->store, b->version, b->sha, b->id, b->res.bundle_digest, &err) == -1)
			build_fail(b, "stage", "%s", err.buf);
		else
			build_succeed(b);
	}
	if (next)
		stage_start(next);
	strbuf_release(&err);
}

/* A release directory that the store does not know is the remains of a crash
 * between the rename and the versions row: nothing refers to it. */
static void
remove_orphan(struct build *b)
{
	struct strbuf dir = STRBUF_INIT;

	strbuf_addf(&dir, "%s/%s", b->d->cfg.release_root, b->version);
	if (access(dir.buf, F_OK) == 0) {
		build_log(
		    b, "removing unrecorded release '%s' left by an interrupted build", dir.buf);
		if (fs_remove_tree(dir.buf) == -1)
			log_warn("cannot remove '%s'", dir.buf);
	}
	strbuf_release(&dir);
}

static void
stage_start(struct build *b)
{
	struct daemon *d = b->d;
	const struct daemon_config *cfg = &d->cfg;

	if (build_settle(b))
		return;
	remove_orphan(b);
	b->rows = xcalloc(cfg->ncontents + 1, sizeof(*b->rows));
	for (size_t i = 0; i < cfg->ncontents; i++) {
		b->rows[i].src = cfg->contents[i].src;
		b->rows[i].dst = cfg->contents[i].dst;
		b->rows[i].required = cfg->contents[i].required;
	}
	b->req.worktree = b->worktree;
	b->req.artifact_dir = cfg->build.artifact_dir;
	b->req.bins = (const char *const *)cfg->bin_names.v;
	b->req.rows = b->rows;
	b->req.nrows = cfg->ncontents;
	b->req.release_root = cfg->release_root;
	b->req.version = b->version;
	b->req.sha = b->sha;
	b->req.cancel = &b->cancel;
	{
		struct strbuf prev = STRBUF_INIT, err = STRBUF_INIT;

		if (store_latest_version(d->store, &prev, &err) == 1)
			b->prev_release = xasprintf("%s/%s", cfg->release_root, prev.buf);
		b->req.prev_release = b->prev_release;
		strbuf_release(&prev);
		strbuf_release(&err);
	}
	b->work.data = b;
	d->stage_busy = 1;
	b->stage_running = 1;
	build_log(b, "staging version '%s'", b->version);
	uv_queue_work(d->loop, &b->work, stage_work, stage_after);
}

static void
build_step_stage(struct build *b)
{
	struct daemon *d = b->d;

	/* An aborted build's stage may still be finishing on the pool: wait for
	 * it, so two stages never write the same release at once. */
	if (d->stage_busy) {
		d->stage_waiter = b;
		build_log(b, "waiting for an aborted build's stage to stop");
		return;
	}
	stage_start(b);
}

static void
cleanup_done(int status, const char *out, size_t len, void *arg)
{
	char *path = arg;

	/* a worktree whose "git worktree add" was killed half-way is not one
	 * git knows: remove the directory itself */
	if (status != 0 && path && fs_remove_tree(path) == -1)
		log_warn("cannot remove worktree '%s'", path);
	free(path);
}

void
build_cleanup_worktrees(struct daemon *d, int64_t keep_id)
{
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	DIR *dir = opendir(d->cfg.workdir);
	const char *prune[] = {"worktree", "prune", NULL};
	struct dirent *de;

	while (dir && (de = readdir(dir)) != NULL) {
		const char *args[] = {"worktree", "remove", "--force", NULL, NULL};
		char *end;
		long long id;

		if (strncmp(de->d_name, "build-", 6) != 0)
			continue;
		id = strtoll(de->d_name + 6, &end, 10);
		if (*end != '\0' || id == keep_id || (d->build && id == d->build->id))
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", d->cfg.workdir, de->d_name);
		args[3] = path.buf;
		char *arg = xstrdup(path.buf);

		if (repo_git(d, NULL, args, NULL, cleanup_done, arg, NULL, &err) == -1) {
			log_warnx("cannot remove worktree '%s': %s", path.buf, err.buf);
			free(arg);
		}
	}
	if (dir)
		closedir(dir);
	repo_git(d, NULL, prune, NULL, cleanup_done, NULL, NULL, &err);
	strbuf_release(&err);
	strbuf_release(&path);
}
