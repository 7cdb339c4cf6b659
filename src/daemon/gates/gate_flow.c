/*
 * gate_flow.c: gates' output at the pace of the live subscribers.
 *
 * A gate can print faster than WebSocket subscribers read its
 * gate_log_chunk events.  When a subscriber that is keeping up (not marked
 * lagging) has more than FLOW_PAUSE_AT queued, the engine stops reading the
 * gates' output pipes (the programs block on a full pipe) until every such
 * subscriber is down to FLOW_RESUME_AT, or FLOW_PAUSE_MAX_MS have passed:
 * then whoever is still behind is marked lagging, loses chunks (api_events.c)
 * and no longer slows anyone until it has caught up.  So a fast reader gets
 * every byte, and a stalled one costs a gate one pause, not its pace.
 */
#include "core/log.h"
#include "daemon/events.h"
#include "daemon/gates/gates_int.h"

#define FLOW_PAUSE_AT (512u << 10)
#define FLOW_RESUME_AT (128u << 10)
#define FLOW_POLL_MS 2
#define FLOW_PAUSE_MAX_MS 1000

static void
flow_set(struct daemon *d, int pause)
{
	struct gate_engine *e = d->gates;

	e->flow_paused = pause;
	for (struct gate_run *r = gates_first_run(d); r; r = gates_next_run(r))
		if (r->proc)
			pause ? proc_pause(r->proc) : proc_resume(r->proc);
}

static void
flow_tick(uv_timer_t *t)
{
	struct daemon *d = t->data;
	struct gate_engine *e = d->gates;

	if (events_max_queued(&d->events) <= FLOW_RESUME_AT) {
		uv_timer_stop(t);
		flow_set(d, 0);
	} else if (uv_now(d->loop) - e->flow_since >= FLOW_PAUSE_MAX_MS) {
		/* whoever is still behind stops holding the gates up */
		events_mark_lagging(&d->events, FLOW_RESUME_AT);
		uv_timer_stop(t);
		flow_set(d, 0);
	}
}

void
gate_flow_check(struct daemon *d)
{
	struct gate_engine *e = d->gates;

	if (e->flow_paused || !e->flow_open || events_max_queued(&d->events) <= FLOW_PAUSE_AT)
		return;
	flow_set(d, 1);
	e->flow_since = uv_now(d->loop);
	uv_timer_start(&e->flow_timer, flow_tick, FLOW_POLL_MS, FLOW_POLL_MS);
}

void
gate_flow_init(struct daemon *d)
{
	uv_timer_init(d->loop, &d->gates->flow_timer);
	d->gates->flow_timer.data = d;
	d->gates->flow_open = 1;
}

void
gate_flow_stop(struct daemon *d)
{
	if (!d->gates->flow_open)
		return;
	d->gates->flow_open = 0;
	uv_timer_stop(&d->gates->flow_timer);
	flow_set(d, 0);
	uv_close((uv_handle_t *)&d->gates->flow_timer, NULL);
}
