/*
 * cfgtab: table-driven configuration (after redis's static_configs[]).
 *
 * A configuration section is described by an array of struct cfg_field: the
 * key's name, type, where it lives in the target struct, its default (as TOML
 * text, so the table documents itself), limits and help.  One table drives
 * parsing, validation and printing (--print-config).
 *
 * Errors name the file, line and column and say what was expected:
 *   "/etc/sando/sando.toml:12:3: unknown key 'helth_url' in tier 'a'"
 * cfg_apply stops at the first error and returns -1 with the message in
 * ctx->err.  Strings stored into the target are owned by it (free with the
 * section's own release function); strvecs are cleared before being filled.
 */
#ifndef SANDO_CFGTAB_H
#define SANDO_CFGTAB_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/toml.h"

enum cfg_type {
	CFG_STR,     /* char *: a non-empty string */
	CFG_PATH,    /* char *: a path, resolved against the file's directory */
	CFG_INT,     /* int64_t within [min, max] */
	CFG_NUM,     /* double: integer or float, within [min, max] */
	CFG_BOOL,    /* int */
	CFG_ENUM,    /* int: index into choices */
	CFG_ARGV,    /* struct strvec: a non-empty array of strings */
	CFG_STRLIST, /* struct strvec: an array of strings (may be empty) */
	CFG_CUSTOM,  /* parsed by parse(), printed by print() */
	CFG_IGNORE,  /* accepted and left alone (e.g. a gate's "kind") */
};

struct cfg_ctx {
	const char *file;  /* for messages */
	const char *dir;   /* relative CFG_PATH values resolve against it */
	const char *where; /* "tier 'a'", "[build]", ...; NULL at the top */
	struct strbuf *err;
};

struct cfg_field {
	const char *name;
	enum cfg_type type;
	size_t offset;
	const char *def; /* default as TOML value text; NULL: none */
	int required;
	double min, max;            /* CFG_INT, CFG_NUM (both 0: no limit) */
	const char *const *choices; /* CFG_ENUM, NULL-terminated */
	int (*parse)(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);
	void (*print)(const void *obj, const char *indent, struct strbuf *out);
	const char *help;
};

/* Fill obj from table t per fields: every key of t must be a field, every
 * required field present, every value of the field's type and limits; absent
 * fields take their default.  0 on success, -1 with ctx->err set. */
int cfg_apply(const struct cfg_field *fields, size_t n, const struct toml_value *t, void *obj,
    struct cfg_ctx *ctx);

/* Append "name = value" lines for every field of obj (unset ones as
 * comments), each line starting with indent. */
void cfg_print(const struct cfg_field *fields, size_t n, const void *obj, const char *indent,
    struct strbuf *out);

/* Append a TOML basic string literal for s. */
void cfg_print_string(struct strbuf *out, const char *s);

/* Append a TOML array of strings. */
void cfg_print_strvec(struct strbuf *out, char *const *v, size_t nr);

/* Set ctx->err to "file:line:col: <message>" (with " in <where>" if set). */
int cfg_error(struct cfg_ctx *ctx, struct toml_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Check that v is of type want, else report "expected <what>". */
int cfg_expect(
    const struct toml_value *v, enum toml_type want, const char *key, struct cfg_ctx *ctx);

/* Parse "file" (read, TOML-parse) into *root; -1 with "file:line:col: ..." in err. */
int cfg_parse_file(const char *file, struct toml_value **root, struct strbuf *err);

/* Resolve path against dir unless absolute; returns a new string. */
char *cfg_resolve_path(const char *dir, const char *path);

#endif
