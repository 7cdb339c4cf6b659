/*
 * gate_test.c: the gates that run one program and classify how it ended:
 * test { command } and cargo_test (= cargo test --release) in the build's
 * directory of the version's worktree, and command { name, run } in the
 * release directory.  Programs run at nice 10, like builds, so the daemon
 * stays responsive.
 */
#include <string.h>

#include "core/log.h"
#include "daemon/gates/gates_int.h"

#define GATE_NICE 10

static void
test_done(struct gate_run *r, const struct proc_result *res)
{
	struct strbuf log = STRBUF_INIT;
	struct gate_raw raw;
	struct outcome o;

	memset(&o, 0, sizeof(o));
	gate_run_raw(r, res, 0, &raw, &log);
	if (r->g->kind == GATE_COMMAND)
		classify_command(&raw, &o);
	else
		classify_test(&raw, &o);
	strbuf_release(&log);
	gate_run_finish(r, &o);
}

/* Run argv in cwd and classify it with test_done. */
static void
run_program(struct gate_run *r, const char *const *argv, const char *cwd)
{
	struct strvec env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT, line = STRBUF_INIT;

	for (size_t i = 0; argv[i]; i++)
		strbuf_addf(&line, "%s'%s'", i ? " " : "", argv[i]);
	gate_run_log(r, "running %s in '%s' (timeout %g s)", line.buf, cwd, gate_run_timeout_s(r));
	gate_run_env(r, &env);
	if (gate_run_spawn(r, argv, cwd, &env, (uint64_t)(gate_run_timeout_s(r) * 1000), GATE_NICE,
	        test_done, &err) == -1)
		gate_run_finish_error(r, err.buf);
	strvec_clear(&env);
	strbuf_release(&err);
	strbuf_release(&line);
}

/* test and cargo_test need the version's build directory. */
static void
test_start(struct gate_run *r)
{
	static const char *const cargo[] = {"cargo", "test", "--release", NULL};
	const char *const *argv =
	    r->g->kind == GATE_CARGO_TEST ? cargo : (const char *const *)r->g->command.v;
	struct outcome o;

	if (r->build_dir == NULL) {
		memset(&o, 0, sizeof(o));
		gate_run_log(r,
		    "the build directory of version '%s' is gone (a newer build "
		    "replaced its worktree): test gates run where the version was built",
		    r->version);
		outcome_blocked_artifact_missing(&o, r->version);
		outcome_set_log_ref(&o, r->log_ref);
		gate_run_finish(r, &o);
		return;
	}
	run_program(r, argv, r->build_dir);
}

static void
command_start(struct gate_run *r)
{
	run_program(r, (const char *const *)r->g->run.v, r->release_dir);
}

const struct gate_runner gate_runner_test = {GATE_TEST, test_start, NULL};
const struct gate_runner gate_runner_cargo_test = {GATE_CARGO_TEST, test_start, NULL};
const struct gate_runner gate_runner_command = {GATE_COMMAND, command_start, NULL};
