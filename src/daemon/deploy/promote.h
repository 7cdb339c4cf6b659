/*
 * promote: moving a tier's nodes to a version (promote) or back to the
 * previous one (rollback), DESIGN.md sections 3, 6 and 7.
 *
 * The caller (api_promote.c) decides what can be refused up front; then
 * promote_start takes the tier's lock (a compare-and-set in SQLite, holder
 * "promote:<id>" / "rollback:<id>"), writes the promote row before any side
 * effect and answers with its id; the work goes on in the loop:
 *
 *   pre_deploy (controller)  ->  per node, by the tier's canary policy:
 *     probe  ->  rsync into releases/<v>.partial (unless complete there)
 *     ->  verify against the manifest (+ sha256 of what rsync wrote)
 *     ->  swap current  ->  restart  ->  health_url until 2xx
 *   ->  tier_state advances, burn-in clock starts, the tier's gates start
 *   ->  post_deploy (controller)
 *
 * A failed node stops the canary; every node this promote switched is
 * switched back (and restarted), its deploy row says reverted, and the tier
 * does not advance.  A rollback swaps every node to the tier's previous
 * version at once, then restart and health, and exchanges current and
 * previous when all went well.  The lock is released on every path.
 */
#ifndef SANDO_PROMOTE_H
#define SANDO_PROMOTE_H

#include <stdint.h>

#include "core/strbuf.h"

struct daemon;
struct tier_config;

enum promote_kind { PROMOTE, ROLLBACK };

struct promote_request {
	int kind; /* enum promote_kind */
	const struct tier_config *tier;
	const char *version;      /* the target */
	const char *from_version; /* the tier's current one (NULL: none) */
	int hotfix;
	const char *actor;
};

/* Lock the tier and start.  The promote's id (> 0); 0 when the tier is
 * locked (held_by names the holder); -1 with err. */
int64_t promote_start(
    struct daemon *d, const struct promote_request *rq, struct strbuf *held_by, struct strbuf *err);

/* Whether a promote or rollback runs in this daemon. */
int promote_running(const struct daemon *d);

/* Stop every promote at the next step boundary (daemon shutdown): running
 * programs are cancelled; rows are finished as failed. */
void promote_shutdown(struct daemon *d);

#endif
