/*
 * tui_keys: the keys of each view and the operator's actions.  Promote,
 * rollback and confirm ask y/N first (the prompt says what will happen);
 * only 'y' or 'Y' goes on.  A 202 answer starts watching the promote (GET
 * /promotes/{id} every TUI_FOLLOW_MS until it has a status); a refusal shows
 * the daemon's message and, for a 422, each gate that has not passed.
 */
#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/tui.h"
#include "core/xmalloc.h"

#define TUI_FOLLOW_MS 500
#define TUI_KEY_ESC 27
#define TUI_KEY_CTRL_C 3

void
tui_keys_release(struct tui *t)
{
	free(t->act_tier);
	free(t->act_version);
	t->act_tier = t->act_version = NULL;
}

/* The refusal in body (a {"error"}) as the message. */
static void
tui_refused(
    struct tui *t, const char *what, int status, const char *body, size_t len, const char *error)
{
	json_t *j = json_loadb(body, len, 0, NULL), *e = json_object_get(j, "error"), *r;
	struct strbuf m = STRBUF_INIT, st = STRBUF_INIT, sum = STRBUF_INIT;
	struct outcome o;
	size_t i;

	if (status == 0)
		strbuf_addf(&m, "%s: cannot reach the daemon: %s", what, error);
	else if (json_array_size(json_object_get(e, "reasons")))
		strbuf_addf(&m, "%s refused, gates not passed", what);
	else
		strbuf_addf(&m, "%s refused: %s", what, cmd_str(e, "message", "no reason given"));
	json_array_foreach(json_object_get(e, "reasons"), i, r)
	{
		cmd_outcome(json_object_get(r, "outcome"), &o, &st, &sum);
		strbuf_addf(&m, "%s %s/%s %s", i ? ";" : ":", cmd_str(r, "tier", "?"),
		    cmd_str(r, "gate", "?"), sum.buf);
		outcome_release(&o);
		strbuf_reset(&st);
		strbuf_reset(&sum);
	}
	tui_message(t, TUI_C_RED, "%s", m.buf);
	strbuf_release(&m);
	strbuf_release(&st);
	strbuf_release(&sum);
	json_decref(j);
}

/* A promote or rollback being watched: its answer. */
static void
tui_follow_got(
    struct tui *t, int status, const char *body, size_t len, const char *error, void *arg)
{
	json_t *p = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	const char *st = cmd_str(p, "status", NULL), *kind = cmd_str(p, "kind", "promote");

	(void)error;
	if ((int64_t)(intptr_t)arg == t->follow_id && st) {
		if (strcmp(st, "ok") == 0)
			tui_message(t, TUI_C_GREEN, "%s %lld ok: %s is on %s", kind,
			    (long long)t->follow_id, cmd_str(p, "tier", "?"),
			    cmd_str(p, "version", "?"));
		else
			tui_message(t, TUI_C_RED, "%s %lld %s: %s", kind, (long long)t->follow_id,
			    st, cmd_str(p, "error", "see 'sando deploys'"));
		t->follow_id = 0;
		uv_timer_stop(&t->follow_timer);
		tui_state_refresh(t);
	}
	json_decref(p);
}

static void
tui_follow_tick(uv_timer_t *h)
{
	struct tui *t = h->data;
	struct strbuf path = STRBUF_INIT;

	strbuf_addf(&path, "/promotes/%lld", (long long)t->follow_id);
	tui_http(t, "GET", path.buf, NULL, 0, tui_follow_got, (void *)(intptr_t)t->follow_id);
	strbuf_release(&path);
}

/* The answer to POST /promote, /rollback, /confirm or /backup/fetch. */
static void
tui_action_done(
    struct tui *t, int status, const char *body, size_t len, const char *error, void *arg)
{
	const char *what = arg;
	json_t *j = json_loadb(body, len, 0, NULL);
	json_int_t id = json_integer_value(json_object_get(j, "promote_id"));
	json_int_t backup = json_integer_value(json_object_get(j, "backup_id"));

	if (status < 200 || status >= 300) {
		tui_refused(t, what, status, body, len, error);
	} else if (backup > 0) {
		tui_message(t, TUI_C_CYAN,
		    "%s %lld started: its backup_fetched event tells the end", what,
		    (long long)backup);
	} else if (id > 0) {
		tui_message(t, TUI_C_CYAN, "%s %lld: %s to %s started", what, (long long)id,
		    cmd_str(j, "version", "?"), cmd_str(j, "tier", "?"));
		t->follow_id = id;
		uv_timer_start(&t->follow_timer, tui_follow_tick, TUI_FOLLOW_MS, TUI_FOLLOW_MS);
	} else {
		tui_message(t, TUI_C_GREEN, "%s: done (HTTP %d)", what, status);
	}
	json_decref(j);
	tui_state_refresh(t);
}

/* Run the confirmed action. */
static void
tui_act(struct tui *t)
{
	static char promote[] = "promote", rollback[] = "rollback", confirm[] = "confirm";
	struct strbuf path = STRBUF_INIT;
	json_t *body = NULL;
	char *what = t->action == TUI_ACT_PROMOTE    ? promote
	             : t->action == TUI_ACT_ROLLBACK ? rollback
	                                             : confirm;

	strbuf_addf(&path, "/%s/", what);
	cmd_add_escaped(&path, t->act_tier);
	if (t->action == TUI_ACT_PROMOTE)
		body = json_pack("{s:s}", "version", t->act_version);
	tui_message(t, TUI_C_NONE, "%s %s: asking the daemon", what, t->act_tier);
	tui_http(t, "POST", path.buf, body, 0, tui_action_done, what);
	json_decref(body);
	strbuf_release(&path);
}

/* Ask y/N before action on the selected tier; refuse at once what cannot be. */
static void
tui_ask(struct tui *t, enum tui_action action)
{
	struct tui_tier *tt = tui_state_selected(t), *pred = NULL;

	if (tt == NULL)
		return;
	if (t->sel > 0)
		pred = &t->tiers[t->sel - 1];
	tui_keys_release(t);
	strbuf_reset(&t->prompt);
	t->act_tier = xstrdup(tt->name);
	if (action == TUI_ACT_PROMOTE && (pred == NULL || strcmp(pred->current, "-") == 0)) {
		tui_message(t, TUI_C_YELLOW, "%s: %s", tt->name,
		    pred ? "its predecessor has no version"
		         : "the first tier gets builds, not promotes");
		return;
	}
	if (action == TUI_ACT_PROMOTE) {
		t->act_version = xstrdup(pred->current);
		strbuf_addf(&t->prompt,
		    "promote %s to %s? (%s now has %s; %s's gates are checked) y/N", pred->current,
		    tt->name, tt->name, tt->current, pred->name);
	} else if (action == TUI_ACT_ROLLBACK) {
		strbuf_addf(&t->prompt, "rollback %s to %s? (every node from %s back to %s) y/N",
		    tt->name, tt->previous, tt->current, tt->previous);
	} else {
		strbuf_addf(&t->prompt, "confirm %s on %s (a passing manual_confirm)? y/N",
		    tt->current, tt->name);
	}
	t->action = action;
	t->mode = TUI_CONFIRM;
	t->dirty = 1;
}

static void
tui_select(struct tui *t, int delta)
{
	if (t->ntiers == 0)
		return;
	if (delta < 0 && t->sel > 0)
		t->sel--;
	else if (delta > 0 && t->sel + 1 < t->ntiers)
		t->sel++;
	else
		return;
	tui_log_reset(t);
}

static void
tui_key_main(struct tui *t, int key)
{
	switch (key) {
	case KEY_UP:
	case 'k':
		tui_select(t, -1);
		break;
	case KEY_DOWN:
	case 'j':
		tui_select(t, 1);
		break;
	case 'p':
		tui_ask(t, TUI_ACT_PROMOTE);
		break;
	case 'R':
		tui_ask(t, TUI_ACT_ROLLBACK);
		break;
	case 'c':
		tui_ask(t, TUI_ACT_CONFIRM);
		break;
	case 'b':
		tui_message(t, TUI_C_NONE, "backup fetch: asking the daemon");
		tui_http(t, "POST", "/backup/fetch", NULL, 0, tui_action_done, "backup fetch");
		break;
	case 'r':
		tui_message(t, TUI_C_NONE, "refreshing");
		tui_state_refresh(t);
		tui_log_refresh(t);
		break;
	case 'l':
		t->mode = TUI_PAGER;
		t->pager_top = (size_t)-1; /* the end: the draw clamps it */
		break;
	case '?':
		t->mode = TUI_HELP;
		break;
	case 'q':
	case TUI_KEY_ESC:
		tui_quit(t);
		break;
	}
}

static void
tui_key_pager(struct tui *t, int key)
{
	size_t page = LINES > 3 ? (size_t)LINES - 3 : 1, top = t->pager_top;

	tui_log_index(&t->log);
	if (top > t->log.nlines)
		top = t->log.nlines;
	switch (key) {
	case 'q':
	case TUI_KEY_ESC:
		t->mode = TUI_MAIN;
		break;
	case KEY_UP:
	case 'k':
		top = top ? top - 1 : 0;
		break;
	case KEY_DOWN:
	case 'j':
		top++;
		break;
	case KEY_PPAGE:
	case 'b':
		top = top > page ? top - page : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		top += page;
		break;
	case KEY_HOME:
	case 'g':
		top = 0;
		break;
	case KEY_END:
	case 'G':
		top = (size_t)-1;
		break;
	}
	t->pager_top = top;
}

void
tui_key(struct tui *t, int key)
{
	t->dirty = 1;
	if (key == TUI_KEY_CTRL_C) {
		tui_quit(t);
	} else if (key == KEY_RESIZE) {
		return;
	} else if (t->mode == TUI_CONFIRM) {
		t->mode = TUI_MAIN;
		if (key == 'y' || key == 'Y')
			tui_act(t);
		else
			tui_message(t, TUI_C_NONE, "cancelled");
	} else if (t->mode == TUI_HELP) {
		t->mode = TUI_MAIN;
	} else if (t->mode == TUI_PAGER) {
		tui_key_pager(t, key);
	} else {
		tui_key_main(t, key);
	}
}
