#include "daemon/config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/toml.h"
#include "core/xmalloc.h"
#include "daemon/cfgtab.h"

static const char *const auth_choices[] = {"none", NULL};
static const char version_from_help[] =
    "a Cargo.toml path, a VERSION file path or \"git-describe\"";

static int parse_listen(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static int parse_contents(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static void print_contents(const void *obj, const char *indent, struct strbuf *out);
static int parse_build(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static void print_build(const void *obj, const char *indent, struct strbuf *out);
static void print_scratch(const void *obj, const char *indent, struct strbuf *out);
static int parse_scratch(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);

#define DC(m) offsetof(struct daemon_config, m)
#define BC(m) offsetof(struct build_config, m)

static const struct cfg_field config_fields[] = {
    {"listen", CFG_CUSTOM, DC(listen), "\"127.0.0.1:7766\"", 0, 0, 0, NULL, parse_listen, NULL,
        "host:port of the HTTP/WebSocket API"},
    {"auth", CFG_ENUM, DC(auth), "\"none\"", 0, 0, 0, auth_choices, NULL, NULL,
        "authentication mode (\"none\": loopback use only)"},
    {"db_path", CFG_PATH, DC(db_path), NULL, 1, 0, 0, NULL, NULL, NULL, "SQLite state file"},
    {"topology_path", CFG_PATH, DC(topology_path), NULL, 1, 0, 0, NULL, NULL, NULL,
        "the tiers file (sando.toml)"},
    {"workdir", CFG_PATH, DC(workdir), NULL, 1, 0, 0, NULL, NULL, NULL, "worktrees for builds"},
    {"release_root", CFG_PATH, DC(release_root), NULL, 1, 0, 0, NULL, NULL, NULL,
        "staged releases, releases/<version>/"},
    {"logs_root", CFG_PATH, DC(logs_root), NULL, 0, 0, 0, NULL, NULL, NULL,
        "build and gate logs (default <workdir>/../logs)"},
    {"scratch_db_url", CFG_CUSTOM, DC(scratch_db_url), NULL, 0, 0, 0, NULL, parse_scratch,
        print_scratch, "Postgres used by migration_dry_run"},
    {"hook_env_file", CFG_PATH, DC(hook_env_file), NULL, 0, 0, 0, NULL, NULL, NULL,
        "env file naming the daemon's URL for the post-receive hook (default "
        "sando.env beside this file)"},
    {"bin_names", CFG_ARGV, DC(bin_names), "[\"server\"]", 0, 0, 0, NULL, NULL, NULL,
        "binaries the build produces, copied into the release"},
    {"release_contents", CFG_CUSTOM, 0, "[]", 0, 0, 0, NULL, parse_contents, print_contents,
        "[{src, dst, required}] rows copied into the release"},
    {"retain_releases", CFG_INT, DC(retain_releases), "10", 0, 2, 10000, NULL, NULL, NULL,
        "staged and node releases kept"},
    {"ssh_key", CFG_PATH, DC(ssh_key), NULL, 0, 0, 0, NULL, NULL, NULL,
        "private key for ssh nodes (default: ssh's own identities)"},
    {"ssh_known_hosts", CFG_PATH, DC(ssh_known_hosts), NULL, 0, 0, 0, NULL, NULL, NULL,
        "known_hosts for ssh nodes' host keys, always checked (default: ssh's own)"},
    {"health_timeout_s", CFG_INT, DC(health_timeout_s), "30", 0, 1, 3600, NULL, NULL, NULL,
        "how long a node's health_url may take to answer 2xx after a restart"},
    /* last: --print-config prints it as a [build] table */
    {"build", CFG_CUSTOM, DC(build), "{}", 0, 0, 0, NULL, parse_build, print_build,
        "[build] dir, command, artifact_dir, version_from, timeout_s"},
};

static const struct cfg_field build_fields[] = {
    {"dir", CFG_STR, BC(dir), "\"server\"", 0, 0, 0, NULL, NULL, NULL,
        "worktree-relative directory the build runs in"},
    {"command", CFG_ARGV, BC(command), "[\"cargo\", \"build\", \"--release\"]", 0, 0, 0, NULL, NULL,
        NULL, "build argv"},
    {"artifact_dir", CFG_STR, BC(artifact_dir), "\"server/target/release\"", 0, 0, 0, NULL, NULL,
        NULL, "worktree-relative directory where bin_names are found"},
    {"version_from", CFG_STR, BC(version_from), "\"server/Cargo.toml\"", 0, 0, 0, NULL, NULL, NULL,
        version_from_help},
    {"timeout_s", CFG_INT, BC(timeout_s), "3600", 0, 1, 7 * 24 * 3600, NULL, NULL, NULL,
        "build timeout in seconds"},
};

static const struct cfg_field content_fields[] = {
    {"src", CFG_STR, offsetof(struct content_row, src), NULL, 1, 0, 0, NULL, NULL, NULL,
        "worktree-relative source"},
    {"dst", CFG_STR, offsetof(struct content_row, dst), NULL, 1, 0, 0, NULL, NULL, NULL,
        "release-relative destination"},
    {"required", CFG_BOOL, offsetof(struct content_row, required), "false", 0, 0, 0, NULL, NULL,
        NULL, "fail the build when src is missing"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
config_parse_listen(const char *listen, struct strbuf *host, int *port)
{
	const char *colon;
	char *end;
	long p;

	strbuf_reset(host);
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		strbuf_add(host, listen + 1, (size_t)(close - listen - 1));
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL || memchr(listen, ':', (size_t)(colon - listen)))
			return -1;
		strbuf_add(host, listen, (size_t)(colon - listen));
	}
	if (host->len == 0 || colon[1] == '\0')
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

int
config_listen_is_loopback(const char *listen)
{
	struct strbuf host = STRBUF_INIT;
	struct in_addr a4;
	struct in6_addr a6;
	int port, loop = 0;

	if (config_parse_listen(listen, &host, &port) == 0) {
		if (strcmp(host.buf, "localhost") == 0)
			loop = 1;
		else if (inet_pton(AF_INET, host.buf, &a4) == 1)
			loop = (ntohl(a4.s_addr) >> 24) == 127;
		else if (inet_pton(AF_INET6, host.buf, &a6) == 1)
			loop = IN6_IS_ADDR_LOOPBACK(&a6);
	}
	strbuf_release(&host);
	return loop;
}

static int
parse_listen(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct daemon_config *cfg = obj;
	struct strbuf host = STRBUF_INIT;
	struct in_addr a4;
	struct in6_addr a6;
	int port, ok;

	if (cfg_expect(v, TOML_STRING, "listen", ctx) == -1)
		return -1;
	ok = config_parse_listen(v->u.s.ptr, &host, &port) == 0 &&
	     (strcmp(host.buf, "localhost") == 0 || inet_pton(AF_INET, host.buf, &a4) == 1 ||
	         inet_pton(AF_INET6, host.buf, &a6) == 1);
	strbuf_release(&host);
	if (!ok)
		return cfg_error(ctx, v->pos,
		    "'listen' must be \"host:port\" with an IP address or localhost, not '%s'",
		    v->u.s.ptr);
	free(cfg->listen);
	cfg->listen = xstrdup(v->u.s.ptr);
	return 0;
}

static int
parse_scratch(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct daemon_config *cfg = obj;

	if (cfg_expect(v, TOML_STRING, "scratch_db_url", ctx) == -1)
		return -1;
	if (strncmp(v->u.s.ptr, "postgres://", 11) != 0 &&
	    strncmp(v->u.s.ptr, "postgresql://", 13) != 0)
		return cfg_error(
		    ctx, v->pos, "'scratch_db_url' must be a postgres:// or postgresql:// URL");
	free(cfg->scratch_db_url);
	cfg->scratch_db_url = xstrdup(v->u.s.ptr);
	return 0;
}

void
config_redact_url(const char *url, struct strbuf *out)
{
	const char *scheme = strstr(url, "://");
	const char *at, *colon;

	if (scheme == NULL || (at = strchr(scheme + 3, '@')) == NULL) {
		strbuf_addstr(out, url);
		return;
	}
	colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	if (colon == NULL) {
		strbuf_addstr(out, url);
		return;
	}
	strbuf_add(out, url, (size_t)(colon - url));
	strbuf_addstr(out, ":***");
	strbuf_addstr(out, at);
}

static void
print_scratch(const void *obj, const char *indent, struct strbuf *out)
{
	const struct daemon_config *cfg = obj;
	struct strbuf red = STRBUF_INIT;

	if (cfg->scratch_db_url == NULL) {
		strbuf_addf(
		    out, "%s# scratch_db_url = (unset: migration_dry_run is blocked)\n", indent);
		return;
	}
	config_redact_url(cfg->scratch_db_url, &red);
	strbuf_addf(out, "%sscratch_db_url = ", indent);
	cfg_print_string(out, red.buf);
	strbuf_addch(out, '\n');
	strbuf_release(&red);
}

/* A release-relative or worktree-relative path: no absolute path, no "..". */
static int
check_relpath(const char *key, const struct toml_value *v, struct cfg_ctx *ctx)
{
	const char *p = v->u.s.ptr;

	if (p[0] == '/')
		return cfg_error(ctx, v->pos, "'%s' must be a relative path, not '%s'", key, p);
	for (const char *s = p; *s; s = strchr(s, '/') ? strchr(s, '/') + 1 : s + strlen(s))
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return cfg_error(
			    ctx, v->pos, "'%s' must not contain '..', got '%s'", key, p);
	return 0;
}

static int
parse_content_row(const struct toml_value *row, struct content_row *cr, struct cfg_ctx *ctx)
{
	if (row->type != TOML_TABLE)
		return cfg_error(ctx, row->pos,
		    "'release_contents' items must be tables {src, dst, required}, not %s",
		    toml_type_name(row->type));
	if (cfg_apply(content_fields, NELEM(content_fields), row, cr, ctx) == -1)
		return -1;
	if (check_relpath("src", toml_table_get(row, "src"), ctx) == -1 ||
	    check_relpath("dst", toml_table_get(row, "dst"), ctx) == -1)
		return -1;
	return 0;
}

static int
parse_contents(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct daemon_config *cfg = obj;

	if (cfg_expect(v, TOML_ARRAY, "release_contents", ctx) == -1)
		return -1;
	cfg->contents = xcalloc(v->u.arr.len, sizeof(*cfg->contents));
	cfg->ncontents = v->u.arr.len;
	for (size_t i = 0; i < v->u.arr.len; i++)
		if (parse_content_row(v->u.arr.items[i], &cfg->contents[i], ctx) == -1)
			return -1;
	return 0;
}

static void
print_contents(const void *obj, const char *indent, struct strbuf *out)
{
	const struct daemon_config *cfg = obj;

	strbuf_addf(out, "%srelease_contents = [", indent);
	for (size_t i = 0; i < cfg->ncontents; i++) {
		strbuf_addf(out, "\n%s  { src = ", indent);
		cfg_print_string(out, cfg->contents[i].src);
		strbuf_addstr(out, ", dst = ");
		cfg_print_string(out, cfg->contents[i].dst);
		strbuf_addf(
		    out, ", required = %s },", cfg->contents[i].required ? "true" : "false");
	}
	strbuf_addf(out, "%s]\n", cfg->ncontents ? "\n" : "");
}

static int
parse_build(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct daemon_config *cfg = obj;
	const struct toml_value *vf;
	struct cfg_ctx bctx = *ctx;

	if (cfg_expect(v, TOML_TABLE, "build", ctx) == -1)
		return -1;
	bctx.where = "[build]";
	if (cfg_apply(build_fields, NELEM(build_fields), v, &cfg->build, &bctx) == -1)
		return -1;
	vf = toml_table_get(v, "version_from");
	if (vf && strcmp(vf->u.s.ptr, "git-describe") != 0 &&
	    check_relpath("version_from", vf, &bctx) == -1)
		return -1;
	return 0;
}

static void
print_build(const void *obj, const char *indent, struct strbuf *out)
{
	const struct daemon_config *cfg = obj;

	strbuf_addstr(out, "\n[build]\n");
	cfg_print(build_fields, NELEM(build_fields), &cfg->build, indent, out);
}

int
config_load(struct daemon_config *cfg, const char *path, struct strbuf *err)
{
	struct toml_value *root = NULL;
	struct cfg_ctx ctx = {NULL, NULL, NULL, err};
	char *abs = realpath(path, NULL);
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	strvec_init(&cfg->bin_names);
	strvec_init(&cfg->build.command);
	cfg->file = abs ? abs : xstrdup(path);
	cfg->dir = fs_dirname(cfg->file);
	if (cfg_parse_file(cfg->file, &root, err) == -1)
		return -1;
	ctx.file = cfg->file;
	ctx.dir = cfg->dir;
	rc = cfg_apply(config_fields, NELEM(config_fields), root, cfg, &ctx);
	if (rc == 0 && cfg->logs_root == NULL)
		cfg->logs_root = xasprintf("%s/../logs", cfg->workdir);
	if (rc == 0 && cfg->hook_env_file == NULL)
		cfg->hook_env_file = xasprintf("%s/sando.env", cfg->dir);
	toml_free(root);
	return rc;
}

void
config_release(struct daemon_config *cfg)
{
	free(cfg->file);
	free(cfg->dir);
	free(cfg->listen);
	free(cfg->db_path);
	free(cfg->topology_path);
	free(cfg->workdir);
	free(cfg->release_root);
	free(cfg->logs_root);
	free(cfg->scratch_db_url);
	free(cfg->hook_env_file);
	free(cfg->ssh_key);
	free(cfg->ssh_known_hosts);
	strvec_clear(&cfg->bin_names);
	for (size_t i = 0; i < cfg->ncontents; i++) {
		free(cfg->contents[i].src);
		free(cfg->contents[i].dst);
	}
	free(cfg->contents);
	free(cfg->build.dir);
	strvec_clear(&cfg->build.command);
	free(cfg->build.artifact_dir);
	free(cfg->build.version_from);
	memset(cfg, 0, sizeof(*cfg));
}

void
config_print(const struct daemon_config *cfg, struct strbuf *out)
{
	strbuf_addf(out, "# %s (effective, defaults filled in)\n", cfg->file);
	cfg_print(config_fields, NELEM(config_fields), cfg, "", out);
}
