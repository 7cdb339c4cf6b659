/*
 * node_ops: the node's programs, run for real on a throwaway release_root
 * whose name has spaces and quotes: the probe's listing and its parser, the
 * swap (publish, switch, remove), the prune, sha256sum output made
 * release-relative, and the ssh command line (quoted words joined by &&)
 * fed to a real sh, which must see every word unchanged.  The local swap
 * done with system calls (node_local) must do exactly what the programs do.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/strvec.h"
#include "daemon/config.h"
#include "daemon/deploy/node_local.h"
#include "daemon/deploy/node_ops.h"
#include "daemon/topology.h"

extern char **environ;

static char tmpdir[] = "/tmp/sando-test-node-ops-XXXXXX";
static struct strbuf root = STRBUF_INIT;
static struct node_config node;

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
	strbuf_reset(&root);
	strbuf_addf(&root, "%s/it's a \"node\" $HOME", tmpdir);
	memset(&node, 0, sizeof(node));
	node.name = "n1";
	node.transport = TRANSPORT_LOCAL;
	node.release_root = root.buf;
}

static void
teardown(void)
{
	char *argv[] = {"rm", "-rf", tmpdir, NULL};
	pid_t pid;

	posix_spawnp(&pid, "rm", NULL, NULL, argv, environ);
	waitpid(pid, NULL, 0);
}

/* Run argv, appending its stdout to out (may be NULL); its exit status. */
static int
run(const struct strvec *argv, struct strbuf *out)
{
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	cr_assert_eq(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	cr_assert_eq(posix_spawnp(&pid, argv->v[0], &fa, NULL, argv->v, environ), 0);
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		if (out)
			strbuf_add(out, buf, (size_t)n);
	close(fds[0]);
	posix_spawn_file_actions_destroy(&fa);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run progs in order as node_run would; the first failing status, or 0. */
static int
run_progs(struct node_progs *p, struct strbuf *out)
{
	int rc = 0;

	for (size_t i = 0; i < p->nr && rc == 0; i++)
		rc = run(&p->v[i], out);
	node_progs_clear(p);
	return rc;
}

static void
probe(struct node_listing *l)
{
	struct node_progs p = NODE_PROGS_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	node_probe_progs(&node, &p);
	cr_assert_eq(run_progs(&p, &out), 0);
	cr_assert_eq(node_listing_parse(&node, out.buf, out.len, l, &err), 0, "%s", err.buf);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void
make_release(const char *name)
{
	struct strbuf path = STRBUF_INIT;
	FILE *f;

	strbuf_addf(&path, "%s/releases/%s", root.buf, name);
	cr_assert_eq(mkdir(path.buf, 0755), 0);
	strbuf_addstr(&path, "/server");
	cr_assert_not_null(f = fopen(path.buf, "w"));
	fprintf(f, "%s\n", name);
	fclose(f);
	strbuf_release(&path);
}

static const char *
current_target(void)
{
	static char buf[PATH_MAX];
	struct strbuf path = STRBUF_INIT;
	ssize_t n;

	strbuf_addf(&path, "%s/current", root.buf);
	n = readlink(path.buf, buf, sizeof(buf) - 1);
	strbuf_release(&path);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

TestSuite(node_ops, .init = setup, .fini = teardown);

Test(node_ops, probe_creates_releases_and_lists_nothing_on_a_new_node)
{
	struct node_listing l;

	probe(&l);
	cr_assert_null(l.current);
	cr_assert_null(node_listing_current(&l));
	cr_assert_eq(l.releases.nr, 0);
	node_listing_release(&l);
}

Test(node_ops, swap_publishes_switches_and_the_probe_sees_it)
{
	struct node_progs p = NODE_PROGS_INIT;
	struct node_listing l;

	probe(&l);
	node_listing_release(&l);
	make_release("1.0.0.partial");
	make_release("0.9.0");
	node_swap_progs(&node, "1.0.0", 1, &p);
	cr_assert_eq(run_progs(&p, NULL), 0);
	cr_assert_str_eq(current_target(), "releases/1.0.0");
	probe(&l);
	cr_assert_str_eq(node_listing_current(&l), "1.0.0");
	cr_assert(node_listing_has(&l, "1.0.0"));
	cr_assert(node_listing_has(&l, "0.9.0"));
	cr_assert_not(node_listing_has(&l, "1.0.0.partial"));
	node_listing_release(&l);

	/* back to 0.9.0 (no publish), then to a release that is not there */
	node_swap_progs(&node, "0.9.0", 0, &p);
	cr_assert_eq(run_progs(&p, NULL), 0);
	cr_assert_str_eq(current_target(), "releases/0.9.0");
	node_swap_progs(&node, "2.0.0", 0, &p);
	cr_assert_neq(run_progs(&p, NULL), 0);
	cr_assert_str_eq(current_target(), "releases/0.9.0", "a missing release is never linked");

	node_swap_progs(&node, NULL, 0, &p);
	cr_assert_eq(run_progs(&p, NULL), 0);
	cr_assert_null(current_target());
}

Test(node_ops, prune_removes_and_sets_aside)
{
	struct node_progs p = NODE_PROGS_INIT;
	struct strvec drop = STRVEC_INIT, aside = STRVEC_INIT;
	struct node_listing l;
	struct strbuf failed = STRBUF_INIT;
	struct stat st;

	probe(&l);
	node_listing_release(&l);
	make_release("0.1.0");
	make_release("0.2.0");
	make_release("0.3.0");
	strvec_push(&drop, "0.1.0");
	strvec_push(&aside, "0.2.0");
	node_prune_progs(&node, &drop, &aside, &p);
	cr_assert_eq(run_progs(&p, NULL), 0);
	probe(&l);
	cr_assert_eq(l.releases.nr, 1);
	cr_assert_str_eq(l.releases.v[0], "0.3.0");
	strbuf_addf(&failed, "%s/failed/0.2.0/server", root.buf);
	cr_assert_eq(stat(failed.buf, &st), 0, "0.2.0 is kept aside");
	node_listing_release(&l);
	strvec_clear(&drop);
	strvec_clear(&aside);
	strbuf_release(&failed);
}

Test(node_ops, hash_output_is_made_release_relative)
{
	struct node_progs p = NODE_PROGS_INIT;
	struct node_listing l;
	struct strvec files = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT, rel = STRBUF_INIT, err = STRBUF_INIT;

	probe(&l);
	node_listing_release(&l);
	make_release("1.0.0.partial");
	strvec_push(&files, "server");
	node_hash_argv(&node, "1.0.0.partial", &files, node_progs_add(&p));
	cr_assert_eq(run_progs(&p, &out), 0);
	cr_assert_eq(node_hash_relative(&node, "1.0.0.partial", out.buf, out.len, &rel, &err), 0,
	    "%s", err.buf);
	/* sha256 of "1.0.0.partial\n" */
	cr_assert_eq(rel.len, 64 + 2 + strlen("server") + 1);
	cr_assert_str_eq(rel.buf + 66, "server");
	cr_assert_eq(node_hash_relative(&node, "other", out.buf, out.len, &rel, &err), -1);
	cr_assert(strstr(err.buf, "malformed") != NULL);
	strvec_clear(&files);
	strbuf_release(&out);
	strbuf_release(&rel);
	strbuf_release(&err);
}

Test(node_ops, listing_parse_rejects_a_truncated_record)
{
	struct node_listing l;
	struct strbuf err = STRBUF_INIT;
	const char bad[] = "/x\0current\0l";

	cr_assert_eq(node_listing_parse(&node, bad, sizeof(bad) - 1, &l, &err), -1);
	cr_assert(strstr(err.buf, "truncated") != NULL, "%s", err.buf);
	strbuf_release(&err);
}

Test(node_ops, ssh_command_line_keeps_every_word)
{
	struct daemon_config cfg;
	struct node_ssh s = {&cfg, NULL};
	struct node_progs p = NODE_PROGS_INIT, cmds = NODE_PROGS_INIT;
	struct strvec *a, sh = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT;
	const char *line;

	memset(&cfg, 0, sizeof(cfg));
	node.transport = TRANSPORT_SSH;
	node.ssh_host = "h";
	node.ssh_port = 22;
	a = node_progs_add(&p);
	strvec_pushv(a, (const char *const[]){"printf", "%s|", "it's", "$(id)", "a b", NULL});
	a = node_progs_add(&p);
	strvec_pushv(a, (const char *const[]){"printf", "%s|", "; rm -rf /", "`x`", NULL});
	node_progs_cmds(&s, &node, &p, &cmds);
	cr_assert_eq(cmds.nr, 1, "one ssh session for the step");
	cr_assert_str_eq(cmds.v[0].v[0], "ssh");
	line = cmds.v[0].v[cmds.v[0].nr - 1];
	cr_assert(strstr(line, " && ") != NULL);
	/* what the node's shell does with the command line */
	strvec_pushv(&sh, (const char *const[]){"sh", "-c", line, NULL});
	cr_assert_eq(run(&sh, &out), 0);
	cr_assert_str_eq(out.buf, "it's|$(id)|a b|; rm -rf /|`x`|");
	node_progs_clear(&p);
	node_progs_clear(&cmds);
	strvec_clear(&sh);
	strbuf_release(&out);
}

Test(node_ops, local_swap_with_system_calls_matches_the_programs)
{
	struct strbuf err = STRBUF_INIT;
	struct node_listing l;

	probe(&l);
	node_listing_release(&l);
	make_release("1.0.0.partial");
	make_release("0.9.0");
	cr_assert_eq(node_local_swap_now(root.buf, "1.0.0", 1, &err), 0, "%s", err.buf);
	cr_assert_str_eq(current_target(), "releases/1.0.0");
	probe(&l);
	cr_assert(node_listing_has(&l, "1.0.0"));
	cr_assert_not(node_listing_has(&l, "1.0.0.partial"));
	node_listing_release(&l);
	cr_assert_eq(node_local_swap_now(root.buf, "0.9.0", 0, &err), 0, "%s", err.buf);
	cr_assert_str_eq(current_target(), "releases/0.9.0");
	cr_assert_eq(node_local_swap_now(root.buf, "2.0.0", 0, &err), -1);
	cr_assert(strstr(err.buf, "no release") != NULL, "%s", err.buf);
	cr_assert_str_eq(current_target(), "releases/0.9.0", "a missing release is never linked");
	strbuf_reset(&err);
	cr_assert_eq(node_local_swap_now(root.buf, "3.0.0", 1, &err), -1, "no partial to publish");
	cr_assert_str_eq(current_target(), "releases/0.9.0");
	strbuf_reset(&err);
	cr_assert_eq(node_local_swap_now(root.buf, NULL, 0, &err), 0, "%s", err.buf);
	cr_assert_null(current_target());
	strbuf_release(&err);
}
