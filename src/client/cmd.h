/*
 * cmd: the sando client's subcommands, one table of entries (after tmux's
 * cmd-*.c: one file per command, each defining its struct cmd_entry).
 *
 * sando.c parses the global options into a struct cmd_ctx, finds the command
 * named by the first operand and runs it with the rest of the arguments:
 * argv[0] is the command's name, so a command parses its own options with
 * getopt_long as a program would.  A command returns the exit status:
 * CMD_EXIT_OK, CMD_EXIT_FAIL (the daemon could not be reached, refused, or
 * went away; the message is on stderr) or CMD_EXIT_USAGE (bad arguments; the
 * message and the usage are on stderr).  "sando NAME --help" prints the
 * command's usage and help on stdout and exits 0.
 *
 * Messages follow the daemon's style: "sando NAME: message", lowercase, no
 * full stop, values quoted '%s'.
 */
#ifndef SANDO_CMD_H
#define SANDO_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "core/strbuf.h"

#define CMD_EXIT_OK 0
#define CMD_EXIT_FAIL 1
#define CMD_EXIT_USAGE 2

#define CMD_DEFAULT_DAEMON "http://127.0.0.1:7766"

struct cmd_ctx {
	const char *daemon; /* the daemon's base URL: --daemon, $SANDO_DAEMON, the default */
	int color;          /* stdout is a terminal and NO_COLOR is not set */
};

struct cmd_entry {
	const char *name;    /* "events" */
	const char *usage;   /* its arguments: "[--since N] [--json]" */
	const char *summary; /* one line for "sando --help" */
	const char *help;    /* the options, one per line, for "sando NAME --help" */
	int (*run)(const struct cmd_ctx *ctx, int argc, char **argv);
};

/* Every command, NULL-terminated, in the order "sando --help" lists them. */
extern const struct cmd_entry *const cmd_table[];

extern const struct cmd_entry cmd_events_entry;

/* The command called name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/* Print "usage: sando NAME ARGS" to out, and the help too if full. */
void cmd_print_usage(const struct cmd_entry *cmd, FILE *out, int full);

/* Print "sando NAME: message" and the usage to stderr; returns CMD_EXIT_USAGE. */
int cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse s as a decimal integer in [0, max]; 0, or -1 if it is not one. */
int cmd_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Append the daemon's base URL (without a trailing '/') and path to out. */
void cmd_daemon_url(const struct cmd_ctx *ctx, const char *path, struct strbuf *out);

#endif
