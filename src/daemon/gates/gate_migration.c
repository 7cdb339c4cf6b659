/*
 * gate_migration.c: migration_dry_run { command? }.
 *
 * Blocked (not failed) without scratch_db_url (scratch_db_url_unset) or
 * without a backup at [backup] local_path (no_backup_available).  Otherwise:
 * drop every non-system schema of the scratch database (libpq, on the thread
 * pool), restore the backup into it (psql for plain SQL, pg_restore for the
 * custom format, connection details in PG* variables so no password is on a
 * command line), then run the migration command (default: the release's
 * binary with `migrate`, in the release directory) with DATABASE_URL set to
 * the scratch database.  Only this gate's processes see a database URL.
 * The migration's own output (after the restore's) is what is classified.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/gates/gates_int.h"
#include "daemon/pgscratch.h"

#define GATE_NICE 10

struct migration_state {
	struct gate_run *run;
	uv_work_t work;
	const char *url;    /* cfg's, lives as long as the daemon */
	const char *backup; /* topology's */
	enum pg_backup_format fmt;
	struct strbuf err; /* the reset's error, filled on the pool thread */
	int dropped;
	uint64_t migrate_from; /* log offset where the migration's output starts */
};

static void
migration_free(struct gate_run *r)
{
	struct migration_state *m = r->state;

	strbuf_release(&m->err);
	free(m);
	r->state = NULL;
}

/* Finish classified from the log past from (restore_failed: the command did not run). */
static void
migration_classify(
    struct gate_run *r, const struct proc_result *res, uint64_t from, int restore_failed)
{
	struct migration_state *m = r->state;
	struct proc_result none = {.spawned = 1, .exited = 1, .exit_status = 1};
	struct strbuf log = STRBUF_INIT;
	char *copy = xstrdup(m->backup);
	struct gate_raw raw;
	struct outcome o;

	memset(&o, 0, sizeof(o));
	gate_run_raw(r, res ? res : &none, from, &raw, &log);
	classify_migration(&raw, basename(copy), restore_failed, &o);
	free(copy);
	strbuf_release(&log);
	migration_free(r);
	gate_run_finish(r, &o);
}

/* The time left of the gate's timeout, at least a second. */
static uint64_t
time_left_ms(struct gate_run *r)
{
	uint64_t total = (uint64_t)(gate_run_timeout_s(r) * 1000),
	         used = uv_now(r->d->loop) - r->t0;

	return used + 1000 < total ? total - used : 1000;
}

static void
migrate_done(struct gate_run *r, const struct proc_result *res)
{
	migration_classify(r, res, ((struct migration_state *)r->state)->migrate_from, 0);
}

static void
migrate_start(struct gate_run *r)
{
	struct migration_state *m = r->state;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;

	if (r->g->command.nr > 0) {
		strvec_pushv(&argv, (const char *const *)r->g->command.v);
	} else {
		strvec_pushf(&argv, "%s/%s", r->release_dir, r->d->cfg.bin_names.v[0]);
		strvec_push(&argv, "migrate");
	}
	gate_run_env(r, &env);
	strvec_pushf(&env, "DATABASE_URL=%s", m->url);
	gate_run_log(r, "running '%s' %s in '%s' with DATABASE_URL set to the scratch database",
	    argv.v[0], argv.nr > 1 ? argv.v[1] : "", r->release_dir);
	m->migrate_from = gate_run_log_size(r);
	if (gate_run_spawn(r, (const char *const *)argv.v, r->release_dir, &env, time_left_ms(r),
	        GATE_NICE, migrate_done, &err) == -1) {
		migration_free(r);
		gate_run_finish_error(r, err.buf);
	}
	strvec_clear(&argv);
	strvec_clear(&env);
	strbuf_release(&err);
}

static void
restore_done(struct gate_run *r, const struct proc_result *res)
{
	if (r->cancelled || !res->exited || res->exit_status != 0) {
		gate_run_log(r, "the restore of the backup failed");
		migration_classify(r, res, 0, 1);
	} else {
		gate_run_log(r, "backup restored");
		migrate_start(r);
	}
}

static void
restore_start(struct gate_run *r)
{
	struct migration_state *m = r->state;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;

	gate_run_env(r, &env);
	pgscratch_restore_argv(m->fmt, m->backup, &argv);
	if (pgscratch_env(m->url, &env, &err) == -1) {
		gate_run_log(r, "scratch_db_url: %s", err.buf);
		migration_classify(r, NULL, 0, 1);
	} else {
		gate_run_log(r, "restoring '%s' (%s) with %s", m->backup,
		    m->fmt == PG_BACKUP_CUSTOM ? "custom format" : "plain SQL", argv.v[0]);
		if (gate_run_spawn(r, (const char *const *)argv.v, r->release_dir, &env,
		        time_left_ms(r), GATE_NICE, restore_done, &err) == -1) {
			gate_run_log(r, "%s", err.buf);
			migration_classify(r, NULL, 0, 1);
		}
	}
	strvec_clear(&argv);
	strvec_clear(&env);
	strbuf_release(&err);
}

static void
reset_work(uv_work_t *w)
{
	struct migration_state *m = w->data;

	m->dropped = pgscratch_reset(m->url, &m->err);
}

static void
reset_done(uv_work_t *w, int status)
{
	struct migration_state *m = w->data;
	struct gate_run *r = m->run;

	if (r->cancelled || status != 0 || m->dropped < 0) {
		gate_run_log(r, "cannot empty the scratch database: %s",
		    m->dropped < 0 ? m->err.buf : "cancelled");
		migration_classify(r, NULL, 0, 1);
		return;
	}
	gate_run_log(r, "scratch database emptied (%d schema(s) dropped)", m->dropped);
	restore_start(r);
}

/* Finish blocked with o's reason, logged. */
static void
migration_blocked(struct gate_run *r, struct outcome *o, const char *why)
{
	gate_run_log(r, "%s", why);
	outcome_set_log_ref(o, r->log_ref);
	gate_run_finish(r, o);
}

static void
migration_start(struct gate_run *r)
{
	const char *backup = r->d->topo.backup_local_path;
	struct migration_state *m;
	struct outcome o;
	enum pg_backup_format fmt;

	memset(&o, 0, sizeof(o));
	if (r->d->cfg.scratch_db_url == NULL) {
		outcome_blocked_scratch_db_url_unset(&o);
		migration_blocked(r, &o, "scratch_db_url is not set in daemon.toml");
		return;
	}
	fmt = backup ? pgscratch_backup_format(backup) : PG_BACKUP_MISSING;
	if (fmt != PG_BACKUP_PLAIN && fmt != PG_BACKUP_CUSTOM) {
		outcome_blocked_no_backup_available(&o);
		migration_blocked(r, &o,
		    backup == NULL             ? "no [backup] local_path in the topology"
		    : fmt == PG_BACKUP_EMPTY   ? "the backup file is empty"
		    : fmt == PG_BACKUP_MISSING ? "no backup file at [backup] local_path yet"
		                               : "the backup file cannot be read");
		return;
	}
	m = xcalloc(1, sizeof(*m));
	m->run = r;
	m->url = r->d->cfg.scratch_db_url;
	m->backup = backup;
	m->fmt = fmt;
	strbuf_init(&m->err, 0);
	m->work.data = m;
	r->state = m;
	gate_run_log(r, "emptying the scratch database");
	if (uv_queue_work(r->d->loop, &m->work, reset_work, reset_done) != 0) {
		migration_free(r);
		gate_run_finish_error(r, "cannot queue the scratch database reset");
	}
}

const struct gate_runner gate_runner_migration = {GATE_MIGRATION_DRY_RUN, migration_start, NULL};
