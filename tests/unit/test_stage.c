/*
 * stage: staging a fake worktree into a release (binaries, merging rows,
 * modes, symlinks kept / dereferenced / refused, missing rows, immutable
 * versions, left-overs, cancellation), the manifest and its bundle digest,
 * and stage_verify catching every kind of difference.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "daemon/stage.h"

static char tmpdir[] = "/tmp/sando-test-stage-XXXXXX";
static struct strbuf ring[256];
static int ring_next;

/* printf into one of a ring of buffers: valid for the next 255 calls. */
static const char *__attribute__((format(printf, 1, 2))) P(const char *fmt, ...)
{
	struct strbuf *sb = &ring[ring_next++ % 256];
	va_list ap;

	strbuf_reset(sb);
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return sb->buf;
}

static void
run(const char *const *argv)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
rm_rf(const char *path)
{
	const char *argv[] = {"rm", "-rf", path, NULL};

	run(argv);
}

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
	log_init("test_stage", LOG_WARN);
}

static void
teardown(void)
{
	rm_rf(tmpdir);
}

TestSuite(stage, .init = setup, .fini = teardown, .timeout = 60);

/* Write data to tmpdir/rel (parents created) with mode. */
static void
put(const char *rel, const char *data, mode_t mode)
{
	const char *path = P("%s/%s", tmpdir, rel);
	char *dir = fs_dirname(path);
	FILE *f;

	cr_assert_eq(fs_mkdir_p(dir, 0755), 0);
	free(dir);
	cr_assert_not_null(f = fopen(path, "w"));
	cr_assert_eq(fwrite(data, 1, strlen(data), f), strlen(data));
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

static void
link_at(const char *rel, const char *target)
{
	const char *path = P("%s/%s", tmpdir, rel);
	char *dir = fs_dirname(path);

	cr_assert_eq(fs_mkdir_p(dir, 0755), 0);
	free(dir);
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path, strerror(errno));
}

static char *
slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(strbuf_read_file(&sb, path, 0), 0, "read %s: %s", path, strerror(errno));
	return strbuf_detach(&sb, NULL);
}

static void
expect_content(const char *path, const char *want)
{
	char *got = slurp(path);
	int same = strcmp(got, want) == 0;

	free(got);
	cr_assert(same, "%s does not hold '%s'", path, want);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "lstat %s", path);
	return st.st_mode & 07777;
}

/* The fake worktree: two binaries, static/ with nested dirs, an executable
 * script, a private file, symlinks inside and leaving the row, docs/ and a
 * second tree merged into docs/business. */
static void
make_worktree(void)
{
	put("wt/target/release/app", "app binary\n", 0700);
	put("wt/target/release/app-admin", "admin binary\n", 0644);
	put("wt/server/static/index.html", "<h1>hi</h1>\n", 0644);
	put("wt/server/static/css/site.css", "body{}\n", 0664);
	put("wt/server/static/img/icons/a.svg", "<svg/>\n", 0644);
	put("wt/server/static/bin/run.sh", "#!/bin/sh\necho run\n", 0755);
	put("wt/server/static/private.txt", "secret-ish\n", 0600);
	put("wt/server/static/empty.txt", "", 0644);
	link_at("wt/server/static/latest.css", "css/site.css");
	link_at("wt/server/static/logo.png", "../../assets/logo.png");
	put("wt/assets/logo.png", "PNG-bytes\n", 0644);
	link_at("wt/server/static/shared", "../../assets/shared");
	put("wt/assets/shared/font.woff", "font\n", 0644);
	put("wt/server/site-docs/index.md", "# docs\n", 0644);
	put("wt/server/site-docs/business/readme.md", "from site-docs\n", 0644);
	put("wt/server/docs/business/plan.md", "# plan\n", 0644);
}

static const char *const bins[] = {"app", "app-admin", NULL};

static struct stage_row rows[] = {
    {"server/deploy/error-pages", "error-pages", 0},
    {"server/static", "static", 1},
    {"server/site-docs", "docs", 1},
    {"server/docs/business", "docs/business", 0},
};

static volatile int cancel_flag;

static struct stage_request
request(const char *version)
{
	struct stage_request req = {
	    .worktree = P("%s/wt", tmpdir),
	    .artifact_dir = "target/release",
	    .bins = bins,
	    .rows = rows,
	    .nrows = sizeof(rows) / sizeof(rows[0]),
	    .release_root = P("%s/releases", tmpdir),
	    .version = version,
	    .sha = "0123456789abcdef0123456789abcdef01234567",
	    .cancel = &cancel_flag,
	};
	return req;
}

/* Stage req; assert the outcome; on failure assert nothing was left. */
static void
stage(const struct stage_request *req, struct stage_result *res, int want)
{
	stage_result_init(res);
	int rc = stage_run(req, res);

	cr_assert_eq(rc, want, "stage_run: %d (%s)", rc, res->error.buf);
	if (want == -1) {
		cr_assert_neq(res->error.len, 0);
		cr_assert_not(exists(P("%s/%s.partial", req->release_root, req->version)));
	}
}

static void
stage_fails(const struct stage_request *req, const char *msg)
{
	struct stage_result res;

	stage(req, &res, -1);
	cr_assert_not_null(strstr(res.error.buf, msg), "error '%s' lacks '%s'", res.error.buf, msg);
	cr_assert_not(exists(P("%s/%s", req->release_root, req->version)));
	stage_result_release(&res);
}

static int
has_warning(const struct stage_result *res, const char *needle)
{
	for (size_t i = 0; i < res->warnings.nr; i++)
		if (strstr(res->warnings.v[i], needle) != NULL)
			return 1;
	return 0;
}

Test(stage, stages_bins_rows_modes_and_links)
{
	struct stage_request req;
	struct stage_result res;
	const char *r = P("%s/releases/1.0.0", tmpdir);
	struct stat st;

	make_worktree();
	req = request("1.0.0");
	stage(&req, &res, 0);
	cr_assert_not(exists(P("%s.partial", r)));
	expect_content(P("%s/app", r), "app binary\n");
	cr_assert_eq(mode_of(P("%s/app", r)), 0755);
	cr_assert_eq(mode_of(P("%s/app-admin", r)), 0755);
	expect_content(P("%s/static/img/icons/a.svg", r), "<svg/>\n");
	cr_assert_eq(mode_of(P("%s/static/bin/run.sh", r)), 0755);
	cr_assert_eq(mode_of(P("%s/static/private.txt", r)), 0644);
	cr_assert_eq(mode_of(P("%s/static/css/site.css", r)), 0644);
	cr_assert_eq(mode_of(P("%s/static/img", r)), 0755);
	cr_assert_eq(mode_of(P("%s/docs/business", r)), 0755);
	expect_content(P("%s/docs/index.md", r), "# docs\n");
	expect_content(P("%s/docs/business/readme.md", r), "from site-docs\n");
	expect_content(P("%s/docs/business/plan.md", r), "# plan\n");
	/* a link inside its tree stays a link; one leaving it becomes a copy */
	cr_assert_eq(lstat(P("%s/static/latest.css", r), &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(lstat(P("%s/static/logo.png", r), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	expect_content(P("%s/static/logo.png", r), "PNG-bytes\n");
	cr_assert_eq(lstat(P("%s/static/shared", r), &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	expect_content(P("%s/static/shared/font.woff", r), "font\n");
	/* the optional error-pages row is missing: a warning, not an error */
	cr_assert(
	    has_warning(&res, "optional release content 'server/deploy/error-pages' is missing"));
	cr_assert_eq(strlen(res.bundle_digest), 64);
	cr_assert_gt(res.files, 15);
	cr_assert_gt(res.bytes, 0);
	stage_result_release(&res);
}

Test(stage, manifest_lists_every_path)
{
	struct stage_request req;
	struct stage_result res;
	json_error_t jerr;
	json_t *m, *files, *item;
	size_t i;
	int saw_link = 0, saw_file = 0, saw_dir = 0;

	make_worktree();
	req = request("1.0.0");
	stage(&req, &res, 0);
	m = json_load_file(P("%s/releases/1.0.0/.sando/manifest.json", tmpdir), 0, &jerr);
	cr_assert_not_null(m, "%s", jerr.text);
	cr_assert_str_eq(json_string_value(json_object_get(m, "version")), "1.0.0");
	cr_assert_str_eq(json_string_value(json_object_get(m, "sha")), req.sha);
	cr_assert_str_eq(json_string_value(json_object_get(m, "bundle_digest")), res.bundle_digest);
	files = json_object_get(m, "files");
	cr_assert_eq(json_array_size(files), res.files);
	json_array_foreach(files, i, item)
	{
		const char *path = json_string_value(json_object_get(item, "path"));
		const char *type = json_string_value(json_object_get(item, "type"));

		cr_assert_not_null(path);
		cr_assert_neq(strncmp(path, ".sando", 6), 0);
		if (strcmp(path, "static/latest.css") == 0) {
			saw_link = !strcmp(type, "symlink");
			cr_assert_str_eq(
			    json_string_value(json_object_get(item, "target")), "css/site.css");
		} else if (strcmp(path, "static/bin/run.sh") == 0) {
			saw_file = !strcmp(type, "file");
			cr_assert_str_eq(json_string_value(json_object_get(item, "mode")), "0755");
			cr_assert_eq(json_integer_value(json_object_get(item, "size")), 19);
			cr_assert_eq(
			    strlen(json_string_value(json_object_get(item, "sha256"))), 64);
		} else if (strcmp(path, "docs/business") == 0) {
			saw_dir = !strcmp(type, "dir");
		}
	}
	cr_assert(saw_link && saw_file && saw_dir);
	json_decref(m);
	stage_result_release(&res);
}

/* A binary of several blocks goes through the hasher thread: its manifest
 * hash must be the plain SHA-256 of its bytes. */
Test(stage, big_file_hash_matches_a_one_shot_digest)
{
	size_t size = 5 * 1024 * 1024 + 123;
	unsigned char *data = malloc(size), sum[32];
	struct stage_request req;
	struct stage_result res;
	struct strbuf want = STRBUF_INIT, err = STRBUF_INIT;
	json_t *m, *item;
	json_error_t jerr;
	size_t i;
	FILE *f;

	make_worktree();
	for (i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	cr_assert_not_null(f = fopen(P("%s/wt/target/release/app", tmpdir), "w"));
	cr_assert_eq(fwrite(data, 1, size, f), size);
	fclose(f);
	EVP_Digest(data, size, sum, NULL, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		strbuf_addf(&want, "%02x", sum[i]);
	req = request("1.0.0");
	stage(&req, &res, 0);
	m = json_load_file(P("%s/releases/1.0.0/.sando/manifest.json", tmpdir), 0, &jerr);
	cr_assert_not_null(m);
	json_array_foreach(json_object_get(m, "files"), i, item)
	{
		if (strcmp(json_string_value(json_object_get(item, "path")), "app") != 0)
			continue;
		cr_assert_str_eq(json_string_value(json_object_get(item, "sha256")), want.buf);
		cr_assert_eq(json_integer_value(json_object_get(item, "size")), (json_int_t)size);
	}
	cr_assert_eq(stage_verify(P("%s/releases/1.0.0", tmpdir), 1, &err), 0, "%s", err.buf);
	json_decref(m);
	free(data);
	strbuf_release(&want);
	strbuf_release(&err);
	stage_result_release(&res);
}

Test(stage, release_survives_deleting_the_worktree)
{
	struct stage_request req;
	struct stage_result res;
	struct strbuf err = STRBUF_INIT;

	make_worktree();
	req = request("1.0.0");
	stage(&req, &res, 0);
	rm_rf(P("%s/wt", tmpdir));
	cr_assert_eq(stage_verify(P("%s/releases/1.0.0", tmpdir), 1, &err), 0, "%s", err.buf);
	expect_content(P("%s/releases/1.0.0/static/latest.css", tmpdir), "body{}\n");
	strbuf_release(&err);
	stage_result_release(&res);
}

Test(stage, dangling_symlink_fails)
{
	struct stage_request req;

	make_worktree();
	link_at("wt/server/static/gone.css", "css/nothing.css");
	req = request("1.0.0");
	stage_fails(&req, "symlink 'server/static/gone.css' is dangling");
}

Test(stage, symlink_leaving_the_worktree_fails)
{
	struct stage_request req;

	make_worktree();
	put("outside/host-secret", "do not ship\n", 0644);
	link_at("wt/server/static/key", P("%s/outside/host-secret", tmpdir));
	req = request("1.0.0");
	stage_fails(&req, "symlink 'server/static/key' points outside the worktree");
}

Test(stage, symlink_loop_fails)
{
	struct stage_request req;
	struct stage_row row[] = {{"server/static", "static", 1}};

	make_worktree();
	link_at("wt/server/static/img/up", "../../..");
	req = request("1.0.0");
	req.rows = row;
	req.nrows = 1;
	stage_fails(&req, "makes a loop");
}

Test(stage, missing_required_row_fails_naming_it)
{
	struct stage_request req;

	make_worktree();
	rm_rf(P("%s/wt/server/static", tmpdir));
	req = request("1.0.0");
	stage_fails(&req, "required release content 'server/static' is missing");
}

Test(stage, missing_binary_fails)
{
	struct stage_request req;

	make_worktree();
	cr_assert_eq(unlink(P("%s/wt/target/release/app-admin", tmpdir)), 0);
	req = request("1.0.0");
	stage_fails(&req, "binary 'app-admin' is missing from 'target/release'");
}

Test(stage, existing_version_is_refused)
{
	struct stage_request req;
	struct stage_result res;

	make_worktree();
	req = request("1.0.0");
	stage(&req, &res, 0);
	stage_result_release(&res);
	put("wt/server/static/index.html", "changed\n", 0644);
	stage(&req, &res, -1);
	cr_assert_str_eq(res.error.buf, "release '1.0.0' already exists");
	expect_content(P("%s/releases/1.0.0/static/index.html", tmpdir), "<h1>hi</h1>\n");
	stage_result_release(&res);
}

Test(stage, leftover_partial_is_removed_first)
{
	struct stage_request req;
	struct stage_result res;
	struct strbuf err = STRBUF_INIT;

	make_worktree();
	put("releases/1.0.0.partial/static/stale.txt", "from a crash\n", 0644);
	req = request("1.0.0");
	stage(&req, &res, 0);
	cr_assert_not(exists(P("%s/releases/1.0.0.partial", tmpdir)));
	cr_assert_not(exists(P("%s/releases/1.0.0/static/stale.txt", tmpdir)));
	cr_assert_eq(stage_verify(P("%s/releases/1.0.0", tmpdir), 1, &err), 0, "%s", err.buf);
	strbuf_release(&err);
	stage_result_release(&res);
}

Test(stage, source_escaping_the_worktree_fails)
{
	struct stage_request req;
	struct stage_row row[] = {{"server/linked/sub", "stuff", 1}};

	make_worktree();
	put("outside/sub/file.txt", "outside\n", 0644);
	link_at("wt/server/linked", P("%s/outside", tmpdir));
	req = request("1.0.0");
	req.rows = row;
	req.nrows = 1;
	stage_fails(&req, "release content 'server/linked/sub' escapes the worktree");
}

Test(stage, bad_row_paths_fail)
{
	struct stage_request req;
	struct stage_row up[] = {{"server/../../etc", "etc", 1}};
	struct stage_row abs[] = {{"server/static", "/tmp/x", 1}};
	struct stage_row meta[] = {{"server/static", ".sando/x", 1}};

	make_worktree();
	req = request("1.0.0");
	req.rows = up;
	req.nrows = 1;
	stage_fails(&req, "must use relative paths without '..'");
	req.rows = abs;
	stage_fails(&req, "must use relative paths without '..'");
	req.rows = meta;
	stage_fails(&req, "release path '.sando/x' is reserved");
}

Test(stage, name_that_is_not_utf8_fails)
{
	struct stage_request req;

	make_worktree();
	put("wt/server/static/bad\xff.txt", "x\n", 0644);
	req = request("1.0.0");
	stage_fails(&req, "release path 'static/bad\\xff.txt' is not a valid utf-8 name");
}

Test(stage, dst_dot_merges_into_the_release_root)
{
	struct stage_request req;
	struct stage_result res;
	struct stage_row root[] = {{"server/site-docs", ".", 1}};

	make_worktree();
	req = request("1.0.0");
	req.rows = root;
	req.nrows = 1;
	stage(&req, &res, 0);
	expect_content(P("%s/releases/1.0.0/index.md", tmpdir), "# docs\n");
	expect_content(P("%s/releases/1.0.0/app", tmpdir), "app binary\n");
	stage_result_release(&res);
}

Test(stage, cancel_stops_and_cleans_up)
{
	struct stage_request req;
	struct stage_result res;

	make_worktree();
	req = request("1.0.0");
	cancel_flag = 1;
	stage(&req, &res, -1);
	cancel_flag = 0;
	cr_assert_str_eq(res.error.buf, "cancelled");
	cr_assert_not(exists(P("%s/releases/1.0.0", tmpdir)));
	stage_result_release(&res);
}

Test(stage, later_row_wins_with_a_warning)
{
	struct stage_request req;
	struct stage_result res;
	struct stage_row two[] = {
	    {"server/site-docs", "docs", 1},
	    {"server/docs", "docs", 1},
	};

	make_worktree();
	put("wt/server/docs/business/readme.md", "from docs\n", 0644);
	req = request("1.0.0");
	req.rows = two;
	req.nrows = 2;
	stage(&req, &res, 0);
	expect_content(P("%s/releases/1.0.0/docs/business/readme.md", tmpdir), "from docs\n");
	cr_assert(has_warning(&res, "release path 'docs/business/readme.md' is written twice"));
	stage_result_release(&res);
}

Test(stage, file_over_directory_fails)
{
	struct stage_request req;
	struct stage_row two[] = {
	    {"server/site-docs", "docs", 1},
	    {"server/static/index.html", "docs/business", 1},
	};

	make_worktree();
	req = request("1.0.0");
	req.rows = two;
	req.nrows = 2;
	stage_fails(&req, "release path 'docs/business' is both a directory and a file");
}

Test(stage, bundle_digest_is_stable_and_sensitive)
{
	struct stage_request req;
	struct stage_result a, b, c;

	make_worktree();
	req = request("1.0.0");
	stage(&req, &a, 0);
	req = request("1.0.1");
	stage(&req, &b, 0);
	cr_assert_str_eq(a.bundle_digest, b.bundle_digest);
	put("wt/server/static/css/site.css", "body{}\r", 0644);
	req = request("1.0.2");
	stage(&req, &c, 0);
	cr_assert_str_neq(a.bundle_digest, c.bundle_digest);
	stage_result_release(&a);
	stage_result_release(&b);
	stage_result_release(&c);
}

/* Stage 1.0.0, apply one change to the release, expect stage_verify to say msg
 * (with hash as given) and to pass before the change. */
static const char *
staged(void)
{
	struct stage_request req;
	struct stage_result res;
	struct strbuf err = STRBUF_INIT;
	const char *r = P("%s/releases/1.0.0", tmpdir);

	make_worktree();
	req = request("1.0.0");
	stage(&req, &res, 0);
	stage_result_release(&res);
	cr_assert_eq(stage_verify(r, 1, &err), 0, "%s", err.buf);
	strbuf_release(&err);
	return r;
}

static void
verify_fails(const char *release, int hash, const char *msg)
{
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(stage_verify(release, hash, &err), -1);
	cr_assert_not_null(strstr(err.buf, msg), "error '%s' lacks '%s'", err.buf, msg);
	strbuf_release(&err);
}

Test(stage, verify_detects_an_extra_file)
{
	const char *r = staged();

	put("releases/1.0.0/static/extra.js", "x\n", 0644);
	verify_fails(r, 0, "unexpected 'static/extra.js'");
}

Test(stage, verify_ignores_sando_but_not_other_dotfiles)
{
	const char *r = staged();
	struct strbuf err = STRBUF_INIT;

	put("releases/1.0.0/.sando/notes", "x\n", 0644);
	cr_assert_eq(stage_verify(r, 1, &err), 0, "%s", err.buf);
	put("releases/1.0.0/.hidden", "x\n", 0644);
	verify_fails(r, 0, "unexpected '.hidden'");
	strbuf_release(&err);
}

Test(stage, verify_detects_a_missing_file)
{
	const char *r = staged();

	cr_assert_eq(unlink(P("%s/docs/business/plan.md", r)), 0);
	verify_fails(r, 0, "'docs/business/plan.md' is missing");
}

Test(stage, verify_detects_a_changed_mode)
{
	const char *r = staged();

	cr_assert_eq(chmod(P("%s/static/index.html", r), 0600), 0);
	verify_fails(r, 0, "'static/index.html' has mode 0600, the manifest says 0644");
}

Test(stage, verify_detects_a_changed_size)
{
	const char *r = staged();

	put("releases/1.0.0/static/index.html", "<h1>hi!</h1>\n", 0644);
	verify_fails(r, 0, "'static/index.html' has 13 bytes, the manifest says 12");
}

Test(stage, verify_hash_detects_a_same_size_change)
{
	const char *r = staged();
	struct strbuf err = STRBUF_INIT;

	put("releases/1.0.0/static/index.html", "<h1>ho</h1>\n", 0644);
	cr_assert_eq(stage_verify(r, 0, &err), 0, "%s", err.buf);
	verify_fails(r, 1, "'static/index.html' does not match its sha-256");
	strbuf_release(&err);
}

Test(stage, verify_detects_a_retargeted_symlink)
{
	const char *r = staged();

	cr_assert_eq(unlink(P("%s/static/latest.css", r)), 0);
	cr_assert_eq(symlink("/etc/passwd", P("%s/static/latest.css", r)), 0);
	verify_fails(r, 0, "'static/latest.css' has 11 bytes");
	cr_assert_eq(unlink(P("%s/static/latest.css", r)), 0);
	cr_assert_eq(symlink("./index.html", P("%s/static/latest.css", r)), 0);
	verify_fails(r, 0, "symlink 'static/latest.css' does not point where the manifest says");
}

Test(stage, verify_detects_a_tampered_manifest)
{
	const char *r = staged();
	const char *m = P("%s/.sando/manifest.json", r);
	char *text = slurp(m), *at = strstr(text, "\"0644\"");
	FILE *f;

	cr_assert_not_null(at);
	memcpy(at, "\"0755\"", 6);
	cr_assert_not_null(f = fopen(m, "w"));
	fputs(text, f);
	fclose(f);
	verify_fails(r, 0, "bundle digest does not match");
	free(text);
}
