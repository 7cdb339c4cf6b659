/*
 * gate: the gate kinds of DESIGN.md section 2, as an enum parsed once at the
 * edge.  Shared by daemon, client and agent.
 */
#ifndef SANDO_DOMAIN_GATE_H
#define SANDO_DOMAIN_GATE_H

enum gate_kind {
	GATE_CARGO_TEST,
	GATE_TEST,
	GATE_MIGRATION_DRY_RUN,
	GATE_BOOT_SMOKE,
	GATE_BURN_IN,
	GATE_MANUAL_CONFIRM,
	GATE_COMMAND,
	GATE_KIND_COUNT
};

/* The kind's configuration name ("cargo_test"). */
const char *gate_kind_name(enum gate_kind kind);

/* Parse a kind name; 0 and *out set, or -1 if unknown. */
int gate_kind_parse(const char *name, enum gate_kind *out);

/* The known kind names, quoted and comma-separated, for messages. */
const char *gate_kind_list(void);

#endif
