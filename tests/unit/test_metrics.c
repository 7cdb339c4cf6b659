/* The Prometheus text formatter (src/daemon/metrics.c): values, escapes,
 * families and histograms. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "daemon/metrics.h"

static char *
value(double v)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	metrics_add_value(&sb, v);
	return sb.buf;
}

Test(metrics, values_shortest_exact)
{
	cr_assert_str_eq(value(0), "0");
	cr_assert_str_eq(value(42), "42");
	cr_assert_str_eq(value(-3), "-3");
	cr_assert_str_eq(value(0.25), "0.25");
	cr_assert_str_eq(value(0.1), "0.1");
	cr_assert_str_eq(value(1e300), "1e+300");
	cr_assert_str_eq(value(NAN), "NaN");
	cr_assert_str_eq(value(INFINITY), "+Inf");
	cr_assert_str_eq(value(-INFINITY), "-Inf");
	cr_assert_eq(strtod(value(1.0 / 30), NULL), 1.0 / 30);
}

Test(metrics, label_values_and_help_are_escaped)
{
	struct strbuf sb = STRBUF_INIT;
	struct metrics_label l[2] = {{"a", "x\"y\\z\nw"}, {"b", NULL}};

	metrics_sample(&sb, "m_total", l, 2, 1);
	cr_assert_str_eq(sb.buf, "m_total{a=\"x\\\"y\\\\z\\nw\",b=\"\"} 1\n");
	strbuf_reset(&sb);
	metrics_add_label_value(&sb, "bad\xff");
	cr_assert_str_eq(sb.buf, "bad\xef\xbf\xbd");
	strbuf_reset(&sb);
	metrics_family(&sb, "m", "gauge", "a \"help\" \\ text\nmore");
	cr_assert_str_eq(sb.buf, "# HELP m a \"help\" \\\\ text\\nmore\n# TYPE m gauge\n");
	strbuf_release(&sb);
}

Test(metrics, sample_without_labels_has_no_braces)
{
	struct strbuf sb = STRBUF_INIT;

	metrics_sample(&sb, "up", NULL, 0, 1);
	cr_assert_str_eq(sb.buf, "up 1\n");
	strbuf_release(&sb);
}

Test(metrics, histogram_buckets_sum_count)
{
	struct strbuf sb = STRBUF_INIT;
	const double bounds[] = {1, 2.5}, cum[] = {1, 3};
	struct metrics_histogram h = {bounds, cum, 2, 4, 12.5};
	struct metrics_label l = {"tier", "prod"};

	metrics_histogram(&sb, "d_seconds", &l, 1, &h);
	cr_assert_str_eq(sb.buf, "d_seconds_bucket{tier=\"prod\",le=\"1\"} 1\n"
	                         "d_seconds_bucket{tier=\"prod\",le=\"2.5\"} 3\n"
	                         "d_seconds_bucket{tier=\"prod\",le=\"+Inf\"} 4\n"
	                         "d_seconds_sum{tier=\"prod\"} 12.5\n"
	                         "d_seconds_count{tier=\"prod\"} 4\n");
	strbuf_reset(&sb);
	metrics_histogram(&sb, "e", NULL, 0, &h);
	cr_assert(strncmp(sb.buf, "e_bucket{le=\"1\"} 1\n", 19) == 0);
	strbuf_release(&sb);
}
