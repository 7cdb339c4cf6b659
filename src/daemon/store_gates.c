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

int
store_gate_latest(struct store *st, const char *tier, const char *version, const char *gate,
    struct strbuf *out, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT g.outcome_json FROM gate_runs g JOIN tiers t ON t.id = g.tier_id "
	    "WHERE t.name = ?1 AND g.version = ?2 AND g.gate = ?3 AND g.status IS NOT NULL "
	    "AND g.outcome_json IS NOT NULL ORDER BY g.id DESC LIMIT 1",
	    err, "sss", tier, version, gate);
	int rc;

	strbuf_reset(out);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		strbuf_addstr(out, (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, "read gate_runs");
	return rc == SQLITE_ROW;
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
