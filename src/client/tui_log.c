/*
 * tui_log: the log pane's data.  For the selected tier, GET
 * /gate-runs?tier=T picks the run to show: the one running, else the newest
 * failed one, else the newest.  Only the log's end is asked for
 * (&tail=TUI_LOG_TAIL, of which the last TUI_LOG_KEEP bytes are kept: a body
 * longer than that shows as cut): a run that has ended is fetched once (GET
 * /logs/{version}/{gate}?tier=T&tail=), a running one is followed (&follow=1:
 * the daemon streams the tail, then what is appended, and ends the stream
 * when the run ends), so nothing has to be matched up with the events'
 * gate_log_chunk, whose file offsets a tail's body does not carry.  One
 * gate-runs or fetch request at a time (a refresh asked for meanwhile runs
 * when it ends), besides the stream, which is cancelled when another run is
 * shown.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/tui.h"
#include "core/xmalloc.h"

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
	l->cut = l->complete = l->fresh = 0;
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

/* Drop the text (for another run, or a stream's first piece). */
static void
tui_log_clear(struct tui_log *l)
{
	strbuf_reset(&l->text);
	strbuf_reset(&l->note);
	l->cut = l->complete = 0;
	l->lines_for = (size_t)-1;
}

/* Why there is no log: status and error of the answer. */
static void
tui_log_note(struct tui_log *l, int status, const char *error)
{
	strbuf_reset(&l->note);
	if (status == 404)
		strbuf_addstr(&l->note, "(no log yet)");
	else
		strbuf_addf(&l->note, "(log: %s)", status ? "the daemon refused" : error);
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
	tui_log_clear(l);
	if (status == 200) {
		strbuf_add(&l->text, body, len);
		tui_log_trim(l);
		l->complete = 1;
	} else {
		tui_log_note(l, status, error);
	}
	t->dirty = 1;
	if (l->again) {
		l->again = 0;
		tui_log_refresh(t);
	}
}

/* The shown run's log path: its tail, followed when follow. */
static void
tui_log_path(struct tui_log *l, int follow, struct strbuf *path)
{
	strbuf_addstr(path, "/logs/");
	cmd_add_escaped(path, l->version);
	strbuf_addch(path, '/');
	cmd_add_escaped(path, l->gate);
	strbuf_addstr(path, "?tier=");
	cmd_add_escaped(path, l->tier);
	strbuf_addf(path, "&tail=%zu%s", TUI_LOG_TAIL, follow ? "&follow=1" : "");
}

static void
tui_log_fetch(struct tui *t)
{
	struct tui_log *l = &t->log;
	struct strbuf path = STRBUF_INIT;

	tui_log_path(l, 0, &path);
	l->busy = 1;
	tui_http(t, "GET", path.buf, NULL, TUI_LOG_TAIL, tui_log_got, (void *)(uintptr_t)l->gen);
	strbuf_release(&path);
}

/* A piece of the followed log. */
static void
tui_log_piece(struct tui *t, const char *buf, size_t len, void *arg)
{
	struct tui_log *l = &t->log;

	if ((unsigned)(uintptr_t)arg != l->stream_gen)
		return;
	if (l->fresh)
		tui_log_clear(l);
	l->fresh = 0;
	strbuf_add(&l->text, buf, len);
	tui_log_trim(l);
	t->dirty = 1;
}

/* The followed log's stream ended: with the run (200), or cut. */
static void
tui_log_streamed(
    struct tui *t, int status, const char *body, size_t len, const char *error, void *arg)
{
	struct tui_log *l = &t->log;

	(void)body;
	(void)len;
	if ((unsigned)(uintptr_t)arg != l->stream_gen)
		return; /* dropped: tui_log_stop */
	l->stream = NULL;
	if (l->fresh)
		tui_log_clear(l);
	if (status == 200)
		l->complete = 1;
	else if (l->fresh)
		tui_log_note(l, status, error);
	l->fresh = 0;
	t->dirty = 1;
}

/* Follow the shown (running) run's log; what is shown stays until it sends. */
static void
tui_log_follow(struct tui *t)
{
	struct tui_log *l = &t->log;
	struct strbuf path = STRBUF_INIT;

	tui_log_path(l, 1, &path);
	l->fresh = 1;
	l->stream = tui_http_stream(
	    t, path.buf, tui_log_piece, tui_log_streamed, (void *)(uintptr_t)l->stream_gen);
	strbuf_release(&path);
}

/* Drop the stream, if any (its answer will be ignored). */
static void
tui_log_stop(struct tui_log *l)
{
	if (l->stream)
		tui_http_cancel(l->stream);
	l->stream = NULL;
	l->stream_gen++;
	l->fresh = 0;
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

/* Show run r: follow its log while it runs, else fetch it once. */
static void
tui_log_choose(struct tui *t, json_t *r)
{
	struct tui_log *l = &t->log;
	int64_t id = json_integer_value(json_object_get(r, "id"));
	const char *status = cmd_str(r, "status", "running");
	int running = strcmp(status, "running") == 0;

	if (id != l->run_id) {
		tui_log_stop(l);
		tui_log_clear(l);
	}
	if (id != l->run_id || l->status == NULL || strcmp(l->status, status) != 0)
		t->dirty = 1;
	l->run_id = id;
	tui_log_set(&l->tier, cmd_str(r, "tier", "?"));
	tui_log_set(&l->version, cmd_str(r, "version", "?"));
	tui_log_set(&l->gate, cmd_str(r, "gate", "?"));
	tui_log_set(&l->status, status);
	if (l->stream == NULL && running)
		tui_log_follow(t);
	else if (l->stream == NULL && !l->complete)
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
		tui_log_stop(l);
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

	tui_log_stop(&t->log);
	tui_log_release(&t->log);
	t->log.busy = busy;
	t->log.gen = gen + 1;
	t->pager_top = 0;
	t->dirty = 1;
	tui_log_refresh(t);
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
