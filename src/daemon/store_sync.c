/*
 * store_sync: tiers and nodes brought in line with the topology at start-up,
 * and the per-tier and per-node reads /state needs.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/store_int.h"
#include "daemon/topology.h"

static int64_t
tier_id(struct store *st, const char *name, struct strbuf *err)
{
	return store_scalar(st, "SELECT id FROM tiers WHERE name = ?1", err, "s", name);
}

/* A tier whose renamed_from names a row takes that row (and its history). */
static int
sync_rename(struct store *st, const struct tier_config *t, struct strbuf *err)
{
	for (size_t r = 0; r < t->renamed_from.nr; r++) {
		const char *old = t->renamed_from.v[r];
		int64_t oid = tier_id(st, old, err), nid;

		if (oid <= 0)
			continue;
		nid = tier_id(st, t->name, err);
		if (nid < 0)
			return -1;
		if (nid > 0) {
			strbuf_reset(err);
			strbuf_addf(err,
			    "tier '%s' is renamed_from '%s', but the database has "
			    "history under both names: remove one from the topology",
			    t->name, old);
			return -1;
		}
		if (store_run(st, "UPDATE tiers SET name = ?1 WHERE id = ?2", err, "si", t->name,
		        oid) == -1)
			return -1;
		log_info("tier '%s' renamed to '%s', history kept", old, t->name);
	}
	return 0;
}

static int
sync_tier(
    struct store *st, const struct tier_config *t, int64_t pos, const char *now, struct strbuf *err)
{
	if (sync_rename(st, t, err) == -1)
		return -1;
	if (store_run(st,
	        "INSERT INTO tiers(name, position, provisioned) VALUES (?1, ?2, ?3) "
	        "ON CONFLICT(name) DO UPDATE SET position = ?2, provisioned = ?3, retired_at = "
	        "NULL",
	        err, "sii", t->name, pos, (int64_t)t->provisioned) == -1)
		return -1;
	if (store_run(st,
	        "INSERT OR IGNORE INTO tier_state(tier_id, updated_at) "
	        "SELECT id, ?2 FROM tiers WHERE name = ?1",
	        err, "ss", t->name, now) == -1)
		return -1;
	for (size_t i = 0; i < t->nnodes; i++) {
		const struct node_config *n = &t->nodes[i];

		if (store_run(st,
		        "INSERT INTO nodes(tier_id, name, transport, target, release_root) "
		        "SELECT id, ?2, ?3, ?4, ?5 FROM tiers WHERE name = ?1 "
		        "ON CONFLICT(name) DO UPDATE SET tier_id = excluded.tier_id, "
		        "transport = ?3, target = ?4, release_root = ?5, retired_at = NULL",
		        err, "sssss", t->name, n->name, topology_transport_name(n->transport),
		        n->ssh_target, n->release_root) == -1)
			return -1;
	}
	return 0;
}

/* Mark tiers and nodes that are no longer in the topology as retired. */
static int
sync_retire(struct store *st, const struct topology *topo, const char *now, struct strbuf *err)
{
	struct strbuf tiers = STRBUF_INIT, nodes = STRBUF_INIT;
	int rc;

	/* JSON arrays of the names that stay, so one statement does each. */
	strbuf_addch(&tiers, '[');
	strbuf_addch(&nodes, '[');
	for (size_t i = 0; i < topo->ntiers; i++) {
		strbuf_addf(&tiers, "%s\"%s\"", i ? "," : "", topo->tiers[i].name);
		for (size_t j = 0; j < topo->tiers[i].nnodes; j++)
			strbuf_addf(&nodes, "%s\"%s\"", nodes.len > 1 ? "," : "",
			    topo->tiers[i].nodes[j].name);
	}
	strbuf_addch(&tiers, ']');
	strbuf_addch(&nodes, ']');
	rc = store_run(st,
	    "UPDATE tiers SET retired_at = ?2 WHERE retired_at IS NULL AND name NOT IN "
	    "(SELECT value FROM json_each(?1))",
	    err, "ss", tiers.buf, now);
	if (rc == 0)
		rc = store_run(st,
		    "UPDATE nodes SET retired_at = ?2 WHERE retired_at IS NULL AND name NOT IN "
		    "(SELECT value FROM json_each(?1))",
		    err, "ss", nodes.buf, now);
	strbuf_release(&tiers);
	strbuf_release(&nodes);
	return rc;
}

int
store_sync_topology(struct store *st, const struct topology *topo, struct strbuf *err)
{
	struct strbuf now = STRBUF_INIT;
	int rc;

	store_now(&now);
	rc = store_exec(st, "BEGIN IMMEDIATE", err);
	for (size_t i = 0; rc == 0 && i < topo->ntiers; i++)
		rc = sync_tier(st, &topo->tiers[i], (int64_t)i, now.buf, err);
	if (rc == 0)
		rc = sync_retire(st, topo, now.buf, err);
	if (rc == 0)
		rc = store_exec(st, "COMMIT", err);
	else
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	strbuf_release(&now);
	return rc;
}

int
store_tier_state(
    struct store *st, const char *tier, struct store_tier_state *out, struct strbuf *err)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT s.current_version, s.previous_version, s.burn_in_started_at, s.frozen, "
	    "t.retired_at IS NOT NULL FROM tiers t JOIN tier_state s ON s.tier_id = t.id "
	    "WHERE t.name = ?1",
	    err, "s", tier);
	int rc;

	memset(out, 0, sizeof(*out));
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->current_version = store_column_dup(stmt, 0);
		out->previous_version = store_column_dup(stmt, 1);
		out->burn_in_started_at = store_column_dup(stmt, 2);
		out->frozen = sqlite3_column_int(stmt, 3);
		out->retired = sqlite3_column_int(stmt, 4);
	} else if (rc == SQLITE_DONE) {
		strbuf_reset(err);
		strbuf_addf(err, "unknown tier '%s'", tier);
	} else {
		store_fail(st, err, "read tier_state");
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

void
store_tier_state_release(struct store_tier_state *ts)
{
	free(ts->current_version);
	free(ts->previous_version);
	free(ts->burn_in_started_at);
	memset(ts, 0, sizeof(*ts));
}

int
store_node_version(struct store *st, const char *node, struct strbuf *out, struct strbuf *err)
{
	sqlite3_stmt *stmt =
	    store_prepare(st, "SELECT current_version FROM nodes WHERE name = ?1", err, "s", node);
	int rc, ret = -1;

	strbuf_reset(out);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(stmt, 0);

		ret = v ? 0 : 1;
		if (v)
			strbuf_addstr(out, (const char *)v);
	} else if (rc == SQLITE_DONE) {
		strbuf_reset(err);
		strbuf_addf(err, "unknown node '%s'", node);
	} else {
		store_fail(st, err, "read nodes");
	}
	sqlite3_reset(stmt);
	return ret;
}
