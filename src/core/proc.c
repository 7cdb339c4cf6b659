#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"
#include "strvec.h"
#include "xmalloc.h"

#define PROC_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define PROC_DEFAULT_GRACE_MS 5000
#define PROC_DEFAULT_CAPTURE (64 * 1024)
/* How long the pipe may stay open after the leader exited and its group was killed. */
#define PROC_EOF_GUARD_MS 2000
#define PROC_READ_SIZE 65536

struct proc {
	struct proc *prev;
	struct proc *next;
	uv_loop_t *loop;

	uv_process_t process;
	uv_pipe_t pipe;
	uv_timer_t timer;      /* the timeout, then the SIGTERM -> SIGKILL grace */
	uv_timer_t done_timer; /* the EOF guard, or the deferred spawn failure */
	int process_init;      /* uv_spawn was called: the handle needs uv_close */
	int pipe_init;
	int open_handles; /* handles whose close callback has not run yet */

	char *name; /* argv[0], for log lines */
	pid_t pid;
	int log_fd;
	int log_stdout; /* 0 with stderr_apart: stdout is parsed, not logged */
	uint64_t timeout_ms;
	uint64_t grace_ms;
	size_t capture_max;
	uint64_t start_ns;

	void (*on_output)(struct proc *p, const char *buf, size_t len, void *arg);
	void (*on_exit)(struct proc *p, const struct proc_result *r, void *arg);
	void *arg;

	int spawned;
	int reaped;
	int eof;
	int paused;  /* proc_pause: the pipe is not being read */
	int killing; /* SIGTERM sent, SIGKILL pending */
	int timed_out;
	int cancelled;
	int finished; /* on_exit was called (or is running) */
	int64_t exit_status;
	int term_signal;
	struct strbuf tail;
	struct strbuf error;

	char rbuf[PROC_READ_SIZE];
};

static struct proc *procs;
static size_t nprocs;

static void
proc_link(struct proc *p)
{
	p->next = procs;
	if (procs != NULL)
		procs->prev = p;
	procs = p;
	nprocs++;
}

static void
proc_unlink(struct proc *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		procs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	nprocs--;
}

/* The PATH of env, or the default when env has none. */
static const char *
proc_env_path(const char *const *env)
{
	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, "PATH=", 5) == 0)
			return *env + 5;
	return PROC_DEFAULT_PATH;
}

/*
 * Find file like execvp would, but in env's PATH (absolute entries only), so
 * the result never depends on the daemon's own environment.  0 with the path
 * in out, or UV_ENOENT / UV_EACCES.
 */
static int
proc_resolve(const char *file, const char *const *env, struct strbuf *out)
{
	const char *dir, *end;
	struct stat st;
	int err = UV_ENOENT;

	if (strchr(file, '/') != NULL) {
		strbuf_addstr(out, file);
		return 0;
	}
	if (*file == '\0')
		return UV_ENOENT;
	for (dir = proc_env_path(env);; dir = end + 1) {
		end = strchrnul(dir, ':');
		if (*dir == '/') {
			strbuf_reset(out);
			strbuf_add(out, dir, (size_t)(end - dir));
			strbuf_addf(out, "/%s", file);
			if (stat(out->buf, &st) == 0 && !S_ISDIR(st.st_mode)) {
				if (access(out->buf, X_OK) == 0)
					return 0;
				err = UV_EACCES;
			}
		}
		if (*end == '\0')
			return err;
	}
}

/* Whether file (relative to cwd unless absolute) can be executed: 0 or a
 * UV_E* code.  Run before wrapping a program in nice(1), whose failure to
 * exec it would otherwise look like the program's exit status 127. */
static int
proc_check_exec(const char *file, const char *cwd)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int rc = 0;

	if (file[0] != '/' && cwd != NULL)
		strbuf_addf(&path, "%s/", cwd);
	strbuf_addstr(&path, file);
	if (stat(path.buf, &st) != 0)
		rc = errno == ENOENT || errno == ENOTDIR ? UV_ENOENT : UV_EACCES;
	else if (S_ISDIR(st.st_mode) || access(path.buf, X_OK) != 0)
		rc = UV_EACCES;
	strbuf_release(&path);
	return rc;
}

static void
proc_on_close(uv_handle_t *h)
{
	struct proc *p = h->data;

	if (--p->open_handles > 0)
		return;
	strbuf_release(&p->tail);
	strbuf_release(&p->error);
	free(p->name);
	free(p);
}

static void
proc_close_handle(struct proc *p, uv_handle_t *h)
{
	p->open_handles++;
	uv_close(h, proc_on_close);
}

static void
proc_trim_tail(struct proc *p)
{
	if (p->tail.len > p->capture_max)
		strbuf_remove(&p->tail, 0, p->tail.len - p->capture_max);
}

static void
proc_fill_result(struct proc *p, struct proc_result *r)
{
	memset(r, 0, sizeof(*r));
	r->spawned = p->spawned;
	r->exited = p->spawned && p->term_signal == 0;
	r->exit_status = (int)p->exit_status;
	r->term_signal = p->term_signal;
	r->timed_out = p->timed_out;
	r->cancelled = p->cancelled;
	r->duration_ms = (uv_hrtime() - p->start_ns) / 1000000;
	r->error = p->spawned ? NULL : p->error.buf;
	r->tail = &p->tail;
}

/* Report the end, then close every handle; the last close callback frees p. */
static void
proc_finish(struct proc *p)
{
	struct proc_result r;

	p->finished = 1;
	uv_timer_stop(&p->timer);
	uv_timer_stop(&p->done_timer);
	proc_trim_tail(p);
	proc_fill_result(p, &r);
	if (p->on_exit != NULL)
		p->on_exit(p, &r, p->arg);
	proc_unlink(p);
	if (p->log_fd != -1)
		close(p->log_fd);
	p->log_fd = -1;
	proc_close_handle(p, (uv_handle_t *)&p->timer);
	proc_close_handle(p, (uv_handle_t *)&p->done_timer);
	if (p->process_init)
		proc_close_handle(p, (uv_handle_t *)&p->process);
	if (p->pipe_init)
		proc_close_handle(p, (uv_handle_t *)&p->pipe);
}

/* The output is over: EOF, a read error, or the guard gave up waiting. */
static void
proc_pipe_done(struct proc *p)
{
	if (p->eof)
		return;
	p->eof = 1;
	if (p->pipe_init)
		uv_read_stop((uv_stream_t *)&p->pipe);
	if (p->reaped)
		proc_finish(p);
}

static void
proc_write_log(struct proc *p, const char *buf, size_t len)
{
	ssize_t n;

	while (p->log_fd != -1 && len > 0) {
		n = write(p->log_fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("proc: cannot write the log of '%s'", p->name);
			close(p->log_fd);
			p->log_fd = -1;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Keep the last capture_max bytes; trimming only past twice that keeps it O(n). */
static void
proc_keep_tail(struct proc *p, const char *buf, size_t len)
{
	size_t max = p->capture_max;

	if (len >= max) {
		strbuf_reset(&p->tail);
		strbuf_add(&p->tail, buf + len - max, max);
		return;
	}
	strbuf_add(&p->tail, buf, len);
	if (p->tail.len > max && p->tail.len - max > max)
		proc_trim_tail(p);
}

static void
proc_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct proc *p = h->data;

	*buf = uv_buf_init(p->rbuf, sizeof(p->rbuf));
}

static void
proc_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct proc *p = s->data;

	if (nread == 0)
		return;
	if (nread < 0) {
		if (nread != UV_EOF)
			log_warnx("proc: cannot read the output of '%s': %s", p->name,
			    uv_strerror((int)nread));
		proc_pipe_done(p);
		return;
	}
	if (p->log_stdout)
		proc_write_log(p, buf->base, (size_t)nread);
	proc_keep_tail(p, buf->base, (size_t)nread);
	if (p->on_output != NULL)
		p->on_output(p, buf->base, (size_t)nread, p->arg);
}

static void
proc_on_eof_guard(uv_timer_t *t)
{
	struct proc *p = t->data;

	if (p->paused) {
		/* what is left in the pipe is the consumer's to read, not lost */
		uv_timer_start(&p->done_timer, proc_on_eof_guard, PROC_EOF_GUARD_MS, 0);
		return;
	}

	log_debug("proc: output of '%s' still open %d ms after exit, closing it", p->name,
	    PROC_EOF_GUARD_MS);
	proc_pipe_done(p);
}

static void
proc_on_exit(uv_process_t *h, int64_t exit_status, int term_signal)
{
	struct proc *p = h->data;

	p->reaped = 1;
	p->exit_status = exit_status;
	p->term_signal = term_signal;
	uv_timer_stop(&p->timer);
	/* Whatever the leader left behind in its group dies with it. */
	kill(-p->pid, SIGKILL);
	log_debug("proc: '%s' pid %d ended, status %d signal %d", p->name, (int)p->pid,
	    (int)exit_status, term_signal);
	if (p->eof)
		proc_finish(p);
	else
		uv_timer_start(&p->done_timer, proc_on_eof_guard, PROC_EOF_GUARD_MS, 0);
}

static void
proc_on_grace(uv_timer_t *t)
{
	struct proc *p = t->data;

	if (p->reaped)
		return;
	log_debug("proc: '%s' pid %d still running, sending SIGKILL", p->name, (int)p->pid);
	kill(-p->pid, SIGKILL);
}

/* SIGTERM the group and arm the SIGKILL; 0 if it was already on its way out. */
static int
proc_terminate(struct proc *p)
{
	if (!p->spawned || p->reaped || p->finished || p->killing)
		return 0;
	p->killing = 1;
	kill(-p->pid, SIGTERM);
	uv_update_time(p->loop);
	uv_timer_start(&p->timer, proc_on_grace, p->grace_ms, 0);
	return 1;
}

static void
proc_on_timeout(uv_timer_t *t)
{
	struct proc *p = t->data;

	if (proc_terminate(p)) {
		p->timed_out = 1;
		log_debug("proc: '%s' pid %d timed out after %llu ms", p->name, (int)p->pid,
		    (unsigned long long)p->timeout_ms);
	}
}

static void
proc_on_failed(uv_timer_t *t)
{
	proc_finish(t->data);
}

void
proc_cancel(struct proc *p)
{
	if (p != NULL && proc_terminate(p)) {
		p->cancelled = 1;
		log_debug("proc: cancelling '%s' pid %d", p->name, (int)p->pid);
	}
}

void
proc_cancel_all(void)
{
	struct proc *p;

	for (p = procs; p != NULL; p = p->next)
		proc_cancel(p);
}

size_t
proc_count(void)
{
	return nprocs;
}

void
proc_pause(struct proc *p)
{
	if (p->paused || p->eof || !p->pipe_init)
		return;
	p->paused = 1;
	uv_read_stop((uv_stream_t *)&p->pipe);
}

void
proc_resume(struct proc *p)
{
	if (!p->paused)
		return;
	p->paused = 0;
	if (!p->eof && uv_read_start((uv_stream_t *)&p->pipe, proc_on_alloc, proc_on_read) != 0)
		proc_pipe_done(p);
}

pid_t
proc_pid(const struct proc *p)
{
	return p->pid;
}

static struct proc *
proc_new(uv_loop_t *loop, const struct proc_options *o)
{
	struct proc *p = xcalloc(1, sizeof(*p));

	p->loop = loop;
	p->name = xstrdup(o->argv[0]);
	p->log_fd = -1;
	p->log_stdout = !o->stderr_apart;
	p->timeout_ms = o->timeout_ms;
	p->grace_ms = o->kill_grace_ms != 0 ? o->kill_grace_ms : PROC_DEFAULT_GRACE_MS;
	p->capture_max = o->capture_max != 0 ? o->capture_max : PROC_DEFAULT_CAPTURE;
	p->on_output = o->on_output;
	p->on_exit = o->on_exit;
	p->arg = o->arg;
	strbuf_init(&p->tail, 0);
	strbuf_init(&p->error, 0);
	p->process.data = p;
	p->pipe.data = p;
	p->timer.data = p;
	p->done_timer.data = p;
	return p;
}

static void
proc_free_unstarted(struct proc *p)
{
	strbuf_release(&p->tail);
	strbuf_release(&p->error);
	free(p->name);
	free(p);
}

/* Open the log file and the output pipe; -1 with a message in err. */
static int
proc_open_fds(struct proc *p, const char *log_path, int fds[2], struct strbuf *err)
{
	if (log_path != NULL) {
		p->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (p->log_fd == -1) {
			strbuf_addf(err, "cannot open log '%s': %s", log_path, strerror(errno));
			return -1;
		}
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		strbuf_addf(err, "cannot create a pipe for '%s': %s", p->name, strerror(errno));
		if (p->log_fd != -1)
			close(p->log_fd);
		return -1;
	}
	return 0;
}

/* Run uv_spawn with the write end of the pipe as stdout and stderr; a UV_E* code. */
static int
proc_start(struct proc *p, const struct proc_options *o, int wfd, int stdin_fd)
{
	static const char *const empty_env[] = {NULL};
	struct strbuf file = STRBUF_INIT;
	uv_process_options_t uo;
	uv_stdio_container_t stdio[3];
	int rc;

	struct strvec argv = STRVEC_INIT;

	rc = proc_resolve(o->argv[0], o->env, &file);
	if (rc == 0 && o->nice > 0)
		rc = proc_check_exec(file.buf, o->cwd);
	if (rc == 0 && o->nice > 0) {
		/* background work (builds, gates) yields the CPU to the API loop */
		strvec_pushf(&argv, "-n%d", o->nice > 19 ? 19 : o->nice);
		strvec_push(&argv, file.buf);
		strvec_pushv(&argv, o->argv + 1);
		strbuf_reset(&file);
		rc = proc_resolve("nice", o->env, &file);
	}
	if (rc == 0) {
		memset(&uo, 0, sizeof(uo));
		/* UV_IGNORE: libuv opens /dev/null for fds 0-2. */
		stdio[0].flags = UV_IGNORE;
		if (stdin_fd >= 0) {
			stdio[0].flags = UV_INHERIT_FD;
			stdio[0].data.fd = stdin_fd;
		}
		stdio[1].flags = UV_INHERIT_FD;
		stdio[1].data.fd = wfd;
		stdio[2] = stdio[1];
		if (o->stderr_apart)
			stdio[2].data.fd = p->log_fd != -1 ? p->log_fd : STDERR_FILENO;
		uo.exit_cb = proc_on_exit;
		uo.file = file.buf;
		if (argv.nr) {
			strvec_insert0(&argv, "nice");
			uo.args = argv.v;
		} else {
			uo.args = (char **)o->argv;
		}
		/* NULL would make libuv pass the daemon's own environment. */
		uo.env = (char **)(o->env != NULL ? o->env : empty_env);
		uo.cwd = o->cwd;
		uo.flags = UV_PROCESS_DETACHED;
		uo.stdio_count = 3;
		uo.stdio = stdio;
		rc = uv_spawn(p->loop, &p->process, &uo);
		p->process_init = 1;
	}
	strbuf_release(&file);
	strvec_clear(&argv);
	return rc;
}

/* Start reading the output, or schedule the failure report; closes the pipe's fds. */
static void
proc_started(struct proc *p, int rc, int fds[2])
{
	close(fds[1]);
	if (rc == 0) {
		p->spawned = 1;
		p->pid = p->process.pid;
		log_debug("proc: started '%s' pid %d", p->name, (int)p->pid);
		uv_pipe_init(p->loop, &p->pipe, 0);
		p->pipe_init = 1;
		rc = uv_pipe_open(&p->pipe, fds[0]);
		if (rc != 0)
			close(fds[0]);
		else
			rc = uv_read_start((uv_stream_t *)&p->pipe, proc_on_alloc, proc_on_read);
		if (rc != 0) {
			log_warnx(
			    "proc: cannot read the output of '%s': %s", p->name, uv_strerror(rc));
			p->eof = 1;
		}
		uv_update_time(p->loop); /* count the timeout from now, not the last tick */
		if (p->timeout_ms != 0)
			uv_timer_start(&p->timer, proc_on_timeout, p->timeout_ms, 0);
		return;
	}
	close(fds[0]);
	p->reaped = 1;
	strbuf_addstr(&p->error, uv_strerror(rc));
	log_debug("proc: cannot start '%s': %s", p->name, p->error.buf);
	uv_timer_start(&p->done_timer, proc_on_failed, 0, 0);
}

/* A pipe holding data then EOF, its read end returned (-1 with err). */
static int
proc_stdin(const char *data, size_t len, struct strbuf *err)
{
	int fds[2];

	if (len > PROC_STDIN_MAX) {
		strbuf_addf(err, "stdin data over %d bytes", PROC_STDIN_MAX);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		strbuf_addf(err, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	/* a pipe's buffer (64 KiB on Linux) takes it at once */
	if (len > 0 && write(fds[1], data, len) != (ssize_t)len) {
		strbuf_addf(err, "cannot write stdin: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	return fds[0];
}

int
proc_spawn(uv_loop_t *loop, const struct proc_options *o, struct proc **out, struct strbuf *err)
{
	struct proc *p;
	int fds[2], rc, stdin_fd = -1;

	if (out != NULL)
		*out = NULL;
	if (o->argv == NULL || o->argv[0] == NULL) {
		strbuf_addstr(err, "no program to run");
		return -1;
	}
	if (o->stdin_data && (stdin_fd = proc_stdin(o->stdin_data, o->stdin_len, err)) == -1)
		return -1;
	p = proc_new(loop, o);
	if (proc_open_fds(p, o->log_path, fds, err) == -1) {
		if (stdin_fd >= 0)
			close(stdin_fd);
		proc_free_unstarted(p);
		return -1;
	}
	uv_timer_init(loop, &p->timer);
	uv_timer_init(loop, &p->done_timer);
	p->start_ns = uv_hrtime();
	rc = proc_start(p, o, fds[1], stdin_fd);
	if (stdin_fd >= 0)
		close(stdin_fd);
	proc_started(p, rc, fds);
	proc_link(p);
	if (out != NULL)
		*out = p;
	return 0;
}

struct proc_sync {
	int done;
	int status;
	struct strbuf *output;
	struct strbuf *err;
};

static void
proc_sync_exit(struct proc *p, const struct proc_result *r, void *arg)
{
	struct proc_sync *s = arg;

	s->done = 1;
	strbuf_addbuf(s->output, r->tail);
	if (!r->spawned)
		strbuf_addf(s->err, "cannot run '%s': %s", p->name, r->error);
	else if (r->timed_out)
		strbuf_addf(s->err, "'%s' timed out", p->name);
	else if (!r->exited)
		strbuf_addf(s->err, "'%s' was killed by signal %d", p->name, r->term_signal);
	s->status = r->spawned && r->exited ? r->exit_status : -1;
}

int
proc_run_sync(
    uv_loop_t *loop, const struct proc_options *o, struct strbuf *output, struct strbuf *err)
{
	struct proc_options so = *o;
	struct proc_sync s = {0, -1, output, err};

	so.on_output = NULL;
	so.on_exit = proc_sync_exit;
	so.arg = &s;
	strbuf_reset(output);
	strbuf_reset(err);
	if (proc_spawn(loop, &so, NULL, err) == -1)
		return -1;
	while (!s.done)
		uv_run(loop, UV_RUN_ONCE);
	return s.status;
}
