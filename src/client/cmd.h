/*
 * cmd: the sando client's subcommands, one table of entries (after tmux's
 * cmd-*.c: one file per command, each defining its struct cmd_entry), and
 * the helpers they share: option parsing from the entry (cmd.c), calls to
 * the daemon's API (cmd_api.c) and aligned, coloured output (cmd_fmt.c).
 *
 * sando.c parses the global options into a struct cmd_ctx, finds the command
 * named by the first operand and runs it with the rest of the arguments:
 * argv[0] is the command's name, so a command parses its own options with
 * getopt_long as a program would (cmd_parse does it for the options of
 * enum cmd_opt).  A command returns the exit status: CMD_EXIT_OK,
 * CMD_EXIT_FAIL (the daemon could not be reached, refused, answered garbage,
 * or the work failed; one message is on stderr) or CMD_EXIT_USAGE (bad
 * arguments; the message and the usage are on stderr).  "sando NAME --help"
 * prints the command's usage and help on stdout and exits 0.
 *
 * Output: human-readable, aligned columns by default; with --json the
 * daemon's JSON body exactly as received, with a final newline.  Colours only
 * when ctx->color (stdout is a terminal and NO_COLOR is unset or empty);
 * outcomes use outcome_color (green passed, yellow blocked, red failed).
 * Every string from the daemon is printed through cmd_clean, so control
 * bytes never reach the terminal.
 *
 * Messages follow the daemon's style: "sando NAME: message", lowercase, no
 * full stop, values quoted '%s'.
 */
#ifndef SANDO_CMD_H
#define SANDO_CMD_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/strbuf.h"
#include "domain/outcome.h"

#define CMD_EXIT_OK 0
#define CMD_EXIT_FAIL 1
#define CMD_EXIT_USAGE 2

#define CMD_DEFAULT_DAEMON "http://127.0.0.1:7766"

struct cmd_table;

struct cmd_ctx {
	const char *daemon; /* the daemon's base URL: --daemon, $SANDO_DAEMON, the default */
	int color;          /* stdout is a terminal and NO_COLOR is not set */
};

/* The options cmd_parse knows; an entry lists the ones it takes. */
enum cmd_opt {
	CMD_OPT_JSON = 1 << 0,          /* --json */
	CMD_OPT_SHA = 1 << 1,           /* --sha S */
	CMD_OPT_VERSION = 1 << 2,       /* --version V */
	CMD_OPT_TIER = 1 << 3,          /* --tier T */
	CMD_OPT_HOTFIX = 1 << 4,        /* --hotfix */
	CMD_OPT_RESET_BURN_IN = 1 << 5, /* --reset-burn-in */
	CMD_OPT_NO_WAIT = 1 << 6,       /* --no-wait */
	CMD_OPT_REASON = 1 << 7,        /* --reason R */
	CMD_OPT_FOLLOW = 1 << 8,        /* -f, --follow */
	CMD_OPT_TAIL = 1 << 9,          /* --tail N */
};

struct cmd_entry {
	const char *name;    /* "events" */
	const char *usage;   /* its arguments: "[--since N] [--json]" */
	const char *summary; /* one line for "sando --help" */
	const char *help;    /* the options, one per line, for "sando NAME --help" */
	int (*run)(const struct cmd_ctx *ctx, int argc, char **argv);
	unsigned opts;          /* enum cmd_opt bits cmd_parse accepts */
	int min_args, max_args; /* operands cmd_parse accepts */
};

/* What cmd_parse found; strings point into argv. */
struct cmd_args {
	int json, hotfix, reset_burn_in, no_wait, follow;
	const char *sha, *version, *tier, *reason, *tail;
	char **operands; /* min_args..max_args of them */
	int noperands;
};

/* Every command, NULL-terminated, in the order "sando --help" lists them. */
extern const struct cmd_entry *const cmd_table[];

extern const struct cmd_entry cmd_state_entry, cmd_rebuild_entry, cmd_builds_entry,
    cmd_versions_entry, cmd_logs_entry, cmd_confirm_entry, cmd_promote_entry, cmd_rollback_entry,
    cmd_deploys_entry, cmd_freeze_entry, cmd_unfreeze_entry, cmd_backup_entry, cmd_events_entry;

/* The command called name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/* Print "usage: sando NAME ARGS" to out, and the help too if full. */
void cmd_print_usage(const struct cmd_entry *cmd, FILE *out, int full);

/* Print "sando NAME: message" and the usage to stderr; returns CMD_EXIT_USAGE. */
int cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse argv by cmd's opts and operand counts into a: CMD_EXIT_OK to go on,
 * -1 when --help was answered (exit 0), else CMD_EXIT_USAGE (printed). */
int cmd_parse(const struct cmd_entry *cmd, int argc, char **argv, struct cmd_args *a);

/* Parse s as a decimal integer in [0, max]; 0, or -1 if it is not one. */
int cmd_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Append the daemon's base URL (without a trailing '/') and path to out. */
void cmd_daemon_url(const struct cmd_ctx *ctx, const char *path, struct strbuf *out);

/* --- cmd_api.c: calling the daemon --- */

struct cmd_request {
	const char *method;  /* "GET" default */
	const char *path;    /* "/state", already escaped (cmd_add_escaped) */
	json_t *body;        /* sent as application/json when not NULL (not stolen) */
	int raw;             /* a 2xx body is text (a log), not JSON */
	uint64_t timeout_ms; /* 0: 30 s */
	/* raw only: a 2xx body is handed here as it arrives, not kept in the reply */
	void (*on_body)(const char *buf, size_t len, void *arg);
	void *on_body_arg;
};

struct cmd_reply {
	int status;         /* the HTTP status */
	json_t *json;       /* the body parsed (NULL for raw) */
	struct strbuf body; /* the body as received */
	int truncated;      /* the body was longer than the client takes */
};

/* Make the request and wait for the answer (a libuv loop of its own):
 * CMD_EXIT_OK for a 2xx answer with a JSON body (any body when raw), with
 * r filled; else the one-line reason (and a 422's reasons) is on stderr
 * and the result is CMD_EXIT_FAIL (CMD_EXIT_USAGE for an unusable daemon
 * URL).  Release r with cmd_reply_release in every case. */
int cmd_call(const struct cmd_ctx *ctx, const struct cmd_entry *cmd, const struct cmd_request *rq,
    struct cmd_reply *r);

/* GET path and print it: the body with --json, else a table with header
 * (NULL-terminated column names) and row(t, element) for each element of
 * the array answered ("(none)" when it is empty); the exit status. */
int cmd_list(const struct cmd_ctx *ctx, const struct cmd_entry *cmd, const struct cmd_args *a,
    const char *path, const char *const *header, void (*row)(struct cmd_table *t, json_t *e));

/* Free r's body and JSON; r may then be reused. */
void cmd_reply_release(struct cmd_reply *r);

/* Append s percent-encoded (all but unreserved characters) to out. */
void cmd_add_escaped(struct strbuf *out, const char *s);

/* Print r's body as received, ending with a newline, on stdout (--json). */
void cmd_print_body(const struct cmd_reply *r);

/* --- cmd_fmt.c: output --- */

#define CMD_C_RED "\033[31m"
#define CMD_C_GREEN "\033[32m"
#define CMD_C_YELLOW "\033[33m"
#define CMD_C_CYAN "\033[36m"
#define CMD_C_DIM "\033[2m"
#define CMD_C_OFF "\033[0m"

/* A table of text cells printed with aligned columns (the last column is
 * not padded, trailing blanks are trimmed); cells own copies of their text. */
struct cmd_table {
	struct cmd_cell *cells;
	size_t ncells, alloc, ncols;
};

void cmd_table_init(struct cmd_table *t, size_t ncols);
void cmd_table_release(struct cmd_table *t);

/* Append a cell (cleaned with cmd_clean) in color (a CMD_C_*, or NULL). */
void cmd_table_add(struct cmd_table *t, const char *color, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append plain cells, one per string until NULL (a header row). */
void cmd_table_row(struct cmd_table *t, ...) __attribute__((sentinel));

/* Append a cell for a JSON string or number member ("-" for null or absent). */
void cmd_table_addj(struct cmd_table *t, const char *color, json_t *v);

/* Print the rows to out; colours only if color. */
void cmd_table_print(const struct cmd_table *t, FILE *out, int color);

/* Print one line (fmt, cleaned, then a newline) on stdout. */
void cmd_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append s to out with control bytes and invalid UTF-8 replaced by '?'. */
void cmd_clean(struct strbuf *out, const char *s);

/* The JSON string member key of o, or dflt. */
const char *cmd_str(json_t *o, const char *key, const char *dflt);

/* The colour for a status word ("ok", "failed", "running"...), or NULL. */
const char *cmd_status_color(const char *status);

/* The CMD_C_* for an outcome's colour, or NULL. */
const char *cmd_outcome_color(const struct outcome *o);

/* Parse outcome JSON j into o: its status word and one-line summary ("-"
 * and "no outcome yet" for null; "?" and why for an outcome this client
 * cannot read); o is released by the caller. */
void cmd_outcome(json_t *j, struct outcome *o, struct strbuf *status, struct strbuf *summary);

/* Append a node deploy outcome's failure ("health_failed status=503:
 * message") to out; nothing for an ok or absent outcome. */
void cmd_deploy_failure(json_t *outcome, struct strbuf *out);

/* Print the gates of a 422 gates_not_passed error (j: its "reasons") to out. */
void cmd_print_reasons(json_t *reasons, FILE *out);

/* --- cmd_promote.c: shared with rollback --- */

/* After a 202 from /promote or /rollback (accepted): print it (--no-wait),
 * or poll GET /promotes/{id} every 200 ms until it ends, printing a line per
 * node as its deploy ends; CMD_EXIT_OK when it ended "ok". */
int cmd_promote_follow(const struct cmd_ctx *ctx, const struct cmd_entry *cmd,
    const struct cmd_args *a, const struct cmd_reply *accepted);

/* --- cmd_freeze.c: shared with unfreeze --- */
int cmd_freeze_run(
    const struct cmd_entry *cmd, const struct cmd_ctx *ctx, int argc, char **argv, int frozen);

#endif
