/*
 * gates.c: the sequences of gate runs, one per tier, and each run's life:
 * row, gate_start, the runner, gate_done, the next gate.  See gates.h.
 */
#include "daemon/gates/gates.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/events.h"
#include "daemon/gates/gates_int.h"
#include "daemon/store.h"

struct gate_seq {
	struct daemon *d;
	const struct tier_config *tier;
	size_t tier_index;
	char *version;
	int64_t build_id;
	size_t next;          /* the next gate of tier->gates to consider */
	struct gate_run *run; /* the run in flight, or NULL */
	int failed;           /* 1: a gate failed or was cancelled; 2: one was blocked */
	int cancelled;
	struct gate_seq *next_all; /* the engine's list of every live sequence */
};

const struct gate_runner *
gate_runner_for(int kind)
{
	switch (kind) {
	case GATE_TEST:
		return &gate_runner_test;
	case GATE_CARGO_TEST:
		return &gate_runner_cargo_test;
	case GATE_COMMAND:
		return &gate_runner_command;
	case GATE_BOOT_SMOKE:
		return &gate_runner_boot_smoke;
	case GATE_MIGRATION_DRY_RUN:
		return &gate_runner_migration;
	default:
		return NULL;
	}
}

static size_t
tier_index(const struct daemon *d, const struct tier_config *t)
{
	return (size_t)(t - d->topo.tiers);
}

static void
seq_free(struct gate_seq *s)
{
	struct gate_engine *e = s->d->gates;

	if (e->current[s->tier_index] == s)
		e->current[s->tier_index] = NULL;
	for (struct gate_seq **p = &e->all; *p; p = &(*p)->next_all)
		if (*p == s) {
			*p = s->next_all;
			break;
		}
	free(s->version);
	free(s);
}

static void
run_free(struct gate_run *r)
{
	free(r->release_dir);
	free(r->build_dir);
	free(r->log_path);
	free(r->log_ref);
	strbuf_release(&r->carry);
	strbuf_release(&r->text);
	strbuf_release(&r->json);
	free(r);
}

static json_t *
run_fields(const struct gate_run *r)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s}", "run_id", (json_int_t)r->id, "tier",
	    r->tier->name, "version", r->version, "gate", r->g->name, "gate_kind",
	    gate_kind_name(r->g->kind));
}

/* The worktree directory test gates run in, if the build's worktree is still there. */
static char *
run_build_dir(struct daemon *d, int64_t build_id)
{
	struct stat st;
	char *dir;

	if (build_id <= 0)
		return NULL;
	dir = xasprintf("%s/build-%lld/%s", d->cfg.workdir, (long long)build_id, d->cfg.build.dir);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void seq_next(struct gate_seq *s);

/* Write the row, open the log and hand the run to its runner. */
static void
run_start(struct gate_seq *s, const struct gate_config *g, const struct gate_runner *runner)
{
	struct daemon *d = s->d;
	struct strbuf err = STRBUF_INIT;
	struct gate_run *r = xcalloc(1, sizeof(*r));

	r->d = d;
	r->seq = s;
	r->tier = s->tier;
	r->g = g;
	r->version = s->version;
	strbuf_init(&r->carry, 0);
	strbuf_init(&r->text, 0);
	strbuf_init(&r->json, 0);
	r->t0 = uv_now(d->loop);
	r->id = store_gate_run_start(
	    d->store, s->tier->name, s->version, g->name, gate_kind_name(g->kind), &err);
	if (r->id == -1) {
		log_warnx("tier '%s': gate '%s' not started: %s", s->tier->name, g->name, err.buf);
		strbuf_release(&err);
		run_free(r);
		s->failed = 1;
		seq_next(s);
		return;
	}
	r->log_ref = xasprintf("gates/%lld.log", (long long)r->id);
	r->log_path = xasprintf("%s/%s", d->cfg.logs_root, r->log_ref);
	r->release_dir = xasprintf("%s/%s", d->cfg.release_root, s->version);
	r->build_dir = run_build_dir(d, s->build_id);
	if (store_gate_run_set_log(d->store, r->id, r->log_ref, &err) == -1)
		log_warnx("gate run %lld: %s", (long long)r->id, err.buf);
	s->run = r;
	{
		json_t *f = run_fields(r);

		json_object_set_new(f, "log_ref", json_string(r->log_ref));
		events_emit(&d->events, "gate_start", f);
	}
	gate_run_log(r, "gate '%s' (%s) of version '%s' on tier '%s', run %lld", g->name,
	    gate_kind_name(g->kind), s->version, s->tier->name, (long long)r->id);
	strbuf_release(&err);
	runner->start(r);
}

void
gate_run_finish(struct gate_run *r, struct outcome *o)
{
	struct daemon *d = r->d;
	struct gate_seq *s = r->seq;
	struct strbuf err = STRBUF_INIT, summary = STRBUF_INIT;
	const char *status = r->cancelled ? "interrupted" : outcome_status_name(outcome_status(o));
	json_t *oj = r->cancelled ? json_null() : outcome_to_json(o);
	char *text = r->cancelled ? NULL : json_dumps(oj, JSON_COMPACT);
	json_t *f = run_fields(r);

	outcome_summary(o, &summary);
	gate_run_log(
	    r, "gate '%s' %s: %s", r->g->name, status, r->cancelled ? "cancelled" : summary.buf);
	if (store_gate_run_finish(d->store, r->id, status, text, &err) == -1)
		log_warnx("gate run %lld: %s", (long long)r->id, err.buf);
	json_object_set_new(f, "status", json_string(status));
	json_object_set_new(f, "outcome", oj);
	json_object_set_new(f, "log_ref", json_string(r->log_ref));
	json_object_set_new(f, "duration_ms", json_integer((json_int_t)(uv_now(d->loop) - r->t0)));
	events_emit(&d->events, "gate_done", f);
	log_info("tier '%s': gate '%s' of '%s' %s", r->tier->name, r->g->name, r->version, status);
	if (r->cancelled || outcome_status(o) == OUTCOME_FAILED)
		s->failed = 1;
	else if (outcome_status(o) != OUTCOME_PASSED)
		s->failed = s->failed ? s->failed : 2; /* blocked: go on, but do not advance */
	outcome_release(o);
	free(text);
	strbuf_release(&err);
	strbuf_release(&summary);
	s->run = NULL;
	run_free(r);
	seq_next(s);
}

void
gate_run_finish_error(struct gate_run *r, const char *msg)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	gate_run_log(r, "%s", msg);
	outcome_failed_unclassified(&o, r->log_ref, msg);
	gate_run_finish(r, &o);
}

/* All gates considered: advance the first tier when every one passed. */
static void
seq_end(struct gate_seq *s)
{
	struct daemon *d = s->d;
	struct strbuf err = STRBUF_INIT;

	if (s->tier_index == 0 && !s->failed && !s->cancelled) {
		if (store_tier_advance(d->store, s->tier->name, s->version, &err) == -1)
			log_warnx("tier '%s': %s", s->tier->name, err.buf);
		else
			log_info("tier '%s' advanced to '%s': its gates passed", s->tier->name,
			    s->version);
		gates_burn_in_schedule(d);
	}
	strbuf_release(&err);
	seq_free(s);
}

static void
seq_next(struct gate_seq *s)
{
	while (s->next < s->tier->ngates && s->failed != 1 && !s->cancelled) {
		const struct gate_config *g = &s->tier->gates[s->next++];
		const struct gate_runner *runner = gate_runner_for(g->kind);

		if (runner) {
			run_start(s, g, runner);
			return;
		}
	}
	seq_end(s);
}

static void
seq_cancel(struct gate_seq *s, const char *why)
{
	struct gate_run *r = s->run;

	s->cancelled = 1;
	if (r == NULL || r->cancelled)
		return;
	r->cancelled = 1;
	gate_run_log(r, "cancelled: %s", why);
	if (r->proc)
		proc_cancel(r->proc);
	if (gate_runner_for(r->g->kind)->cancel)
		gate_runner_for(r->g->kind)->cancel(r);
}

int
gates_start(struct daemon *d, const struct tier_config *t, const char *version, int64_t build_id,
    struct strbuf *err)
{
	struct gate_engine *e = d->gates;
	size_t i = tier_index(d, t);
	struct gate_seq *s;
	struct strbuf dir = STRBUF_INIT;

	if (d->stopping) {
		strbuf_addstr(err, "the daemon is shutting down");
		return -1;
	}
	if (e->current[i])
		seq_cancel(e->current[i], "a newer version's gates started on this tier");
	strbuf_addf(&dir, "%s/gates", d->cfg.logs_root);
	if (fs_mkdir_p(dir.buf, 0755) == -1)
		log_warn("cannot create '%s'", dir.buf);
	strbuf_release(&dir);
	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->tier = t;
	s->tier_index = i;
	s->version = xstrdup(version);
	s->build_id = build_id;
	s->next_all = e->all;
	e->all = s;
	e->current[i] = s; /* a cancelled sequence finishes on its own */
	seq_next(s);
	return 0;
}

void
gates_cancel(struct daemon *d, const struct tier_config *t, const char *why)
{
	struct gate_seq *s = d->gates->current[tier_index(d, t)];

	if (s)
		seq_cancel(s, why);
}

int
gates_run_active(const struct daemon *d, int64_t run_id)
{
	for (const struct gate_seq *s = d->gates->all; s; s = s->next_all)
		if (s->run && s->run->id == run_id)
			return 1;
	return 0;
}

int64_t
gates_running_id(const struct daemon *d, const char *tier, const char *version, const char *gate)
{
	for (const struct gate_seq *s = d->gates->all; s; s = s->next_all)
		if (s->run && strcmp(s->tier->name, tier) == 0 &&
		    strcmp(s->version, version) == 0 && strcmp(s->run->g->name, gate) == 0)
			return s->run->id;
	return 0;
}

/* The first run in flight from sequence s on. */
static struct gate_run *
run_from(struct gate_seq *s)
{
	for (; s; s = s->next_all)
		if (s->run)
			return s->run;
	return NULL;
}

struct gate_run *
gates_first_run(struct daemon *d)
{
	return run_from(d->gates->all);
}

struct gate_run *
gates_next_run(struct gate_run *r)
{
	return run_from(r->seq->next_all);
}

void
gates_init(struct daemon *d)
{
	struct gate_engine *e = xcalloc(1, sizeof(*e));

	e->current = xcalloc(d->topo.ntiers ? d->topo.ntiers : 1, sizeof(*e->current));
	e->burn_in_noted = xcalloc(d->topo.ntiers ? d->topo.ntiers : 1, sizeof(char *));
	d->gates = e;
	gates_burn_in_init(d);
	gate_flow_init(d);
}

void
gates_shutdown(struct daemon *d)
{
	for (struct gate_seq *s = d->gates->all; s; s = s->next_all)
		seq_cancel(s, "the daemon is shutting down");
	gates_burn_in_stop(d);
	gate_flow_stop(d);
}

void
gates_free(struct daemon *d)
{
	struct gate_engine *e = d->gates;

	if (e == NULL)
		return;
	for (size_t i = 0; i < d->topo.ntiers; i++)
		free(e->burn_in_noted[i]);
	free(e->burn_in_noted);
	free(e->current);
	free(e);
	d->gates = NULL;
}
