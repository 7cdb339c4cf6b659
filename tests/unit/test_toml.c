#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/toml.h"

/* Parse a document that must be valid. */
static struct toml_value *
parse_ok(const char *doc)
{
	struct toml_value *root;
	struct toml_error err;
	int rc = toml_parse(doc, strlen(doc), &root, &err);

	cr_assert_eq(rc, 0, "unexpected error %d:%d: %s\nin: %s", err.pos.line, err.pos.col,
	    err.msg.buf, doc);
	cr_assert_not_null(root);
	cr_assert_eq(root->type, TOML_TABLE);
	toml_error_release(&err);
	return root;
}

/* Parse len bytes that must be invalid; error at line:col (0 = any) with a
 * message containing want. */
static void
parse_fail_n(const char *doc, size_t len, int line, int col, const char *want)
{
	struct toml_value *root = (void *)1;
	struct toml_error err;
	int rc = toml_parse(doc, len, &root, &err);

	cr_assert_eq(rc, -1, "accepted invalid TOML: %.*s", (int)len, doc);
	cr_assert_null(root);
	if (line)
		cr_assert_eq(
		    err.pos.line, line, "line %d, want %d (%s)", err.pos.line, line, err.msg.buf);
	if (col)
		cr_assert_eq(
		    err.pos.col, col, "column %d, want %d (%s)", err.pos.col, col, err.msg.buf);
	if (want)
		cr_assert_not_null(
		    strstr(err.msg.buf, want), "message '%s' lacks '%s'", err.msg.buf, want);
	cr_assert_gt(err.msg.len, 0);
	cr_assert(err.msg.buf[0] < 'A' || err.msg.buf[0] > 'Z', "capitalised: %s", err.msg.buf);
	cr_assert_neq(err.msg.buf[err.msg.len - 1], '.', "full stop: %s", err.msg.buf);
	toml_error_release(&err);
}

static void
parse_fail(const char *doc, int line, int col, const char *want)
{
	parse_fail_n(doc, strlen(doc), line, col, want);
}

/* Follow a dotted path of plain keys. */
static const struct toml_value *
get(const struct toml_value *t, const char *path)
{
	char *copy = strdup(path), *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); k && t; k = strtok_r(NULL, ".", &save))
		t = toml_table_get(t, k);
	free(copy);
	return t;
}

static int64_t
get_int(const struct toml_value *t, const char *path)
{
	const struct toml_value *v = get(t, path);

	cr_assert_not_null(v, "no key %s", path);
	cr_assert_eq(v->type, TOML_INTEGER, "%s is a %s", path, toml_type_name(v->type));
	return v->u.i;
}

static const char *
get_str(const struct toml_value *t, const char *path)
{
	const struct toml_value *v = get(t, path);

	cr_assert_not_null(v, "no key %s", path);
	cr_assert_eq(v->type, TOML_STRING, "%s is a %s", path, toml_type_name(v->type));
	return v->u.s.ptr;
}

static char *
repeat(const char *head, const char *s, int n, const char *mid, const char *tail, int m)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, head);
	for (int i = 0; i < n; i++)
		strbuf_addstr(&sb, s);
	strbuf_addstr(&sb, mid);
	for (int i = 0; i < m; i++)
		strbuf_addstr(&sb, tail);
	return strbuf_detach(&sb, NULL);
}

Test(toml_errors, positions_are_line_and_byte_column)
{
	parse_fail("a = 1\nb = \n", 2, 5, "expected a value");
	parse_fail("name \"x\"", 1, 6, "expected '=' after key 'name'");
	parse_fail("a = 1\nb = 2\na = 3\n", 3, 1, "duplicate key 'a' (first defined at line 1)");
	parse_fail("[a]\nx = 1\n[a]\n", 3, 2, "table 'a' is already defined");
	parse_fail("s = \"ab\\qc\"", 1, 8, "invalid escape sequence");
	parse_fail("s = \"\xc3\xa9\" x", 1, 10, "expected end of line after value, found 'x'");
	parse_fail("x = 1\n  y = \"abc\n", 2, 11, "expected '\"' to close the string");
	parse_fail("[server]\nport = 80 80\n", 2, 11, "found '8'");
	parse_fail("a = [1, 2\nb = 3", 2, 1, "expected ',' or ']'");
	parse_fail("t = {a = 1,}", 1, 12, "may not end with a comma");
	parse_fail("t = {a = 1\n}", 1, 11, "found end of line");
	parse_fail("[a\n", 1, 3, "expected ']' to close the table header");
	parse_fail("[[a]\n", 1, 5, "expected ']]'");
	parse_fail("x = \"\"\"\nabc", 1, 5, "unterminated multi-line string");
	parse_fail("ok = 1\nbad = 1979-13-01\n", 2, 12, "month must be 01 to 12");
	parse_fail("\xef\xbb\xbf"
	           "a = !",
	    1, 8, "expected a value, found '!'");
}

Test(toml_errors, text_checks_report_the_bad_byte)
{
	parse_fail("a = 1\nb = \"\xff\"", 2, 6, "invalid UTF-8 byte 0xff");
	parse_fail("a = \"\xc0\xaf\"", 1, 6, "invalid UTF-8");         /* overlong */
	parse_fail("a = \"\xe0\x80\xaf\"", 1, 6, "invalid UTF-8");     /* overlong */
	parse_fail("a = \"\xed\xa0\x80\"", 1, 6, "invalid UTF-8");     /* surrogate */
	parse_fail("a = \"\xf4\x90\x80\x80\"", 1, 6, "invalid UTF-8"); /* > U+10FFFF */
	parse_fail("a = \"\xe2\x82\"", 1, 6, "invalid UTF-8");         /* truncated */
	parse_fail("a = 1 # \x7f", 1, 9, "control character 0x7f");
	parse_fail("a = 1\rb = 2", 1, 6, "carriage return");
	parse_fail("a = 'x\x01'", 1, 7, "control character 0x01");
	parse_fail_n("a = \"\0\"", 7, 1, 6, "control character 0x00");
	parse_fail("a = \"\"\"\x1b\"\"\"", 1, 8, "control character 0x1b");
}

/* Documents that break one rule each. */
static const char *const invalid_docs[] = {
    "a = 1 b = 2",
    "= 1",
    "a =",
    "a = 1,",
    "[]",
    "[a.]",
    "[.a]",
    "a..b = 1",
    "a = [1,,2]",
    "a = [,]",
    "a = {,}",
    "a = {a = 1,, b = 2}",
    "a = { a = 1 b = 2 }",
    "a = \"\"\"\"\"\"\"\"\"",
    "a = '''''''''",
    "\"\"\"k\"\"\" = 1",
    "a = +0x1",
    "a = 0X1",
    "a = 01",
    "a = 1__0",
    "a = _1",
    "a = 1_",
    "a = 1.",
    "a = .5",
    "a = 1e",
    "a = 1._5",
    "a = Inf",
    "a = NaN",
    "a = +-1",
    "a = True",
    "a = tru",
    "a = 1979-05-27T",
    "a = 1979-05-27 07:32",
    "a = 07:32",
    "a = 7:32:00",
    "a = 1979-5-27",
    "a = 1979-05-27T07:32:00+7:00",
    "a = 1979-05-27T07:32:00+07",
    "a = 07:32:00Z",
    "a = \"\\x41\"",
    "a = \"\\e\"",
    "a = \"\\u12\"",
    "a = \"\\uD800\"",
    "a = \"\\UDFFF0000\"",
    "a = \"\\U00110000\"",
    "a = \"a\nb\"",
    "a = 'a\nb'",
    "a = \"\"\"a\\ b\"\"\"",
    "a = 1 # ok\nb",
    "key with space = 1",
    "a.b = 1\na = 2",
};

Test(toml_errors, invalid_documents_are_rejected)
{
	for (size_t i = 0; i < sizeof(invalid_docs) / sizeof(invalid_docs[0]); i++)
		parse_fail(invalid_docs[i], 0, 0, NULL);
}

Test(toml_depth, hundred_thousand_brackets_fail_cleanly)
{
	char *doc = repeat("a = ", "[", 100000, "", "", 0);

	parse_fail(doc, 1, 4 + TOML_MAX_DEPTH + 1, "nesting too deep");
	free(doc);
	doc = repeat("a = ", "{b = ", 100000, "", "", 0);
	parse_fail(doc, 1, 0, "nesting too deep");
	free(doc);
	doc = repeat("a = ", "[{b = ", 50000, "", "", 0);
	parse_fail(doc, 1, 0, "nesting too deep");
	free(doc);
}

Test(toml_depth, arrays_nest_128_deep_not_129)
{
	char *doc = repeat("a = ", "[", TOML_MAX_DEPTH, "1", "]", TOML_MAX_DEPTH);
	struct toml_value *root = parse_ok(doc);
	const struct toml_value *v = toml_table_get(root, "a");
	int levels = 0;

	while (v->type == TOML_ARRAY) {
		levels++;
		v = v->u.arr.items[0];
	}
	cr_assert_eq(levels, TOML_MAX_DEPTH);
	cr_assert_eq(v->u.i, 1);
	toml_free(root);
	free(doc);
	doc = repeat("a = ", "[", TOML_MAX_DEPTH + 1, "", "]", TOML_MAX_DEPTH + 1);
	parse_fail(doc, 1, 4 + TOML_MAX_DEPTH + 1, "nesting too deep");
	free(doc);
}

Test(toml_depth, inline_tables_and_keys_share_the_limit)
{
	char *doc = repeat("a = ", "{b = ", TOML_MAX_DEPTH, "1", "}", TOML_MAX_DEPTH);

	toml_free(parse_ok(doc));
	free(doc);
	doc = repeat("a = ", "{b = ", TOML_MAX_DEPTH + 1, "1", "}", TOML_MAX_DEPTH + 1);
	parse_fail(doc, 1, 0, "nesting too deep");
	free(doc);
	/* 128 tables from a header, 128 from dotted keys (the last segment is the value) */
	doc = repeat("[t", ".t", TOML_MAX_DEPTH - 1, "]\n", "", 0);
	toml_free(parse_ok(doc));
	free(doc);
	doc = repeat("[t", ".t", TOML_MAX_DEPTH, "]\n", "", 0);
	parse_fail(doc, 1, 0, "nesting too deep");
	free(doc);
	doc = repeat("t", ".t", TOML_MAX_DEPTH, " = 1\n", "", 0);
	toml_free(parse_ok(doc));
	free(doc);
	doc = repeat("t", ".t", TOML_MAX_DEPTH + 1, " = 1\n", "", 0);
	parse_fail(doc, 1, 0, "nesting too deep");
	free(doc);
	/* an array of tables counts twice: the array and its table */
	doc = repeat("[[t", ".t", TOML_MAX_DEPTH - 2, "]]\n", "", 0);
	toml_free(parse_ok(doc));
	free(doc);
	doc = repeat("[[t", ".t", TOML_MAX_DEPTH - 1, "]]\n", "", 0);
	parse_fail(doc, 1, 0, "nesting too deep");
	free(doc);
}

Test(toml_integer, limits_and_overflow)
{
	struct toml_value *root =
	    parse_ok("max = 9223372036854775807\n"
	             "min = -9223372036854775808\n"
	             "hex = 0x7FFF_ffff_FFFF_FFFF\n"
	             "oct = 0o777777777777777777777\n"
	             "bin = 0b0111111111111111111111111111111111111111111111111111111111111111\n"
	             "zeros = 0x0000_0001\n"
	             "pz = +0\nnz = -0\nus = 1_000_000\n");

	cr_assert_eq(get_int(root, "max"), INT64_MAX);
	cr_assert_eq(get_int(root, "min"), INT64_MIN);
	cr_assert_eq(get_int(root, "hex"), INT64_MAX);
	cr_assert_eq(get_int(root, "oct"), INT64_MAX);
	cr_assert_eq(get_int(root, "bin"), INT64_MAX);
	cr_assert_eq(get_int(root, "zeros"), 1);
	cr_assert_eq(get_int(root, "pz"), 0);
	cr_assert_eq(get_int(root, "nz"), 0);
	cr_assert_eq(get_int(root, "us"), 1000000);
	toml_free(root);
	parse_fail("a = 9223372036854775808", 1, 5, "out of range");
	parse_fail("a = -9223372036854775809", 1, 5, "out of range");
	parse_fail("a = 99999999999999999999999", 1, 5, "out of range");
	parse_fail("a = 0x8000000000000000", 1, 5, "out of range");
	parse_fail("a = 0o1000000000000000000000", 1, 5, "out of range");
	parse_fail("a = 0b1111111111111111111111111111111111111111111111111111111111111111", 1, 5,
	    "out of range");
	parse_fail("a = 0xg", 1, 7, "expected digits after the base prefix");
	parse_fail("a = 012", 1, 5, "leading zeros");
}

Test(toml_values, strings_of_all_four_kinds)
{
	struct toml_value *root =
	    parse_ok("b = \"tab\\there \\\"q\\\" \\\\ \\b\\f\\r\\n\"\n"
	             "u = \"\\u00e9\\U0001F600\\u0000!\"\n"
	             "lit = 'C:\\path\\no\\escapes'\n"
	             "ml = \"\"\"\nfirst\r\nsecond \\\n    \t\n   third\"\"\"\n"
	             "mlq = \"\"\"two \"\" quotes\"\"\"\"\"\n"
	             "mll = '''\n raw \\n 'quoted'\n'''\n"
	             "mllq = ''''x'''''\n"
	             "empty = \"\"\nlempty = ''\n");
	const struct toml_value *u = get(root, "u");

	cr_assert_str_eq(get_str(root, "b"), "tab\there \"q\" \\ \b\f\r\n");
	cr_assert_eq(u->u.s.len, 2 + 4 + 1 + 1);
	cr_assert_eq(memcmp(u->u.s.ptr, "\xc3\xa9\xf0\x9f\x98\x80\0!", 8), 0);
	cr_assert_eq(u->u.s.ptr[8], '\0');
	cr_assert_str_eq(get_str(root, "lit"), "C:\\path\\no\\escapes");
	cr_assert_str_eq(get_str(root, "ml"), "first\nsecond third");
	cr_assert_str_eq(get_str(root, "mlq"), "two \"\" quotes\"\"");
	cr_assert_str_eq(get_str(root, "mll"), " raw \\n 'quoted'\n");
	cr_assert_str_eq(get_str(root, "mllq"), "'x''");
	cr_assert_str_eq(get_str(root, "empty"), "");
	cr_assert_str_eq(get_str(root, "lempty"), "");
	toml_free(root);
}

Test(toml_values, floats_booleans_and_specials)
{
	struct toml_value *root =
	    parse_ok("f1 = 3.1415\nf2 = -1e-3\nf3 = 6.626e+34\n"
	             "f4 = 1_000.000_1\nf5 = 5E2\nf6 = 0e0\nf7 = -0.0\nf8 = 1e06\n"
	             "i1 = inf\ni2 = +inf\ni3 = -inf\nn1 = nan\nn2 = +nan\nn3 = -nan\n"
	             "t = true\nf = false\n");
	const struct toml_value *v;

	cr_assert_float_eq(get(root, "f1")->u.f, 3.1415, 1e-12);
	cr_assert_float_eq(get(root, "f2")->u.f, -0.001, 1e-15);
	cr_assert_float_eq(get(root, "f3")->u.f, 6.626e34, 1e22);
	cr_assert_float_eq(get(root, "f4")->u.f, 1000.0001, 1e-9);
	cr_assert_float_eq(get(root, "f5")->u.f, 500.0, 0);
	cr_assert_eq(get(root, "f6")->u.f, 0.0);
	cr_assert(signbit(get(root, "f7")->u.f));
	cr_assert_eq(get(root, "f8")->u.f, 1e6);
	cr_assert(isinf(get(root, "i1")->u.f) && get(root, "i1")->u.f > 0);
	cr_assert(isinf(get(root, "i2")->u.f) && get(root, "i2")->u.f > 0);
	cr_assert(isinf(get(root, "i3")->u.f) && get(root, "i3")->u.f < 0);
	cr_assert(isnan(get(root, "n1")->u.f));
	cr_assert(isnan(get(root, "n2")->u.f));
	cr_assert(isnan(get(root, "n3")->u.f));
	v = get(root, "t");
	cr_assert_eq(v->type, TOML_BOOL);
	cr_assert_eq(v->u.b, 1);
	cr_assert_eq(get(root, "f")->u.b, 0);
	cr_assert_eq(get(root, "f1")->type, TOML_FLOAT);
	cr_assert_eq(get(root, "n3")->type, TOML_FLOAT);
	toml_free(root);
	parse_fail("a = 1e400", 1, 5, "out of range");
	parse_fail("a = -1e400", 1, 5, "out of range");
}

Test(toml_values, dates_and_times)
{
	struct toml_value *root =
	    parse_ok("odt = 1979-05-27T07:32:00Z\n"
	             "odt2 = 1979-05-27t00:32:00.999999-07:30\n"
	             "odt3 = 1979-05-27 07:32:00.1234567891+05:45\n"
	             "ldt = 1979-05-27T07:32:00\nld = 2024-02-29\nlt = 23:59:60.5\n"
	             "arr = [1979-05-27, 07:32:00]\n");
	const struct toml_value *v = get(root, "odt2");

	cr_assert_eq(v->type, TOML_DATETIME);
	cr_assert_eq(v->u.dt.year, 1979);
	cr_assert_eq(v->u.dt.month, 5);
	cr_assert_eq(v->u.dt.day, 27);
	cr_assert_eq(v->u.dt.hour, 0);
	cr_assert_eq(v->u.dt.minute, 32);
	cr_assert_eq(v->u.dt.nanosecond, 999999000);
	cr_assert_eq(v->u.dt.offset_minutes, -(7 * 60 + 30));
	cr_assert_eq(get(root, "odt3")->u.dt.nanosecond, 123456789);
	cr_assert_eq(get(root, "odt3")->u.dt.offset_minutes, 345);
	cr_assert_eq(get(root, "ldt")->type, TOML_DATETIME_LOCAL);
	cr_assert_eq(get(root, "ld")->type, TOML_DATE_LOCAL);
	cr_assert_eq(get(root, "lt")->type, TOML_TIME_LOCAL);
	cr_assert_eq(get(root, "lt")->u.dt.second, 60);
	cr_assert_eq(get(root, "arr")->u.arr.items[0]->type, TOML_DATE_LOCAL);
	cr_assert_eq(get(root, "arr")->u.arr.items[1]->type, TOML_TIME_LOCAL);
	toml_free(root);
	toml_free(parse_ok("a = 2000-02-29\nb = 1900-02-28\nc = 2023-12-31T23:59:59Z\n"));
	parse_fail("a = 2023-02-29", 1, 13, "no such day");
	parse_fail("a = 1900-02-29", 1, 13, "no such day");
	parse_fail("a = 2023-04-31", 1, 13, "no such day");
	parse_fail("a = 2023-04-00", 1, 13, "no such day");
	parse_fail("a = 12:00:61", 1, 5, "time out of range");
	parse_fail("a = 24:00:00", 1, 5, "time out of range");
	parse_fail("a = 2023-01-01T00:00:00+24:00", 1, 24, "offset out of range");
	parse_fail("a = 2023-01-01T00:00:00.", 1, 25, "expected a digit after '.'");
}

Test(toml_values, datetime_format_is_canonical)
{
	static const char *const cases[][2] = {
	    {"1979-05-27T07:32:00Z", "1979-05-27T07:32:00Z"},
	    {"1979-05-27 07:32:00z", "1979-05-27T07:32:00Z"},
	    {"1979-05-27T07:32:00+00:00", "1979-05-27T07:32:00Z"},
	    {"1979-05-27T07:32:00-00:00", "1979-05-27T07:32:00Z"},
	    {"1979-05-27T00:32:00.999-07:00", "1979-05-27T00:32:00.999-07:00"},
	    {"1979-05-27T00:32:00.500+05:30", "1979-05-27T00:32:00.5+05:30"},
	    {"1979-05-27T00:32:00.000", "1979-05-27T00:32:00"},
	    {"1979-05-27T00:32:00.0000000019", "1979-05-27T00:32:00.000000001"},
	    {"0001-01-01", "0001-01-01"},
	    {"00:00:00.123456789", "00:00:00.123456789"},
	    {"07:32:00", "07:32:00"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = repeat("v = ", cases[i][0], 1, "", "", 0);
		struct toml_value *root = parse_ok(doc);
		struct strbuf sb = STRBUF_INIT;

		toml_datetime_format(toml_table_get(root, "v"), &sb);
		cr_assert_str_eq(sb.buf, cases[i][1]);
		strbuf_release(&sb);
		toml_free(root);
		free(doc);
	}
}

Test(toml_tables, keys_keep_document_order)
{
	struct toml_value *root = parse_ok("zeta = 1\nalpha = 2\nmid.b = 3\nmid.a = 4\n"
	                                   "[x.y]\n[beta]\n[x]\nlast = 1\n");
	static const char *const want[] = {"zeta", "alpha", "mid", "x", "beta"};
	const struct toml_value *x = toml_table_get(root, "x");

	cr_assert_eq(root->u.tab.len, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(root->u.tab.items[i].key, want[i]);
	cr_assert_str_eq(get(root, "mid")->u.tab.items[0].key, "b");
	cr_assert_str_eq(get(root, "mid")->u.tab.items[1].key, "a");
	cr_assert_eq(x->u.tab.len, 2);
	cr_assert_str_eq(x->u.tab.items[0].key, "y");
	cr_assert_str_eq(x->u.tab.items[1].key, "last");
	toml_free(root);
}

Test(toml_tables, get_and_entry)
{
	struct toml_value *root =
	    parse_ok("# comment\n\n  name = \"sando\"\n"
	             "\"quoted key\" = 1\n\"nul\\u0000key\" = 2\n[srv]\nport = 80\n");
	const struct toml_keyval *kv = toml_table_entry(root, "name");
	const struct toml_value *srv = toml_table_get(root, "srv");

	cr_assert_not_null(kv);
	cr_assert_eq(kv->key_len, 4);
	cr_assert_eq(kv->pos.line, 3);
	cr_assert_eq(kv->pos.col, 3);
	cr_assert_eq(kv->value->pos.line, 3);
	cr_assert_eq(kv->value->pos.col, 10);
	cr_assert_str_eq(kv->value->u.s.ptr, "sando");
	cr_assert_eq(get_int(root, "quoted key"), 1);
	cr_assert_eq(root->u.tab.items[2].key_len, 7);
	cr_assert_eq(memcmp(root->u.tab.items[2].key, "nul\0key", 8), 0);
	cr_assert_null(toml_table_get(root, "nul"));
	cr_assert_eq(srv->pos.line, 6);
	cr_assert_eq(srv->pos.col, 1);
	cr_assert_eq(toml_table_entry(srv, "port")->pos.line, 7);
	cr_assert_null(toml_table_get(root, "missing"));
	cr_assert_null(toml_table_entry(root, "missing"));
	cr_assert_null(toml_table_get(kv->value, "x"));
	cr_assert_null(toml_table_get(NULL, "x"));
	cr_assert_null(toml_table_entry(NULL, "x"));
	toml_free(root);
	toml_free(NULL);
}

Test(toml_tables, duplicate_keys_and_redefinitions)
{
	parse_fail("a = 1\na = 1", 2, 1, "duplicate key 'a'");
	parse_fail("a = 1\n\"a\" = 1", 2, 1, "duplicate key 'a'");
	parse_fail("a = 1\n'a' = 1", 2, 1, "duplicate key 'a'");
	parse_fail("t = {x = 1, x = 2}", 1, 13, "duplicate key 'x'");
	parse_fail("[a]\n[a]", 2, 2, "table 'a' is already defined");
	parse_fail("[a.b]\n[a]\n[a]", 3, 2, "table 'a' is already defined");
	parse_fail("a.b = 1\n[a]", 2, 2, "already defined by dotted keys");
	parse_fail("[a]\nb.c = 1\n[a.b]", 3, 4, "already defined by dotted keys");
	parse_fail("[a]\nb = 1\n[a.b]", 3, 4, "key 'a.b' is already defined as an integer");
	parse_fail("[a.b.c]\n[a]\nb.d = 1", 3, 1, "cannot add to table 'b' with dotted keys");
	parse_fail("a = []\n[[a]]", 2, 3, "cannot append to static array 'a'");
	parse_fail("a = [{}]\n[[a]]", 2, 3, "cannot append to static array 'a'");
	parse_fail("[[a]]\n[a]", 2, 2, "already defined as an array of tables");
	parse_fail("[a]\n[[a]]", 2, 3, "table 'a' is already defined");
	parse_fail("a = {}\n[a]", 2, 2, "cannot extend inline table 'a'");
	parse_fail("a = {}\n[a.b]", 2, 2, "cannot extend inline table 'a'");
	parse_fail("a = {b = 1}\na.c = 2", 2, 1, "cannot extend inline table 'a'");
	parse_fail("a = {b = {}}\n[[a.b.c]]", 2, 3, "cannot extend inline table 'a'");
	parse_fail("a = {b = {c = 1}, b.d = 2}", 1, 19, "cannot extend inline table 'b'");
	parse_fail("a = 1\n[a.b]", 2, 2, "key 'a' is already defined as an integer");
	parse_fail("a = 1\na.b = 2", 2, 1, "key 'a' is already defined as an integer");
}

Test(toml_tables, dotted_keys_and_implicit_tables)
{
	struct toml_value *root = parse_ok("a.b.c = 1\na.b.d = 2\na . \"x.y\" . 'z' = 3\n"
	                                   "[t]\nu.v = 1\n[t.u.w]\nk = 1\n"
	                                   "[p.q.r]\n[p]\nx = 1\n[p.q]\ny = 2\n"
	                                   "inl = {a.b = 1, a.c = 2}\n");
	const struct toml_value *xy = toml_table_get(get(root, "a"), "x.y");

	cr_assert_eq(get_int(root, "a.b.c"), 1);
	cr_assert_eq(get_int(root, "a.b.d"), 2);
	cr_assert_not_null(xy);
	cr_assert_eq(toml_table_get(xy, "z")->u.i, 3);
	cr_assert_eq(get_int(root, "t.u.v"), 1);
	cr_assert_eq(get_int(root, "t.u.w.k"), 1);
	cr_assert_eq(get_int(root, "p.x"), 1);
	cr_assert_eq(get_int(root, "p.q.y"), 2);
	cr_assert_eq(get(root, "p.q.r")->type, TOML_TABLE);
	cr_assert_eq(get_int(root, "p.q.inl.a.b"), 1);
	cr_assert_eq(get_int(root, "p.q.inl.a.c"), 2);
	toml_free(root);
}

Test(toml_tables, arrays_of_tables)
{
	struct toml_value *root = parse_ok("[[fruit]]\nname = \"apple\"\n"
	                                   "[fruit.physical]\ncolor = \"red\"\n"
	                                   "[[fruit.variety]]\nname = \"red delicious\"\n"
	                                   "[[fruit.variety]]\nname = \"granny smith\"\n"
	                                   "[[fruit]]\nname = \"banana\"\n"
	                                   "[[fruit.variety]]\nname = \"plantain\"\n");
	const struct toml_value *fruit = get(root, "fruit"), *apple, *banana;

	cr_assert_eq(fruit->type, TOML_ARRAY);
	cr_assert_eq(fruit->u.arr.len, 2);
	apple = fruit->u.arr.items[0];
	banana = fruit->u.arr.items[1];
	cr_assert_str_eq(get_str(apple, "name"), "apple");
	cr_assert_str_eq(get_str(apple, "physical.color"), "red");
	cr_assert_eq(get(apple, "variety")->u.arr.len, 2);
	cr_assert_str_eq(get_str(get(apple, "variety")->u.arr.items[1], "name"), "granny smith");
	cr_assert_str_eq(get_str(banana, "name"), "banana");
	cr_assert_eq(get(banana, "variety")->u.arr.len, 1);
	cr_assert_eq(banana->pos.line, 9);
	toml_free(root);
}

Test(toml_values, arrays_and_inline_tables)
{
	struct toml_value *root = parse_ok("a = [ 1, 'two', 3.0, [4], {five = 5}, ]\n"
	                                   "b = [\n  1, # one\n  2\n  # two\n]\nc = []\nd = { }\n"
	                                   "e = {x = [1,\n2], y = \"\"\"\nz\"\"\"}\n");
	const struct toml_value *a = get(root, "a");

	cr_assert_eq(a->u.arr.len, 5);
	cr_assert_eq(a->u.arr.items[0]->type, TOML_INTEGER);
	cr_assert_eq(a->u.arr.items[1]->type, TOML_STRING);
	cr_assert_eq(a->u.arr.items[2]->type, TOML_FLOAT);
	cr_assert_eq(a->u.arr.items[3]->type, TOML_ARRAY);
	cr_assert_eq(get_int(a->u.arr.items[4], "five"), 5);
	cr_assert_eq(get(root, "b")->u.arr.len, 2);
	cr_assert_eq(get(root, "c")->u.arr.len, 0);
	cr_assert_eq(get(root, "d")->u.tab.len, 0);
	cr_assert_eq(get(root, "e.x")->u.arr.len, 2);
	cr_assert_str_eq(get_str(root, "e.y"), "z");
	toml_free(root);
}

Test(toml_misc, type_names_and_empty_documents)
{
	struct toml_error err;
	struct toml_value *root;

	cr_assert_str_eq(toml_type_name(TOML_TABLE), "table");
	cr_assert_str_eq(toml_type_name(TOML_INTEGER), "integer");
	cr_assert_str_eq(toml_type_name(TOML_BOOL), "boolean");
	cr_assert_str_eq(toml_type_name(TOML_DATETIME), "offset date-time");
	cr_assert_str_eq(toml_type_name(TOML_TIME_LOCAL), "local time");
	cr_assert_eq(toml_parse("", 0, &root, &err), 0);
	cr_assert_eq(root->u.tab.len, 0);
	cr_assert_eq(err.msg.len, 0);
	toml_error_release(&err);
	toml_free(root);
	toml_free(parse_ok("\xef\xbb\xbf"));
	toml_free(parse_ok("# only a comment"));
	toml_free(parse_ok("\r\n\t \n# c\r\n"));
}

Test(toml_misc, many_keys_parse_in_linear_time, .timeout = 20)
{
	struct strbuf sb = STRBUF_INIT;
	struct toml_value *root;

	for (int i = 0; i < 100000; i++)
		strbuf_addf(&sb, "k%d = %d\n", i, i);
	strbuf_addstr(&sb, "[t]\n");
	for (int i = 0; i < 50000; i++)
		strbuf_addf(&sb, "a.k%d = 'v'\n", i);
	for (int i = 0; i < 20000; i++)
		strbuf_addstr(&sb, "[[aot]]\nx = 1\n");
	root = parse_ok(sb.buf);
	cr_assert_eq(root->u.tab.len, 100002);
	cr_assert_eq(get_int(root, "k99999"), 99999);
	cr_assert_eq(get(root, "t.a")->u.tab.len, 50000);
	cr_assert_eq(get(root, "aot")->u.arr.len, 20000);
	toml_free(root);
	strbuf_release(&sb);
}

Test(toml_values, multi_line_string_details)
{
	struct toml_value *root = parse_ok("a = \"\"\"\"\"\"\"\n"
	                                   "b = '''\r\nx\r\ny'''\n"
	                                   "c = \"\"\"\\\r\n\r\n  z\\\t \r\n\"\"\"\n"
	                                   "d = \"\"\"\"quoted\"\"\"\"\n");

	cr_assert_str_eq(get_str(root, "a"), "\"");
	cr_assert_str_eq(get_str(root, "b"), "x\ny");
	cr_assert_str_eq(get_str(root, "c"), "z");
	cr_assert_str_eq(get_str(root, "d"), "\"quoted\"");
	toml_free(root);
}
