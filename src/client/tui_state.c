/*
 * tui_state: GET /state now and every TUI_POLL_MS into t->tiers: each tier's
 * name, current and previous version, and each gate's outcome as its one-line
 * summary and colour (outcome_summary, outcome_color); a gate running shows
 * "running".  An answer equal to the last one changes nothing (no redraw).
 * The selection follows the tier's name across refreshes.
 */
#include <stdlib.h>
#include <string.h>

#include "client/tui.h"
#include "core/xmalloc.h"

static void
tui_tiers_free(struct tui_tier *tiers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t g = 0; g < tiers[i].ngates; g++) {
			free(tiers[i].gates[g].name);
			free(tiers[i].gates[g].summary);
		}
		free(tiers[i].gates);
		free(tiers[i].name);
		free(tiers[i].current);
		free(tiers[i].previous);
		free(tiers[i].pending);
	}
	free(tiers);
}

void
tui_state_release(struct tui *t)
{
	tui_tiers_free(t->tiers, t->ntiers);
	t->tiers = NULL;
	t->ntiers = 0;
	strbuf_release(&t->state_body);
	strbuf_release(&t->state_error);
}

struct tui_tier *
tui_state_selected(struct tui *t)
{
	return t->sel < t->ntiers ? &t->tiers[t->sel] : NULL;
}

static enum tui_color
tui_outcome_color(const struct outcome *o)
{
	switch (outcome_color(o)) {
	case OUTCOME_GREEN:
		return TUI_C_GREEN;
	case OUTCOME_YELLOW:
		return TUI_C_YELLOW;
	case OUTCOME_RED:
		return TUI_C_RED;
	default:
		return TUI_C_NONE;
	}
}

static void
tui_gate_parse(struct tui_gate *g, json_t *j)
{
	struct strbuf status = STRBUF_INIT, summary = STRBUF_INIT;
	const char *kind = cmd_str(j, "kind", "?");
	struct outcome o;

	g->name = xstrdup(cmd_str(j, "name", kind));
	g->is_burn_in = strcmp(kind, "burn_in") == 0;
	cmd_outcome(json_object_get(j, "outcome"), &o, &status, &summary);
	if (json_is_true(json_object_get(j, "running"))) {
		g->summary = xstrdup("running");
		g->color = TUI_C_CYAN;
	} else {
		g->summary = strbuf_detach(&summary, NULL);
		g->color = tui_outcome_color(&o);
	}
	outcome_release(&o);
	strbuf_release(&status);
	strbuf_release(&summary);
}

static void
tui_tier_parse(struct tui_tier *tt, json_t *j)
{
	json_t *gates = json_object_get(j, "gates"), *pending = json_object_get(j, "pending_gates");
	const char *pv = cmd_str(j, "pending_version", NULL);
	size_t i, n = json_array_size(gates);
	json_t *g;

	tt->name = xstrdup(cmd_str(j, "name", "?"));
	tt->current = xstrdup(cmd_str(j, "current_version", "-"));
	tt->previous = xstrdup(cmd_str(j, "previous_version", "-"));
	tt->pending = pv ? xstrdup(pv) : NULL;
	tt->frozen = json_is_true(json_object_get(j, "frozen"));
	if (pv == NULL)
		pending = NULL;
	tt->ngates = n + json_array_size(pending);
	tt->gates = xcalloc(tt->ngates ? tt->ngates : 1, sizeof(*tt->gates));
	json_array_foreach(gates, i, g) tui_gate_parse(&tt->gates[i], g);
	json_array_foreach(pending, i, g)
	{
		tui_gate_parse(&tt->gates[n + i], g);
		tt->gates[n + i].pending = 1;
	}
}

/* Replace the tiers with those of /state's JSON; the selection keeps its name. */
static void
tui_state_apply(struct tui *t, json_t *tiers)
{
	struct tui_tier *sel = tui_state_selected(t);
	char *was = sel ? xstrdup(sel->name) : NULL;
	size_t n = json_array_size(tiers), i;
	struct tui_tier *nt = xcalloc(n ? n : 1, sizeof(*nt));
	json_t *j;

	json_array_foreach(tiers, i, j) tui_tier_parse(&nt[i], j);
	tui_tiers_free(t->tiers, t->ntiers);
	t->tiers = nt;
	t->ntiers = n;
	if (t->sel >= n)
		t->sel = n ? n - 1 : 0;
	for (i = 0; was && i < n; i++)
		if (strcmp(nt[i].name, was) == 0)
			t->sel = i;
	if (was == NULL || t->sel >= n || strcmp(was, nt[t->sel].name) != 0)
		tui_log_reset(t);
	free(was);
}

static void
tui_state_done(
    struct tui *t, int status, const char *body, size_t len, const char *error, void *arg)
{
	json_t *j, *tiers;

	(void)arg;
	t->state_busy = 0;
	strbuf_reset(&t->state_error);
	if (status == 0)
		strbuf_addstr(&t->state_error, error ? error : "no answer");
	else if (status != 200)
		strbuf_addf(&t->state_error, "/state answered HTTP %d", status);
	if (t->state_error.len) {
		t->state_ok = 0;
		t->dirty = 1;
		return;
	}
	if (!t->state_ok || t->state_body.len != len || memcmp(t->state_body.buf, body, len)) {
		j = json_loadb(body, len, 0, NULL);
		tiers = json_object_get(j, "tiers");
		if (json_is_array(tiers))
			tui_state_apply(t, tiers);
		else
			strbuf_addstr(&t->state_error, "/state answered garbage");
		json_decref(j);
		strbuf_reset(&t->state_body);
		strbuf_add(&t->state_body, body, len);
		t->dirty = 1;
		tui_log_refresh(t); /* a gate may have started or ended */
	} else if (t->log.status && strcmp(t->log.status, "running") == 0 && !t->log.stream) {
		tui_log_refresh(t); /* its stream was cut: look again */
	}
	t->state_ok = t->state_error.len == 0;
}

void
tui_state_refresh(struct tui *t)
{
	if (t->state_busy || t->quitting)
		return;
	t->state_busy = 1;
	tui_http(t, "GET", "/state", NULL, 0, tui_state_done, NULL);
}

static void
tui_state_tick(uv_timer_t *h)
{
	tui_state_refresh(h->data);
}

void
tui_state_start(struct tui *t)
{
	uv_timer_start(&t->poll_timer, tui_state_tick, 0, TUI_POLL_MS);
}
