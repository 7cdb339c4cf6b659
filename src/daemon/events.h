/*
 * events: the typed event stream (DESIGN.md section 4).
 *
 * events_emit stamps an event with the next seq and the time, writes it to
 * the events table (so a client reconnecting with ?since= misses nothing) and
 * then hands the serialized object to every subscriber, in seq order.  The
 * seq counter lives in memory, initialised from the table at start-up: one
 * daemon owns the database (store.h's lock), so nobody else writes it.
 *
 * Live-only events (events_emit_live) skip the table and carry no stream seq.
 *
 * Subscribers are owned by their callers; they must unsubscribe before
 * freeing the struct event_sub.  A sink is called from the loop and must not
 * block; it may unsubscribe itself (and only itself) from inside the call.
 */
#ifndef SANDO_EVENTS_H
#define SANDO_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

struct store;

/* A subscriber more than EVENTS_CHUNK_LAG behind, or marked lagging (by
 * gates/gate_flow.c, which it has kept waiting), loses live-only chunks
 * (api_events.c) and no longer slows gates' output, until its backlog is
 * down to EVENTS_LAG_CLEAR. */
#define EVENTS_CHUNK_LAG (1u << 20)
#define EVENTS_LAG_CLEAR (64u << 10)

struct event_sub {
	void (*sink)(struct event_sub *sub, uint64_t seq, const char *json, size_t len);
	/* bytes sent to this subscriber that it has not taken yet; NULL: 0 */
	size_t (*queued)(struct event_sub *sub);
	int lagging; /* it loses live-only chunks until it catches up (below) */
	void *arg;
	struct event_sub *prev, *next;
};

struct events {
	struct store *store;
	uint64_t last_seq;
	struct event_sub *subs;
	struct event_sub *iter_next; /* the next subscriber while dispatching */
	size_t nsubs;
};

/* Attach to a store and read the last seq; 0 or -1 with err. */
int events_init(struct events *ev, struct store *st, struct strbuf *err);

/* Emit an event of kind with the members of fields (stolen; may be NULL).
 * Returns its seq, or 0 when it could not be persisted (logged; the event is
 * then not sent either, so the live stream and the replay never disagree). */
uint64_t events_emit(struct events *ev, const char *kind, json_t *fields);

/* Send an event of kind to the subscribers now without persisting it or
 * giving it a stream seq (gate_log_chunk: the log file is the record);
 * sinks see seq 0 and may drop it for a reader that is far behind. */
void events_emit_live(struct events *ev, const char *kind, json_t *fields);

/* The largest backlog (queued) of the subscribers that are not lagging; a
 * lagging one whose backlog fell to EVENTS_LAG_CLEAR or less stops lagging. */
size_t events_max_queued(struct events *ev);

/* Mark the subscribers with more than above queued as lagging. */
void events_mark_lagging(struct events *ev, size_t above);

/* Whether anyone subscribes (live-only producers can skip their work). */
#define events_has_subscribers(ev) ((ev)->subs != NULL)

/* Send an already serialized live-only event (a JSON object with ts and
 * kind, no seq) to the subscribers, as events_emit_live does. */
void events_emit_live_raw(struct events *ev, const char *json, size_t len);

/* Add or remove a subscriber. */
void events_subscribe(struct events *ev, struct event_sub *sub);
void events_unsubscribe(struct events *ev, struct event_sub *sub);

/* Call sink for each stored event with seq > since, in order, up to limit
 * events (0: no limit) or until sink returns non-zero (that event counts as
 * not delivered); returns the last seq delivered (since if none) or -1. */
int64_t events_replay(struct events *ev, uint64_t since, size_t limit,
    int (*sink)(void *arg, uint64_t seq, const char *json, size_t len), void *arg,
    struct strbuf *err);

#endif
