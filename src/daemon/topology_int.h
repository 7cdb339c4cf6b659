/*
 * topology_int: what topology.c and topology_gates.c share.  Not for other
 * modules.
 */
#ifndef SANDO_TOPOLOGY_INT_H
#define SANDO_TOPOLOGY_INT_H

#include "core/strbuf.h"
#include "core/toml.h"
#include "daemon/cfgtab.h"
#include "daemon/topology.h"

/* Parse a tier's 'gates' array into the tier (CFG_CUSTOM parse). */
int topology_parse_gates(const struct toml_value *v, void *obj, struct cfg_ctx *ctx);

/* Print a tier's gates (CFG_CUSTOM print). */
void topology_print_gates(const void *obj, const char *indent, struct strbuf *out);

/* Free what one gate owns. */
void gate_config_release(struct gate_config *g);

#endif
