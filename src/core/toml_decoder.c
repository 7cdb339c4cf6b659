/*
 * toml-decoder: read TOML on stdin and print the toml-test tagged JSON on
 * stdout: tables become objects, arrays become arrays, and every other value
 * becomes {"type": ..., "value": "<text>"}.  Invalid TOML prints
 * "line:col: message" on stderr and exits 1.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "strbuf.h"
#include "toml.h"

static const char *
leaf_type(enum toml_type type)
{
	switch (type) {
	case TOML_STRING:
		return "string";
	case TOML_INTEGER:
		return "integer";
	case TOML_FLOAT:
		return "float";
	case TOML_BOOL:
		return "bool";
	case TOML_DATETIME:
		return "datetime";
	case TOML_DATETIME_LOCAL:
		return "datetime-local";
	case TOML_DATE_LOCAL:
		return "date-local";
	default:
		return "time-local";
	}
}

/* The text toml-test expects for a value that is not a container. */
static void
leaf_text(const struct toml_value *v, struct strbuf *sb)
{
	switch (v->type) {
	case TOML_STRING:
		strbuf_add(sb, v->u.s.ptr, v->u.s.len);
		break;
	case TOML_INTEGER:
		strbuf_addf(sb, "%" PRId64, v->u.i);
		break;
	case TOML_FLOAT:
		if (isnan(v->u.f))
			strbuf_addstr(sb, "nan");
		else if (isinf(v->u.f))
			strbuf_addstr(sb, v->u.f < 0 ? "-inf" : "inf");
		else
			strbuf_addf(sb, "%.17g", v->u.f);
		break;
	case TOML_BOOL:
		strbuf_addstr(sb, v->u.b ? "true" : "false");
		break;
	default:
		toml_datetime_format(v, sb);
		break;
	}
}

static json_t *
leaf_json(const struct toml_value *v)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *text, *obj;

	leaf_text(v, &sb);
	text = json_stringn(sb.buf, sb.len);
	strbuf_release(&sb);
	if (text == NULL)
		return NULL;
	obj = json_object();
	json_object_set_new(obj, "type", json_string(leaf_type(v->type)));
	json_object_set_new(obj, "value", text);
	return obj;
}

/* The tagged JSON for v, or NULL if jansson refuses a string. */
static json_t *
to_json(const struct toml_value *v)
{
	json_t *out, *item;

	if (v->type == TOML_TABLE) {
		out = json_object();
		for (size_t i = 0; i < v->u.tab.len; i++) {
			const struct toml_keyval *kv = &v->u.tab.items[i];

			item = to_json(kv->value);
			if (item == NULL || json_object_setn_new(out, kv->key, kv->key_len, item)) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (v->type != TOML_ARRAY)
		return leaf_json(v);
	out = json_array();
	for (size_t i = 0; i < v->u.arr.len; i++) {
		if ((item = to_json(v->u.arr.items[i])) == NULL) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, item);
	}
	return out;
}

int
main(void)
{
	struct strbuf in = STRBUF_INIT;
	struct toml_error err;
	struct toml_value *root;
	json_t *json;
	int rc = 0;

	if (strbuf_read_file(&in, "/dev/stdin", 0) == -1) {
		perror("toml-decoder: stdin");
		return 1;
	}
	if (toml_parse(in.buf, in.len, &root, &err) == -1) {
		fprintf(stderr, "%d:%d: %s\n", err.pos.line, err.pos.col, err.msg.buf);
		toml_error_release(&err);
		strbuf_release(&in);
		return 1;
	}
	toml_error_release(&err);
	if ((json = to_json(root)) == NULL) {
		fprintf(stderr, "toml-decoder: cannot encode the document as JSON\n");
		rc = 1;
	} else if (json_dumpf(json, stdout, JSON_INDENT(2)) == -1 || fputc('\n', stdout) == EOF) {
		rc = 1;
	}
	json_decref(json);
	toml_free(root);
	strbuf_release(&in);
	return rc;
}
