/*
 * backup.c: the fetch of backup.h: rsync into <local_path>.partial, then on
 * the thread pool fsync, SHA-256, rename over local_path and fsync the
 * directory; the row, the event and the one-at-a-time rule.
 */
#include "daemon/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/xmalloc.h"
#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/store.h"

#define HEAD_MAX 4096         /* rsync's first output bytes, for the error */
#define ERROR_MAX 400         /* bytes of rsync's message kept in the row */
#define HASH_CHUNK (1u << 20) /* read size while hashing */

struct fetch {
	struct daemon *d;
	int64_t id;
	char *source; /* redacted */
	char *local_path;
	char *partial;
	char *log_path;
	struct strbuf head; /* the start of rsync's output */
	struct proc *proc;
	int stopping;
	uv_work_t work;
	atomic_int cancel; /* the pool thread stops hashing */
	/* set on the pool thread, read after it */
	int64_t size;
	char sha256[65];
	struct strbuf werr;
	int outcome;
};

static struct fetch *current; /* the fetch in flight, or NULL */

int64_t
backup_running(void)
{
	return current ? current->id : 0;
}

/* Finish the row and emit backup_fetched; the fetch is over. */
static void
fetch_finish(struct fetch *f, const char *status, const char *error)
{
	struct strbuf err = STRBUF_INIT;
	int ok = strcmp(status, "ok") == 0;

	if (store_backup_finish(f->d->store, f->id, status, ok ? f->size : -1,
	        ok ? f->sha256 : NULL, error, &err) == -1)
		log_warnx("backup %lld: %s", (long long)f->id, err.buf);
	events_emit(&f->d->events, "backup_fetched",
	    json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:o}", "backup_id", (json_int_t)f->id,
	        "source", f->source, "local_path", f->local_path, "size_bytes",
	        ok ? json_integer(f->size) : json_null(), "sha256",
	        ok ? json_string(f->sha256) : json_null(), "status", status, "error",
	        error ? json_string(error) : json_null()));
	if (ok)
		log_info("backup %lld: fetched '%s' to '%s' (%lld bytes, sha256 %s)",
		    (long long)f->id, f->source, f->local_path, (long long)f->size, f->sha256);
	else
		log_warnx("backup %lld: %s: %s", (long long)f->id, status, error);
	if (current == f)
		current = NULL;
	strbuf_release(&f->head);
	strbuf_release(&f->werr);
	free(f->source);
	free(f->local_path);
	free(f->partial);
	free(f->log_path);
	free(f);
	strbuf_release(&err);
}

/* Remove the .partial (a failed fetch leaves nothing behind). */
static void
remove_partial(const char *partial)
{
	if (unlink(partial) == -1 && errno != ENOENT)
		log_warn("cannot remove '%s'", partial);
}

/* Hash fd to f->sha256 and f->size; 0, 1 when cancelled, -1 with f->werr. */
static int
hash_fd(struct fetch *f, int fd)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *buf = xmalloc(HASH_CHUNK), sum[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ssize_t n = 0;
	int rc = 0;

	f->size = 0;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (rc == 0 && (n = read(fd, buf, HASH_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -1,
			strbuf_addf(&f->werr, "read '%s': %s", f->partial, strerror(errno));
		else if (atomic_load(&f->cancel))
			rc = 1;
		else
			EVP_DigestUpdate(md, buf, (size_t)n), f->size += n;
	}
	EVP_DigestFinal_ex(md, sum, &len);
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(f->sha256 + 2 * i, 3, "%02x", sum[i]);
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

/* fsync the directory of path; 0 or -1 with err. */
static int
fsync_dir(const char *path, struct strbuf *err)
{
	char *dir = fs_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd == -1 || fsync(fd) == -1) {
		strbuf_addf(err, "fsync directory '%s': %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	free(dir);
	return rc;
}

/* On the pool: check, fsync and hash the .partial, then rename it into
 * place; f->outcome 0 (ok), -1 (failed, f->werr) or 1 (cancelled). */
static void
publish_work(uv_work_t *w)
{
	struct fetch *f = w->data;
	struct stat st;
	int fd = open(f->partial, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

	if (fd == -1 && errno == ENOENT)
		strbuf_addf(&f->werr, "rsync wrote no file: the source is not a regular file");
	else if (fd == -1)
		strbuf_addf(&f->werr, "open '%s': %s", f->partial, strerror(errno));
	else if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		strbuf_addf(&f->werr, "'%s' is not a regular file", f->partial);
	else if (fsync(fd) == -1)
		strbuf_addf(&f->werr, "fsync '%s': %s", f->partial, strerror(errno));
	else
		rc = hash_fd(f, fd);
	if (fd != -1)
		close(fd);
	if (rc == 0 && atomic_load(&f->cancel))
		rc = 1;
	if (rc == 0 && rename(f->partial, f->local_path) == -1) {
		strbuf_addf(&f->werr, "rename '%s' to '%s': %s", f->partial, f->local_path,
		    strerror(errno));
		rc = -1;
	}
	f->outcome = rc;
	if (rc != 0)
		remove_partial(f->partial);
	else if (fsync_dir(f->local_path, &f->werr) == -1)
		f->outcome = 0; /* the backup is in place: the warning is logged */
}

static void
publish_done(uv_work_t *w, int status)
{
	struct fetch *f = w->data;

	if (f->outcome == 0 && f->werr.len > 0)
		log_warnx("backup %lld: %s", (long long)f->id, f->werr.buf);
	if (f->outcome == 0)
		fetch_finish(f, "ok", NULL);
	else if (f->outcome == 1)
		fetch_finish(f, "interrupted", "the daemon is shutting down");
	else
		fetch_finish(f, "failed", f->werr.buf);
}

static void
rsync_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct fetch *f = arg;

	if (f->head.len < HEAD_MAX)
		strbuf_add(
		    &f->head, buf, len < HEAD_MAX - f->head.len ? len : HEAD_MAX - f->head.len);
}

/* Phrases that make a line of rsync's (or ssh's) output the error to show. */
static const char *const telling[] = {"Host key verification failed", "Permission denied",
    "Connection refused", "Connection timed out", "No route to host", "Could not resolve",
    "Name or service not known", "No such file or directory", "No space left on device",
    "auth failed", "@ERROR", "timed out", NULL};

/* Whether line[0..len) tells what went wrong (0: no, 1: some text, 2: a telling phrase);
 * ssh's '@' banners and blank lines say nothing. */
static int
line_rank(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
		len--;
	if (len == 0 || (line[0] == '@' && line[len - 1] == '@'))
		return 0;
	for (size_t i = 0; telling[i]; i++)
		if (memmem(line, len, telling[i], strlen(telling[i])))
			return 2;
	return 1;
}

/* The line of rsync's output that best says what failed, printable ASCII
 * only, at most ERROR_MAX bytes, into out. */
static void
error_line(const struct strbuf *head, struct strbuf *out)
{
	const char *p = head->buf, *end = head->buf + head->len, *best = NULL, *nl;
	size_t best_len = 0;
	int best_rank = 0, rank;

	for (; p < end && best_rank < 2; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((rank = line_rank(p, (size_t)(nl - p))) > best_rank)
			best = p, best_len = (size_t)(nl - p), best_rank = rank;
	}
	if (best == NULL) {
		strbuf_addstr(out, "no output");
		return;
	}
	while (best_len > 0 && (best[best_len - 1] == '\r' || best[best_len - 1] == ' '))
		best_len--;
	for (size_t i = 0; i < best_len && i < ERROR_MAX; i++)
		strbuf_addch(out, best[i] >= 0x20 && best[i] < 0x7f ? best[i] : '?');
}

static void
rsync_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct fetch *f = arg;
	struct strbuf msg = STRBUF_INIT;

	f->proc = NULL;
	if (r->spawned && r->exited && r->exit_status == 0 && !f->stopping) {
		f->work.data = f;
		uv_queue_work(f->d->loop, &f->work, publish_work, publish_done);
		return;
	}
	remove_partial(f->partial);
	if (f->stopping || r->cancelled) {
		fetch_finish(f, "interrupted", "the daemon is shutting down");
		return;
	}
	if (!r->spawned)
		strbuf_addf(&msg, "cannot run rsync: %s", r->error ? r->error : "?");
	else if (r->timed_out)
		strbuf_addf(&msg, "timed out after %d s", BACKUP_TIMEOUT_S);
	else if (r->exited)
		strbuf_addf(&msg, "rsync exit status %d: ", r->exit_status),
		    error_line(&f->head, &msg);
	else
		strbuf_addf(&msg, "rsync killed by signal %d", r->term_signal);
	fetch_finish(f, "failed", msg.buf);
	strbuf_release(&msg);
}

/* Prepare the directories and start rsync; 0, or -1 with err. */
static int
fetch_spawn(struct fetch *f, const struct backup_url *u, struct strbuf *err)
{
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct proc_options o = {.log_path = f->log_path,
	    .timeout_ms = (uint64_t)BACKUP_TIMEOUT_S * 1000,
	    .capture_max = 4096,
	    .on_output = rsync_output,
	    .on_exit = rsync_exit,
	    .arg = f};
	char *dir = fs_dirname(f->local_path), *logdir = fs_dirname(f->log_path);
	int rc = -1;

	if (fs_mkdir_p(dir, 0755) == -1 || fs_mkdir_p(logdir, 0755) == -1)
		strbuf_addf(err, "cannot create directory '%s': %s",
		    access(dir, F_OK) == 0 ? logdir : dir, strerror(errno));
	else if (unlink(f->partial) == -1 && errno != ENOENT)
		strbuf_addf(err, "cannot remove '%s': %s", f->partial, strerror(errno));
	else
		rc = 0;
	if (rc == 0) {
		strvec_pushv(&env, (const char *const *)f->d->env.v);
		if (u->password)
			strvec_pushf(&env, "RSYNC_PASSWORD=%s", u->password);
		backup_rsync_argv(u, &f->d->cfg, f->partial, &argv);
		o.argv = (const char *const *)argv.v;
		o.env = (const char *const *)env.v;
		rc = proc_spawn(f->d->loop, &o, &f->proc, err);
	}
	strvec_clear(&argv);
	strvec_clear(&env);
	free(dir);
	free(logdir);
	return rc;
}

int64_t
backup_fetch_start(struct daemon *d, const struct backup_url *u, const char *actor,
    int64_t *running, struct strbuf *err)
{
	struct strbuf src = STRBUF_INIT, why = STRBUF_INIT;
	struct fetch *f;
	int64_t id;

	if (current) {
		*running = current->id;
		return 0;
	}
	backup_url_redact(d->topo.backup_source, &src);
	if ((id = store_backup_insert(d->store, src.buf, d->topo.backup_local_path, err)) == -1) {
		strbuf_release(&src);
		return -1;
	}
	f = xcalloc(1, sizeof(*f));
	f->d = d;
	f->id = id;
	f->source = strbuf_detach(&src, NULL);
	f->local_path = xstrdup(d->topo.backup_local_path);
	f->partial = xasprintf("%s.partial", f->local_path);
	f->log_path = xasprintf("%s/backups/%lld.log", d->cfg.logs_root, (long long)id);
	strbuf_init(&f->head, 0);
	strbuf_init(&f->werr, 0);
	current = f;
	log_info("backup %lld: fetching '%s' to '%s' for %s", (long long)id, f->source,
	    f->local_path, actor);
	if (fetch_spawn(f, u, &why) == -1)
		fetch_finish(f, "failed", why.buf);
	strbuf_release(&why);
	return id;
}

void
backup_shutdown(struct daemon *d)
{
	if (current == NULL)
		return;
	current->stopping = 1;
	atomic_store(&current->cancel, 1);
	if (current->proc)
		proc_cancel(current->proc);
}
