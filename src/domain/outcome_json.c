/* outcome_json.c - outcomes to and from JSON, driven by outcome_kinds[]; see outcome.h. */
#include "domain/outcome_int.h"

#include <math.h>
#include <string.h>

#include "core/xmalloc.h"

/* The member that holds the kind object, by status. */
static const char *const member_names[] = {NULL, "note", "failure", "reason"};

/* A whole number as a JSON integer (47, not 47.0), anything else as a real. */
static json_t *
json_num(double d)
{
	if (isfinite(d) && d > -9007199254740992.0 && d < 9007199254740992.0 &&
	    (double)(json_int_t)d == d)
		return json_integer((json_int_t)d);
	return json_real(d);
}

/* The field's JSON value, or NULL when an optional field is unset. */
static json_t *
field_to_json(const struct outcome *o, const struct outcome_field *f)
{
	const char *s;

	switch (f->type) {
	case OF_INT:
		return json_integer(*CFIELD_AT(o, f, int64_t));
	case OF_INT_OPT:
		if (*CFIELD_AT(o, f, int64_t) < 0)
			return NULL;
		return json_integer(*CFIELD_AT(o, f, int64_t));
	case OF_CODE:
		return json_integer(*CFIELD_AT(o, f, int));
	case OF_NUM:
		return json_num(*CFIELD_AT(o, f, double));
	default:
		s = *CFIELD_AT(o, f, char *);
		return s ? json_string(s) : NULL;
	}
}

json_t *
outcome_to_json(const struct outcome *o)
{
	const struct outcome_kind_def *k;
	json_t *inner, *j, *v;
	int i;

	if ((unsigned)o->kind >= OUTCOME_KIND_COUNT || o->kind == OUTCOME_NONE)
		return json_null();
	k = &outcome_kinds[o->kind];
	inner = json_pack("{s:s}", "kind", k->name);
	for (i = 0; i < OUTCOME_FIELDS_MAX && k->fields[i].name != NULL; i++)
		if ((v = field_to_json(o, &k->fields[i])) != NULL)
			json_object_set_new(inner, k->fields[i].name, v);
	j = json_pack("{s:s, s:o}", "status", outcome_status_names[k->status],
	    member_names[k->status], inner);
	if (o->log_ref != NULL)
		json_object_set_new(j, "log_ref", json_string(o->log_ref));
	return j;
}

/* Parse a string member: 0 with *out set (a copy), or -1 with a message. */
static int
parse_str(const json_t *v, const char *what, const char *name, const struct outcome_field *f,
    char **out, struct strbuf *err)
{
	const char *s = json_string_value(v), *want;

	if (s == NULL || !outcome_str_clean(s)) {
		strbuf_addf(err, "%s: '%s' must be a non-empty one-line string of at most %d bytes",
		    what, name, OUTCOME_STR_MAX);
		return -1;
	}
	if (f != NULL && (want = outcome_field_invalid(f->type, s)) != NULL) {
		strbuf_addf(err, "%s: '%s' must be %s, not '%s'", what, name, want, s);
		return -1;
	}
	*out = xstrdup(s);
	return 0;
}

/* Parse one number field into o; 0, or -1 with a message. */
static int
parse_number(struct outcome *o, const struct outcome_field *f, const json_t *v, const char *what,
    struct strbuf *err)
{
	json_int_t n = json_integer_value(v);
	double d = json_number_value(v);

	switch (f->type) {
	case OF_INT:
	case OF_INT_OPT:
		if (!json_is_integer(v) || n < 0)
			break;
		*FIELD_AT(o, f, int64_t) = n;
		return 0;
	case OF_CODE:
		if (!json_is_integer(v) || n < 0 || n > 255)
			break;
		*FIELD_AT(o, f, int) = (int)n;
		return 0;
	default:
		if (!json_is_number(v) || !isfinite(d) || d < 0)
			break;
		*FIELD_AT(o, f, double) = d;
		return 0;
	}
	strbuf_addf(err, "%s: '%s' must be %s", what, f->name,
	    f->type == OF_NUM    ? "a non-negative number"
	    : f->type == OF_CODE ? "an integer from 0 to 255"
	                         : "a non-negative integer");
	return -1;
}

/* Parse one field of the kind object into o; 0, or -1 with a message. */
static int
parse_field(struct outcome *o, const struct outcome_field *f, const json_t *obj, const char *what,
    struct strbuf *err)
{
	const json_t *v = json_object_get(obj, f->name);
	int optional = outcome_field_optional(f->type);

	if (v == NULL || json_is_null(v)) {
		if (!optional) {
			strbuf_addf(err, "%s: missing '%s'", what, f->name);
			return -1;
		}
		if (f->type == OF_INT_OPT)
			*FIELD_AT(o, f, int64_t) = OUTCOME_COUNT_UNKNOWN;
		return 0;
	}
	if (outcome_field_is_str(f->type))
		return parse_str(v, what, f->name, f, FIELD_AT(o, f, char *), err);
	return parse_number(o, f, v, what, err);
}

/* Find the kind named by obj's "kind" under status; 0, or -1 with a message. */
static int
parse_kind(
    const json_t *obj, enum outcome_status status, enum outcome_kind *out, struct strbuf *err)
{
	const char *member = member_names[status];
	const char *name = json_string_value(json_object_get(obj, "kind"));
	int i;

	if (!json_is_object(obj)) {
		strbuf_addf(err, "outcome: '%s' must be an object", member);
		return -1;
	}
	if (name == NULL) {
		strbuf_addf(err, "outcome: '%s' needs a string 'kind'", member);
		return -1;
	}
	for (i = 1; i < OUTCOME_KIND_COUNT; i++) {
		if (strcmp(outcome_kinds[i].name, name) != 0)
			continue;
		if (outcome_kinds[i].status != status) {
			strbuf_addf(err, "outcome: '%s' is not a %s kind (it is %s)", name, member,
			    outcome_status_names[outcome_kinds[i].status]);
			return -1;
		}
		*out = (enum outcome_kind)i;
		return 0;
	}
	strbuf_addf(err, "outcome: unknown %s kind '%s'", member, name);
	return -1;
}

/* Parse "status" and check that only its member is present; 0, or -1 with a message. */
static int
parse_status(const json_t *j, enum outcome_status *out, struct strbuf *err)
{
	const char *s = json_string_value(json_object_get(j, "status"));
	int i, found = 0;

	if (s == NULL) {
		strbuf_addstr(err, "outcome: missing string 'status'");
		return -1;
	}
	for (i = OUTCOME_PASSED; i <= OUTCOME_BLOCKED; i++) {
		if (strcmp(outcome_status_names[i], s) == 0) {
			*out = (enum outcome_status)i;
			found = 1;
		}
	}
	if (!found) {
		strbuf_addf(
		    err, "outcome: unknown status '%s' (want 'passed', 'failed' or 'blocked')", s);
		return -1;
	}
	for (i = OUTCOME_PASSED; i <= OUTCOME_BLOCKED; i++) {
		if (i != (int)*out && json_object_get(j, member_names[i]) != NULL) {
			strbuf_addf(err, "outcome: '%s' is not allowed with status '%s'",
			    member_names[i], s);
			return -1;
		}
	}
	return 0;
}

/* Parse the kind's fields and the log_ref; 0, or -1 with a message. */
static int
parse_body(struct outcome *o, const json_t *j, const json_t *obj, struct strbuf *err)
{
	const struct outcome_kind_def *k = &outcome_kinds[o->kind];
	const json_t *ref = json_object_get(j, "log_ref");
	struct strbuf what = STRBUF_INIT;
	int i, rc = 0;

	strbuf_addf(&what, "%s '%s'", member_names[k->status], k->name);
	for (i = 0; rc == 0 && i < OUTCOME_FIELDS_MAX && k->fields[i].name != NULL; i++)
		rc = parse_field(o, &k->fields[i], obj, what.buf, err);
	if (rc == 0 && ref != NULL && !json_is_null(ref))
		rc = parse_str(ref, what.buf, "log_ref", NULL, &o->log_ref, err);
	if (rc == 0 && o->kind == OUTCOME_UNCLASSIFIED && o->log_ref == NULL) {
		strbuf_addf(err, "%s: an unclassified failure needs a 'log_ref'", what.buf);
		rc = -1;
	}
	strbuf_release(&what);
	return rc;
}

int
outcome_from_json(struct outcome *o, const json_t *j, struct strbuf *err)
{
	enum outcome_status status = OUTCOME_STATUS_NONE;
	enum outcome_kind kind = OUTCOME_NONE;
	const json_t *obj;

	memset(o, 0, sizeof *o);
	if (!json_is_object(j)) {
		strbuf_addstr(err, "outcome: must be a JSON object");
		return -1;
	}
	if (parse_status(j, &status, err) < 0)
		return -1;
	if ((obj = json_object_get(j, member_names[status])) == NULL) {
		strbuf_addf(err, "outcome: status '%s' needs a '%s' object",
		    outcome_status_names[status], member_names[status]);
		return -1;
	}
	if (parse_kind(obj, status, &kind, err) < 0)
		return -1;
	o->kind = kind;
	if (parse_body(o, j, obj, err) < 0) {
		outcome_release(o);
		return -1;
	}
	return 0;
}
