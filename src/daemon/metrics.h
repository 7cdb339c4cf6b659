/*
 * metrics: the Prometheus text exposition format, version 0.0.4, as pure
 * string building (GET /metrics is api_metrics.c; its queries store_metrics.c).
 *
 * A family is its "# HELP" and "# TYPE" lines followed by every sample of
 * that name (a histogram's _bucket, _sum and _count included): callers write
 * one family at a time, never interleaving two.  Label values are escaped
 * (backslash, double quote and line feed; bytes that are not UTF-8 become
 * U+FFFD), HELP text too (backslash and line feed).  Values print in the
 * shortest form that reads back exactly; NaN and infinities as "NaN",
 * "+Inf" and "-Inf".  Nothing here allocates but the output strbuf.
 */
#ifndef SANDO_METRICS_H
#define SANDO_METRICS_H

#include <stddef.h>

#include "core/strbuf.h"

/* The Content-Type of the text format. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One label of a sample; a NULL value is written as "". */
struct metrics_label {
	const char *name;
	const char *value;
};

/* A histogram's data: nbounds upper bounds in increasing order (the +Inf
 * bucket is implied) with, for each, how many observations were <= it. */
struct metrics_histogram {
	const double *bounds;
	const double *cumulative;
	size_t nbounds;
	double count;
	double sum;
};

/* Append a value (1, 0.25, NaN, +Inf). */
void metrics_add_value(struct strbuf *out, double v);

/* Append s escaped as a label value (without the quotes). */
void metrics_add_label_value(struct strbuf *out, const char *s);

/* Append the HELP and TYPE lines of family name (type "counter", "gauge",
 * "histogram"...). */
void metrics_family(struct strbuf *out, const char *name, const char *type, const char *help);

/* Append one sample line: name{labels} value (no braces without labels). */
void metrics_sample(struct strbuf *out, const char *name, const struct metrics_label *labels,
    size_t nlabels, double v);

/* Append one histogram's samples (name_bucket with le, name_sum, name_count)
 * with the given labels; its family lines must have been written. */
void metrics_histogram(struct strbuf *out, const char *name, const struct metrics_label *labels,
    size_t nlabels, const struct metrics_histogram *h);

#endif
