#include "daemon/events.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/store.h"
#include "daemon/store_int.h"

int
events_init(struct events *ev, struct store *st, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT max(coalesce((SELECT max(seq) FROM events), 0), "
	    "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))",
	    err, "");

	memset(ev, 0, sizeof(*ev));
	ev->store = st;
	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		ev->last_seq = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

static void
events_dispatch(struct events *ev, uint64_t seq, const char *json, size_t len)
{
	for (struct event_sub *s = ev->subs; s; s = ev->iter_next) {
		ev->iter_next = s->next;
		s->sink(s, seq, json, len);
	}
	ev->iter_next = NULL;
}

uint64_t
events_emit(struct events *ev, const char *kind, json_t *fields)
{
	struct strbuf ts = STRBUF_INIT, err = STRBUF_INIT;
	uint64_t seq = ev->last_seq + 1;
	json_t *obj;
	char *text;

	store_now(&ts);
	obj = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "ts", ts.buf, "kind", kind);
	if (fields)
		json_object_update_missing(obj, fields); /* never seq, ts or kind */
	json_decref(fields);
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (store_run(ev->store,
	        "INSERT INTO events(seq, ts, kind, body_json) VALUES (?1, ?2, ?3, ?4)", &err,
	        "isss", (int64_t)seq, ts.buf, kind, text) == -1) {
		log_warnx("event '%s' not recorded: %s", kind, err.buf);
		seq = 0;
	} else {
		ev->last_seq = seq;
		events_dispatch(ev, seq, text, strlen(text));
	}
	free(text);
	strbuf_release(&ts);
	strbuf_release(&err);
	return seq;
}

void
events_emit_live(struct events *ev, const char *kind, json_t *fields)
{
	struct strbuf ts = STRBUF_INIT;
	json_t *obj;
	char *text;

	if (ev->subs == NULL) {
		json_decref(fields);
		return;
	}
	strbuf_addtime(&ts, 0);
	obj = json_pack("{s:s, s:s}", "ts", ts.buf, "kind", kind);
	if (fields)
		json_object_update_missing(obj, fields); /* never seq, ts or kind */
	json_decref(fields);
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	events_dispatch(ev, 0, text, strlen(text));
	free(text);
	strbuf_release(&ts);
}

void
events_emit_live_raw(struct events *ev, const char *json, size_t len)
{
	if (ev->subs)
		events_dispatch(ev, 0, json, len);
}

size_t
events_max_queued(struct events *ev)
{
	size_t max = 0;

	for (struct event_sub *s = ev->subs; s; s = s->next) {
		size_t q = s->queued ? s->queued(s) : 0;

		if (s->lagging && q <= EVENTS_LAG_CLEAR)
			s->lagging = 0;
		if (!s->lagging && q > max)
			max = q;
	}
	return max;
}

void
events_mark_lagging(struct events *ev, size_t above)
{
	for (struct event_sub *s = ev->subs; s; s = s->next)
		if (s->queued && s->queued(s) > above)
			s->lagging = 1;
}

void
events_subscribe(struct events *ev, struct event_sub *sub)
{
	sub->prev = NULL;
	sub->next = ev->subs;
	if (ev->subs)
		ev->subs->prev = sub;
	ev->subs = sub;
	ev->nsubs++;
}

void
events_unsubscribe(struct events *ev, struct event_sub *sub)
{
	if (ev->iter_next == sub)
		ev->iter_next = sub->next;
	if (sub->prev)
		sub->prev->next = sub->next;
	else if (ev->subs == sub)
		ev->subs = sub->next;
	if (sub->next)
		sub->next->prev = sub->prev;
	sub->prev = sub->next = NULL;
	ev->nsubs--;
}

int64_t
events_replay(struct events *ev, uint64_t since, size_t limit,
    int (*sink)(void *arg, uint64_t seq, const char *json, size_t len), void *arg,
    struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(ev->store,
	    "SELECT seq, body_json FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2", err, "ii",
	    (int64_t)since, limit ? (int64_t)limit : (int64_t)-1);
	int64_t last = (int64_t)since;
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(stmt, 0);

		if (sink(arg, (uint64_t)seq, (const char *)sqlite3_column_text(stmt, 1),
		        (size_t)sqlite3_column_bytes(stmt, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
		last = seq;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		strbuf_reset(err);
		strbuf_addstr(err, "cannot read events");
		return -1;
	}
	return last;
}
