/*
 * GET /events: the event stream over WebSocket (DESIGN.md section 4).
 *
 * With ?since=SEQ the events after SEQ are replayed first, paced so the
 * client's queue never holds more than half its bound (a replay of any size
 * never gets a reader dropped for being slow); once caught up, the client is
 * subscribed to live events in the same loop tick, so nothing falls between
 * the replay and the live stream.  ?last=N (at most PROTOCOL_EVENTS_LAST_MAX) replays the last
 * N stored events the same way (a client's first connection showing recent
 * history: one request, no race between reading the latest seq and
 * connecting); it reconnects with ?since= as usual.  Without either, only
 * live events are sent.
 * A live reader that stops reading is dropped when its queue bound is hit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/api.h"
#include "daemon/events.h"
#include "domain/protocol.h"
#include "net/ws.h"

/* Events are small (~150 bytes) but gate_log_chunk events carry up to 64 KiB
 * of output each: a reader 2 MiB behind is stuck, and is better off
 * reconnecting with ?since= than holding the daemon's memory.  Live-only
 * chunks (seq 0) are skipped for a reader more than CHUNK_SKIP_AT behind
 * instead: it sees a gap in their offsets (the log file has every byte),
 * and keeps the events that matter.  (Before that, the gate engine slows
 * the gate's output for it: see gates/gate_flow.c.) */
#define EVENTS_QUEUE_MAX (2u << 20)
#define CHUNK_SKIP_AT EVENTS_CHUNK_LAG
#define REPLAY_BATCH 500
#define REPLAY_TICK_MS 5

struct events_client {
	struct daemon *d;
	struct ws_conn *ws;
	struct event_sub sub;
	uv_timer_t timer;
	uint64_t next; /* replay from after this seq */
	int subscribed;
	int paused; /* the last replay batch stopped at the queue bound */
	int closed;
};

static void
client_sink(struct event_sub *sub, uint64_t seq, const char *json, size_t len)
{
	struct events_client *c = sub->arg;

	if (seq == 0 && (sub->lagging || ws_queued(c->ws) + len > CHUNK_SKIP_AT)) {
		sub->lagging = 1;
		return;
	}
	/* -1: the client is too slow and is being closed; on_close cleans up */
	ws_send_text(c->ws, json, len);
}

static size_t
client_queued(struct event_sub *sub)
{
	struct events_client *c = sub->arg;

	return c->closed ? 0 : ws_queued(c->ws);
}

/* Send one replayed event, unless the client's queue is already half full
 * (then stop: the next tick goes on from c->next). */
static int
replay_sink(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct events_client *c = arg;

	size_t queued = ws_queued(c->ws);

	/* an empty queue always takes the next event, however large */
	if (c->closed || (queued > 0 && queued + len > EVENTS_QUEUE_MAX / 2)) {
		c->paused = 1;
		return -1;
	}
	ws_send_text(c->ws, json, len);
	c->next = seq;
	return 0;
}

static void
timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
replay_tick(uv_timer_t *t)
{
	struct events_client *c = t->data;
	struct strbuf err = STRBUF_INIT;
	uint64_t before = c->next;

	if (c->closed || ws_queued(c->ws) > EVENTS_QUEUE_MAX / 2)
		return;
	c->paused = 0;
	if (events_replay(&c->d->events, c->next, REPLAY_BATCH, replay_sink, c, &err) == -1) {
		log_warnx("GET /events: %s", err.buf);
		ws_close(c->ws, 1011, "cannot read events");
	} else if (c->next == before && !c->paused && !c->closed) {
		/* caught up: go live in this same tick */
		uv_timer_stop(&c->timer);
		events_subscribe(&c->d->events, &c->sub);
		c->subscribed = 1;
	}
	strbuf_release(&err);
}

static void
client_close(struct ws_conn *ws, void *arg)
{
	struct events_client *c = arg;

	c->closed = 1;
	if (c->subscribed)
		events_unsubscribe(&c->d->events, &c->sub);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, timer_closed);
}

/* Query parameter name as a number up to max: 0 and *n set, 1 if absent, -1
 * if malformed. */
static int
parse_count(struct http_request *req, const char *name, uint64_t max, uint64_t *n)
{
	struct strbuf v = STRBUF_INIT;
	char *end;
	int rc = 1;

	if (http_query_get(req, name, &v) == 0) {
		errno = 0;
		*n = strtoull(v.buf, &end, 10);
		rc = v.len == 0 || v.len > 19 || *end || errno || v.buf[0] == '-' || *n > max ? -1
		                                                                              : 0;
	}
	strbuf_release(&v);
	return rc;
}

/* Where the replay starts after ?since= or ?last=: 0 and *from set (the last
 * seq when neither is given), or -1 after answering 400. */
static int
replay_from(struct http_request *req, struct daemon *d, uint64_t *from)
{
	uint64_t since = 0, last = 0;
	int has_since = parse_count(req, "since", UINT64_MAX, &since);
	int has_last = parse_count(req, "last", PROTOCOL_EVENTS_LAST_MAX, &last);

	if (has_since == -1)
		http_respond_error(
		    req, 400, "bad_request", "'since' must be a non-negative integer");
	else if (has_last == -1)
		http_respond_error(req, 400, "bad_request",
		    "'last' must be an integer from 0 to %d", PROTOCOL_EVENTS_LAST_MAX);
	else if (has_since == 0 && has_last == 0)
		http_respond_error(
		    req, 400, "bad_request", "'since' and 'last' exclude each other");
	if (has_since == -1 || has_last == -1 || (has_since == 0 && has_last == 0))
		return -1;
	*from = d->events.last_seq;
	if (has_since == 0)
		*from = since;
	else if (has_last == 0)
		*from = *from > last ? *from - last : 0;
	return 0;
}

void
api_events(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct events_client *c;
	struct ws_options o = {.protocol = PROTOCOL_WS_NAME,
	    .max_queue = EVENTS_QUEUE_MAX,
	    .on_close = client_close,
	    .max_message = 4096};
	uint64_t from;

	if (replay_from(req, d, &from) == -1)
		return;
	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->sub.sink = client_sink;
	c->sub.queued = client_queued;
	c->sub.arg = c;
	c->next = from;
	o.arg = c;
	if ((c->ws = ws_accept(req, &o)) == NULL) {
		free(c);
		return;
	}
	uv_timer_init(d->loop, &c->timer);
	c->timer.data = c;
	uv_timer_start(&c->timer, replay_tick, 0, REPLAY_TICK_MS);
}
