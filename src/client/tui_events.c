/*
 * tui_events: the WebSocket to /events (subprotocol PROTOCOL_WS_NAME) and the
 * event pane.  The first connection asks for the last TUI_EVENTS_HISTORY
 * events and then the live ones (?last=), so the pane starts with the recent
 * history; after a drop the status line says "disconnected" and a timer
 * reconnects (backing off from TUI_RECONNECT_MIN_MS to TUI_RECONNECT_MAX_MS)
 * with ?since= the last stream seq seen, so nothing is missed (with ?last=
 * again while none was seen).  gate_log_chunk events are skipped: the log
 * pane follows its log itself (tui_log.c); other events become one line each
 * ("HH:MM:SS kind tier version gate: summary") and make /state and the log
 * pane look again.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "client/tui.h"
#include "core/xmalloc.h"
#include "domain/protocol.h"
#include "net/ws_client.h"

#define TUI_WS_MAX_MESSAGE ((size_t)4 << 20)

void
tui_events_add(struct tui *t, enum tui_color color, const char *line)
{
	size_t i = t->ev_count % TUI_EVENTS_MAX;

	free(t->ev_lines[i]);
	t->ev_lines[i] = xstrdup(line);
	t->ev_colors[i] = color;
	t->ev_count++;
	t->dirty = 1;
}

void
tui_events_release(struct tui *t)
{
	for (size_t i = 0; i < TUI_EVENTS_MAX; i++) {
		free(t->ev_lines[i]);
		t->ev_lines[i] = NULL;
	}
}

enum tui_color
tui_events_color(const char *kind, const char *status)
{
	size_t n;

	if (status)
		kind = status;
	n = strlen(kind);
	if (strstr(kind, "failed") || strcmp(kind, "rollback") == 0)
		return TUI_C_RED;
	if (strstr(kind, "aborted") || strcmp(kind, "blocked") == 0)
		return TUI_C_YELLOW;
	if ((n > 3 && strcmp(kind + n - 3, "_ok") == 0) || strcmp(kind, "passed") == 0 ||
	    strcmp(kind, "ok") == 0 || strstr(kind, "complete") || strstr(kind, "confirm") ||
	    strstr(kind, "fetched"))
		return TUI_C_GREEN;
	if (strstr(kind, "start") || strstr(kind, "requested"))
		return TUI_C_CYAN;
	return TUI_C_NONE;
}

/* One event as a pane line; its colour. */
static enum tui_color
tui_event_line(json_t *ev, const char *kind, struct strbuf *out)
{
	static const char *const keys[] = {"tier", "node", "version", "gate", "status", NULL};
	const char *ts = cmd_str(ev, "ts", ""), *status = NULL, *s;
	json_t *oj = json_object_get(ev, "outcome");
	struct strbuf st = STRBUF_INIT, summary = STRBUF_INIT;
	struct outcome o;

	strbuf_addf(out, "%.8s %s", strlen(ts) >= 19 ? ts + 11 : ts, kind);
	for (size_t i = 0; keys[i]; i++)
		if ((s = cmd_str(ev, keys[i], NULL)))
			strbuf_addf(out, " %s", s);
	if ((s = cmd_str(ev, "error", NULL)))
		strbuf_addf(out, ": %s", s);
	if (json_is_object(oj) && strncmp(kind, "gate_", 5) == 0) {
		cmd_outcome(oj, &o, &st, &summary);
		strbuf_addf(out, ": %s", summary.buf);
		status = st.buf;
		outcome_release(&o);
	} else if (json_is_object(oj)) { /* a node's deploy outcome */
		status = cmd_str(oj, "status", NULL);
		cmd_deploy_failure(oj, &summary);
		if (summary.len)
			strbuf_addf(out, ": %s", summary.buf);
	}
	enum tui_color c = tui_events_color(kind, status ? status : cmd_str(ev, "status", NULL));
	strbuf_release(&st);
	strbuf_release(&summary);
	return c;
}

static void
tui_ev_text(struct ws_client *wc, const char *buf, size_t len, void *arg)
{
	struct tui *t = arg;
	json_t *ev = json_loadb(buf, len, 0, NULL);
	const char *kind = cmd_str(ev, "kind", NULL);
	struct strbuf line = STRBUF_INIT;
	enum tui_color c;

	(void)wc;
	if (kind && strcmp(kind, "gate_log_chunk") != 0) {
		if (json_integer_value(json_object_get(ev, "seq")) > t->last_seq)
			t->last_seq = json_integer_value(json_object_get(ev, "seq"));
		c = tui_event_line(ev, kind, &line);
		tui_events_add(t, c, line.buf);
		tui_state_refresh(t);
		if (strncmp(kind, "gate_", 5) == 0)
			tui_log_refresh(t);
	}
	strbuf_release(&line);
	json_decref(ev);
}

static void
tui_ev_open(struct ws_client *wc, void *arg)
{
	struct tui *t = arg;

	(void)wc;
	t->ws_up = 1;
	t->reconnect_ms = TUI_RECONNECT_MIN_MS;
	t->dirty = 1;
	tui_state_refresh(t);
	tui_log_refresh(t);
}

static void
tui_ev_reconnect(uv_timer_t *h)
{
	tui_events_connect(h->data);
}

static void
tui_ev_close(struct ws_client *wc, int code, const char *reason, void *arg)
{
	struct tui *t = arg;

	(void)wc;
	(void)code;
	t->wc = NULL;
	if (t->quitting)
		return;
	if (t->ws_up)
		tui_events_add(t, TUI_C_RED, reason ? reason : "events: disconnected");
	t->ws_up = 0;
	t->dirty = 1;
	uv_timer_start(&t->reconnect_timer, tui_ev_reconnect, t->reconnect_ms, 0);
	t->reconnect_ms *= 2;
	if (t->reconnect_ms > TUI_RECONNECT_MAX_MS)
		t->reconnect_ms = TUI_RECONNECT_MAX_MS;
}

void
tui_events_connect(struct tui *t)
{
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;
	struct ws_client_options o = {
	    .protocol = PROTOCOL_WS_NAME,
	    .max_message = TUI_WS_MAX_MESSAGE,
	    .on_open = tui_ev_open,
	    .on_text = tui_ev_text,
	    .on_close = tui_ev_close,
	    .arg = t,
	};

	if (t->quitting || t->wc)
		return;
	cmd_daemon_url(t->ctx, "/events", &url);
	if (t->last_seq >= 0)
		strbuf_addf(&url, "?since=%" PRId64, t->last_seq);
	else
		strbuf_addf(&url, "?last=%d", TUI_EVENTS_HISTORY);
	o.url = url.buf;
	t->wc = ws_client_new(t->loop, &o, &err);
	if (t->wc == NULL) {
		tui_message(t, TUI_C_RED, "events: %s", err.buf);
		uv_timer_start(&t->reconnect_timer, tui_ev_reconnect, TUI_RECONNECT_MAX_MS, 0);
	}
	strbuf_release(&url);
	strbuf_release(&err);
}
