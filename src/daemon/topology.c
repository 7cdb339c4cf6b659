#include "daemon/topology.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/toml.h"
#include "core/xmalloc.h"
#include "daemon/cfgtab.h"
#include "daemon/topology_int.h"
#include "domain/ids.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define TP(m) offsetof(struct topology, m)
#define TC(m) offsetof(struct tier_config, m)
#define NC(m) offsetof(struct node_config, m)

static const char *const canary_choices[] = {"sequential", "parallel", NULL};
static const char *const verify_choices[] = {"manifest", "sha256", NULL};
static const char *const transport_names[] = {"local", "ssh"};

static int parse_repo(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static int parse_backup(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static int parse_tiers(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static int parse_nodes(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static int parse_ssh_target(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
static void print_repo(const void *obj, const char *indent, struct strbuf *out);
static void print_backup(const void *obj, const char *indent, struct strbuf *out);
static void print_tiers(const void *obj, const char *indent, struct strbuf *out);
static void print_nodes(const void *obj, const char *indent, struct strbuf *out);

static const struct cfg_field topology_fields[] = {
    {"repo", CFG_CUSTOM, 0, NULL, 1, 0, 0, NULL, parse_repo, print_repo,
        "[repo] bare_path and branch"},
    {"backup", CFG_CUSTOM, 0, NULL, 0, 0, 0, NULL, parse_backup, print_backup,
        "[backup] source and local_path"},
    {"tier", CFG_CUSTOM, 0, NULL, 1, 0, 0, NULL, parse_tiers, print_tiers,
        "[[tier]] tables, in promotion order"},
};

static const struct cfg_field repo_fields[] = {
    {"bare_path", CFG_PATH, TP(bare_path), NULL, 1, 0, 0, NULL, NULL, NULL,
        "the bare repository (created if missing)"},
    {"branch", CFG_STR, TP(branch), "\"main\"", 0, 0, 0, NULL, NULL, NULL,
        "the branch whose pushes are built"},
};

static const struct cfg_field backup_fields[] = {
    {"source", CFG_STR, TP(backup_source), NULL, 1, 0, 0, NULL, NULL, NULL,
        "file://, rsync:// or ssh://user@host[:port]/path"},
    {"local_path", CFG_PATH, TP(backup_local_path), NULL, 1, 0, 0, NULL, NULL, NULL,
        "where the fetched backup is kept"},
};

static const struct cfg_field tier_fields[] = {
    {"name", CFG_STR, TC(name), NULL, 1, 0, 0, NULL, NULL, NULL, "the tier's name"},
    {"provisioned", CFG_BOOL, TC(provisioned), "true", 0, 0, 0, NULL, NULL, NULL,
        "whether the tier may be promoted to"},
    {"canary", CFG_ENUM, TC(canary), "\"sequential\"", 0, 0, 0, canary_choices, NULL, NULL,
        "node rollout policy"},
    {"max_parallel", CFG_INT, TC(max_parallel), "4", 0, 1, 1000, NULL, NULL, NULL,
        "nodes at once with canary = \"parallel\""},
    {"restart", CFG_ARGV, TC(restart), NULL, 0, 0, 0, NULL, NULL, NULL,
        "argv run on the node after the swap"},
    {"health_url", CFG_STR, TC(health_url), NULL, 0, 0, 0, NULL, NULL, NULL,
        "checked on the node after restart"},
    {"restart_warning_seconds", CFG_INT, TC(restart_warning_seconds), "0", 0, 0, 86400, NULL, NULL,
        NULL, "notify the app, wait this long, then restart"},
    {"restart_warning_url", CFG_STR, TC(restart_warning_url), NULL, 0, 0, 0, NULL, NULL, NULL,
        "the app's restart-warning endpoint"},
    {"restart_warning_token_file", CFG_PATH, TC(restart_warning_token_file), NULL, 0, 0, 0, NULL,
        NULL, NULL, "bearer token for restart_warning_url"},
    {"pre_deploy", CFG_ARGV, TC(pre_deploy), NULL, 0, 0, 0, NULL, NULL, NULL,
        "argv run on the controller before the first node"},
    {"post_deploy", CFG_ARGV, TC(post_deploy), NULL, 0, 0, 0, NULL, NULL, NULL,
        "argv run on the controller after the last node"},
    {"verify", CFG_ENUM, TC(verify), "\"manifest\"", 0, 0, 0, verify_choices, NULL, NULL,
        "how a node's copy is checked"},
    {"renamed_from", CFG_STRLIST, TC(renamed_from), "[]", 0, 0, 0, NULL, NULL, NULL,
        "former names whose history this tier keeps"},
    {"gates", CFG_CUSTOM, 0, "[]", 0, 0, 0, NULL, topology_parse_gates, topology_print_gates,
        "the tier's gates"},
    {"node", CFG_CUSTOM, 0, "[]", 0, 0, 0, NULL, parse_nodes, print_nodes, "[[tier.node]] tables"},
};

static const struct cfg_field node_fields[] = {
    {"name", CFG_STR, NC(name), NULL, 1, 0, 0, NULL, NULL, NULL, "the node's name"},
    {"ssh_target", CFG_CUSTOM, 0, NULL, 1, 0, 0, NULL, parse_ssh_target, NULL,
        "\"local\" or \"user@host[:port]\""},
    {"release_root", CFG_STR, NC(release_root), NULL, 1, 0, 0, NULL, NULL, NULL,
        "absolute path on the node holding releases/ and current"},
};

const char *
topology_canary_name(int canary)
{
	return canary_choices[canary];
}

const char *
topology_transport_name(int transport)
{
	return transport_names[transport];
}

static int
parse_section(const struct toml_value *v, const char *name, const struct cfg_field *fields,
    size_t n, void *obj, struct cfg_ctx *ctx)
{
	struct cfg_ctx sctx = *ctx;
	char *where = xasprintf("[%s]", name);
	int rc;

	if (v->type != TOML_TABLE) {
		free(where);
		return cfg_error(
		    ctx, v->pos, "'%s' must be a table, not %s", name, toml_type_name(v->type));
	}
	sctx.where = where;
	rc = cfg_apply(fields, n, v, obj, &sctx);
	free(where);
	return rc;
}

static int
parse_repo(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct topology *topo = obj;
	const struct toml_value *b;

	if (parse_section(v, "repo", repo_fields, NELEM(repo_fields), obj, ctx) == -1)
		return -1;
	if (!id_branch_valid(topo->branch)) {
		b = toml_table_get(v, "branch");
		return cfg_error(ctx, b->pos, "'branch' must be a valid git branch name, not '%s'",
		    topo->branch);
	}
	return 0;
}

static int
parse_backup(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct topology *topo = obj;
	static const char *const schemes[] = {"file:///", "rsync://", "ssh://"};

	if (parse_section(v, "backup", backup_fields, NELEM(backup_fields), obj, ctx) == -1)
		return -1;
	for (size_t i = 0; i < NELEM(schemes); i++)
		if (strncmp(topo->backup_source, schemes[i], strlen(schemes[i])) == 0)
			return 0;
	return cfg_error(ctx, toml_table_get(v, "source")->pos,
	    "'source' must start with file:///, rsync:// or ssh://, not '%s'", topo->backup_source);
}

/* user@host[:port], user optional: user [A-Za-z_][A-Za-z0-9_.-]*, host a
 * hostname, IPv4 or [IPv6] not starting with '-'. */
static int
split_ssh_target(const char *s, struct node_config *node)
{
	const char *at = strchr(s, '@'), *host = at ? at + 1 : s, *end, *colon;
	long port = 22;
	int v6 = host[0] == '[';

	if (at && (at == s || !(isalpha((unsigned char)s[0]) || s[0] == '_')))
		return -1;
	for (const char *p = s; at && p < at; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return -1;
	if (v6) {
		end = strchr(host, ']');
		if (end == NULL || end == host + 1)
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		host++;
	} else {
		colon = strchr(host, ':');
		end = colon ? colon : host + strlen(host);
	}
	if (end == host || host[0] == '-' || host[0] == '.')
		return -1;
	for (const char *p = host; p < end; p++)
		if (!isalnum((unsigned char)*p) && !strchr(v6 ? ":.%" : "-.", *p))
			return -1;
	if (colon) {
		char *e;

		port = strtol(colon + 1, &e, 10);
		if (colon[1] == '\0' || *e != '\0' || port < 1 || port > 65535)
			return -1;
	}
	node->ssh_user = at ? xstrndup(s, (size_t)(at - s)) : NULL;
	node->ssh_host = xstrndup(host, (size_t)(end - host));
	node->ssh_port = (int)port;
	return 0;
}

static int
parse_ssh_target(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct node_config *node = obj;

	if (cfg_expect(v, TOML_STRING, "ssh_target", ctx) == -1)
		return -1;
	node->ssh_target = xstrdup(v->u.s.ptr);
	if (strcmp(v->u.s.ptr, "local") == 0) {
		node->transport = TRANSPORT_LOCAL;
		return 0;
	}
	node->transport = TRANSPORT_SSH;
	if (split_ssh_target(v->u.s.ptr, node) == -1)
		return cfg_error(ctx, v->pos,
		    "'ssh_target' must be \"local\" or \"user@host[:port]\", not '%s'", v->u.s.ptr);
	return 0;
}

static int
check_name(const char *what, const struct toml_value *t, const char *name, struct cfg_ctx *ctx)
{
	if (id_name_valid(name, strlen(name)))
		return 0;
	return cfg_error(ctx, toml_table_get(t, "name")->pos,
	    "%s name '%s' must be 1-63 letters, digits, '_', '.' or '-', starting with a letter "
	    "or digit",
	    what, name);
}

static int
parse_node(const struct toml_value *t, struct node_config *node, struct cfg_ctx *ctx)
{
	if (t->type != TOML_TABLE)
		return cfg_error(ctx, t->pos, "'node' must be an array of tables ([[tier.node]])");
	if (cfg_apply(node_fields, NELEM(node_fields), t, node, ctx) == -1)
		return -1;
	if (check_name("node", t, node->name, ctx) == -1)
		return -1;
	if (node->release_root[0] != '/')
		return cfg_error(ctx, toml_table_get(t, "release_root")->pos,
		    "'release_root' must be an absolute path on the node, not '%s'",
		    node->release_root);
	return 0;
}

static int
parse_nodes(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct tier_config *tier = obj;

	if (cfg_expect(v, TOML_ARRAY, "node", ctx) == -1)
		return -1;
	tier->nodes = xcalloc(v->u.arr.len, sizeof(*tier->nodes));
	for (size_t i = 0; i < v->u.arr.len; i++) {
		tier->nnodes = i + 1;
		if (parse_node(v->u.arr.items[i], &tier->nodes[i], ctx) == -1)
			return -1;
	}
	return 0;
}

static void
tier_init(struct tier_config *tier)
{
	memset(tier, 0, sizeof(*tier));
	strvec_init(&tier->restart);
	strvec_init(&tier->pre_deploy);
	strvec_init(&tier->post_deploy);
	strvec_init(&tier->renamed_from);
}

static int
parse_tier(const struct toml_value *t, struct tier_config *tier, struct cfg_ctx *ctx)
{
	const struct toml_value *name = toml_table_get(t, "name");
	struct cfg_ctx tctx = *ctx;
	char *where;
	int rc;

	if (t->type != TOML_TABLE)
		return cfg_error(ctx, t->pos, "'tier' must be an array of tables ([[tier]])");
	where = xasprintf("tier '%s'", name && name->type == TOML_STRING ? name->u.s.ptr : "?");
	tctx.where = where;
	rc = cfg_apply(tier_fields, NELEM(tier_fields), t, tier, &tctx);
	if (rc == 0)
		rc = check_name("tier", t, tier->name, &tctx);
	for (size_t i = 0; rc == 0 && i < tier->renamed_from.nr; i++)
		if (!id_name_valid(tier->renamed_from.v[i], strlen(tier->renamed_from.v[i])))
			rc = cfg_error(&tctx, toml_table_get(t, "renamed_from")->pos,
			    "'renamed_from' holds an invalid tier name '%s'",
			    tier->renamed_from.v[i]);
	if (rc == 0 && tier->health_url && strncmp(tier->health_url, "http://", 7) != 0 &&
	    strncmp(tier->health_url, "https://", 8) != 0)
		rc = cfg_error(&tctx, toml_table_get(t, "health_url")->pos,
		    "'health_url' must be an http:// or https:// URL");
	free(where);
	return rc;
}

static const struct toml_value *
node_name_value(const struct toml_value *tiers, size_t ti, size_t ni)
{
	const struct toml_value *nodes = toml_table_get(tiers->u.arr.items[ti], "node");

	return toml_table_get(nodes->u.arr.items[ni], "name");
}

/* Tier names, node names (across all tiers) and renamed_from are unique. */
static int
check_unique(const struct topology *topo, const struct toml_value *v, struct cfg_ctx *ctx)
{
	for (size_t i = 0; i < topo->ntiers; i++) {
		const struct tier_config *t = &topo->tiers[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(topo->tiers[j].name, t->name) == 0)
				return cfg_error(ctx,
				    toml_table_get(v->u.arr.items[i], "name")->pos,
				    "duplicate tier name '%s'", t->name);
		for (size_t r = 0; r < t->renamed_from.nr; r++)
			for (size_t j = 0; j < topo->ntiers; j++)
				if (strcmp(topo->tiers[j].name, t->renamed_from.v[r]) == 0)
					return cfg_error(ctx,
					    toml_table_get(v->u.arr.items[i], "renamed_from")->pos,
					    "tier '%s' is renamed_from '%s', which is still a tier",
					    t->name, t->renamed_from.v[r]);
		for (size_t n = 0; n < t->nnodes; n++)
			for (size_t j = 0; j <= i; j++)
				for (size_t m = 0; m < (j == i ? n : topo->tiers[j].nnodes); m++)
					if (strcmp(topo->tiers[j].nodes[m].name,
					        t->nodes[n].name) == 0)
						return cfg_error(ctx, node_name_value(v, i, n)->pos,
						    "duplicate node name '%s' (also in tier '%s')",
						    t->nodes[n].name, topo->tiers[j].name);
	}
	return 0;
}

static int
parse_tiers(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct topology *topo = obj;

	if (v->type != TOML_ARRAY || v->u.arr.len == 0)
		return cfg_error(
		    ctx, v->pos, "'tier' must be a non-empty array of tables ([[tier]])");
	topo->tiers = xcalloc(v->u.arr.len, sizeof(*topo->tiers));
	for (size_t i = 0; i < v->u.arr.len; i++) {
		tier_init(&topo->tiers[i]);
		topo->ntiers = i + 1;
		if (parse_tier(v->u.arr.items[i], &topo->tiers[i], ctx) == -1)
			return -1;
	}
	return check_unique(topo, v, ctx);
}

static void
print_repo(const void *obj, const char *indent, struct strbuf *out)
{
	strbuf_addstr(out, "[repo]\n");
	cfg_print(repo_fields, NELEM(repo_fields), obj, indent, out);
}

static void
print_backup(const void *obj, const char *indent, struct strbuf *out)
{
	const struct topology *topo = obj;

	if (topo->backup_source == NULL) {
		strbuf_addstr(out, "# [backup] (unset: migration_dry_run is blocked)\n");
		return;
	}
	strbuf_addstr(out, "[backup]\n");
	cfg_print(backup_fields, NELEM(backup_fields), obj, indent, out);
}

static void
print_nodes(const void *obj, const char *indent, struct strbuf *out)
{
	const struct tier_config *tier = obj;

	for (size_t i = 0; i < tier->nnodes; i++) {
		const struct node_config *n = &tier->nodes[i];

		strbuf_addstr(out, "[[tier.node]]\nname = ");
		cfg_print_string(out, n->name);
		strbuf_addstr(out, "\nssh_target = ");
		cfg_print_string(out, n->ssh_target);
		strbuf_addstr(out, "\nrelease_root = ");
		cfg_print_string(out, n->release_root);
		strbuf_addch(out, '\n');
	}
}

static void
print_tiers(const void *obj, const char *indent, struct strbuf *out)
{
	const struct topology *topo = obj;

	for (size_t i = 0; i < topo->ntiers; i++) {
		strbuf_addstr(out, "\n[[tier]]\n");
		cfg_print(tier_fields, NELEM(tier_fields), &topo->tiers[i], indent, out);
	}
}

int
topology_load(struct topology *topo, const char *path, struct strbuf *err)
{
	struct toml_value *root = NULL;
	struct cfg_ctx ctx = {NULL, NULL, NULL, err};
	char *abs = realpath(path, NULL);
	int rc;

	memset(topo, 0, sizeof(*topo));
	topo->file = abs ? abs : xstrdup(path);
	topo->dir = fs_dirname(topo->file);
	if (cfg_parse_file(topo->file, &root, err) == -1)
		return -1;
	ctx.file = topo->file;
	ctx.dir = topo->dir;
	rc = cfg_apply(topology_fields, NELEM(topology_fields), root, topo, &ctx);
	toml_free(root);
	return rc;
}

static void
tier_release(struct tier_config *t)
{
	free(t->name);
	free(t->health_url);
	free(t->restart_warning_url);
	free(t->restart_warning_token_file);
	strvec_clear(&t->restart);
	strvec_clear(&t->pre_deploy);
	strvec_clear(&t->post_deploy);
	strvec_clear(&t->renamed_from);
	for (size_t i = 0; i < t->ngates; i++)
		gate_config_release(&t->gates[i]);
	free(t->gates);
	for (size_t i = 0; i < t->nnodes; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].ssh_target);
		free(t->nodes[i].ssh_user);
		free(t->nodes[i].ssh_host);
		free(t->nodes[i].release_root);
	}
	free(t->nodes);
}

void
topology_release(struct topology *topo)
{
	free(topo->file);
	free(topo->dir);
	free(topo->bare_path);
	free(topo->branch);
	free(topo->backup_source);
	free(topo->backup_local_path);
	for (size_t i = 0; i < topo->ntiers; i++)
		tier_release(&topo->tiers[i]);
	free(topo->tiers);
	memset(topo, 0, sizeof(*topo));
}

void
topology_print(const struct topology *topo, struct strbuf *out)
{
	strbuf_addf(out, "# %s (effective, defaults filled in)\n", topo->file);
	cfg_print(topology_fields, NELEM(topology_fields), topo, "", out);
}

const struct tier_config *
topology_tier(const struct topology *topo, const char *name, size_t len)
{
	for (size_t i = 0; i < topo->ntiers; i++)
		if (strlen(topo->tiers[i].name) == len &&
		    memcmp(topo->tiers[i].name, name, len) == 0)
			return &topo->tiers[i];
	return NULL;
}

int
topology_has_automated_gates(const struct tier_config *t)
{
	for (size_t i = 0; i < t->ngates; i++)
		if (t->gates[i].kind != GATE_BURN_IN && t->gates[i].kind != GATE_MANUAL_CONFIRM)
			return 1;
	return 0;
}
