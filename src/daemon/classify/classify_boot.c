/*
 * classify_boot.c - the boot_smoke gate; see classify.h.
 *
 * The runner starts the release's binary and stops it after `seconds`
 * (required_s): being stopped there (timed_out) or having run that long is
 * the passing case, stayed_up {duration_s}.  A process that ended sooner
 * panicked when the log has Rust's "panicked at" (any Rust version: "thread
 * 'main' panicked at src/main.rs:3:5:" and the older "panicked at 'boom',
 * src/main.rs:3:5") or its exit code is 101 (Rust's panic exit status):
 * boot_panic {exit_code}; otherwise boot_exited_early {exit_code}, where a
 * signal gives 128 + its number (an abort-on-panic build: 134 with the panic
 * message in the log, still boot_panic).
 *
 * A failed health check is not a kind of its own (DESIGN.md lists none): the
 * process stayed up but did not answer, which is unclassified with the
 * message "health check failed: <what the caller saw>" and the log.  A
 * panic message printed by a thread of a process that stayed up is not a
 * boot failure here; the health check is what judges a running process.
 */
#include "daemon/classify/classify_int.h"

#include "core/strbuf.h"

#define RUST_PANIC_EXIT 101

void
classify_boot(
    const struct gate_raw *raw, double required_s, const char *health_error, struct outcome *out)
{
	struct strbuf msg = STRBUF_INIT;
	int code;

	if (!raw->spawned) {
		classify_common(raw, out);
		return;
	}
	if (raw->timed_out || raw->duration_s >= required_s) {
		if (health_error != NULL) {
			strbuf_addf(&msg, "health check failed: %s", health_error);
			classify_unclassified(raw, msg.buf, out);
			strbuf_release(&msg);
		} else {
			outcome_passed_stayed_up(out, raw->duration_s);
		}
	} else {
		code = classify_exit_code(raw);
		if (code == RUST_PANIC_EXIT || classify_log_has(raw, "panicked at"))
			outcome_failed_boot_panic(out, code);
		else
			outcome_failed_boot_exited_early(out, code);
	}
	classify_done(raw, out);
}
