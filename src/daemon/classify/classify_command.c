/*
 * classify_command.c - the `command` gate; see classify.h.
 *
 * A command is any argv the operator configured, so its output has no known
 * shape: exit 0 is command_succeeded {duration_s} (a note added to DESIGN.md's
 * list: tests_passed would claim tests that may not exist, stayed_up is for
 * servers), anything else is unclassified with its exit status or signal.
 */
#include "daemon/classify/classify_int.h"

void
classify_command(const struct gate_raw *raw, struct outcome *out)
{
	if (classify_common(raw, out))
		return;
	if (raw->exited && raw->exit_status == 0)
		outcome_passed_command_succeeded(out, raw->duration_s);
	else
		classify_unclassified(raw, NULL, out);
	classify_done(raw, out);
}
