/*
 * metrics: the Prometheus text format's string building (see metrics.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "daemon/metrics.h"

void
metrics_add_value(struct strbuf *out, double v)
{
	char buf[32];

	if (isnan(v)) {
		strbuf_addstr(out, "NaN");
		return;
	}
	if (isinf(v)) {
		strbuf_addstr(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		strbuf_addf(out, "%.0f", v);
		return;
	}
	/* the shortest of 15 or 17 significant digits that reads back exactly */
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	strbuf_addstr(out, buf);
}

/* Append s with backslash and line feed escaped, and also double quotes
 * when quote is set; invalid UTF-8 is replaced first. */
static void
add_escaped(struct strbuf *out, const char *s, int quote)
{
	struct strbuf clean = STRBUF_INIT;

	if (s == NULL)
		return;
	utf8_sanitize(&clean, s, strlen(s), 1);
	for (size_t i = 0; i < clean.len; i++) {
		char c = clean.buf[i];

		if (c == '\\')
			strbuf_addstr(out, "\\\\");
		else if (c == '\n')
			strbuf_addstr(out, "\\n");
		else if (c == '"' && quote)
			strbuf_addstr(out, "\\\"");
		else if (c != '\0')
			strbuf_addch(out, c);
	}
	strbuf_release(&clean);
}

void
metrics_add_label_value(struct strbuf *out, const char *s)
{
	add_escaped(out, s, 1);
}

void
metrics_family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_addf(out, "# HELP %s ", name);
	add_escaped(out, help, 0);
	strbuf_addf(out, "\n# TYPE %s %s\n", name, type);
}

/* Append {a="x",b="y"} for labels plus an optional extra one (le). */
static void
add_labels(struct strbuf *out, const struct metrics_label *labels, size_t n,
    const struct metrics_label *extra)
{
	if (n == 0 && extra == NULL)
		return;
	strbuf_addch(out, '{');
	for (size_t i = 0; i < n + (extra != NULL); i++) {
		const struct metrics_label *l = i < n ? &labels[i] : extra;

		strbuf_addf(out, "%s%s=\"", i ? "," : "", l->name);
		metrics_add_label_value(out, l->value);
		strbuf_addch(out, '"');
	}
	strbuf_addch(out, '}');
}

void
metrics_sample(struct strbuf *out, const char *name, const struct metrics_label *labels,
    size_t nlabels, double v)
{
	strbuf_addstr(out, name);
	add_labels(out, labels, nlabels, NULL);
	strbuf_addch(out, ' ');
	metrics_add_value(out, v);
	strbuf_addch(out, '\n');
}

void
metrics_histogram(struct strbuf *out, const char *name, const struct metrics_label *labels,
    size_t nlabels, const struct metrics_histogram *h)
{
	struct strbuf le = STRBUF_INIT;
	struct metrics_label l = {"le", NULL};

	for (size_t i = 0; i <= h->nbounds; i++) {
		strbuf_reset(&le);
		if (i < h->nbounds)
			metrics_add_value(&le, h->bounds[i]);
		else
			strbuf_addstr(&le, "+Inf");
		l.value = le.buf;
		strbuf_addf(out, "%s_bucket", name);
		add_labels(out, labels, nlabels, &l);
		strbuf_addch(out, ' ');
		metrics_add_value(out, i < h->nbounds ? h->cumulative[i] : h->count);
		strbuf_addch(out, '\n');
	}
	strbuf_addf(out, "%s_sum", name);
	add_labels(out, labels, nlabels, NULL);
	strbuf_addch(out, ' ');
	metrics_add_value(out, h->sum);
	strbuf_addf(out, "\n%s_count", name);
	add_labels(out, labels, nlabels, NULL);
	strbuf_addch(out, ' ');
	metrics_add_value(out, h->count);
	strbuf_addch(out, '\n');
	strbuf_release(&le);
}
