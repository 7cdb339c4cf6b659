#include "daemon/cfgtab.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/strvec.h"
#include "core/xmalloc.h"

#define FIELD_PTR(obj, f) ((char *)(obj) + (f)->offset)

int
cfg_error(struct cfg_ctx *ctx, struct toml_pos pos, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(ctx->err);
	strbuf_addf(ctx->err, "%s:%d:%d: ", ctx->file, pos.line, pos.col);
	va_start(ap, fmt);
	strbuf_vaddf(ctx->err, fmt, ap);
	va_end(ap);
	if (ctx->where)
		strbuf_addf(ctx->err, " in %s", ctx->where);
	return -1;
}

int
cfg_expect(const struct toml_value *v, enum toml_type want, const char *key, struct cfg_ctx *ctx)
{
	if (v->type == want)
		return 0;
	return cfg_error(ctx, v->pos, "'%s' must be %s %s, not %s %s", key,
	    want == TOML_ARRAY || want == TOML_INTEGER ? "an" : "a", toml_type_name(want),
	    v->type == TOML_ARRAY || v->type == TOML_INTEGER ? "an" : "a", toml_type_name(v->type));
}

char *
cfg_resolve_path(const char *dir, const char *path)
{
	if (path[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(path);
	return xasprintf("%s/%s", dir, path);
}

int
cfg_parse_file(const char *file, struct toml_value **root, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct toml_error terr = {{0, 0}, STRBUF_INIT};
	int rc;

	if (strbuf_read_file(&text, file, 4 << 20) == -1) {
		strbuf_reset(err);
		strbuf_addf(err, "%s: cannot read: %s", file, strerror(errno));
		strbuf_release(&text);
		return -1;
	}
	rc = toml_parse(text.buf, text.len, root, &terr);
	if (rc == -1) {
		strbuf_reset(err);
		strbuf_addf(err, "%s:%d:%d: %s", file, terr.pos.line, terr.pos.col, terr.msg.buf);
	}
	toml_error_release(&terr);
	strbuf_release(&text);
	return rc;
}

static const struct cfg_field *
cfg_find(const struct cfg_field *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static int
cfg_unknown_key(
    const struct cfg_field *fields, size_t n, const struct toml_keyval *kv, struct cfg_ctx *ctx)
{
	struct strbuf names = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&names, "%s%s", i ? ", " : "", fields[i].name);
	rc = cfg_error(ctx, kv->pos, "unknown key '%s' (expected one of: %s)", kv->key, names.buf);
	strbuf_release(&names);
	return rc;
}

static int
cfg_set_strvec(
    const struct cfg_field *f, const struct toml_value *v, struct strvec *sv, struct cfg_ctx *ctx)
{
	if (cfg_expect(v, TOML_ARRAY, f->name, ctx) == -1)
		return -1;
	if (f->type == CFG_ARGV && v->u.arr.len == 0)
		return cfg_error(ctx, v->pos, "'%s' must be a non-empty array of strings", f->name);
	strvec_clear(sv);
	for (size_t i = 0; i < v->u.arr.len; i++) {
		const struct toml_value *item = v->u.arr.items[i];

		if (item->type != TOML_STRING)
			return cfg_error(ctx, item->pos, "'%s' must be an array of strings, not %s",
			    f->name, toml_type_name(item->type));
		if (strlen(item->u.s.ptr) != item->u.s.len || item->u.s.len == 0)
			return cfg_error(ctx, item->pos,
			    "'%s' items must be non-empty strings without NUL", f->name);
		strvec_push(sv, item->u.s.ptr);
	}
	return 0;
}

static int
cfg_set_string(
    const struct cfg_field *f, const struct toml_value *v, char **dst, struct cfg_ctx *ctx)
{
	if (cfg_expect(v, TOML_STRING, f->name, ctx) == -1)
		return -1;
	if (v->u.s.len == 0 || strlen(v->u.s.ptr) != v->u.s.len)
		return cfg_error(
		    ctx, v->pos, "'%s' must be a non-empty string without NUL", f->name);
	free(*dst);
	*dst = f->type == CFG_PATH ? cfg_resolve_path(ctx->dir, v->u.s.ptr) : xstrdup(v->u.s.ptr);
	return 0;
}

static int
cfg_set_number(
    const struct cfg_field *f, const struct toml_value *v, void *dst, struct cfg_ctx *ctx)
{
	double d;

	if (f->type == CFG_INT && cfg_expect(v, TOML_INTEGER, f->name, ctx) == -1)
		return -1;
	if (v->type != TOML_INTEGER && v->type != TOML_FLOAT)
		return cfg_error(
		    ctx, v->pos, "'%s' must be a number, not %s", f->name, toml_type_name(v->type));
	d = v->type == TOML_INTEGER ? (double)v->u.i : v->u.f;
	if (isnan(d) || ((f->min != 0 || f->max != 0) && (d < f->min || d > f->max)))
		return cfg_error(
		    ctx, v->pos, "'%s' must be between %g and %g", f->name, f->min, f->max);
	if (f->type == CFG_INT)
		*(int64_t *)dst = v->u.i;
	else
		*(double *)dst = d;
	return 0;
}

static int
cfg_set_enum(const struct cfg_field *f, const struct toml_value *v, int *dst, struct cfg_ctx *ctx)
{
	struct strbuf names = STRBUF_INIT;
	int rc;

	if (cfg_expect(v, TOML_STRING, f->name, ctx) == -1)
		return -1;
	for (int i = 0; f->choices[i]; i++) {
		if (strcmp(f->choices[i], v->u.s.ptr) == 0) {
			*dst = i;
			strbuf_release(&names);
			return 0;
		}
		strbuf_addf(&names, "%s'%s'", i ? ", " : "", f->choices[i]);
	}
	rc = cfg_error(
	    ctx, v->pos, "'%s' must be one of %s, not '%s'", f->name, names.buf, v->u.s.ptr);
	strbuf_release(&names);
	return rc;
}

static int
cfg_set(const struct cfg_field *f, const struct toml_value *v, void *obj, struct cfg_ctx *ctx)
{
	void *dst = FIELD_PTR(obj, f);

	switch (f->type) {
	case CFG_STR:
	case CFG_PATH:
		return cfg_set_string(f, v, dst, ctx);
	case CFG_INT:
	case CFG_NUM:
		return cfg_set_number(f, v, dst, ctx);
	case CFG_BOOL:
		if (cfg_expect(v, TOML_BOOL, f->name, ctx) == -1)
			return -1;
		*(int *)dst = v->u.b;
		return 0;
	case CFG_ENUM:
		return cfg_set_enum(f, v, dst, ctx);
	case CFG_ARGV:
	case CFG_STRLIST:
		return cfg_set_strvec(f, v, dst, ctx);
	case CFG_CUSTOM:
		return f->parse(v, obj, ctx);
	case CFG_IGNORE:
		return 0;
	}
	return -1;
}

/* Apply a field's default, written as TOML value text. */
static int
cfg_set_default(const struct cfg_field *f, void *obj, struct cfg_ctx *ctx)
{
	struct toml_error terr = {{0, 0}, STRBUF_INIT};
	struct toml_value *root = NULL;
	char *doc = xasprintf("v = %s\n", f->def);
	struct cfg_ctx dctx = *ctx;
	int rc;

	dctx.dir = ctx->dir;
	if (toml_parse(doc, strlen(doc), &root, &terr) == -1)
		abort(); /* a default in a field table is not valid TOML */
	rc = cfg_set(f, toml_table_get(root, "v"), obj, &dctx);
	toml_error_release(&terr);
	toml_free(root);
	free(doc);
	return rc;
}

int
cfg_apply(const struct cfg_field *fields, size_t n, const struct toml_value *t, void *obj,
    struct cfg_ctx *ctx)
{
	for (size_t i = 0; i < t->u.tab.len; i++) {
		const struct toml_keyval *kv = &t->u.tab.items[i];
		const struct cfg_field *f = cfg_find(fields, n, kv->key);

		if (f == NULL)
			return cfg_unknown_key(fields, n, kv, ctx);
		if (cfg_set(f, kv->value, obj, ctx) == -1)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cfg_field *f = &fields[i];

		if (toml_table_get(t, f->name) != NULL)
			continue;
		if (f->required)
			return cfg_error(
			    ctx, t->pos, "missing required key '%s' (%s)", f->name, f->help);
		if (f->def && cfg_set_default(f, obj, ctx) == -1)
			return -1;
	}
	return 0;
}

void
cfg_print_string(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_addf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			strbuf_addf(out, "\\u%04x", c);
		else
			strbuf_addch(out, c);
	}
	strbuf_addch(out, '"');
}

void
cfg_print_strvec(struct strbuf *out, char *const *v, size_t nr)
{
	strbuf_addch(out, '[');
	for (size_t i = 0; i < nr; i++) {
		if (i)
			strbuf_addstr(out, ", ");
		cfg_print_string(out, v[i]);
	}
	strbuf_addch(out, ']');
}

static void
cfg_print_field(const struct cfg_field *f, const void *obj, const char *indent, struct strbuf *out)
{
	const void *src = (const char *)obj + f->offset;
	const struct strvec *sv = src;

	switch (f->type) {
	case CFG_STR:
	case CFG_PATH:
		if (*(char *const *)src == NULL) {
			strbuf_addf(out, "%s# %s = (unset)\n", indent, f->name);
			return;
		}
		strbuf_addf(out, "%s%s = ", indent, f->name);
		cfg_print_string(out, *(char *const *)src);
		break;
	case CFG_INT:
		strbuf_addf(out, "%s%s = %lld", indent, f->name, (long long)*(const int64_t *)src);
		break;
	case CFG_NUM:
		strbuf_addf(out, "%s%s = %.17g", indent, f->name, *(const double *)src);
		break;
	case CFG_BOOL:
		strbuf_addf(
		    out, "%s%s = %s", indent, f->name, *(const int *)src ? "true" : "false");
		break;
	case CFG_ENUM:
		strbuf_addf(out, "%s%s = \"%s\"", indent, f->name, f->choices[*(const int *)src]);
		break;
	case CFG_ARGV:
	case CFG_STRLIST:
		if (f->type == CFG_ARGV && sv->nr == 0) {
			strbuf_addf(out, "%s# %s = (unset)\n", indent, f->name);
			return;
		}
		strbuf_addf(out, "%s%s = ", indent, f->name);
		cfg_print_strvec(out, sv->v, sv->nr);
		break;
	case CFG_CUSTOM:
		if (f->print)
			f->print(obj, indent, out);
		return;
	case CFG_IGNORE:
		return;
	}
	strbuf_addch(out, '\n');
}

void
cfg_print(const struct cfg_field *fields, size_t n, const void *obj, const char *indent,
    struct strbuf *out)
{
	for (size_t i = 0; i < n; i++)
		cfg_print_field(&fields[i], obj, indent, out);
}
