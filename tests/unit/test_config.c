/*
 * daemon.toml and sando.toml: the seed examples load unchanged, every error
 * class names file:line:column, defaults and path resolution, --print-config.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "daemon/config.h"
#include "daemon/topology.h"

static char tmpdir[] = "/tmp/sando-test-config-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd[] = {"rm", "-rf", tmpdir, NULL};
	pid_t pid = fork();

	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

static char *
write_file(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	cr_assert(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text as a topology and expect an error at line:col containing what. */
static void
topo_error(const char *text, int line, int col, const char *what)
{
	char *path = write_file("sando.toml", text);
	struct topology topo;
	struct strbuf err = STRBUF_INIT;
	char *want = NULL;

	cr_assert_eq(topology_load(&topo, path, &err), -1, "accepted: %s", text);
	cr_assert(asprintf(&want, "sando.toml:%d:%d: ", line, col) > 0);
	cr_expect_not_null(strstr(err.buf, want), "want '%s' in '%s'", want, err.buf);
	cr_expect_not_null(strstr(err.buf, what), "want '%s' in '%s'", what, err.buf);
	topology_release(&topo);
	strbuf_release(&err);
	free(want);
	free(path);
}

static void
daemon_error(const char *text, int line, int col, const char *what)
{
	char *path = write_file("daemon.toml", text);
	struct daemon_config cfg;
	struct strbuf err = STRBUF_INIT;
	char *want = NULL;

	cr_assert_eq(config_load(&cfg, path, &err), -1, "accepted: %s", text);
	cr_assert(asprintf(&want, "daemon.toml:%d:%d: ", line, col) > 0);
	cr_expect_not_null(strstr(err.buf, want), "want '%s' in '%s'", want, err.buf);
	cr_expect_not_null(strstr(err.buf, what), "want '%s' in '%s'", what, err.buf);
	config_release(&cfg);
	strbuf_release(&err);
	free(want);
	free(path);
}

#define MINIMAL_DAEMON                                                                       \
	"db_path = \"state/sando.db\"\ntopology_path = \"sando.toml\"\nworkdir = \"work\"\n" \
	"release_root = \"/srv/releases\"\n"

#define REPO "[repo]\nbare_path = \"/srv/app.git\"\n"

TestSuite(config, .init = setup, .fini = teardown);

Test(config, seed_examples_load_unchanged)
{
	static const char *const dirs[] = {"seed-bundle", "seed-quickstart"};

	for (size_t i = 0; i < 2; i++) {
		struct daemon_config cfg;
		struct topology topo;
		struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;

		strbuf_addf(&path, "%s/../shared/examples/%s/daemon.toml", SANDO_TOP, dirs[i]);
		cr_assert_eq(config_load(&cfg, path.buf, &err), 0, "%s", err.buf);
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/../shared/examples/%s/sando.toml", SANDO_TOP, dirs[i]);
		cr_assert_eq(topology_load(&topo, path.buf, &err), 0, "%s", err.buf);
		config_release(&cfg);
		topology_release(&topo);
		strbuf_release(&err);
		strbuf_release(&path);
	}
}

Test(config, seed_bundle_values)
{
	struct daemon_config cfg;
	struct topology topo;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(
	    config_load(&cfg, SANDO_TOP "/../shared/examples/seed-bundle/daemon.toml", &err), 0,
	    "%s", err.buf);
	cr_expect_str_eq(cfg.listen, "100.64.0.10:7766");
	cr_expect_eq(cfg.bin_names.nr, 2);
	cr_expect_str_eq(cfg.bin_names.v[1], "mnw-admin");
	cr_expect_eq(cfg.ncontents, 4);
	cr_expect_str_eq(cfg.contents[3].dst, "docs/business");
	cr_expect_eq(cfg.contents[1].required, 1);
	cr_expect_str_eq(cfg.logs_root, "/srv/sando/work/../logs");
	cr_expect_str_eq(cfg.build.dir, "server");
	cr_expect_eq(cfg.build.command.nr, 3);
	cr_expect_str_eq(cfg.build.version_from, "server/Cargo.toml");
	cr_expect_eq(cfg.build.timeout_s, 3600);
	cr_expect_eq(cfg.retain_releases, 10);
	cr_assert_eq(
	    topology_load(&topo, SANDO_TOP "/../shared/examples/seed-bundle/sando.toml", &err), 0,
	    "%s", err.buf);
	cr_expect_eq(topo.ntiers, 4);
	cr_expect_str_eq(topo.tiers[0].name, "host");
	cr_expect_eq(topo.tiers[0].ngates, 3);
	cr_expect_eq(topo.tiers[1].gates[1].kind, GATE_BURN_IN);
	cr_expect_eq(topo.tiers[1].gates[1].hours, 48.0);
	cr_expect_eq(topo.tiers[1].nodes[0].ssh_port, 22);
	cr_expect_str_eq(topo.tiers[1].nodes[0].ssh_host, "testnot.work");
	cr_expect_str_eq(topo.tiers[2].nodes[0].ssh_user, "deploy");
	cr_expect_eq(topo.tiers[2].restart_warning_seconds, 30);
	cr_expect_eq(topo.tiers[3].provisioned, 0);
	cr_expect_eq(topo.tiers[0].gates[2].seconds, 10);
	config_release(&cfg);
	topology_release(&topo);
	strbuf_release(&err);
}

Test(config, relative_paths_resolve_against_file)
{
	char *path = write_file("daemon.toml", MINIMAL_DAEMON);
	struct daemon_config cfg;
	struct strbuf err = STRBUF_INIT;
	char *want = NULL;

	cr_assert_eq(config_load(&cfg, path, &err), 0, "%s", err.buf);
	cr_assert(asprintf(&want, "%s/state/sando.db", tmpdir) > 0);
	cr_expect_str_eq(cfg.db_path, want);
	cr_expect_str_eq(cfg.release_root, "/srv/releases");
	cr_expect_str_eq(cfg.listen, "127.0.0.1:7766");
	cr_expect_null(cfg.scratch_db_url);
	config_release(&cfg);
	strbuf_release(&err);
	free(want);
	free(path);
}

Test(config, daemon_errors_name_position)
{
	daemon_error(MINIMAL_DAEMON "colour = 1\n", 5, 1, "unknown key 'colour'");
	daemon_error(MINIMAL_DAEMON "retain_releases = \"ten\"\n", 5, 19, "must be an integer");
	daemon_error(MINIMAL_DAEMON "retain_releases = 1\n", 5, 19, "between 2 and");
	daemon_error(MINIMAL_DAEMON "listen = \"nowhere\"\n", 5, 10, "'listen' must be");
	daemon_error(MINIMAL_DAEMON "bin_names = []\n", 5, 13, "non-empty array");
	daemon_error(MINIMAL_DAEMON "bin_names = [\"a\", 2]\n", 5, 19, "array of strings");
	daemon_error(MINIMAL_DAEMON "[build]\ntimeout = 5\n", 6, 1, "unknown key 'timeout' (");
	daemon_error(MINIMAL_DAEMON "release_contents = [{src = \"../x\", dst = \"y\"}]\n", 5, 28,
	    "must not contain '..'");
	daemon_error(MINIMAL_DAEMON "release_contents = [{src = \"x\"}]\n", 5, 21,
	    "missing required key 'dst'");
	daemon_error(MINIMAL_DAEMON "auth = \"magic\"\n", 5, 8, "one of 'none'");
	daemon_error(MINIMAL_DAEMON "scratch_db_url = \"mysql://x\"\n", 5, 18, "postgres://");
	daemon_error("db_path = \"x\"\n", 1, 1, "missing required key 'topology_path'");
	daemon_error(MINIMAL_DAEMON "listen = \"127.0.0.1:7766\n", 5, 25, "");
}

Test(config, topology_errors_name_position)
{
	topo_error(
	    REPO "[[tier]]\nname = \"a\"\nhelth_url = \"x\"\n", 5, 1, "unknown key 'helth_url'");
	topo_error(REPO "[[tier]]\nname = \"a\"\n[[tier]]\nname = \"a\"\n", 6, 8,
	    "duplicate tier name 'a'");
	topo_error(REPO "[[tier]]\nname = \"a\"\ngates = [{ kind = \"smoke\" }]\n", 5, 19,
	    "unknown gate kind 'smoke'");
	topo_error(REPO "[[tier]]\nname = \"a\"\ngates = [{ kind = \"burn_in\" }]\n", 5, 10,
	    "missing required key 'hours'");
	topo_error(REPO
	    "[[tier]]\nname = \"a\"\ngates = [{ kind = \"test\", command = \"make\" }]\n",
	    5, 37, "must be an array");
	topo_error(
	    REPO "[[tier]]\nname = \"a\"\nprovisioned = \"yes\"\n", 5, 15, "must be a boolean");
	topo_error(REPO "[[tier]]\nname = \"a\"\ncanary = \"random\"\n", 5, 10,
	    "one of 'sequential', 'parallel'");
	topo_error(REPO
	    "[[tier]]\nname = \"a\"\n[[tier.node]]\nname = \"n\"\nssh_target = \"-oProxy=x\""
	    "\nrelease_root = \"/opt\"\n",
	    7, 14, "'ssh_target' must be");
	topo_error(REPO
	    "[[tier]]\nname = \"a\"\n[[tier.node]]\nname = \"n\"\nrelease_root = \"/o\"\n",
	    5, 1, "missing required key 'ssh_target'");
	topo_error(REPO
	    "[[tier]]\nname = \"a\"\n[[tier.node]]\nname = \"n\"\nssh_target = \"local\"\n"
	    "release_root = \"/o\"\n[[tier]]\nname = \"b\"\n[[tier.node]]\nname = \"n\"\n"
	    "ssh_target = \"local\"\nrelease_root = \"/p\"\n",
	    12, 8, "duplicate node name 'n'");
	topo_error(REPO "[[tier]]\nname = \"../x\"\n", 4, 8, "tier name '../x'");
	topo_error("[[tier]]\nname = \"a\"\n", 1, 1, "missing required key 'repo'");
	topo_error("[repo]\nbare_path = \"/x\"\nbranch = \"--upload-pack=x\"\n", 3, 10,
	    "valid git branch name");
	topo_error(REPO "[backup]\nsource = \"http://x\"\nlocal_path = \"b\"\n", 4, 10,
	    "file:///, rsync://");
	topo_error("tier = 1\n" REPO, 1, 8, "non-empty array of tables");
	topo_error(REPO "[[tier]]\nname = \"a\"\ngates = [{ kind = \"boot_smoke\" }, "
	                "{ kind = \"boot_smoke\" }]\n",
	    5, 35, "duplicate gate 'boot_smoke'");
}

Test(config, ssh_targets)
{
	static const char *const good[] = {
	    "deploy@h", "deploy@h.example:2222", "h", "u@[::1]:22", "u@10.0.0.1", NULL};
	static const char *const bad[] = {
	    "u@", "@h", "u@h:0", "u@h:99999", "u@-h", "u@h:x", "u@[::1", "u h", "u@h;rm", NULL};

	for (int i = 0; good[i]; i++) {
		struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
		struct topology topo;
		char *path;

		strbuf_addf(&text,
		    REPO "[[tier]]\nname = \"a\"\n[[tier.node]]\nname = \"n\"\n"
		         "ssh_target = \"%s\"\nrelease_root = \"/o\"\n",
		    good[i]);
		path = write_file("sando.toml", text.buf);
		cr_expect_eq(topology_load(&topo, path, &err), 0, "%s: %s", good[i], err.buf);
		topology_release(&topo);
		strbuf_release(&text);
		strbuf_release(&err);
		free(path);
	}
	for (int i = 0; bad[i]; i++) {
		struct strbuf text = STRBUF_INIT;

		strbuf_addf(&text,
		    REPO "[[tier]]\nname = \"a\"\n[[tier.node]]\nname = \"n\"\n"
		         "ssh_target = \"%s\"\nrelease_root = \"/o\"\n",
		    bad[i]);
		topo_error(text.buf, 7, 14, "'ssh_target' must be");
		strbuf_release(&text);
	}
}

Test(config, print_config_reloads_to_same_values)
{
	struct topology topo, again;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT, out2 = STRBUF_INIT;
	char *path;

	cr_assert_eq(
	    topology_load(&topo, SANDO_TOP "/../shared/examples/seed-bundle/sando.toml", &err), 0,
	    "%s", err.buf);
	topology_print(&topo, &out);
	path = write_file("printed.toml", out.buf);
	cr_assert_eq(topology_load(&again, path, &err), 0, "%s\n%s", err.buf, out.buf);
	topology_print(&again, &out2);
	/* identical apart from the file name on the first line */
	cr_expect_str_eq(strchr(out.buf, '\n'), strchr(out2.buf, '\n'));
	cr_expect_not_null(strstr(out.buf, "max_parallel = 4"));
	cr_expect_not_null(strstr(out.buf, "timeout_s = 1800"));
	topology_release(&topo);
	topology_release(&again);
	strbuf_release(&err);
	strbuf_release(&out);
	strbuf_release(&out2);
	free(path);
}

Test(config, print_daemon_config_redacts_password)
{
	char *path = write_file("daemon.toml",
	    MINIMAL_DAEMON "scratch_db_url = \"postgres://sando:hunter2@127.0.0.1/scratch\"\n");
	struct daemon_config cfg, again;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	cr_assert_eq(config_load(&cfg, path, &err), 0, "%s", err.buf);
	config_print(&cfg, &out);
	cr_expect_null(strstr(out.buf, "hunter2"));
	cr_expect_not_null(strstr(out.buf, "postgres://sando:***@127.0.0.1/scratch"));
	cr_expect_not_null(strstr(out.buf, "[build]\ndir = \"server\""));
	free(path);
	path = write_file("printed.toml", out.buf);
	cr_expect_eq(config_load(&again, path, &err), 0, "%s\n%s", err.buf, out.buf);
	config_release(&cfg);
	config_release(&again);
	strbuf_release(&err);
	strbuf_release(&out);
	free(path);
}

Test(config, listen_loopback)
{
	cr_expect(config_listen_is_loopback("127.0.0.1:7766"));
	cr_expect(config_listen_is_loopback("127.5.0.1:1"));
	cr_expect(config_listen_is_loopback("[::1]:7766"));
	cr_expect(config_listen_is_loopback("localhost:80"));
	cr_expect(!config_listen_is_loopback("100.64.0.10:7766"));
	cr_expect(!config_listen_is_loopback("0.0.0.0:7766"));
	cr_expect(!config_listen_is_loopback("[::]:7766"));
}

/* Every choice of an enum key loads (the ASan run also checks nothing leaks
 * on the way: a later choice once leaked the list of the earlier ones). */
Test(config, enum_choices_load)
{
	struct strbuf err = STRBUF_INIT;
	struct topology topo;
	char *path = write_file("sando.toml",
	    REPO "[[tier]]\nname = \"a\"\ncanary = \"parallel\"\nverify = \"sha256\"\n"
	         "[[tier]]\nname = \"b\"\ncanary = \"sequential\"\nverify = \"manifest\"\n");

	cr_assert_eq(topology_load(&topo, path, &err), 0, "%s", err.buf);
	cr_expect_eq(topo.tiers[0].canary, CANARY_PARALLEL);
	cr_expect_eq(topo.tiers[0].verify, VERIFY_SHA256);
	cr_expect_eq(topo.tiers[1].canary, CANARY_SEQUENTIAL);
	topology_release(&topo);
	strbuf_release(&err);
	free(path);
}
