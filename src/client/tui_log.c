/*
 * tui_log: the log pane's data.  For the selected tier, GET
 * /gate-runs?tier=T picks the run to show: the one running, else the newest
 * failed one, else the newest; then GET /logs/{version}/{gate}?tier=T fetches
 * its log (at most TUI_LOG_FETCH bytes) of which the last TUI_LOG_KEEP are
 * kept.  While the run goes on, gate_log_chunk events with its run id are
 * appended (overlap with what was fetched is skipped by the chunk's offset; a
 * gap fetches the log again).  One request at a time: a refresh asked for
 * while one is in flight runs when it ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/tui.h"
#include "core/xmalloc.h"

static void tui_log_fetch(struct tui *t);

void
tui_log_release(struct tui_log *l)
{
	free(l->tier);
	free(l->version);
	free(l->gate);
	free(l->status);
	l->tier = l->version = l->gate = l->status = NULL;
	strbuf_release(&l->text);
	strbuf_release(&l->note);
	free(l->lines);
	l->lines = NULL;
	l->nlines = l->lines_alloc = l->lines_for = 0;
	l->run_id = 0;
	l->file_len = 0;
	l->cut = 0;
}

/* Keep only the last TUI_LOG_KEEP bytes of the text. */
static void
tui_log_trim(struct tui_log *l)
{
	if (l->text.len <= TUI_LOG_KEEP)
		return;
	strbuf_remove(&l->text, 0, l->text.len - TUI_LOG_KEEP);
	l->cut = 1;
	l->lines_for = (size_t)-1;
}

static void
tui_log_got(struct tui *t, int status, const char *body, size_t len, const char *error, void *arg)
{
	struct tui_log *l = &t->log;

	l->busy = 0;
	if ((unsigned)(uintptr_t)arg != l->gen) {
		tui_log_refresh(t); /* the selection changed meanwhile */
		return;
	}
	strbuf_reset(&l->text);
	strbuf_reset(&l->note);
	l->lines_for = (size_t)-1;
	if (status == 200) {
		size_t keep = len < TUI_LOG_KEEP ? len : TUI_LOG_KEEP;

		strbuf_add(&l->text, body + len - keep, keep);
		l->file_len = len;
		l->cut = len > keep || len >= TUI_LOG_FETCH;
	} else if (status == 404) {
		strbuf_addstr(&l->note, "(no log yet)");
	} else {
		strbuf_addf(&l->note, "(log: %s)", status ? "the daemon refused" : error);
	}
	t->dirty = 1;
	if (len > TUI_LOG_KEEP)
		t->trim = 1; /* give the fetch's memory back once it is freed */
	if (l->again) {
		l->again = 0;
		tui_log_refresh(t);
	}
}

static void
tui_log_fetch(struct tui *t)
{
	struct tui_log *l = &t->log;
	struct strbuf path = STRBUF_INIT;

	strbuf_addstr(&path, "/logs/");
	cmd_add_escaped(&path, l->version);
	strbuf_addch(&path, '/');
	cmd_add_escaped(&path, l->gate);
	strbuf_addstr(&path, "?tier=");
	cmd_add_escaped(&path, l->tier);
	l->busy = 1;
	tui_http(t, "GET", path.buf, NULL, TUI_LOG_FETCH, tui_log_got, (void *)(uintptr_t)l->gen);
	strbuf_release(&path);
}

/* The run to show among runs (newest first): running, newest failed, newest. */
static json_t *
tui_log_pick(json_t *runs)
{
	json_t *r, *failed = NULL;
	size_t i;

	json_array_foreach(runs, i, r)
	{
		const char *s = cmd_str(r, "status", NULL);

		if (s == NULL)
			return r;
		if (failed == NULL && strcmp(s, "failed") == 0)
			failed = r;
	}
	return failed ? failed : json_array_get(runs, 0);
}

static void
tui_log_set(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

/* Show run r: fetch its log when it is new, has ended, or no chunks come. */
static void
tui_log_choose(struct tui *t, json_t *r)
{
	struct tui_log *l = &t->log;
	int64_t id = json_integer_value(json_object_get(r, "id"));
	const char *status = cmd_str(r, "status", "running");
	int same = id == l->run_id, was_running = l->status && !strcmp(l->status, "running");
	int running = strcmp(status, "running") == 0;

	if (same && l->status && strcmp(l->status, status) == 0 && (!running || t->ws_up))
		return;
	if (!same) {
		strbuf_reset(&l->text);
		l->file_len = 0;
		l->cut = 0;
	}
	l->run_id = id;
	tui_log_set(&l->tier, cmd_str(r, "tier", "?"));
	tui_log_set(&l->version, cmd_str(r, "version", "?"));
	tui_log_set(&l->gate, cmd_str(r, "gate", "?"));
	tui_log_set(&l->status, status);
	t->dirty = 1;
	if (!same || was_running || running)
		tui_log_fetch(t);
}

static void
tui_log_runs(struct tui *t, int status, const char *body, size_t len, const char *error, void *arg)
{
	struct tui_log *l = &t->log;
	json_t *runs = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *r = tui_log_pick(runs);

	(void)error;
	l->busy = 0;
	if ((unsigned)(uintptr_t)arg != l->gen) {
		l->again = 1; /* the selection changed meanwhile */
	} else if (r) {
		tui_log_choose(t, r);
	} else if (status == 200) {
		tui_log_release(l);
		strbuf_addstr(&l->note, "(no gate run on this tier yet)");
		t->dirty = 1;
	}
	json_decref(runs);
	if (l->again && !l->busy) {
		l->again = 0;
		tui_log_refresh(t);
	}
}

void
tui_log_refresh(struct tui *t)
{
	struct tui_tier *tt = tui_state_selected(t);
	struct strbuf path = STRBUF_INIT;

	if (t->quitting || tt == NULL)
		return;
	if (t->log.busy) {
		t->log.again = 1;
		return;
	}
	strbuf_addstr(&path, "/gate-runs?tier=");
	cmd_add_escaped(&path, tt->name);
	t->log.busy = 1;
	tui_http(t, "GET", path.buf, NULL, 0, tui_log_runs, (void *)(uintptr_t)t->log.gen);
	strbuf_release(&path);
}

void
tui_log_reset(struct tui *t)
{
	int busy = t->log.busy;
	unsigned gen = t->log.gen;

	tui_log_release(&t->log);
	t->log.busy = busy;
	t->log.gen = gen + 1;
	t->pager_top = 0;
	t->dirty = 1;
	tui_log_refresh(t);
}

void
tui_log_chunk(struct tui *t, json_t *ev)
{
	struct tui_log *l = &t->log;
	const char *text = cmd_str(ev, "text", "");
	uint64_t off = (uint64_t)json_integer_value(json_object_get(ev, "offset"));
	size_t len = strlen(text), skip;

	if (l->run_id == 0 || json_integer_value(json_object_get(ev, "run_id")) != l->run_id)
		return;
	if (off > l->file_len) { /* missed some: fetch it whole again */
		if (l->busy)
			l->again = 1;
		else
			tui_log_fetch(t);
		return;
	}
	skip = l->file_len - off;
	if (skip >= len)
		return;
	strbuf_add(&l->text, text + skip, len - skip);
	l->file_len = off + len;
	tui_log_trim(l);
	t->dirty = 1;
}

void
tui_log_index(struct tui_log *l)
{
	if (l->lines_for == l->text.len && l->lines)
		return;
	l->nlines = 0;
	for (size_t i = 0; i <= l->text.len; i++) {
		if (i > 0 && l->text.buf[i - 1] != '\n')
			continue;
		if (i == l->text.len && i > 0)
			break; /* no empty line after the last newline */
		if (l->nlines == l->lines_alloc) {
			l->lines_alloc = l->lines_alloc ? 2 * l->lines_alloc : 256;
			l->lines = xreallocarray(l->lines, l->lines_alloc, sizeof(*l->lines));
		}
		l->lines[l->nlines++] = i;
	}
	l->lines_for = l->text.len;
}
