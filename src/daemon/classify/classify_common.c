/* classify_common.c - what every gate kind checks first, and the log helpers; see classify.h. */
#include "daemon/classify/classify_int.h"

#include <signal.h>
#include <string.h>

#include "core/strbuf.h"

void
gate_raw_from_proc(
    struct gate_raw *raw, const struct proc_result *r, double timeout_s, const char *log_ref)
{
	memset(raw, 0, sizeof *raw);
	raw->spawned = r->spawned;
	raw->spawn_error = r->error;
	raw->exited = r->exited;
	raw->exit_status = r->exit_status;
	raw->term_signal = r->term_signal;
	raw->timed_out = r->timed_out;
	raw->timeout_s = timeout_s;
	raw->duration_s = (double)r->duration_ms / 1000.0;
	if (r->tail != NULL) {
		raw->log = r->tail->buf;
		raw->log_len = r->tail->len;
	}
	raw->log_ref = log_ref;
}

void
classify_lines_init(struct classify_lines *it, const struct gate_raw *raw)
{
	it->pos = raw->log != NULL ? raw->log : "";
	it->end = it->pos + (raw->log != NULL ? raw->log_len : 0);
}

int
classify_lines_next(struct classify_lines *it, struct classify_line *line)
{
	const char *nl;

	if (it->pos >= it->end)
		return 0;
	nl = memchr(it->pos, '\n', (size_t)(it->end - it->pos));
	line->s = it->pos;
	line->len = (size_t)((nl != NULL ? nl : it->end) - it->pos);
	it->pos = nl != NULL ? nl + 1 : it->end;
	if (line->len > 0 && line->s[line->len - 1] == '\r')
		line->len--;
	return 1;
}

const char *
classify_line_find(const struct classify_line *line, const char *needle)
{
	return memmem(line->s, line->len, needle, strlen(needle));
}

int
classify_line_starts(const struct classify_line *line, const char *prefix)
{
	size_t n = strlen(prefix);

	return line->len >= n && memcmp(line->s, prefix, n) == 0;
}

int64_t
classify_digits(const char **p, const char *end)
{
	int64_t n = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++)
		n = n > (INT64_MAX - 9) / 10 ? INT64_MAX : n * 10 + (*s - '0');
	*p = s;
	return n;
}

int
classify_line_count(const struct classify_line *line, const char *word, int64_t *n)
{
	const char *end = line->s + line->len, *w, *d;
	struct classify_line rest = *line;

	while ((w = classify_line_find(&rest, word)) != NULL) {
		for (d = w; d > line->s && d[-1] >= '0' && d[-1] <= '9'; d--)
			;
		if (d < w && (d == line->s || d[-1] == ' ' || d[-1] == '\t')) {
			*n = classify_digits(&d, end);
			return 1;
		}
		rest.len -= (size_t)(w + 1 - rest.s);
		rest.s = w + 1;
	}
	return 0;
}

int
classify_log_has(const struct gate_raw *raw, const char *needle)
{
	return raw->log != NULL && memmem(raw->log, raw->log_len, needle, strlen(needle)) != NULL;
}

int
classify_exit_code(const struct gate_raw *raw)
{
	int code = raw->exited || raw->term_signal == 0 ? raw->exit_status : 128 + raw->term_signal;

	return code < 0 ? 0 : code > 255 ? 255 : code;
}

void
classify_done(const struct gate_raw *raw, struct outcome *out)
{
	if (raw->log_ref != NULL)
		outcome_set_log_ref(out, raw->log_ref);
}

void
classify_unclassified(const struct gate_raw *raw, const char *message, struct outcome *out)
{
	struct strbuf sb = STRBUF_INIT;
	const char *abbrev;

	if (message != NULL) {
		strbuf_addstr(&sb, message);
	} else if (!raw->exited && raw->term_signal != 0) {
		abbrev = sigabbrev_np(raw->term_signal);
		if (abbrev != NULL)
			strbuf_addf(&sb, "killed by SIG%s", abbrev);
		else
			strbuf_addf(&sb, "killed by signal %d", raw->term_signal);
	} else {
		strbuf_addf(&sb, "exit status %d", raw->exit_status);
	}
	outcome_failed_unclassified(out, raw->log_ref, sb.buf);
	strbuf_release(&sb);
}

int
classify_common(const struct gate_raw *raw, struct outcome *out)
{
	if (!raw->spawned) {
		outcome_failed_spawn_failed(
		    out, raw->spawn_error != NULL ? raw->spawn_error : "unknown error");
	} else if (raw->timed_out) {
		outcome_failed_timeout(out, raw->timeout_s > 0 ? raw->timeout_s : raw->duration_s);
	} else {
		return 0;
	}
	classify_done(raw, out);
	return 1;
}
