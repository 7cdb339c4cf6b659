/*
 * gate_burn_in.c: the burn-in clocks.  burn_in is evaluated, not run (its
 * outcome in /state comes from the tier's burn_in_started_at and the time),
 * but when a clock runs out the engine records a passing run and emits
 * gate_done, so subscribers learn it without polling.  One timer is armed
 * for the earliest clock still running (at most BURN_IN_MAX_WAIT_S ahead,
 * so a changed wall clock is noticed); gates_burn_in_schedule re-arms it
 * whenever a tier's version or clock changes.  What was recorded is noted
 * per tier ("<version> <clock start>") so an elapse is recorded once, also
 * across restarts (the latest passing run of that version counts).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/utc.h"
#include "core/xmalloc.h"
#include "daemon/events.h"
#include "daemon/gates/gates.h"
#include "daemon/gates/gates_int.h"
#include "daemon/store.h"

#define BURN_IN_MAX_WAIT_S 3600

/* Record burn_in gate g of tier t elapsed for version, once. */
static void
burn_in_record(
    struct daemon *d, size_t ti, const struct gate_config *g, const char *version, const char *note)
{
	const struct tier_config *t = &d->topo.tiers[ti];
	struct strbuf err = STRBUF_INIT, prior = STRBUF_INIT;
	struct outcome o;
	json_t *oj;
	char *text;
	int64_t id;

	memset(&o, 0, sizeof(o));
	free(d->gates->burn_in_noted[ti]);
	d->gates->burn_in_noted[ti] = xstrdup(note);
	/* a restarted daemon finds the elapse already recorded */
	if (store_gate_latest(d->store, t->name, version, g->name, &prior, &err) == 1 &&
	    strstr(prior.buf, "\"passed\"") != NULL)
		goto out;
	outcome_passed_burn_in_elapsed(&o, g->hours);
	oj = outcome_to_json(&o);
	text = json_dumps(oj, JSON_COMPACT);
	id = store_gate_run_record(
	    d->store, t->name, version, g->name, "burn_in", "passed", text, &err);
	if (id == -1) {
		log_warnx("tier '%s': burn-in not recorded: %s", t->name, err.buf);
		json_decref(oj);
	} else {
		log_info("tier '%s': burn-in of '%s' elapsed (%g h)", t->name, version, g->hours);
		events_emit(&d->events, "gate_done",
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "run_id", (json_int_t)id,
		        "tier", t->name, "version", version, "gate", g->name, "gate_kind",
		        "burn_in", "status", "passed", "outcome", oj));
	}
	free(text);
	outcome_release(&o);
out:
	strbuf_release(&err);
	strbuf_release(&prior);
}

/* Seconds until tier ti's burn-in clock runs out (recording it when it has), or -1. */
static double
burn_in_check(struct daemon *d, size_t ti, time_t now)
{
	const struct tier_config *t = &d->topo.tiers[ti];
	struct store_tier_state ts;
	struct strbuf err = STRBUF_INIT, note = STRBUF_INIT;
	double wait = -1;
	time_t t0;

	memset(&ts, 0, sizeof(ts));
	if (store_tier_state(d->store, t->name, &ts, &err) == -1 || ts.current_version == NULL ||
	    ts.burn_in_started_at == NULL || (t0 = utc_parse(ts.burn_in_started_at)) == -1)
		goto out;
	strbuf_addf(&note, "%s %s", ts.current_version, ts.burn_in_started_at);
	for (size_t i = 0; i < t->ngates; i++) {
		const struct gate_config *g = &t->gates[i];
		double left;

		if (g->kind != GATE_BURN_IN)
			continue;
		left = g->hours * 3600.0 - difftime(now, t0);
		if (left > 0)
			wait = wait < 0 || left < wait ? left : wait;
		else if (d->gates->burn_in_noted[ti] == NULL ||
		         strcmp(d->gates->burn_in_noted[ti], note.buf) != 0)
			burn_in_record(d, ti, g, ts.current_version, note.buf);
	}
out:
	store_tier_state_release(&ts);
	strbuf_release(&err);
	strbuf_release(&note);
	return wait;
}

static void
burn_in_tick(uv_timer_t *t)
{
	gates_burn_in_schedule(t->data);
}

void
gates_burn_in_schedule(struct daemon *d)
{
	struct gate_engine *e = d->gates;
	time_t now = time(NULL);
	double wait = -1;

	if (e == NULL || !e->burn_in_armed)
		return;
	for (size_t i = 0; i < d->topo.ntiers; i++) {
		double w = burn_in_check(d, i, now);

		if (w >= 0 && (wait < 0 || w < wait))
			wait = w;
	}
	uv_timer_stop(&e->burn_in_timer);
	if (wait >= 0) {
		if (wait > BURN_IN_MAX_WAIT_S)
			wait = BURN_IN_MAX_WAIT_S;
		/* whole seconds of the clock: fire just after the second turns */
		uv_timer_start(&e->burn_in_timer, burn_in_tick, (uint64_t)(wait * 1000) + 50, 0);
	}
}

void
gates_burn_in_init(struct daemon *d)
{
	uv_timer_init(d->loop, &d->gates->burn_in_timer);
	d->gates->burn_in_timer.data = d;
	d->gates->burn_in_armed = 1;
	gates_burn_in_schedule(d);
}

void
gates_burn_in_stop(struct daemon *d)
{
	if (!d->gates->burn_in_armed)
		return;
	d->gates->burn_in_armed = 0;
	uv_timer_stop(&d->gates->burn_in_timer);
	uv_close((uv_handle_t *)&d->gates->burn_in_timer, NULL);
}
