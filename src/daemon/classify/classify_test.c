/*
 * classify_test.c - the cargo_test and test gates; see classify.h.
 *
 * Three output formats are understood, in this order of trust:
 * - cargo/libtest: one "test result: ok. N passed; M failed; ..." line per
 *   test binary and for the doc-tests (summed), "test NAME ... FAILED" lines,
 *   and the "failures:" list of names (sorted, so its first entry is stable);
 * - a closing "N passed, M failed" line (examples/demo-app's `make check`);
 * - TAP: "ok [N] [- name]" and "not ok [N] [- name]" lines (TODO failures and
 *   SKIPs do not count), and the plan "1..N".
 */
#include "daemon/classify/classify_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"

struct test_scan {
	int results;                     /* cargo "test result:" lines */
	int64_t passed, failed;          /* summed over them */
	int64_t failed_lines;            /* cargo "test X ... FAILED" lines */
	struct classify_line first_line; /* the first of those names */
	struct classify_line first_list; /* the first name of a "failures:" list */
	int in_list;
	int summary;                    /* an "N passed, M failed" line was seen */
	int64_t sum_passed, sum_failed; /* the last one */
	int64_t tap_ok, tap_not_ok, tap_plan;
	struct classify_line tap_first; /* the first "not ok" name */
};

static int64_t
add_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int
line_ends(const struct classify_line *l, const char *suffix)
{
	size_t n = strlen(suffix);

	return l->len >= n && memcmp(l->s + l->len - n, suffix, n) == 0;
}

/* The "failures:" list: indented names up to the first other line. */
static int
scan_cargo_list(const struct classify_line *l, struct test_scan *t)
{
	if (t->in_list) {
		if (l->len > 4 && classify_line_starts(l, "    ") && l->s[4] != ' ') {
			if (t->first_list.s == NULL)
				t->first_list = (struct classify_line){l->s + 4, l->len - 4};
			return 1;
		}
		t->in_list = 0;
	}
	if (l->len == 9 && classify_line_starts(l, "failures:")) {
		t->in_list = 1;
		return 1;
	}
	return 0;
}

static void
scan_cargo(const struct classify_line *l, struct test_scan *t)
{
	static const char failed[] = " ... FAILED";
	int64_t n;

	if (scan_cargo_list(l, t))
		return;
	if (classify_line_starts(l, "test result: ")) {
		t->results++;
		if (classify_line_count(l, " passed", &n))
			t->passed = add_sat(t->passed, n);
		if (classify_line_count(l, " failed", &n))
			t->failed = add_sat(t->failed, n);
	} else if (classify_line_starts(l, "test ") && l->len > 5 + sizeof failed - 1 &&
	           line_ends(l, failed)) {
		t->failed_lines++;
		if (t->first_line.s == NULL)
			t->first_line =
			    (struct classify_line){l->s + 5, l->len - 5 - (sizeof failed - 1)};
	}
}

/* Whether a TAP line carries the directive (TODO, SKIP) after a '#'. */
static int
tap_directive(const struct classify_line *l, const char *word)
{
	size_t i, j, n = strlen(word);

	for (i = 0; i < l->len; i++) {
		if (l->s[i] != '#')
			continue;
		for (j = i + 1; j < l->len && l->s[j] == ' '; j++)
			;
		if (l->len - j >= n && strncasecmp(l->s + j, word, n) == 0)
			return 1;
	}
	return 0;
}

/* The test's name in "not ok 3 - name # directive" (from after "not ok"). */
static struct classify_line
tap_name(const struct classify_line *l, size_t from)
{
	const char *p = l->s + from, *end = l->s + l->len, *hash;

	while (p < end && *p == ' ')
		p++;
	classify_digits(&p, end);
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '-')
		for (p++; p < end && *p == ' '; p++)
			;
	if (p < end && (hash = memchr(p, '#', (size_t)(end - p))) != NULL)
		end = hash;
	while (end > p && end[-1] == ' ')
		end--;
	return (struct classify_line){p, (size_t)(end - p)};
}

static void
scan_tap(const struct classify_line *l, struct test_scan *t)
{
	const char *p;
	int64_t n;

	if (classify_line_starts(l, "not ok") && (l->len == 6 || l->s[6] == ' ')) {
		if (tap_directive(l, "TODO"))
			return;
		t->tap_not_ok++;
		if (t->tap_first.s == NULL)
			t->tap_first = tap_name(l, 6);
	} else if (classify_line_starts(l, "ok") && (l->len == 2 || l->s[2] == ' ')) {
		if (!tap_directive(l, "SKIP"))
			t->tap_ok++;
	} else if (classify_line_starts(l, "1..")) {
		p = l->s + 3;
		if ((n = classify_digits(&p, l->s + l->len)) >= 0 && p == l->s + l->len)
			t->tap_plan = n;
	}
}

/* "N passed, M failed" at the start of a line. */
static void
scan_summary(const struct classify_line *l, struct test_scan *t)
{
	int64_t passed, failed;

	if (l->len == 0 || l->s[0] < '0' || l->s[0] > '9')
		return;
	if (classify_line_count(l, " passed,", &passed) &&
	    classify_line_count(l, " failed", &failed)) {
		t->summary = 1;
		t->sum_passed = passed;
		t->sum_failed = failed;
	}
}

static void
test_scan(const struct gate_raw *raw, struct test_scan *t)
{
	struct classify_lines it;
	struct classify_line l;

	memset(t, 0, sizeof *t);
	t->tap_plan = -1;
	classify_lines_init(&it, raw);
	while (classify_lines_next(&it, &l)) {
		scan_cargo(&l, t);
		scan_tap(&l, t);
		scan_summary(&l, t);
	}
}

/* Tests that passed, or OUTCOME_COUNT_UNKNOWN. */
static int64_t
passed_count(const struct test_scan *t)
{
	if (t->results > 0)
		return t->passed;
	if (t->summary)
		return t->sum_passed;
	if (t->tap_ok > 0)
		return t->tap_ok;
	return t->tap_plan >= 0 ? t->tap_plan : OUTCOME_COUNT_UNKNOWN;
}

/* Tests that failed (0: none could be found), and the first one's name. */
static int64_t
failed_count(const struct test_scan *t, struct classify_line *first)
{
	int64_t n;

	if (t->first_list.s != NULL)
		*first = t->first_list;
	else if (t->first_line.s != NULL)
		*first = t->first_line;
	else
		*first = t->tap_first;
	if (t->results > 0 && t->failed > 0)
		n = t->failed;
	else if (t->failed_lines > 0)
		n = t->failed_lines;
	else if (t->summary)
		n = t->sum_failed;
	else
		n = t->tap_not_ok;
	return n;
}

void
classify_test(const struct gate_raw *raw, struct outcome *out)
{
	struct test_scan t;
	struct classify_line first = {NULL, 0};
	char *name = NULL;
	int64_t failed;

	if (classify_common(raw, out))
		return;
	test_scan(raw, &t);
	if (raw->exited && raw->exit_status == 0) {
		outcome_passed_tests_passed(out, passed_count(&t), raw->duration_s);
	} else if ((failed = failed_count(&t, &first)) > 0) {
		if (first.s != NULL && first.len > 0)
			name = xstrndup(first.s, first.len);
		outcome_failed_cargo_test(out, failed, name);
		free(name);
	} else {
		classify_unclassified(raw, NULL, out);
	}
	classify_done(raw, out);
}
