/*
 * tui_draw: the screen.  Rows, top to bottom: a title, the tiers (each on one
 * line: name, current version, previous version, burn-in; its gates below,
 * indented, coloured by outcome), the event pane, the log pane, a message
 * line and the status line with the keys.  The panes share what is left of
 * the height; at small sizes the log and then the event pane go first, and
 * every line is cut to the width, so any size draws without error.
 *
 * Everything is drawn into stdscr after werase (which does not clear the
 * terminal), then wnoutrefresh + doupdate send only what changed: no flicker.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "client/tui.h"

static void tui_draw_pager(struct tui *t);
static void tui_draw_help(struct tui *t);

void
tui_draw_init(struct tui *t)
{
	if (!t->color || !has_colors())
		return;
	start_color();
	use_default_colors();
	init_pair(TUI_C_GREEN, COLOR_GREEN, -1);
	init_pair(TUI_C_YELLOW, COLOR_YELLOW, -1);
	init_pair(TUI_C_RED, COLOR_RED, -1);
	init_pair(TUI_C_CYAN, COLOR_CYAN, -1);
}

static attr_t
tui_attr(struct tui *t, enum tui_color c)
{
	return t->color && has_colors() && c != TUI_C_NONE ? COLOR_PAIR(c) : A_NORMAL;
}

int
tui_put(int y, int x, int w, const char *s, size_t len)
{
	mbstate_t st;
	size_t i = 0, n;
	int col = 0, cw;
	wchar_t wc;

	memset(&st, 0, sizeof(st));
	move(y, x);
	while (i < len && col < w && s[i] != '\n') {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			addch(c == '\t' ? ' ' : (c < 0x20 || c == 0x7f ? '?' : c));
			col++;
			i++;
			continue;
		}
		n = mbrtowc(&wc, s + i, len - i, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || (cw = wcwidth(wc)) < 0) {
			memset(&st, 0, sizeof(st));
			addch('?');
			col++;
			i++;
			continue;
		}
		if (col + cw > w)
			break;
		addnstr(s + i, (int)n);
		col += cw;
		i += n;
	}
	return col;
}

/* Put a C string at (y, x) in at most w columns, in attribute a. */
static int
tui_puts(int y, int x, int w, const char *s, attr_t a)
{
	int n;

	if (w <= 0)
		return 0;
	attron(a);
	n = tui_put(y, x, w, s, strlen(s));
	attroff(a);
	return n;
}

/* A pane's title row: "-- text ------". */
static void
tui_rule(int y, const char *text)
{
	int w = COLS, n;

	attron(A_BOLD);
	n = tui_put(y, 0, w, "-- ", 3);
	n += tui_put(y, n, w - n, text, strlen(text));
	for (n += tui_put(y, n, w - n, " ", 1); n < w; n++)
		addch('-');
	attroff(A_BOLD);
}

/* One tier's line: name, current, previous, burn-in. */
static void
tui_draw_tier(struct tui *t, int y, struct tui_tier *tt, int selected)
{
	struct strbuf line = STRBUF_INIT;
	struct tui_gate *burn = NULL;
	int n;

	for (size_t g = 0; g < tt->ngates; g++)
		if (tt->gates[g].is_burn_in && !tt->gates[g].pending)
			burn = &tt->gates[g];
	strbuf_addf(&line, "%c %-10s %-12s prev %-12s%s", selected ? '>' : ' ', tt->name,
	    tt->current, tt->previous, tt->frozen ? " frozen" : "");
	if (tt->pending)
		strbuf_addf(&line, " pending %s", tt->pending);
	attr_t a = selected ? A_REVERSE | A_BOLD : A_BOLD;
	n = tui_puts(y, 0, COLS, line.buf, a);
	if (burn)
		tui_puts(y, n + 1, COLS - n - 1, burn->summary, tui_attr(t, burn->color));
	strbuf_release(&line);
}

/* The tiers and their gates in rows [y, y + h); the rows used. */
static int
tui_draw_tiers(struct tui *t, int y, int h)
{
	size_t first = 0, line = 0, i;
	int row = 0;

	for (i = 0; i < t->sel && i < t->ntiers; i++)
		line += 1 + t->tiers[i].ngates;
	while (first < t->sel && line >= (size_t)h) /* keep the selection in view */
		line -= 1 + t->tiers[first++].ngates;
	if (t->ntiers == 0 && h > 0)
		tui_puts(y, 0, COLS, t->state_ok ? "(no tiers)" : "(waiting for /state)", A_DIM);
	for (i = first; i < t->ntiers && row < h; i++) {
		struct tui_tier *tt = &t->tiers[i];

		tui_draw_tier(t, y + row++, tt, i == t->sel);
		for (size_t g = 0; g < tt->ngates && row < h; g++, row++) {
			int n = tui_puts(y + row, 4, COLS - 4, tt->gates[g].name, A_NORMAL);

			if (tt->gates[g].pending)
				n += tui_puts(y + row, 4 + n, COLS - 4 - n, " (pending)", A_DIM);
			n += tui_puts(y + row, 4 + n, COLS - 4 - n, ": ", A_NORMAL);
			tui_puts(y + row, 4 + n, COLS - 4 - n, tt->gates[g].summary,
			    tui_attr(t, tt->gates[g].color));
		}
	}
	return row;
}

/* The newest events in rows [y, y + h). */
static void
tui_draw_events(struct tui *t, int y, int h)
{
	size_t n = t->ev_count < TUI_EVENTS_MAX ? t->ev_count : TUI_EVENTS_MAX;
	size_t show = n < (size_t)h ? n : (size_t)h;

	for (size_t k = 0; k < show; k++) {
		size_t i = (t->ev_count - show + k) % TUI_EVENTS_MAX;

		tui_puts(y + (int)k, 0, COLS, t->ev_lines[i], tui_attr(t, t->ev_colors[i]));
	}
}

/* The last h lines of the log in rows [y, y + h). */
static void
tui_draw_log(struct tui *t, int y, int h)
{
	struct tui_log *l = &t->log;
	const char *s = l->text.buf;
	size_t end = l->text.len, starts[256];
	int n = 0;

	if (l->text.len == 0) {
		tui_puts(y, 0, COLS, l->note.len ? l->note.buf : "(empty log)", A_DIM);
		return;
	}
	if (h > 256)
		h = 256;
	if (end > 0 && s[end - 1] == '\n')
		end--;
	while (n < h) {
		size_t b = end;

		while (b > 0 && s[b - 1] != '\n')
			b--;
		starts[n++] = b;
		if (b == 0)
			break;
		end = b - 1;
	}
	for (int k = 0; k < n; k++)
		tui_put(y + k, 0, COLS, s + starts[n - 1 - k], l->text.len - starts[n - 1 - k]);
}

/* The message line and the status line. */
static void
tui_draw_status(struct tui *t)
{
	int up = t->ws_up && t->state_ok, n;
	const char *keys = t->mode == TUI_PAGER
	                       ? " q:back j/k:scroll space/b:page g/G:top/end"
	                       : " ?:help q:quit p:promote R:rollback c:confirm b:backup"
	                         " r:refresh l:log j/k:tier";

	if (LINES >= 2 && t->mode == TUI_CONFIRM)
		tui_puts(LINES - 2, 0, COLS, t->prompt.buf, A_BOLD);
	else if (LINES >= 2)
		tui_puts(LINES - 2, 0, COLS, t->msg.buf, tui_attr(t, t->msg_color));
	n = tui_puts(LINES - 1, 0, COLS, up ? "connected" : "disconnected",
	    A_REVERSE | tui_attr(t, up ? TUI_C_GREEN : TUI_C_RED));
	tui_puts(LINES - 1, n, COLS - n, keys, A_REVERSE);
	for (int x = getcurx(stdscr); x > 0 && x < COLS - 1; x++)
		addch(' ' | A_REVERSE);
}

/* The main view's panes in rows [1, LINES - 2). */
static void
tui_draw_main(struct tui *t)
{
	struct strbuf title = STRBUF_INIT;
	int body = LINES - 3, y = 1, tiers_h, ev_h, log_h;

	strbuf_addf(&title, "sando  %s", t->ctx->daemon);
	tui_puts(0, 0, COLS, title.buf, A_BOLD);
	if (body <= 0)
		goto out;
	tiers_h = body <= 4 ? body : body / 2;
	y += tui_draw_tiers(t, y, tiers_h);
	body = LINES - 2 - y;
	ev_h = body >= 4 ? body / 3 : 0;
	log_h = body - ev_h - (ev_h ? 1 : 0) - 1;
	if (ev_h > 0) {
		tui_rule(y, "events");
		tui_draw_events(t, y + 1, ev_h);
		y += ev_h + 1;
	}
	if (log_h > 0) {
		strbuf_reset(&title);
		if (t->log.run_id)
			strbuf_addf(&title, "log: %s %s %s (%s)%s", t->log.tier, t->log.gate,
			    t->log.version, t->log.status, t->log.cut ? ", cut" : "");
		else
			strbuf_addstr(&title, "log");
		tui_rule(y, title.buf);
		tui_draw_log(t, y + 1, log_h);
	}
out:
	strbuf_release(&title);
}

void
tui_draw(struct tui *t)
{
	werase(stdscr);
	if (t->mode == TUI_PAGER)
		tui_draw_pager(t);
	else
		tui_draw_main(t);
	if (t->mode == TUI_HELP)
		tui_draw_help(t);
	tui_draw_status(t);
	wnoutrefresh(stdscr);
	doupdate();
}

/* The pager: the log from line pager_top, full screen. */
static void
tui_draw_pager(struct tui *t)
{
	struct tui_log *l = &t->log;
	struct strbuf title = STRBUF_INIT;
	int h = LINES - 2;

	tui_log_index(l);
	size_t max_top = h > 0 && l->nlines > (size_t)h ? l->nlines - (size_t)h : 0;

	if (t->pager_top > max_top)
		t->pager_top = max_top;
	strbuf_addf(&title, "log: %s %s %s (%s) lines %zu-%zu of %zu%s", l->tier ? l->tier : "-",
	    l->gate ? l->gate : "-", l->version ? l->version : "-", l->status ? l->status : "-",
	    l->nlines ? t->pager_top + 1 : 0,
	    t->pager_top + (size_t)(h > 0 ? h : 0) < l->nlines ? t->pager_top + (size_t)h
	                                                       : l->nlines,
	    l->nlines, l->cut ? " (only part of the log is kept)" : "");
	tui_puts(0, 0, COLS, title.buf, A_BOLD);
	for (int k = 0; k < h && t->pager_top + (size_t)k < l->nlines; k++) {
		size_t off = l->lines[t->pager_top + (size_t)k];

		tui_put(1 + k, 0, COLS, l->text.buf + off, l->text.len - off);
	}
	if (l->nlines == 0 && h > 0)
		tui_puts(1, 0, COLS, l->note.len ? l->note.buf : "(empty log)", A_DIM);
	strbuf_release(&title);
}

static void
tui_draw_help(struct tui *t)
{
	static const char *const lines[] = {"keys", "", "up/down, j/k  select a tier",
	    "p  promote the selected tier", "R  roll the selected tier back",
	    "c  confirm the selected tier's version", "b  fetch the backup", "r  refresh now",
	    "l  open the log (q goes back)", "?  this help", "q, Esc, Ctrl-C  quit", "",
	    "any key closes this help", NULL};
	int h = 0, w = 0, y0, x0;

	(void)t;
	for (; lines[h]; h++)
		if ((int)strlen(lines[h]) > w)
			w = (int)strlen(lines[h]);
	w += 4;
	h += 2;
	y0 = LINES > h ? (LINES - h) / 2 : 0;
	x0 = COLS > w ? (COLS - w) / 2 : 0;
	for (int y = 0; y < h && y0 + y < LINES; y++) {
		move(y0 + y, x0);
		for (int x = 0; x < w && x0 + x < COLS; x++)
			addch(y == 0 || y == h - 1 ? '-' : (x == 0 || x == w - 1 ? '|' : ' '));
		if (y > 0 && y < h - 1 && w > 4)
			tui_puts(y0 + y, x0 + 2, (COLS - x0 - 2 < w - 4 ? COLS - x0 - 2 : w - 4),
			    lines[y - 1], y == 1 ? A_BOLD : A_NORMAL);
	}
}
