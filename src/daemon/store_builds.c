/*
 * store_builds: builds, versions and the first tier's advance after a build.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "daemon/store_int.h"

int64_t
store_build_insert(struct store *st, const char *sha, const char *log_ref, struct strbuf *err)
{
	if (store_run(st,
	        "INSERT INTO builds(sha, status, log_ref, requested_at, started_at) "
	        "VALUES (?1, 'running', ?2, " STORE_NOW ", " STORE_NOW ")",
	        err, "ss", sha, log_ref) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_build_set_log(struct store *st, int64_t id, const char *log_ref, struct strbuf *err)
{
	return store_run(
	    st, "UPDATE builds SET log_ref = ?2 WHERE id = ?1", err, "is", id, log_ref);
}

int
store_build_set_pgid(struct store *st, int64_t id, int64_t pgid, struct strbuf *err)
{
	return store_run(st, "UPDATE builds SET pgid = ?2 WHERE id = ?1", err, "ii", id, pgid);
}

int
store_running_builds(struct store *st, void (*fn)(int64_t id, int64_t pgid, void *arg), void *arg,
    struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT id, pgid FROM builds WHERE status = 'running' AND pgid IS NOT NULL", err, "");
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		fn(sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1), arg);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "read builds");
}

int
store_build_finish(struct store *st, int64_t id, const char *status, const char *version,
    const char *error, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE builds SET status = ?2, version = ?3, error = ?4, finished_at = " STORE_NOW
	    " WHERE id = ?1 AND status = 'running'",
	    err, "isss", id, status, version, error);
}

int
store_version_sha(struct store *st, const char *version, struct strbuf *sha, struct strbuf *err)
{
	sqlite3_stmt *stmt =
	    store_prepare(st, "SELECT sha FROM versions WHERE version = ?1", err, "s", version);
	int rc, ret;

	strbuf_reset(sha);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		strbuf_addstr(sha, (const char *)sqlite3_column_text(stmt, 0));
	ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : store_fail(st, err, "read versions");
	sqlite3_reset(stmt);
	return ret;
}

int
store_version_insert(struct store *st, const char *version, const char *sha, int64_t build_id,
    const char *digest, struct strbuf *err)
{
	return store_run(st,
	    "INSERT INTO versions(version, sha, build_id, bundle_digest, staged_at) "
	    "VALUES (?1, ?2, ?3, ?4, " STORE_NOW ")",
	    err, "ssis", version, sha, build_id, digest);
}

int
store_tier_advance(struct store *st, const char *tier, const char *version, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE tier_state SET previous_version = current_version, current_version = ?2, "
	    "burn_in_started_at = " STORE_NOW ", updated_at = " STORE_NOW
	    " WHERE tier_id = (SELECT id FROM tiers WHERE name = ?1) AND current_version IS NOT ?2",
	    err, "ss", tier, version);
}

static json_t *
column_json(sqlite3_stmt *stmt, int col)
{
	switch (sqlite3_column_type(stmt, col)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(stmt, col));
	default:
		return json_string((const char *)sqlite3_column_text(stmt, col));
	}
}

/* Rows of a statement as an array of objects named by the columns. */
json_t *
store_rows_json(struct store *st, sqlite3_stmt *stmt, struct strbuf *err)
{
	json_t *rows = json_array();
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		json_t *row = json_object();

		for (int i = 0; i < sqlite3_column_count(stmt); i++)
			json_object_set_new(
			    row, sqlite3_column_name(stmt, i), column_json(stmt, i));
		json_array_append_new(rows, row);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		store_fail(st, err, "read");
		return NULL;
	}
	return rows;
}

json_t *
store_builds_json(struct store *st, int64_t id, int64_t limit, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT id, sha, status, version, error, log_ref, requested_at, started_at, "
	    "finished_at FROM builds WHERE ?1 = 0 OR id = ?1 ORDER BY id DESC LIMIT ?2",
	    err, "ii", id, limit);

	return stmt ? store_rows_json(st, stmt, err) : NULL;
}

json_t *
store_versions_json(struct store *st, int64_t limit, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT version, sha, build_id, bundle_digest, staged_at FROM versions "
	    "ORDER BY id DESC LIMIT ?1",
	    err, "i", limit);

	return stmt ? store_rows_json(st, stmt, err) : NULL;
}

int64_t
store_version_build(struct store *st, const char *version, struct strbuf *err)
{
	return store_scalar(
	    st, "SELECT build_id FROM versions WHERE version = ?1", err, "s", version);
}

json_t *
store_rows_json_outcome(struct store *st, sqlite3_stmt *stmt, struct strbuf *err)
{
	json_t *rows = store_rows_json(st, stmt, err);
	size_t i;
	json_t *row;

	/* outcome_json is served as the object it is */
	json_array_foreach(rows, i, row)
	{
		const char *text = json_string_value(json_object_get(row, "outcome_json"));
		json_t *o = text ? json_loads(text, 0, NULL) : NULL;

		json_object_set_new(row, "outcome", o ? o : json_null());
		json_object_del(row, "outcome_json");
	}
	return rows;
}

int
store_latest_version(struct store *st, struct strbuf *out, struct strbuf *err)
{
	return store_text(st,
	    store_prepare(st, "SELECT version FROM versions ORDER BY id DESC LIMIT 1", err, ""),
	    out, err);
}
