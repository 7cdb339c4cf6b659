/*
 * store_backups: the backups table (DESIGN.md section 6): a row written
 * before a fetch starts (status NULL) and finished after it.
 */
#include "daemon/store_int.h"

int64_t
store_backup_insert(
    struct store *st, const char *source, const char *local_path, struct strbuf *err)
{
	if (store_run(st,
	        "INSERT INTO backups(source, local_path, started_at) VALUES (?1, ?2, " STORE_NOW
	        ")",
	        err, "ss", source, local_path) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_backup_finish(struct store *st, int64_t id, const char *status, int64_t size_bytes,
    const char *sha256, const char *error, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE backups SET status = ?2, size_bytes = CASE WHEN ?3 < 0 THEN NULL ELSE ?3 END, "
	    "sha256 = ?4, error = ?5, finished_at = " STORE_NOW " WHERE id = ?1 AND status IS NULL",
	    err, "isiss", id, status, size_bytes, sha256, error);
}

json_t *
store_backups_json(struct store *st, int64_t id, int64_t limit, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT id, source, local_path, status, size_bytes, sha256, error, started_at, "
	    "finished_at FROM backups WHERE (?1 = 0 OR id = ?1) ORDER BY id DESC LIMIT ?2",
	    err, "ii", id, limit);

	return stmt ? store_rows_json(st, stmt, err) : NULL;
}
