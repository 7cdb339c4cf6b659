/*
 * node_verify: stage a small release with the real stage code, copy it with
 * cp -a as a node would hold it, list the copy with the real find -printf and
 * sha256sum -z commands, and check that an identical copy passes and that
 * every kind of difference (size, mode, type, missing, extra, symlink target,
 * missing manifest, malformed output, bad hash, unknown path) is named.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/strvec.h"
#include "daemon/node_verify.h"
#include "daemon/stage.h"

#define UTF8_NAME "static/caf\xc3\xa9.txt" /* "café" */

static char tmpdir[] = "/tmp/sando-test-node-verify-XXXXXX";
static struct strbuf ring[64];
static int ring_next;
static char node[64]; /* the node's copy: tmpdir/node */

/* printf into one of a ring of buffers: valid for the next 63 calls. */
static const char *__attribute__((format(printf, 1, 2))) P(const char *fmt, ...)
{
	struct strbuf *sb = &ring[ring_next++ % 64];
	va_list ap;

	strbuf_reset(sb);
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return sb->buf;
}

/* Run argv in cwd (NULL: here), its stdout appended to out (NULL: kept). */
static void
run_in(const char *cwd, const char *const *argv, struct strbuf *out)
{
	int fds[2], status;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		if ((cwd != NULL && chdir(cwd) == -1) || dup2(fds[1], 1) == -1)
			_exit(126);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n == -1 && errno == EINTR))
		if (n > 0 && out != NULL)
			strbuf_add(out, buf, (size_t)n);
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed", argv[0]);
}

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
	log_init("test_node_verify", LOG_WARN);
	snprintf(node, sizeof(node), "%s/node", tmpdir);
}

static void
teardown(void)
{
	const char *argv[] = {"rm", "-rf", tmpdir, NULL};

	run_in(NULL, argv, NULL);
}

TestSuite(node_verify, .init = setup, .fini = teardown, .timeout = 60);

/* Write data to tmpdir/rel (parents created) with mode. */
static void
put(const char *rel, const char *data, mode_t mode)
{
	const char *path = P("%s/%s", tmpdir, rel);
	char *dir = fs_dirname(path);
	FILE *f;

	cr_assert_eq(fs_mkdir_p(dir, 0755), 0);
	free(dir);
	cr_assert_not_null(f = fopen(path, "w"), "open %s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, strlen(data), f), strlen(data));
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

/* A worktree with a binary, nested dirs, a symlink, a space, a tab and UTF-8. */
static void
make_worktree(void)
{
	put("wt/out/app", "app binary\n", 0755);
	put("wt/static/index.html", "<h1>hi</h1>\n", 0644);
	put("wt/static/css/site.css", "body{}\n", 0644);
	put("wt/static/bin/run.sh", "#!/bin/sh\n", 0755);
	put("wt/static/my file.txt", "spaced\n", 0644);
	put("wt/static/tab\there.txt", "tabbed\n", 0644);
	put("wt/" UTF8_NAME, "caf\xc3\xa9\n", 0644);
	put("wt/static/empty.txt", "", 0644);
	put("wt/docs/plan.md", "# plan\n", 0644);
	cr_assert_eq(symlink("css/site.css", P("%s/wt/static/latest.css", tmpdir)), 0);
}

/* Stage the worktree as 1.0.0 and copy the release to node; return the release. */
static const char *
staged(void)
{
	static const char *const bins[] = {"app", NULL};
	static const struct stage_row rows[] = {{"static", "static", 1}, {"docs", "docs", 1}};
	volatile int cancel = 0;
	struct stage_request req = {
	    .worktree = P("%s/wt", tmpdir),
	    .artifact_dir = "out",
	    .bins = bins,
	    .rows = rows,
	    .nrows = 2,
	    .release_root = P("%s/releases", tmpdir),
	    .version = "1.0.0",
	    .sha = "0123456789abcdef0123456789abcdef01234567",
	    .cancel = &cancel,
	};
	struct stage_result res;
	const char *release = P("%s/releases/1.0.0", tmpdir);
	const char *cp[] = {"cp", "-a", release, node, NULL};

	make_worktree();
	stage_result_init(&res);
	cr_assert_eq(stage_run(&req, &res), 0, "stage_run: %s", res.error.buf);
	stage_result_release(&res);
	run_in(NULL, cp, NULL);
	return release;
}

static struct node_manifest *
load(const char *release)
{
	struct node_manifest *m;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(node_manifest_load(release, &m, &err), 0, "load: %s", err.buf);
	cr_assert_not_null(m);
	strbuf_release(&err);
	return m;
}

/* The node copy's find listing, as the daemon runs it. */
static void
listing(struct strbuf *out)
{
	const char *argv[] = {
	    "find", node, "-mindepth", "1", "-printf", "%y %m %s %P\\0%l\\0", NULL};

	strbuf_reset(out);
	run_in(NULL, argv, out);
}

/* sha256sum -z over files (NULL: every file of m) in the node copy. */
static void
sums(const struct node_manifest *m, const char *const *files, struct strbuf *out)
{
	struct strvec argv = STRVEC_INIT;

	strvec_push(&argv, "sha256sum");
	strvec_push(&argv, "-z");
	strvec_push(&argv, "--");
	if (files != NULL)
		strvec_pushv(&argv, files);
	else
		node_manifest_files(m, &argv);
	strbuf_reset(out);
	run_in(node, (const char *const *)argv.v, out);
	strvec_clear(&argv);
}

static void
expect_err(int rc, const struct strbuf *err, const char *msg)
{
	cr_assert_eq(rc, -1, "expected failure '%s'", msg);
	cr_assert_not_null(strstr(err->buf, msg), "error '%s' lacks '%s'", err->buf, msg);
}

/* The node listing must fail with msg. */
static void
listing_fails(const char *release, const char *msg)
{
	struct node_manifest *m = load(release);
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	listing(&out);
	expect_err(node_verify_listing(m, out.buf, out.len, &err), &err, msg);
	strbuf_release(&out);
	strbuf_release(&err);
	node_manifest_free(m);
}

/* Hashing files (NULL: all) in the node copy must fail with msg. */
static void
hashes_fail(const char *release, const char *const *files, const char *msg)
{
	struct node_manifest *m = load(release);
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	sums(m, files, &out);
	expect_err(node_verify_hashes(m, out.buf, out.len, &err), &err, msg);
	strbuf_release(&out);
	strbuf_release(&err);
	node_manifest_free(m);
}

Test(node_verify, identical_copy_passes)
{
	struct node_manifest *m = load(staged());
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *meta[] = {".sando/manifest.json", "static/my file.txt", NULL};

	listing(&out);
	cr_assert_eq(node_verify_listing(m, out.buf, out.len, &err), 0, "%s", err.buf);
	sums(m, NULL, &out);
	cr_assert_eq(node_verify_hashes(m, out.buf, out.len, &err), 0, "%s", err.buf);
	sums(m, meta, &out);
	cr_assert_eq(node_verify_hashes(m, out.buf, out.len, &err), 0, "%s", err.buf);
	cr_assert_eq(node_verify_hashes(m, "", 0, &err), 0, "%s", err.buf);
	strbuf_release(&out);
	strbuf_release(&err);
	node_manifest_free(m);
}

Test(node_verify, manifest_files_are_the_regular_files)
{
	struct node_manifest *m = load(staged());
	struct strvec files = STRVEC_INIT;
	const char *want[] = {"app", "docs/plan.md", "static/bin/run.sh", UTF8_NAME,
	    "static/css/site.css", "static/empty.txt", "static/index.html", "static/my file.txt",
	    "static/tab\there.txt"};
	size_t n = sizeof(want) / sizeof(want[0]);

	node_manifest_files(m, &files);
	cr_assert_eq(files.nr, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(files.v[i], want[i]);
	strvec_clear(&files);
	node_manifest_free(m);
}

Test(node_verify, load_fails_without_or_with_a_tampered_manifest)
{
	const char *r = staged();
	const char *path = P("%s/.sando/manifest.json", r);
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	struct node_manifest *m = (struct node_manifest *)1;
	char *at;

	expect_err(node_manifest_load(P("%s/none", tmpdir), &m, &err), &err, "cannot read");
	cr_assert_null(m);
	cr_assert_eq(strbuf_read_file(&text, path, 0), 0);
	cr_assert_not_null(at = strstr(text.buf, "\"0644\""));
	memcpy(at, "\"0600\"", 6);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(fs_write_file(path, text.buf, text.len, 0644), 0);
	expect_err(node_manifest_load(r, &m, &err), &err, "does not match its bundle digest");
	strbuf_release(&text);
	strbuf_release(&err);
}

Test(node_verify, different_size_fails)
{
	const char *r = staged();

	put("node/static/index.html", "<h1>hi!</h1>\n", 0644);
	listing_fails(r, "'static/index.html': size 13, expected 12");
}

Test(node_verify, different_mode_fails)
{
	const char *r = staged();

	cr_assert_eq(chmod(P("%s/static/index.html", node), 0600), 0);
	listing_fails(r, "'static/index.html': mode 0600, expected 0644");
	cr_assert_eq(chmod(P("%s/static/index.html", node), 0644), 0);
	cr_assert_eq(chmod(P("%s/static/css", node), 0700), 0);
	listing_fails(r, "'static/css': mode 0700, expected 0755");
}

Test(node_verify, missing_file_fails)
{
	const char *r = staged();

	cr_assert_eq(unlink(P("%s/static/my file.txt", node)), 0);
	listing_fails(r, "missing 'static/my file.txt'");
}

Test(node_verify, extra_file_fails)
{
	const char *r = staged();

	put("node/static/extra.js", "x\n", 0644);
	listing_fails(r, "unexpected 'static/extra.js'");
}

Test(node_verify, extra_file_under_sando_fails)
{
	const char *r = staged();

	put("node/.sando/notes", "x\n", 0644);
	listing_fails(r, "unexpected '.sando/notes'");
}

Test(node_verify, retargeted_symlink_fails)
{
	const char *r = staged();
	const char *link = P("%s/static/latest.css", node);

	cr_assert_eq(unlink(link), 0);
	cr_assert_eq(symlink("index.html", link), 0);
	listing_fails(r, "'static/latest.css': target 'index.html', expected 'css/site.css'");
}

Test(node_verify, directory_for_a_file_fails)
{
	const char *r = staged();

	cr_assert_eq(unlink(P("%s/static/index.html", node)), 0);
	cr_assert_eq(mkdir(P("%s/static/index.html", node), 0755), 0);
	listing_fails(r, "'static/index.html': type directory, expected file");
}

Test(node_verify, fifo_for_a_file_fails)
{
	const char *r = staged();

	cr_assert_eq(unlink(P("%s/docs/plan.md", node)), 0);
	cr_assert_eq(mkfifo(P("%s/docs/plan.md", node), 0644), 0);
	listing_fails(r, "'docs/plan.md': type special file, expected file");
}

Test(node_verify, missing_manifest_fails)
{
	const char *r = staged();

	cr_assert_eq(unlink(P("%s/.sando/manifest.json", node)), 0);
	listing_fails(r, "missing '.sando/manifest.json'");
}

Test(node_verify, utf8_name_is_named_escaped)
{
	const char *r = staged();

	put("node/" UTF8_NAME, "caf\xc3\xa9!\n", 0644);
	listing_fails(r, "'static/caf\\xc3\\xa9.txt': size 7, expected 6");
	hashes_fail(r, NULL, "'static/caf\\xc3\\xa9.txt': sha-256 ");
}

/* A listing with the bytes of good from cut on replaced by tail (tlen bytes). */
static void
garbled(const struct node_manifest *m, const struct strbuf *good, size_t cut, const char *tail,
    size_t tlen, const char *msg)
{
	struct strbuf bad = STRBUF_INIT, err = STRBUF_INIT;

	strbuf_add(&bad, good->buf, cut);
	strbuf_add(&bad, tail, tlen);
	expect_err(node_verify_listing(m, bad.buf, bad.len, &err), &err, msg);
	strbuf_release(&bad);
	strbuf_release(&err);
}

Test(node_verify, truncated_or_garbled_listing_fails)
{
	struct node_manifest *m = load(staged());
	struct strbuf good = STRBUF_INIT;

	listing(&good);
	cr_assert_gt(good.len, 2);
	garbled(m, &good, good.len - 1, "", 0, "malformed listing: truncated record");
	garbled(m, &good, 0, "", 0, "missing '");
	garbled(m, &good, good.len, "f 644", 5, "malformed listing: bad mode");
	garbled(m, &good, good.len, "f 9x9 1 a\0\0", 11, "malformed listing: bad mode");
	garbled(m, &good, good.len, "f 644 -1 a\0\0", 12, "malformed listing: bad size");
	garbled(m, &good, good.len, "x 644 1 a\0\0", 11, "malformed listing: bad type");
	garbled(m, &good, good.len, "f 644 1 \0\0", 10, "malformed listing: empty path");
	garbled(m, &good, good.len, "f 644 1 a\0t\0", 12, "link target on a non-symlink");
	garbled(m, &good, good.len, "f 644 1 a", 9, "malformed listing: truncated record");
	garbled(m, &good, good.len, "d 755 4096 static\0\0", 19, "'static' is listed twice");
	garbled(m, &good, good.len, "f 644 99999999999999999999 a\0\0", 30, "bad size");
	strbuf_release(&good);
	node_manifest_free(m);
}

Test(node_verify, bad_hash_fails)
{
	const char *r = staged();
	const char *files[] = {"docs/plan.md", "static/index.html", NULL};

	put("node/static/index.html", "<h1>ho</h1>\n", 0644);
	hashes_fail(r, files, "'static/index.html': sha-256 ");
	hashes_fail(r, NULL, "'static/index.html': sha-256 ");
}

Test(node_verify, hash_of_a_path_not_in_the_manifest_fails)
{
	const char *r = staged();
	const char *extra[] = {"static/extra.js", NULL};
	const char *link[] = {"static/latest.css", NULL};
	const char *dotdot[] = {"../node/app", NULL};

	put("node/static/extra.js", "x\n", 0644);
	hashes_fail(r, extra, "'static/extra.js' is not a file of the manifest");
	hashes_fail(r, link, "'static/latest.css' is not a file of the manifest");
	hashes_fail(r, dotdot, "'../node/app' is not a file of the manifest");
}

Test(node_verify, malformed_sums_fail)
{
	struct node_manifest *m = load(staged());
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *files[] = {"app", NULL};

	sums(m, files, &out);
	expect_err(node_verify_hashes(m, out.buf, out.len - 1, &err), &err,
	    "malformed sha256sum output: truncated record at byte 0");
	out.buf[3] = 'X';
	expect_err(node_verify_hashes(m, out.buf, out.len, &err), &err,
	    "malformed sha256sum output at byte 0");
	expect_err(node_verify_hashes(m, "abc  app\0", 9, &err), &err, "malformed sha256sum");
	strbuf_release(&out);
	strbuf_release(&err);
	node_manifest_free(m);
}

/* Append the manifest entry and canonical line of file i (or directory d, i < 0). */
static void
add_entry(struct strbuf *json, struct strbuf *canon, int d, int i, const char *sha)
{
	const char *path = i < 0 ? P("d%02d", d) : P("d%02d/f%06d", d, i);

	strbuf_addstr(json, json->len ? ",\n" : "");
	if (i < 0) {
		strbuf_addf(canon, "dir 0755 0 - %s\n", path);
		strbuf_addf(
		    json, "{\"path\":\"%s\",\"type\":\"dir\",\"mode\":\"0755\",\"size\":0}", path);
		return;
	}
	strbuf_addf(canon, "file 0644 2 %s %s\n", sha, path);
	strbuf_addf(json,
	    "{\"path\":\"%s\",\"type\":\"file\",\"mode\":\"0644\",\"size\":2,\"sha256\":\"%s\"}",
	    path, sha);
}

/* A hand-written release of 100 directories holding n files in all (only its
 * manifest exists); list gets its find listing (files in no sorted order,
 * then the directories) and sums a sha256sum output for every file. */
static const char *
synthetic(int n, struct strbuf *list, struct strbuf *sums)
{
	static char dir[64], sha[65];
	const char *find[] = {
	    "find", dir, "-mindepth", "1", "-printf", "%y %m %s %P\\0%l\\0", NULL};
	struct strbuf canon = STRBUF_INIT, json = STRBUF_INIT;
	unsigned char sum[EVP_MAX_MD_SIZE];
	char hex[65] = "";
	unsigned len = 0;

	snprintf(dir, sizeof(dir), "%s/big", tmpdir);
	snprintf(sha, sizeof(sha), "%064d", 0);
	for (int d = 0; d < 100; d++) {
		add_entry(&json, &canon, d, -1, sha);
		for (int i = d; i < n; i += 100)
			add_entry(&json, &canon, d, i, sha);
	}
	cr_assert(EVP_Digest(canon.buf, canon.len, sum, &len, EVP_sha256(), NULL));
	for (unsigned k = 0; k < len && k < 32; k++)
		snprintf(hex + 2 * k, 3, "%02x", sum[k]);
	strbuf_insertf(&json, 0,
	    "{\"version\":\"1\",\"sha\":\"\",\"bundle_digest\":\"%s\",\"files\":[\n", hex);
	strbuf_addstr(&json, "]}\n");
	cr_assert_eq(fs_mkdir_p(P("%s/.sando", dir), 0755), 0);
	cr_assert_eq(fs_write_file(P("%s/.sando/manifest.json", dir), json.buf, json.len, 0644), 0);
	run_in(NULL, find, list);
	for (int i = n - 1; i >= 0; i--) {
		strbuf_addf(list, "f 644 2 d%02d/f%06d%c%c", i % 100, i, 0, 0);
		strbuf_addf(sums, "%s  d%02d/f%06d%c", sha, i % 100, i, 0);
	}
	for (int d = 0; d < 100; d++)
		strbuf_addf(list, "d 755 4096 d%02d%c%c", d, 0, 0);
	strbuf_release(&canon);
	strbuf_release(&json);
	return dir;
}

/* 100,000 entries listed in reverse order: lookups must not be quadratic
 * (the suite's timeout would catch that; no timing is asserted here). */
Test(node_verify, large_release_in_any_order)
{
	struct strbuf list = STRBUF_INIT, sums = STRBUF_INIT, err = STRBUF_INIT;
	struct node_manifest *m = load(synthetic(100000, &list, &sums));

	cr_assert_eq(node_verify_listing(m, list.buf, list.len, &err), 0, "%s", err.buf);
	cr_assert_eq(node_verify_hashes(m, sums.buf, sums.len, &err), 0, "%s", err.buf);
	strbuf_setlen(&list, list.len - 16); /* drop the last record, "d 755 4096 d99\0\0" */
	expect_err(node_verify_listing(m, list.buf, list.len, &err), &err, "missing 'd99'");
	strbuf_release(&list);
	strbuf_release(&sums);
	strbuf_release(&err);
	node_manifest_free(m);
}
