/*
 * classify_int.h: the log-reading helpers the classify_*.c files share
 * (classify_common.c); not for other modules.
 *
 * A line is a span of the log (not NUL-terminated, never including its
 * "\n" or "\r\n").  Numbers are decimal digits, saturated at INT64_MAX.
 */
#ifndef SANDO_CLASSIFY_INT_H
#define SANDO_CLASSIFY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/classify/classify.h"

struct classify_line {
	const char *s;
	size_t len;
};

/* Walks the lines of a log: set pos = log and end = log + log_len. */
struct classify_lines {
	const char *pos, *end;
};

/* Start walking raw's log. */
void classify_lines_init(struct classify_lines *it, const struct gate_raw *raw);

/* The next line: 1 with *line set, 0 after the last. */
int classify_lines_next(struct classify_lines *it, struct classify_line *line);

/* The first occurrence of needle in line, or NULL. */
const char *classify_line_find(const struct classify_line *line, const char *needle);

/* Whether line starts with prefix. */
int classify_line_starts(const struct classify_line *line, const char *prefix);

/* The number just before the first "<digits><word>" in line: 1 with *n set, else 0. */
int classify_line_count(const struct classify_line *line, const char *word, int64_t *n);

/* Parse the digits at *p (not past end), advancing *p: the number, or -1 if none. */
int64_t classify_digits(const char **p, const char *end);

/* Whether the log contains needle. */
int classify_log_has(const struct gate_raw *raw, const char *needle);

/* The process's exit code: its exit status, 128 + its signal, clamped to 0..255. */
int classify_exit_code(const struct gate_raw *raw);

/* An unclassified outcome: message, or "exit status N" / "killed by SIGx" if NULL. */
void classify_unclassified(const struct gate_raw *raw, const char *message, struct outcome *out);

/* Attach raw's log_ref to out (every classifier ends with this). */
void classify_done(const struct gate_raw *raw, struct outcome *out);

#endif
