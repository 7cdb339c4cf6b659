/*
 * store_gates: gate runs and the audit log.
 */
#include <string.h>

#include "daemon/store_int.h"

int64_t
store_gate_run_record(struct store *st, const char *tier, const char *version, const char *gate,
    const char *kind, const char *status, const char *outcome_json, struct strbuf *err)
{
	if (store_run(st,
	        "INSERT INTO gate_runs(tier_id, version, gate, kind, status, outcome_json, "
	        "started_at, finished_at) SELECT id, ?2, ?3, ?4, ?5, ?6, " STORE_NOW ", " STORE_NOW
	        " FROM tiers WHERE name = ?1",
	        err, "ssssss", tier, version, gate, kind, status, outcome_json) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int64_t
store_gate_run_start(struct store *st, const char *tier, const char *version, const char *gate,
    const char *kind, struct strbuf *err)
{
	if (store_run(st,
	        "INSERT INTO gate_runs(tier_id, version, gate, kind, started_at) "
	        "SELECT id, ?2, ?3, ?4, " STORE_NOW " FROM tiers WHERE name = ?1",
	        err, "ssss", tier, version, gate, kind) == -1)
		return -1;
	if (sqlite3_changes(st->db) != 1) {
		strbuf_reset(err);
		strbuf_addf(err, "unknown tier '%s'", tier);
		return -1;
	}
	return sqlite3_last_insert_rowid(st->db);
}

int
store_gate_run_set_log(struct store *st, int64_t id, const char *log_ref, struct strbuf *err)
{
	return store_run(
	    st, "UPDATE gate_runs SET log_ref = ?2 WHERE id = ?1", err, "is", id, log_ref);
}

int
store_gate_run_finish(
    struct store *st, int64_t id, const char *status, const char *outcome_json, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE gate_runs SET status = ?2, outcome_json = ?3, finished_at = " STORE_NOW
	    " WHERE id = ?1 AND status IS NULL",
	    err, "iss", id, status, outcome_json);
}

json_t *
store_gate_runs_json(struct store *st, int64_t id, const char *tier, const char *version,
    int64_t limit, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT g.id, t.name AS tier, g.version, g.gate, g.kind, g.status, g.outcome_json, "
	    "g.log_ref, g.started_at, g.finished_at FROM gate_runs g JOIN tiers t ON t.id = "
	    "g.tier_id WHERE (?1 = 0 OR g.id = ?1) AND (?2 IS NULL OR t.name = ?2) AND "
	    "(?3 IS NULL OR g.version = ?3) ORDER BY g.id DESC LIMIT ?4",
	    err, "issi", id, tier, version, limit);

	return stmt ? store_rows_json_outcome(st, stmt, err) : NULL;
}

int64_t
store_gate_run_find(struct store *st, const char *tier, const char *version, const char *gate,
    struct strbuf *log_ref, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT g.id, g.log_ref FROM gate_runs g JOIN tiers t ON t.id = g.tier_id "
	    "WHERE (?1 IS NULL OR t.name = ?1) AND g.version = ?2 AND g.gate = ?3 "
	    "AND g.log_ref IS NOT NULL ORDER BY g.id DESC LIMIT 1",
	    err, "sss", tier, version, gate);
	int64_t id = 0;
	int rc;

	strbuf_reset(log_ref);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(stmt, 0);
		strbuf_addstr(log_ref, (const char *)sqlite3_column_text(stmt, 1));
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : store_fail(st, err, "read gate_runs");
}

int
store_gate_pending_version(
    struct store *st, const char *tier, struct strbuf *out, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT g.version FROM gate_runs g JOIN tiers t ON t.id = g.tier_id "
	    "WHERE t.name = ?1 AND g.kind NOT IN ('burn_in', 'manual_confirm') "
	    "ORDER BY g.id DESC LIMIT 1",
	    err, "s", tier);

	return store_text(st, stmt, out, err);
}

int
store_gate_latest(struct store *st, const char *tier, const char *version, const char *gate,
    struct strbuf *out, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT g.outcome_json FROM gate_runs g JOIN tiers t ON t.id = g.tier_id "
	    "WHERE t.name = ?1 AND g.version = ?2 AND g.gate = ?3 AND g.status IS NOT NULL "
	    "AND g.outcome_json IS NOT NULL ORDER BY g.id DESC LIMIT 1",
	    err, "sss", tier, version, gate);

	return store_text(st, stmt, out, err);
}

int
store_audit(struct store *st, const char *actor, const char *action, const char *tier,
    const char *detail_json, struct strbuf *err)
{
	return store_run(st,
	    "INSERT INTO audit(ts, actor, action, tier, detail_json) VALUES (" STORE_NOW
	    ", ?1, ?2, ?3, ?4)",
	    err, "ssss", actor, action, tier, detail_json);
}
