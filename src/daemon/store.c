#include "daemon/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/store_int.h"

void
store_now(struct strbuf *out)
{
	strbuf_addtime(out, 0);
}

int
store_fail(struct store *st, struct strbuf *err, const char *what)
{
	strbuf_reset(err);
	strbuf_addf(err, "database '%s': %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return -1;
}

int
store_exec(struct store *st, const char *sql, struct strbuf *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	strbuf_reset(err);
	strbuf_addf(err, "database '%s': %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

/* Take <path>.lock with flock; the file holds the holder's pid. */
static int
store_lock(struct store *st, struct strbuf *err)
{
	struct strbuf lockpath = STRBUF_INIT, pid = STRBUF_INIT;
	int fd;

	strbuf_addf(&lockpath, "%s.lock", st->path);
	fd = open(lockpath.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		strbuf_addf(err, "cannot open lock file '%s': %s", lockpath.buf, strerror(errno));
		strbuf_release(&lockpath);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		strbuf_read_file(&pid, lockpath.buf, 64);
		strbuf_rtrim(&pid);
		strbuf_addf(err, "database '%s' is in use by another sandod (pid %s, lock '%s')",
		    st->path, pid.len ? pid.buf : "unknown", lockpath.buf);
		close(fd);
		strbuf_release(&lockpath);
		strbuf_release(&pid);
		return -1;
	}
	strbuf_addf(&pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, pid.buf, pid.len) != (ssize_t)pid.len)
		log_warn("cannot write pid to lock file '%s'", lockpath.buf);
	st->lock_fd = fd;
	strbuf_release(&lockpath);
	strbuf_release(&pid);
	return 0;
}

static int
store_open_db(struct store *st, struct strbuf *err)
{
	int rc = sqlite3_open_v2(st->path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		strbuf_addf(err, "cannot open database '%s': %s", st->path,
		    st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		return -1;
	}
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		strbuf_addf(err, "database '%s' is not writable", st->path);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	/* The first statements read the header: a corrupt file fails here. */
	if (store_exec(st,
	        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
	        "PRAGMA synchronous=NORMAL; SELECT count(*) FROM sqlite_schema;",
	        err) == -1) {
		strbuf_insertstr(
		    err, 0, "cannot use database (corrupt, not a database, or unwritable): ");
		return -1;
	}
	return 0;
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *stmt;
	int v = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
	        -1, &stmt, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

static int
store_apply(struct store *st, const struct store_migration *m, struct strbuf *err)
{
	struct strbuf sql = STRBUF_INIT, now = STRBUF_INIT;
	int rc;

	store_now(&now);
	strbuf_addf(&sql,
	    "BEGIN IMMEDIATE;\n%s\n;INSERT INTO schema_migrations(version, name, "
	    "applied_at) VALUES (%d, '%s', '%s');\nCOMMIT;",
	    m->sql, m->version, m->name, now.buf);
	rc = store_exec(st, sql.buf, err);
	if (rc == -1) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		strbuf_insertf(err, 0, "migration %04d_%s failed: ", m->version, m->name);
	} else {
		log_info("database '%s': applied migration %04d_%s", st->path, m->version, m->name);
	}
	strbuf_release(&sql);
	strbuf_release(&now);
	return rc;
}

static int
store_migrate(struct store *st, const struct store_migration *m, size_t n, struct strbuf *err)
{
	int have;

	if (store_exec(st,
	        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
	        "PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT",
	        err) == -1)
		return -1;
	have = store_schema_version(st);
	if (have > (int)n) {
		strbuf_addf(err,
		    "database '%s' has schema version %d, newer than this sandod "
		    "supports (%zu): upgrade sandod or restore an older database",
		    st->path, have, n);
		return -1;
	}
	for (size_t i = (size_t)have; i < n; i++)
		if (store_apply(st, &m[i], err) == -1)
			return -1;
	return 0;
}

int
store_open(struct store **out, const char *path, const struct store_migration *migrations, size_t n,
    struct strbuf *err)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->path = xstrdup(path);
	st->lock_fd = -1;
	strbuf_reset(err);
	if ((strcmp(path, ":memory:") != 0 && store_lock(st, err) == -1) ||
	    store_open_db(st, err) == -1 || store_migrate(st, migrations, n, err) == -1) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_stmts_finalize(st);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		log_warnx("database '%s': close: %s", st->path, sqlite3_errmsg(st->db));
	if (st->lock_fd != -1)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

uint64_t
store_generation(const struct store *st)
{
	return st->generation;
}

int
store_recover(struct store *st, int *changed, struct strbuf *err)
{
	static const char *const sql[] = {
	    "UPDATE builds SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'",
	    "UPDATE gate_runs SET status = 'interrupted', finished_at = ?1 WHERE status IS NULL",
	    "UPDATE deploys SET status = 'interrupted', finished_at = ?1 WHERE status IS NULL",
	    "UPDATE promotes SET status = 'interrupted', finished_at = ?1 WHERE status IS NULL",
	    "UPDATE backups SET status = 'interrupted', finished_at = ?1 WHERE status IS NULL",
	    "INSERT INTO audit(ts, actor, action, tier, detail_json) SELECT ?1, 'sandod', "
	    "'unlock', t.name, json_object('holder', s.lock_holder, 'pid', s.lock_pid, "
	    "'taken_at', s.lock_taken_at, 'reason', 'its holder is gone') FROM tier_state s "
	    "JOIN tiers t ON t.id = s.tier_id WHERE s.lock_holder IS NOT NULL",
	    "UPDATE tier_state SET lock_holder = NULL, lock_pid = NULL, lock_taken_at = NULL "
	    "WHERE lock_holder IS NOT NULL AND ?1 IS NOT NULL",
	};
	struct strbuf now = STRBUF_INIT;
	int rc = 0;

	*changed = 0;
	store_now(&now);
	if (store_exec(st, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	for (size_t i = 0; rc == 0 && i < sizeof(sql) / sizeof(sql[0]); i++) {
		rc = store_run(st, sql[i], err, "s", now.buf);
		*changed += sqlite3_changes(st->db);
	}
	rc = store_exec(st, rc == 0 ? "COMMIT" : "ROLLBACK", rc == 0 ? err : &now) == 0 ? rc : -1;
	st->generation++;
	strbuf_release(&now);
	return rc;
}
