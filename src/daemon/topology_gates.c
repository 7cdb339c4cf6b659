/*
 * The gate half of topology.c: one field table per gate kind.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "daemon/cfgtab.h"
#include "daemon/topology.h"
#include "daemon/topology_int.h"
#include "domain/ids.h"

#define GC(m) offsetof(struct gate_config, m)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define F_KIND                                                                          \
	{                                                                               \
		"kind", CFG_IGNORE, 0, NULL, 1, 0, 0, NULL, NULL, NULL, "the gate kind" \
	}
#define F_TIMEOUT                                                                             \
	{                                                                                     \
		"timeout_s", CFG_INT, GC(timeout_s), "1800", 0, 1, 7 * 24 * 3600, NULL, NULL, \
		    NULL, "seconds before the gate is stopped and classified 'timeout'"       \
	}

static const struct cfg_field gate_plain_fields[] = {F_KIND, F_TIMEOUT};

static const struct cfg_field gate_test_fields[] = {
    F_KIND,
    {"command", CFG_ARGV, GC(command), NULL, 1, 0, 0, NULL, NULL, NULL, "the test argv"},
    F_TIMEOUT,
};

static const struct cfg_field gate_migration_fields[] = {
    F_KIND,
    {"command", CFG_ARGV, GC(command), NULL, 0, 0, 0, NULL, NULL, NULL,
        "migration argv (default: the staged binary with 'migrate')"},
    F_TIMEOUT,
};

static const struct cfg_field gate_boot_fields[] = {
    F_KIND,
    {"seconds", CFG_INT, GC(seconds), "10", 0, 1, 3600, NULL, NULL, NULL,
        "how long the binary must stay up"},
    {"health_url", CFG_STR, GC(health_url), NULL, 0, 0, 0, NULL, NULL, NULL,
        "URL that must answer 2xx while it runs"},
    {"args", CFG_STRLIST, GC(args), "[]", 0, 0, 0, NULL, NULL, NULL,
        "extra arguments for the binary"},
    F_TIMEOUT,
};

static const struct cfg_field gate_burn_in_fields[] = {
    F_KIND,
    {"hours", CFG_NUM, GC(hours), NULL, 1, 1e-6, 1e5, NULL, NULL, NULL,
        "hours the version must have been current (fractions allowed)"},
};

static const struct cfg_field gate_confirm_fields[] = {F_KIND};

static const struct cfg_field gate_command_fields[] = {
    F_KIND,
    {"name", CFG_STR, GC(name), NULL, 1, 0, 0, NULL, NULL, NULL, "the gate's name"},
    {"run", CFG_ARGV, GC(run), NULL, 1, 0, 0, NULL, NULL, NULL, "the argv to run"},
    F_TIMEOUT,
};

static const struct {
	const struct cfg_field *fields;
	size_t n;
} gate_tables[GATE_KIND_COUNT] = {
    [GATE_CARGO_TEST] = {gate_plain_fields, NELEM(gate_plain_fields)},
    [GATE_TEST] = {gate_test_fields, NELEM(gate_test_fields)},
    [GATE_MIGRATION_DRY_RUN] = {gate_migration_fields, NELEM(gate_migration_fields)},
    [GATE_BOOT_SMOKE] = {gate_boot_fields, NELEM(gate_boot_fields)},
    [GATE_BURN_IN] = {gate_burn_in_fields, NELEM(gate_burn_in_fields)},
    [GATE_MANUAL_CONFIRM] = {gate_confirm_fields, NELEM(gate_confirm_fields)},
    [GATE_COMMAND] = {gate_command_fields, NELEM(gate_command_fields)},
};

static void
gate_init(struct gate_config *g)
{
	memset(g, 0, sizeof(*g));
	strvec_init(&g->command);
	strvec_init(&g->run);
	strvec_init(&g->args);
}

void
gate_config_release(struct gate_config *g)
{
	free(g->name);
	free(g->health_url);
	strvec_clear(&g->command);
	strvec_clear(&g->run);
	strvec_clear(&g->args);
}

static int
check_url(const struct toml_value *t, const char *key, struct cfg_ctx *ctx)
{
	const struct toml_value *v = toml_table_get(t, key);

	if (v == NULL || strncmp(v->u.s.ptr, "http://", 7) == 0 ||
	    strncmp(v->u.s.ptr, "https://", 8) == 0)
		return 0;
	return cfg_error(
	    ctx, v->pos, "'%s' must be an http:// or https:// URL, not '%s'", key, v->u.s.ptr);
}

static int
parse_gate(const struct toml_value *t, struct gate_config *g, struct cfg_ctx *ctx)
{
	const struct toml_value *kind;
	enum gate_kind k;

	if (t->type != TOML_TABLE)
		return cfg_error(ctx, t->pos,
		    "'gates' items must be tables like { kind = \"...\" }, "
		    "not %s",
		    toml_type_name(t->type));
	kind = toml_table_get(t, "kind");
	if (kind == NULL)
		return cfg_error(
		    ctx, t->pos, "gate without 'kind' (expected one of %s)", gate_kind_list());
	if (cfg_expect(kind, TOML_STRING, "kind", ctx) == -1)
		return -1;
	if (gate_kind_parse(kind->u.s.ptr, &k) == -1)
		return cfg_error(ctx, kind->pos, "unknown gate kind '%s' (expected one of %s)",
		    kind->u.s.ptr, gate_kind_list());
	g->kind = k;
	if (cfg_apply(gate_tables[k].fields, gate_tables[k].n, t, g, ctx) == -1)
		return -1;
	if (check_url(t, "health_url", ctx) == -1)
		return -1;
	if (g->name == NULL)
		g->name = xstrdup(gate_kind_name(k));
	else if (!id_name_valid(g->name, strlen(g->name)))
		return cfg_error(ctx, toml_table_get(t, "name")->pos,
		    "gate name '%s' must be 1-63 letters, digits, '_', '.' or '-'", g->name);
	return 0;
}

int
topology_parse_gates(const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	struct tier_config *tier = obj;

	if (cfg_expect(v, TOML_ARRAY, "gates", ctx) == -1)
		return -1;
	tier->gates = xcalloc(v->u.arr.len, sizeof(*tier->gates));
	for (size_t i = 0; i < v->u.arr.len; i++) {
		struct gate_config *g = &tier->gates[i];

		gate_init(g);
		tier->ngates = i + 1;
		if (parse_gate(v->u.arr.items[i], g, ctx) == -1)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(tier->gates[j].name, g->name) == 0)
				return cfg_error(ctx, v->u.arr.items[i]->pos,
				    "duplicate gate '%s' (name 'command' gates apart with 'name')",
				    g->name);
	}
	return 0;
}

void
topology_print_gates(const void *obj, const char *indent, struct strbuf *out)
{
	const struct tier_config *tier = obj;

	strbuf_addf(out, "%sgates = [", indent);
	for (size_t i = 0; i < tier->ngates; i++) {
		const struct gate_config *g = &tier->gates[i];
		struct strbuf line = STRBUF_INIT;

		cfg_print(gate_tables[g->kind].fields, gate_tables[g->kind].n, g, "", &line);
		strbuf_addf(out, "\n%s  { kind = \"%s\"", indent, gate_kind_name(g->kind));
		/* cfg_print ends every line with '\n'; unset fields are comments */
		for (char *s = line.buf, *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1)
			if (s[0] != '#')
				strbuf_addf(out, ", %.*s", (int)(nl - s), s);
		strbuf_addstr(out, " },");
		strbuf_release(&line);
	}
	strbuf_addf(out, "%s]\n", tier->ngates ? "\n" : "");
}
