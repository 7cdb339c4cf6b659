#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core/log.h"
#include "core/proc.h"
#include "core/strbuf.h"

/* What one run observed; filled by the callbacks. */
struct run {
	int keep_output;       /* store every chunk in out */
	const char *cancel_on; /* proc_cancel once the output contains this */
	struct strbuf out;
	size_t out_total;
	int exits;
	int in_spawn; /* set while proc_spawn runs: on_exit must not fire then */
	size_t count_in_exit;
	struct proc_result r;
	struct strbuf tail;
	struct strbuf error;
};

static char tmpdir[PATH_MAX];

static void
make_tmpdir(void)
{
	if (getenv("PROC_TEST_DEBUG") != NULL)
		log_setlevel(LOG_DEBUG);
	strcpy(tmpdir, "/tmp/test_proc.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
remove_tmpdir(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(proc, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 60);

static void
on_output(struct proc *p, const char *buf, size_t len, void *arg)
{
	struct run *run = arg;

	cr_assert_eq(run->exits, 0);
	run->out_total += len;
	if (run->keep_output || run->cancel_on != NULL)
		strbuf_add(&run->out, buf, len);
	if (run->cancel_on != NULL && strstr(run->out.buf, run->cancel_on) != NULL)
		proc_cancel(p);
}

static void
on_exit_cb(struct proc *p, const struct proc_result *r, void *arg)
{
	struct run *run = arg;

	cr_assert_eq(run->in_spawn, 0, "on_exit called from inside proc_spawn");
	run->exits++;
	run->count_in_exit = proc_count();
	run->r = *r;
	strbuf_addbuf(&run->tail, r->tail);
	if (r->error != NULL)
		strbuf_addstr(&run->error, r->error);
	run->r.tail = NULL;
	run->r.error = NULL;
	proc_cancel(p); /* harmless once it ended */
}

static void
run_init(struct run *run)
{
	memset(run, 0, sizeof(*run));
	run->keep_output = 1;
	strbuf_init(&run->out, 0);
	strbuf_init(&run->tail, 0);
	strbuf_init(&run->error, 0);
}

static void
run_release(struct run *run)
{
	strbuf_release(&run->out);
	strbuf_release(&run->tail);
	strbuf_release(&run->error);
}

static void
options_init(struct proc_options *o, const char *const *argv, struct run *run)
{
	memset(o, 0, sizeof(*o));
	o->argv = argv;
	o->on_output = on_output;
	o->on_exit = on_exit_cb;
	o->arg = run;
}

static struct proc *
spawn_ok(uv_loop_t *loop, const struct proc_options *o, struct run *run)
{
	struct strbuf err = STRBUF_INIT;
	struct proc *p;

	run->in_spawn = 1;
	cr_assert_eq(proc_spawn(loop, o, &p, &err), 0, "proc_spawn: %s", err.buf);
	run->in_spawn = 0;
	cr_assert_not_null(p);
	strbuf_release(&err);
	return p;
}

static void
loop_finish(uv_loop_t *loop)
{
	cr_assert_eq(uv_run(loop, UV_RUN_DEFAULT), 0);
	cr_assert_eq(uv_loop_close(loop), 0, "handles left open on the loop");
	cr_assert_eq(proc_count(), 0);
}

/* Spawn one program on a fresh loop and run the loop until everything closed. */
static void
run_options(const struct proc_options *o, struct run *run)
{
	uv_loop_t loop;

	cr_assert_eq(uv_loop_init(&loop), 0);
	spawn_ok(&loop, o, run);
	cr_assert_eq(proc_count(), 1);
	loop_finish(&loop);
	cr_assert_eq(run->exits, 1);
}

static void
run_argv(const char *const *argv, struct run *run)
{
	struct proc_options o;

	options_init(&o, argv, run);
	run_options(&o, run);
}

static void
assert_no_children(void)
{
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
	cr_assert_eq(errno, ECHILD);
}

static size_t
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A pid is gone once kill fails or it is a zombie waiting for init. */
static int
pid_is_dead(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	if (kill(pid, 0) == -1)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp != NULL && (rp[2] == 'Z' || rp[2] == 'X');
}

static int
wait_dead(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		if (pid_is_dead(pid))
			return 1;
		usleep(10000);
	}
	return 0;
}

Test(proc, exit_zero)
{
	const char *argv[] = {"true", NULL};
	struct run run;

	run_init(&run);
	run_argv(argv, &run);
	cr_assert_eq(run.r.spawned, 1);
	cr_assert_eq(run.r.exited, 1);
	cr_assert_eq(run.r.exit_status, 0);
	cr_assert_eq(run.r.term_signal, 0);
	cr_assert_eq(run.r.timed_out, 0);
	cr_assert_eq(run.r.cancelled, 0);
	cr_assert_eq(run.out.len, 0);
	cr_assert_eq(run.count_in_exit, 1);
	assert_no_children();
	run_release(&run);
}

Test(proc, exit_status_three)
{
	const char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};
	struct run run;

	run_init(&run);
	run_argv(argv, &run);
	cr_assert_eq(run.r.spawned, 1);
	cr_assert_eq(run.r.exited, 1);
	cr_assert_eq(run.r.exit_status, 3);
	cr_assert_eq(run.r.term_signal, 0);
	assert_no_children();
	run_release(&run);
}

static void
expected_lines(struct strbuf *sb, int n)
{
	for (int i = 1; i <= n; i++)
		strbuf_addf(sb, "line %d\n", i);
}

/* stderr_apart: stdout (parsed output, e.g. a NUL-separated listing) goes to
 * the callback and the tail only; stderr (what people read) to the log only. */
Test(proc, stderr_apart_keeps_parsed_stdout_out_of_the_log)
{
	const char *argv[] = {"/bin/sh", "-c",
	    "printf 'f\\0a b\\0'; echo 'warning: noisy' >&2; printf 'd\\0c\\0'", NULL};
	const char *env[] = {"PATH=/usr/bin:/bin", NULL};
	struct strbuf log = STRBUF_INIT, path = STRBUF_INIT;
	struct proc_options o;
	struct run run;

	strbuf_addf(&path, "%s/apart.log", tmpdir);
	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	o.log_path = path.buf;
	o.stderr_apart = 1;
	run_options(&o, &run);
	cr_assert_eq(run.r.exit_status, 0);
	cr_assert_eq(run.out.len, 10);
	cr_assert_eq(memcmp(run.out.buf, "f\0a b\0d\0c\0", 10), 0);
	cr_assert_eq(run.tail.len, 10);
	cr_assert_eq(strbuf_read_file(&log, path.buf, 0), 0);
	cr_assert_str_eq(log.buf, "warning: noisy\n");
	assert_no_children();
	run_release(&run);
	strbuf_release(&log);
	strbuf_release(&path);
}

Test(proc, output_in_order_to_callback_log_and_tail)
{
	const char *argv[] = {"/bin/sh", "-c", "for i in $(seq 1000); do echo line $i; done", NULL};
	const char *env[] = {"PATH=/usr/bin:/bin", NULL};
	struct strbuf want = STRBUF_INIT, log = STRBUF_INIT, path = STRBUF_INIT;
	struct proc_options o;
	struct run run;
	struct stat st;

	strbuf_addf(&path, "%s/out.log", tmpdir);
	expected_lines(&want, 1000);
	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	o.log_path = path.buf;
	o.capture_max = 100;
	run_options(&o, &run);
	cr_assert_eq(run.r.exit_status, 0);
	cr_assert_eq(run.out.len, want.len);
	cr_assert_str_eq(run.out.buf, want.buf);
	cr_assert_eq(strbuf_read_file(&log, path.buf, 0), 0);
	cr_assert_str_eq(log.buf, want.buf);
	cr_assert_eq(run.tail.len, 100);
	cr_assert_eq(memcmp(run.tail.buf, want.buf + want.len - 100, 100), 0);
	cr_assert_eq(stat(path.buf, &st), 0);
	cr_assert_eq(st.st_mode & 0777 & ~0640, 0, "log mode %o", st.st_mode & 0777);

	/* A second run appends. */
	run_release(&run);
	run_init(&run);
	o.arg = &run;
	run_options(&o, &run);
	cr_assert_eq(strbuf_read_file(&log, path.buf, 0), 0);
	cr_assert_eq(log.len, 2 * want.len);
	cr_assert_eq(memcmp(log.buf + want.len, want.buf, want.len), 0);
	assert_no_children();
	run_release(&run);
	strbuf_release(&want);
	strbuf_release(&log);
	strbuf_release(&path);
}

Test(proc, stderr_merged_in_order)
{
	const char *argv[] = {
	    "/bin/sh", "-c", "echo out; echo err >&2; echo out2; echo err2 >&2", NULL};
	struct run run;

	run_init(&run);
	run_argv(argv, &run);
	cr_assert_str_eq(run.out.buf, "out\nerr\nout2\nerr2\n");
	run_release(&run);
}

Test(proc, stdin_is_dev_null)
{
	const char *argv[] = {"cat", NULL};
	struct run run;

	run_init(&run);
	run_argv(argv, &run);
	cr_assert_eq(run.r.exit_status, 0);
	cr_assert_eq(run.out.len, 0);
	run_release(&run);
}

Test(proc, cwd_honoured)
{
	const char *argv[] = {"pwd", NULL};
	char real[PATH_MAX];
	struct proc_options o;
	struct run run;

	cr_assert_not_null(realpath(tmpdir, real));
	strcat(real, "\n");
	run_init(&run);
	options_init(&o, argv, &run);
	o.cwd = tmpdir;
	run_options(&o, &run);
	cr_assert_str_eq(run.out.buf, real);
	run_release(&run);
}

Test(proc, env_is_explicit)
{
	const char *argv[] = {"env", NULL};
	const char *env[] = {"FOO=bar baz", "PATH=/usr/bin:/bin", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	run_options(&o, &run);
	cr_assert_str_eq(run.out.buf, "FOO=bar baz\nPATH=/usr/bin:/bin\n");
	run_release(&run);

	/* NULL: an empty environment, not the test's own. */
	run_init(&run);
	options_init(&o, argv, &run);
	run_options(&o, &run);
	cr_assert_eq(run.r.exit_status, 0);
	cr_assert_str_eq(run.out.buf, "");
	run_release(&run);
}

static void
write_script(const char *path, int mode)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs("#!/bin/sh\necho from-script\n", f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

Test(proc, path_lookup_uses_env_path)
{
	const char *argv[] = {"myscript", NULL};
	struct strbuf path = STRBUF_INIT, envpath = STRBUF_INIT;
	const char *env[] = {NULL, NULL};
	struct proc_options o;
	struct run run;

	strbuf_addf(&path, "%s/myscript", tmpdir);
	write_script(path.buf, 0755);
	strbuf_addf(&envpath, "PATH=/nonexistent::relative:%s", tmpdir);
	env[0] = envpath.buf;
	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	run_options(&o, &run);
	cr_assert_eq(run.r.spawned, 1);
	cr_assert_str_eq(run.out.buf, "from-script\n");
	run_release(&run);

	/* "true" exists in /bin but not in this PATH. */
	argv[0] = "true";
	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	run_options(&o, &run);
	cr_assert_eq(run.r.spawned, 0);
	cr_assert_str_eq(run.error.buf, "no such file or directory");
	run_release(&run);

	/* Found but not executable. */
	write_script(path.buf, 0644);
	argv[0] = "myscript";
	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	run_options(&o, &run);
	cr_assert_eq(run.r.spawned, 0);
	cr_assert_str_eq(run.error.buf, "permission denied");
	run_release(&run);
	strbuf_release(&path);
	strbuf_release(&envpath);
}

Test(proc, spawn_failure_reported_from_loop)
{
	const char *names[] = {"no-such-program-sando", "/nonexistent/program", ""};
	const char *argv[] = {NULL, NULL};
	struct run run;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		argv[0] = names[i];
		run_init(&run);
		run_argv(argv, &run);
		cr_assert_eq(run.r.spawned, 0, "%s", names[i]);
		cr_assert_eq(run.r.exited, 0);
		cr_assert_eq(run.r.term_signal, 0);
		cr_assert_str_eq(run.error.buf, "no such file or directory");
		cr_assert_eq(run.out_total, 0);
		run_release(&run);
	}
	assert_no_children();
}

Test(proc, bad_cwd_is_a_spawn_failure)
{
	const char *argv[] = {"true", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	o.cwd = "/nonexistent/dir";
	run_options(&o, &run);
	cr_assert_eq(run.r.spawned, 0);
	cr_assert_str_eq(run.error.buf, "no such file or directory");
	assert_no_children();
	run_release(&run);
}

Test(proc, log_open_failure_returns_error)
{
	const char *argv[] = {"true", NULL};
	struct strbuf err = STRBUF_INIT;
	struct proc_options o;
	struct proc *p = (struct proc *)1;
	struct run run;
	uv_loop_t loop;

	run_init(&run);
	options_init(&o, argv, &run);
	o.log_path = "/nonexistent/dir/x.log";
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(proc_spawn(&loop, &o, &p, &err), -1);
	cr_assert_null(p);
	cr_assert_not_null(strstr(err.buf, "'/nonexistent/dir/x.log'"), "%s", err.buf);
	cr_assert_eq(proc_count(), 0);
	loop_finish(&loop);
	cr_assert_eq(run.exits, 0);
	strbuf_release(&err);
	run_release(&run);
}

Test(proc, timeout_sends_sigterm)
{
	const char *argv[] = {"sleep", "60", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	o.timeout_ms = 200;
	run_options(&o, &run);
	cr_assert_eq(run.r.spawned, 1);
	cr_assert_eq(run.r.timed_out, 1);
	cr_assert_eq(run.r.cancelled, 0);
	cr_assert_eq(run.r.exited, 0);
	cr_assert_eq(run.r.term_signal, SIGTERM);
	cr_assert_geq(run.r.duration_ms, 190);
	cr_assert_lt(run.r.duration_ms, 20000);
	assert_no_children();
	run_release(&run);
}

Test(proc, timeout_sigkills_after_grace_when_term_is_ignored)
{
	const char *argv[] = {"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 60", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	o.timeout_ms = 1000;
	o.kill_grace_ms = 200;
	run_options(&o, &run);
	cr_assert_str_eq(run.out.buf, "ready\n");
	cr_assert_eq(run.r.timed_out, 1);
	cr_assert_eq(run.r.term_signal, SIGKILL);
	cr_assert_geq(run.r.duration_ms, 1190);
	cr_assert_lt(run.r.duration_ms, 20000);
	assert_no_children();
	run_release(&run);
}

Test(proc, cancel_sigkills_after_grace_when_term_is_ignored)
{
	const char *argv[] = {"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 60", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	run.cancel_on = "ready";
	options_init(&o, argv, &run);
	o.kill_grace_ms = 200;
	run_options(&o, &run);
	cr_assert_eq(run.r.cancelled, 1);
	cr_assert_eq(run.r.timed_out, 0);
	cr_assert_eq(run.r.term_signal, SIGKILL);
	cr_assert_geq(run.r.duration_ms, 190);
	cr_assert_lt(run.r.duration_ms, 20000);
	run_release(&run);
}

Test(proc, cancel_right_after_spawn)
{
	const char *argv[] = {"sleep", "60", NULL};
	struct proc_options o;
	struct proc *p;
	struct run run;
	uv_loop_t loop;

	run_init(&run);
	options_init(&o, argv, &run);
	o.timeout_ms = 30000;
	cr_assert_eq(uv_loop_init(&loop), 0);
	p = spawn_ok(&loop, &o, &run);
	cr_assert_gt(proc_pid(p), 0);
	cr_assert_eq(getpgid(proc_pid(p)), proc_pid(p), "not a process group leader");
	cr_assert_eq(getsid(proc_pid(p)), proc_pid(p), "not a session leader");
	proc_cancel(p);
	proc_cancel(p);
	loop_finish(&loop);
	cr_assert_eq(run.exits, 1);
	cr_assert_eq(run.r.cancelled, 1);
	cr_assert_eq(run.r.timed_out, 0);
	cr_assert_eq(run.r.term_signal, SIGTERM);
	cr_assert_lt(run.r.duration_ms, 20000);
	assert_no_children();
	run_release(&run);
}

Test(proc, background_child_is_killed_with_the_leader)
{
	const char *argv[] = {"/bin/sh", "-c", "sleep 60 & echo $!; exit 0", NULL};
	struct run run;
	long bg;

	run_init(&run);
	run_argv(argv, &run);
	cr_assert_eq(run.r.exited, 1);
	cr_assert_eq(run.r.exit_status, 0);
	bg = strtol(run.out.buf, NULL, 10);
	cr_assert_gt(bg, 1, "output '%s'", run.out.buf);
	cr_assert(wait_dead((pid_t)bg), "background child %ld survived", bg);
	/* EOF came from the kill, not from the 2 s guard. */
	cr_assert_lt(run.r.duration_ms, 20000);
	assert_no_children();
	run_release(&run);
}

Test(proc, escaped_grandchild_does_not_hold_the_result_forever)
{
	const char *argv[] = {"/bin/sh", "-c",
	    "setsid /bin/sh -c 'echo $$; : >ready; exec sleep 60' &\n"
	    "while [ ! -e ready ]; do sleep 0.05; done",
	    NULL};
	const char *env[] = {"PATH=/usr/bin:/bin", NULL};
	struct proc_options o;
	struct run run;
	long gc;

	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	o.cwd = tmpdir;
	run_options(&o, &run);
	gc = strtol(run.out.buf, NULL, 10);
	cr_assert_gt(gc, 1, "output '%s'", run.out.buf);
	cr_assert_eq(run.r.exit_status, 0);
	cr_assert_geq(run.r.duration_ms, 1900);
	cr_assert_lt(run.r.duration_ms, 20000);
	kill((pid_t)gc, SIGKILL);
	run_release(&run);
}

Test(proc, capture_max_keeps_the_tail_of_large_output)
{
	const size_t size = 10 * 1024 * 1024;
	const char *argv[] = {"head", "-c", "10485760", "/dev/urandom", NULL};
	struct strbuf path = STRBUF_INIT;
	struct proc_options o;
	struct run run;
	struct stat st;

	strbuf_addf(&path, "%s/big.log", tmpdir);
	run_init(&run);
	options_init(&o, argv, &run);
	o.capture_max = 1000;
	o.log_path = path.buf;
	run_options(&o, &run);
	cr_assert_eq(run.r.exit_status, 0);
	cr_assert_eq(run.out_total, size);
	cr_assert_eq(run.out.len, size);
	cr_assert_eq(run.tail.len, 1000);
	cr_assert_eq(memcmp(run.tail.buf, run.out.buf + size - 1000, 1000), 0);
	cr_assert_eq(stat(path.buf, &st), 0);
	cr_assert_eq((size_t)st.st_size, size);
	run_release(&run);
	strbuf_release(&path);
}

Test(proc, default_capture_is_64k)
{
	const char *argv[] = {"head", "-c", "200000", "/dev/zero", NULL};
	struct run run;

	run_init(&run);
	run.keep_output = 0;
	run_argv(argv, &run);
	cr_assert_eq(run.out_total, 200000);
	cr_assert_eq(run.tail.len, 64 * 1024);
	run_release(&run);
}

Test(proc, cancel_all_and_count)
{
	const char *argv[] = {"sleep", "60", NULL};
	struct run runs[3];
	struct proc_options o;
	uv_loop_t loop;

	cr_assert_eq(proc_count(), 0);
	cr_assert_eq(uv_loop_init(&loop), 0);
	for (int i = 0; i < 3; i++) {
		run_init(&runs[i]);
		options_init(&o, argv, &runs[i]);
		spawn_ok(&loop, &o, &runs[i]);
	}
	cr_assert_eq(proc_count(), 3);
	proc_cancel_all();
	loop_finish(&loop);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(runs[i].exits, 1);
		cr_assert_eq(runs[i].r.cancelled, 1);
		cr_assert_eq(runs[i].r.term_signal, SIGTERM);
		run_release(&runs[i]);
	}
	assert_no_children();
}

Test(proc, no_fd_leaks_into_child_or_parent)
{
	const char *argv[] = {"/bin/sh", "-c", "ls -l /proc/$$/fd", NULL};
	const char *env[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
	struct strbuf path = STRBUF_INIT, pipe_name = STRBUF_INIT;
	struct proc_options o;
	struct run run;
	const char *warm[] = {"true", NULL};
	const char *s, *e;
	size_t before, n = 0;

	/* libuv opens a few process-wide fds on first use; count after a first run. */
	run_init(&run);
	run_argv(warm, &run);
	run_release(&run);
	before = count_fds();
	strbuf_addf(&path, "%s/fds-unique.log", tmpdir);
	run_init(&run);
	options_init(&o, argv, &run);
	o.env = env;
	o.log_path = path.buf;
	run_options(&o, &run);
	cr_assert_eq(count_fds(), before, "the parent leaked an fd");
	cr_assert_null(strstr(run.out.buf, "fds-unique.log"), "log fd leaked:\n%s", run.out.buf);
	cr_assert_not_null(strstr(run.out.buf, " 0 -> /dev/null"), "%s", run.out.buf);
	s = strstr(run.out.buf, " 1 -> pipe:[");
	cr_assert_not_null(s, "%s", run.out.buf);
	e = strchr(s, ']');
	strbuf_add(&pipe_name, s + 6, (size_t)(e - s - 5));
	for (s = run.out.buf; (s = strstr(s, pipe_name.buf)) != NULL; s++)
		n++;
	cr_assert_eq(n, 2, "the output pipe is open more than as 1 and 2:\n%s", run.out.buf);
	strbuf_release(&path);
	strbuf_release(&pipe_name);
	run_release(&run);
}

Test(proc, nice_lowers_priority_and_keeps_argv)
{
	/* sh prints its niceness (field 19 of /proc/self/stat) and its arguments */
	const char *argv[] = {
	    "sh", "-c", "cut -d' ' -f19 /proc/$$/stat; echo \"$0 $1\"", "a b", "c", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	o.nice = 10;
	run_options(&o, &run);
	cr_assert_str_eq(run.out.buf, "10\na b c\n");
	run_release(&run);
}

Test(proc, nice_with_a_missing_program_is_a_spawn_failure)
{
	const char *argv[] = {"sando-no-such-program", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	o.nice = 5;
	run_options(&o, &run);
	cr_assert_eq(run.r.spawned, 0);
	run_release(&run);
}

Test(proc, nice_with_a_missing_or_unexecutable_path_is_a_spawn_failure)
{
	const char *missing[] = {"/nonexistent/prog", NULL};
	const char *dir[] = {"/tmp", NULL};
	const char *relative[] = {"./sando-no-such-program", NULL};
	const char *const *cases[] = {missing, dir, relative};

	for (size_t i = 0; i < 3; i++) {
		struct proc_options o;
		struct run run;

		run_init(&run);
		options_init(&o, cases[i], &run);
		o.nice = 5;
		o.cwd = "/";
		run_options(&o, &run);
		cr_assert_eq(run.r.spawned, 0, "case %zu", i);
		run_release(&run);
	}
}

Test(proc, stdin_data_reaches_the_program_then_eof)
{
	const char *argv[] = {"cat", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	o.stdin_data = "secret line\n";
	o.stdin_len = 12;
	run_options(&o, &run);
	cr_assert_str_eq(run.out.buf, "secret line\n");
	run_release(&run);
}

Test(proc, without_stdin_data_stdin_is_empty)
{
	const char *argv[] = {"cat", NULL};
	struct proc_options o;
	struct run run;

	run_init(&run);
	options_init(&o, argv, &run);
	run_options(&o, &run);
	cr_assert_str_eq(run.out.buf, "");
	run_release(&run);
}
