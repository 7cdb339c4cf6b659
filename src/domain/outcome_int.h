/*
 * outcome_int.h: what outcome.c and outcome_json.c share; not for other modules.
 *
 * Every kind is described once, in outcome_kinds[] (outcome.c): its JSON
 * name, its status and its fields (name, type, offset in struct outcome),
 * which drive the JSON writer and reader and outcome_release.
 */
#ifndef SANDO_DOMAIN_OUTCOME_INT_H
#define SANDO_DOMAIN_OUTCOME_INT_H

#include <stddef.h>

#include "domain/outcome.h"

enum outcome_field_type {
	OF_INT,          /* int64_t >= 0, required */
	OF_INT_OPT,      /* int64_t >= 0, or OUTCOME_COUNT_UNKNOWN when absent */
	OF_CODE,         /* int exit code 0..255, required */
	OF_NUM,          /* finite double >= 0, required */
	OF_STR,          /* char *, required; every type from here on is a string */
	OF_STR_OPT,      /* char *, NULL when absent */
	OF_TIME,         /* char *, RFC 3339, required */
	OF_VERSION,      /* char *, semver, required */
	OF_SQLSTATE_OPT, /* char *, five characters of [0-9A-Z], NULL when absent */
};

struct outcome_field {
	const char *name;
	enum outcome_field_type type;
	size_t off; /* offsetof(struct outcome, ...) */
};

#define OUTCOME_FIELDS_MAX 2

struct outcome_kind_def {
	const char *name;
	enum outcome_status status;
	struct outcome_field fields[OUTCOME_FIELDS_MAX];
};

extern const struct outcome_kind_def outcome_kinds[OUTCOME_KIND_COUNT];

/* The statuses' JSON names, by enum outcome_status ("none" first). */
extern const char *const outcome_status_names[];

#define FIELD_AT(o, f, T) ((T *)((char *)(o) + (f)->off))
#define CFIELD_AT(o, f, T) ((const T *)((const char *)(o) + (f)->off))

/* Whether s may be held by an outcome: 1..OUTCOME_STR_MAX bytes of UTF-8, no controls. */
int outcome_str_clean(const char *s);

/* A clean copy of s (see outcome.h); caller frees. */
char *outcome_str_dup(const char *s);

/* Whether a field of this type holds a string. */
int outcome_field_is_str(enum outcome_field_type type);

/* Whether a field of this type may be absent. */
int outcome_field_optional(enum outcome_field_type type);

/* NULL if the clean string s suits the type, else what the type wants ("a semver version"). */
const char *outcome_field_invalid(enum outcome_field_type type, const char *s);

#endif
