/*
 * store_deploys: promotes and rollbacks, their per-node deploys, the tier
 * lock, freezes and the nodes' versions (DESIGN.md sections 6 and 7).
 */
#include <string.h>

#include "daemon/store_int.h"

int
store_tier_lock(struct store *st, const char *tier, const char *holder, int64_t pid,
    struct strbuf *held_by, struct strbuf *err)
{
	strbuf_reset(held_by);
	if (store_run(st,
	        "UPDATE tier_state SET lock_holder = ?2, lock_pid = ?3, lock_taken_at = " STORE_NOW
	        " WHERE tier_id = (SELECT id FROM tiers WHERE name = ?1) AND lock_holder IS NULL",
	        err, "ssi", tier, holder, pid) == -1)
		return -1;
	if (sqlite3_changes(st->db) == 1)
		return 1;
	if (store_text(st,
	        store_prepare(st,
	            "SELECT s.lock_holder || ' (since ' || s.lock_taken_at || ')' FROM tier_state "
	            "s "
	            "JOIN tiers t ON t.id = s.tier_id WHERE t.name = ?1",
	            err, "s", tier),
	        held_by, err) == -1)
		return -1;
	return 0;
}

int
store_tier_unlock(struct store *st, const char *tier, const char *holder, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE tier_state SET lock_holder = NULL, lock_pid = NULL, lock_taken_at = NULL "
	    "WHERE tier_id = (SELECT id FROM tiers WHERE name = ?1) AND lock_holder = ?2",
	    err, "ss", tier, holder);
}

int64_t
store_promote_insert(struct store *st, const char *kind, const char *tier, const char *version,
    const char *from, int hotfix, const char *actor, struct strbuf *err)
{
	if (store_run(st,
	        "INSERT INTO promotes(kind, tier_id, version, from_version, hotfix, actor, "
	        "started_at) SELECT ?1, id, ?3, ?4, ?5, ?6, " STORE_NOW
	        " FROM tiers WHERE name = ?2",
	        err, "ssssis", kind, tier, version, from, (int64_t)hotfix, actor) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_promote_finish(
    struct store *st, int64_t id, const char *status, const char *error, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE promotes SET status = ?2, error = ?3, finished_at = " STORE_NOW
	    " WHERE id = ?1 AND status IS NULL",
	    err, "iss", id, status, error);
}

int
store_promote_set_log(struct store *st, int64_t id, const char *log_ref, struct strbuf *err)
{
	return store_run(
	    st, "UPDATE promotes SET log_ref = ?2 WHERE id = ?1", err, "is", id, log_ref);
}

int64_t
store_deploy_insert(struct store *st, int64_t promote_id, const char *kind, const char *tier,
    const char *node, const char *version, const char *from, struct strbuf *err)
{
	if (store_run(st,
	        "INSERT INTO deploys(promote_id, kind, tier_id, node_id, version, from_version, "
	        "started_at) SELECT ?1, ?2, t.id, n.id, ?5, ?6, " STORE_NOW
	        " FROM tiers t, nodes n WHERE t.name = ?3 AND n.name = ?4",
	        err, "isssss", promote_id, kind, tier, node, version, from) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_deploy_finish(
    struct store *st, int64_t id, const char *status, const char *outcome_json, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE deploys SET status = ?2, outcome_json = coalesce(?3, outcome_json), "
	    "finished_at = " STORE_NOW " WHERE id = ?1 AND (status IS NULL OR ?2 = 'reverted')",
	    err, "iss", id, status, outcome_json);
}

int
store_deploy_set_from(struct store *st, int64_t id, const char *from, struct strbuf *err)
{
	return store_run(
	    st, "UPDATE deploys SET from_version = ?2 WHERE id = ?1", err, "is", id, from);
}

int
store_node_set_versions(struct store *st, const char *node, const char *current,
    const char *previous, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE nodes SET current_version = ?2, previous_version = ?3 WHERE name = ?1", err,
	    "sss", node, current, previous);
}

int
store_tier_set_versions(struct store *st, const char *tier, const char *current,
    const char *previous, int restart_clock, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE tier_state SET current_version = ?2, previous_version = ?3, "
	    "burn_in_started_at = CASE WHEN ?4 THEN " STORE_NOW " ELSE burn_in_started_at END, "
	    "updated_at = " STORE_NOW " WHERE tier_id = (SELECT id FROM tiers WHERE name = ?1)",
	    err, "sssi", tier, current, previous, (int64_t)restart_clock);
}

int
store_tier_clear_burn_in(struct store *st, const char *tier, struct strbuf *err)
{
	return store_run(st,
	    "UPDATE tier_state SET burn_in_started_at = NULL, updated_at = " STORE_NOW
	    " WHERE tier_id = (SELECT id FROM tiers WHERE name = ?1)",
	    err, "s", tier);
}

int
store_freeze(struct store *st, const char *tier, int frozen, const char *reason, struct strbuf *err)
{
	if (tier == NULL)
		return store_run(st,
		    "UPDATE freeze SET frozen = ?1, reason = ?2, updated_at = " STORE_NOW
		    " WHERE id = 1",
		    err, "is", (int64_t)frozen, reason);
	return store_run(st,
	    "UPDATE tier_state SET frozen = ?2, frozen_reason = ?3, updated_at = " STORE_NOW
	    " WHERE tier_id = (SELECT id FROM tiers WHERE name = ?1)",
	    err, "sis", tier, (int64_t)frozen, reason);
}

int
store_frozen(struct store *st, const char *tier, struct strbuf *reason, struct strbuf *err)
{
	return store_text(st,
	    store_prepare(st,
	        "SELECT coalesce(reason, 'frozen') FROM freeze WHERE frozen "
	        "UNION ALL SELECT coalesce(s.frozen_reason, 'frozen') FROM tier_state s JOIN "
	        "tiers t ON t.id = s.tier_id WHERE t.name = ?1 AND s.frozen LIMIT 1",
	        err, "s", tier),
	    reason, err);
}

json_t *
store_deploys_json(struct store *st, const char *tier, const char *version, int64_t promote_id,
    int64_t limit, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT d.id, d.promote_id, d.kind, t.name AS tier, n.name AS node, d.version, "
	    "d.from_version, d.status, d.outcome_json, d.started_at, d.finished_at FROM deploys d "
	    "JOIN tiers t ON t.id = d.tier_id JOIN nodes n ON n.id = d.node_id WHERE "
	    "(?1 IS NULL OR t.name = ?1) AND (?2 IS NULL OR d.version = ?2) AND "
	    "(?3 = 0 OR d.promote_id = ?3) ORDER BY d.id DESC LIMIT ?4",
	    err, "ssii", tier, version, promote_id, limit);

	return stmt ? store_rows_json_outcome(st, stmt, err) : NULL;
}

json_t *
store_promotes_json(
    struct store *st, int64_t id, const char *tier, int64_t limit, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT p.id, p.kind, t.name AS tier, p.version, p.from_version, p.hotfix, p.actor, "
	    "p.status, p.error, p.log_ref, p.started_at, p.finished_at FROM promotes p JOIN tiers "
	    "t "
	    "ON t.id = p.tier_id WHERE (?1 = 0 OR p.id = ?1) AND (?2 IS NULL OR t.name = ?2) "
	    "ORDER BY p.id DESC LIMIT ?3",
	    err, "isi", id, tier, limit);

	return stmt ? store_rows_json(st, stmt, err) : NULL;
}

/* Append column 0 of every row of stmt to out; 0 or -1. */
static int
store_strings(struct store *st, sqlite3_stmt *stmt, struct strvec *out, struct strbuf *err)
{
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		strvec_push(out, (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "read promotes");
}

int
store_retention(struct store *st, const char *tier, int64_t n, struct strvec *keep,
    struct strvec *aside, struct strbuf *err)
{
	/* tier NULL: every tier's current and previous, the newest n versions that
	 * reached any tier, and what was staged after the first tier's current */
	if (store_strings(st,
	        store_prepare(st,
	            "SELECT current_version FROM tier_state s JOIN tiers t ON t.id = s.tier_id "
	            "WHERE current_version IS NOT NULL AND (?1 IS NULL OR t.name = ?1) UNION "
	            "SELECT previous_version FROM tier_state s JOIN tiers t ON t.id = s.tier_id "
	            "WHERE previous_version IS NOT NULL AND (?1 IS NULL OR t.name = ?1) UNION "
	            "SELECT version FROM (SELECT p.version FROM promotes p JOIN tiers t ON t.id = "
	            "p.tier_id WHERE p.kind = 'promote' AND p.status = 'ok' AND (?1 IS NULL OR "
	            "t.name = ?1) GROUP BY p.version ORDER BY max(p.id) DESC LIMIT ?2) UNION "
	            "SELECT version FROM versions WHERE ?1 IS NULL AND id >= coalesce((SELECT "
	            "v.id FROM versions v JOIN tier_state s ON s.current_version = v.version "
	            "JOIN tiers t ON t.id = s.tier_id ORDER BY t.position LIMIT 1), 0)",
	            err, "si", tier, n),
	        keep, err) == -1)
		return -1;
	/* versions whose latest promote (to tier, or anywhere) failed */
	return store_strings(st,
	    store_prepare(st,
	        "SELECT p.version FROM promotes p JOIN tiers t ON t.id = p.tier_id WHERE "
	        "p.kind = 'promote' AND (?1 IS NULL OR t.name = ?1) GROUP BY p.version HAVING "
	        "max(p.id) = max(CASE WHEN p.status = 'failed' THEN p.id END)",
	        err, "s", tier),
	    aside, err);
}
