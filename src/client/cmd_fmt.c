/*
 * cmd_fmt: what the commands print: aligned tables, clean strings, status
 * and outcome colours, and the reasons of a refused promote.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "core/utf8.h"
#include "core/xmalloc.h"

#define FMT_GAP 2 /* blanks between columns */

struct cmd_cell {
	char *text;
	const char *color;
	size_t width; /* in characters */
};

void
cmd_table_init(struct cmd_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void
cmd_table_release(struct cmd_table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i].text);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Characters in a UTF-8 string (bytes that do not continue a sequence). */
static size_t
fmt_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
cmd_table_add(struct cmd_table *t, const char *color, const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT, clean = STRBUF_INIT;
	struct cmd_cell *c;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&raw, fmt, ap);
	va_end(ap);
	cmd_clean(&clean, raw.buf);
	if (t->ncells == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 32;
		t->cells = xreallocarray(t->cells, t->alloc, sizeof(*t->cells));
	}
	c = &t->cells[t->ncells++];
	c->width = fmt_width(clean.buf);
	c->color = color;
	c->text = strbuf_detach(&clean, NULL);
	strbuf_release(&raw);
}

void
cmd_table_row(struct cmd_table *t, ...)
{
	const char *s;
	va_list ap;

	va_start(ap, t);
	while ((s = va_arg(ap, const char *)) != NULL)
		cmd_table_add(t, NULL, "%s", s);
	va_end(ap);
}

void
cmd_table_addj(struct cmd_table *t, const char *color, json_t *v)
{
	if (json_is_string(v))
		cmd_table_add(t, color, "%s", json_string_value(v));
	else if (json_is_integer(v))
		cmd_table_add(t, color, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		cmd_table_add(t, color, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		cmd_table_add(t, color, "%s", json_is_true(v) ? "yes" : "no");
	else
		cmd_table_add(t, NULL, "-");
}

void
cmd_table_print(const struct cmd_table *t, FILE *out, int color)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	struct strbuf line = STRBUF_INIT;

	for (size_t i = 0; i < t->ncells; i++)
		if (t->cells[i].width > w[i % t->ncols])
			w[i % t->ncols] = t->cells[i].width;
	for (size_t i = 0; i < t->ncells; i++) {
		const struct cmd_cell *c = &t->cells[i];
		size_t col = i % t->ncols;

		if (color && c->color)
			strbuf_addf(&line, "%s%s%s", c->color, c->text, CMD_C_OFF);
		else
			strbuf_addstr(&line, c->text);
		if (col + 1 < t->ncols) {
			for (size_t k = c->width; k < w[col] + FMT_GAP; k++)
				strbuf_addch(&line, ' ');
			continue;
		}
		strbuf_rtrim(&line);
		fprintf(out, "%s\n", line.buf);
		strbuf_reset(&line);
	}
	free(w);
	strbuf_release(&line);
}

void
cmd_printf(const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT, clean = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&raw, fmt, ap);
	va_end(ap);
	cmd_clean(&clean, raw.buf);
	puts(clean.buf);
	strbuf_release(&raw);
	strbuf_release(&clean);
}

void
cmd_clean(struct strbuf *out, const char *s)
{
	struct strbuf u = STRBUF_INIT;

	utf8_sanitize(&u, s, strlen(s), 1);
	for (size_t i = 0; i < u.len; i++) {
		unsigned char ch = (unsigned char)u.buf[i];

		if (ch == 0xc2 && i + 1 < u.len && (unsigned char)u.buf[i + 1] < 0xa0) {
			strbuf_addch(out, '?'); /* a C1 control, U+0080..U+009F */
			i++;
		} else {
			strbuf_addch(out, ch < 0x20 || ch == 0x7f ? '?' : ch);
		}
	}
	strbuf_release(&u);
}

const char *
cmd_str(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

const char *
cmd_status_color(const char *status)
{
	if (status == NULL)
		return NULL;
	if (strcmp(status, "ok") == 0 || strcmp(status, "passed") == 0)
		return CMD_C_GREEN;
	if (strcmp(status, "failed") == 0)
		return CMD_C_RED;
	if (strcmp(status, "running") == 0)
		return CMD_C_CYAN;
	if (strcmp(status, "blocked") == 0 || strcmp(status, "aborted") == 0 ||
	    strcmp(status, "interrupted") == 0 || strcmp(status, "reverted") == 0)
		return CMD_C_YELLOW;
	return NULL;
}

const char *
cmd_outcome_color(const struct outcome *o)
{
	switch (outcome_color(o)) {
	case OUTCOME_GREEN:
		return CMD_C_GREEN;
	case OUTCOME_YELLOW:
		return CMD_C_YELLOW;
	case OUTCOME_RED:
		return CMD_C_RED;
	default:
		return NULL;
	}
}

void
cmd_outcome(json_t *j, struct outcome *o, struct strbuf *status, struct strbuf *summary)
{
	struct strbuf err = STRBUF_INIT;

	memset(o, 0, sizeof(*o));
	if (j == NULL || json_is_null(j)) {
		strbuf_addstr(status, "-");
		strbuf_addstr(summary, "no outcome yet");
	} else if (outcome_from_json(o, j, &err) == -1) {
		strbuf_addstr(status, "?");
		strbuf_addf(summary, "unreadable outcome: %s", err.buf);
	} else {
		strbuf_addstr(status, outcome_status_name(outcome_status(o)));
		outcome_summary(o, summary);
	}
	strbuf_release(&err);
}

void
cmd_print_reasons(json_t *reasons, FILE *out)
{
	struct strbuf status = STRBUF_INIT, summary = STRBUF_INIT;
	struct cmd_table t;
	struct outcome o;
	size_t i;
	json_t *r;

	cmd_table_init(&t, 4);
	json_array_foreach(reasons, i, r)
	{
		cmd_outcome(json_object_get(r, "outcome"), &o, &status, &summary);
		cmd_table_add(&t, NULL, "  %s", cmd_str(r, "tier", "?"));
		cmd_table_add(&t, NULL, "%s", cmd_str(r, "gate", "?"));
		cmd_table_add(&t, NULL, "%s", status.buf);
		cmd_table_add(&t, NULL, "%s", summary.buf);
		outcome_release(&o);
		strbuf_reset(&status);
		strbuf_reset(&summary);
	}
	cmd_table_print(&t, out, 0);
	cmd_table_release(&t);
	strbuf_release(&status);
	strbuf_release(&summary);
}

void
cmd_deploy_failure(json_t *outcome, struct strbuf *out)
{
	json_t *f = json_object_get(outcome, "failure");
	const char *msg = cmd_str(outcome, "message", NULL), *key;
	json_t *v;

	if (f == NULL && msg == NULL)
		return;
	strbuf_addstr(out, cmd_str(f, "kind", "failed"));
	json_object_foreach(f, key, v)
	{
		if (strcmp(key, "kind") == 0)
			continue;
		if (json_is_string(v))
			strbuf_addf(out, " %s=%s", key, json_string_value(v));
		else if (json_is_integer(v))
			strbuf_addf(out, " %s=%lld", key, (long long)json_integer_value(v));
	}
	if (msg)
		strbuf_addf(out, ": %s", msg);
}
