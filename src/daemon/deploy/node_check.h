/*
 * node_check: at start-up, every node of every tier is checked against the
 * recorded state (DESIGN.md section 6: "every tier's nodes are checked
 * against tier_state").  A node whose current does not point at
 * releases/<the tier's current version> (a daemon killed between a node's
 * swap and the tier's advance, or during a switch-back) is repaired: current
 * is swapped back to the recorded version (removed when the tier has none)
 * and the tier's restart command runs there.  A node that cannot be reached
 * or whose recorded release is missing is reported, not touched.
 *
 * Each tier being checked is locked ("check:startup"), so no promote starts
 * on it before its nodes are known.  Results are kept per node for /state
 * ("check": {"status": "pending"|"ok"|"repaired"|"drift"|"unreachable",
 * "found", "message"}) and repairs go to the audit log and the node's
 * recorded versions.
 */
#ifndef SANDO_NODE_CHECK_H
#define SANDO_NODE_CHECK_H

#include <jansson.h>

struct daemon;
struct node_config;

/* Start checking every node (from the loop; the checks run as programs). */
void node_check_start(struct daemon *d);

/* The latest check of node n as JSON for /state (a new reference), or NULL. */
json_t *node_check_json(const struct daemon *d, const struct node_config *n);

/* Stop the checks (daemon shutdown). */
void node_check_shutdown(struct daemon *d);

/* Free the checks' state after the loop has stopped. */
void node_check_free(struct daemon *d);

#endif
