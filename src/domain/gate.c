#include "domain/gate.h"

#include <string.h>

static const char *const gate_kind_names[GATE_KIND_COUNT] = {
    [GATE_CARGO_TEST] = "cargo_test",
    [GATE_TEST] = "test",
    [GATE_MIGRATION_DRY_RUN] = "migration_dry_run",
    [GATE_BOOT_SMOKE] = "boot_smoke",
    [GATE_BURN_IN] = "burn_in",
    [GATE_MANUAL_CONFIRM] = "manual_confirm",
    [GATE_COMMAND] = "command",
};

const char *
gate_kind_name(enum gate_kind kind)
{
	return (unsigned)kind < GATE_KIND_COUNT ? gate_kind_names[kind] : "unknown";
}

int
gate_kind_parse(const char *name, enum gate_kind *out)
{
	for (int i = 0; i < GATE_KIND_COUNT; i++) {
		if (strcmp(gate_kind_names[i], name) == 0) {
			*out = (enum gate_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *
gate_kind_list(void)
{
	return "'cargo_test', 'test', 'migration_dry_run', 'boot_smoke', 'burn_in', "
	       "'manual_confirm', 'command'";
}
