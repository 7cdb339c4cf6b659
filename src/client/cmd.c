/*
 * cmd: the command table, option parsing from an entry, and the helpers
 * every command shares.
 */
#include "client/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const struct cmd_entry *const cmd_table[] = {
    &cmd_state_entry,
    &cmd_rebuild_entry,
    &cmd_builds_entry,
    &cmd_versions_entry,
    &cmd_logs_entry,
    &cmd_confirm_entry,
    &cmd_promote_entry,
    &cmd_rollback_entry,
    &cmd_deploys_entry,
    &cmd_freeze_entry,
    &cmd_unfreeze_entry,
    &cmd_backup_entry,
    &cmd_events_entry,
    NULL,
};

/* The options of enum cmd_opt, in bit order; val is the bit's index. */
static const struct option cmd_optdefs[] = {
    {"json", no_argument, NULL, 0},
    {"sha", required_argument, NULL, 1},
    {"version", required_argument, NULL, 2},
    {"tier", required_argument, NULL, 3},
    {"hotfix", no_argument, NULL, 4},
    {"reset-burn-in", no_argument, NULL, 5},
    {"no-wait", no_argument, NULL, 6},
    {"reason", required_argument, NULL, 7},
    {"follow", no_argument, NULL, 8},
    {"tail", required_argument, NULL, 9},
};

#define CMD_NOPTS (sizeof(cmd_optdefs) / sizeof(cmd_optdefs[0]))

const struct cmd_entry *
cmd_find(const char *name)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}

void
cmd_print_usage(const struct cmd_entry *cmd, FILE *out, int full)
{
	fprintf(out, "usage: sando [--daemon URL] %s %s\n", cmd->name, cmd->usage);
	if (full)
		fprintf(out, "\n%s.\n\n%s", cmd->summary, cmd->help);
}

int
cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sando %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_print_usage(cmd, stderr, 0);
	return CMD_EXIT_USAGE;
}

/* Store option number bit (with its argument) in a. */
static void
cmd_set(struct cmd_args *a, int bit, char *arg)
{
	switch (1 << bit) {
	case CMD_OPT_JSON:
		a->json = 1;
		break;
	case CMD_OPT_SHA:
		a->sha = arg;
		break;
	case CMD_OPT_VERSION:
		a->version = arg;
		break;
	case CMD_OPT_TIER:
		a->tier = arg;
		break;
	case CMD_OPT_HOTFIX:
		a->hotfix = 1;
		break;
	case CMD_OPT_RESET_BURN_IN:
		a->reset_burn_in = 1;
		break;
	case CMD_OPT_NO_WAIT:
		a->no_wait = 1;
		break;
	case CMD_OPT_REASON:
		a->reason = arg;
		break;
	case CMD_OPT_TAIL:
		a->tail = arg;
		break;
	default:
		a->follow = 1;
		break; /* CMD_OPT_FOLLOW */
	}
}

int
cmd_parse(const struct cmd_entry *cmd, int argc, char **argv, struct cmd_args *a)
{
	struct option longopts[CMD_NOPTS + 2];
	size_t n = 0;
	int ch;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < CMD_NOPTS; i++)
		if (cmd->opts & (1u << i))
			longopts[n++] = cmd_optdefs[i];
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	while ((ch = getopt_long(
	            argc, argv, cmd->opts & CMD_OPT_FOLLOW ? "hf" : "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			cmd_print_usage(cmd, stdout, 1);
			return -1;
		}
		if (ch == 'f')
			ch = 8;
		if (ch < 0 || ch >= (int)CMD_NOPTS) { /* getopt has said what */
			cmd_print_usage(cmd, stderr, 0);
			return CMD_EXIT_USAGE;
		}
		if (optarg && optarg[0] == '\0')
			return cmd_usage_error(cmd, "--%s wants a value", cmd_optdefs[ch].name);
		cmd_set(a, ch, optarg);
	}
	a->operands = argv + optind;
	a->noperands = argc - optind;
	if (a->noperands < cmd->min_args)
		return cmd_usage_error(cmd, "missing operand");
	if (a->noperands > cmd->max_args)
		return cmd_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + cmd->max_args]);
	return CMD_EXIT_OK;
}

int
cmd_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

void
cmd_daemon_url(const struct cmd_ctx *ctx, const char *path, struct strbuf *out)
{
	size_t len = strlen(ctx->daemon);

	while (len > 0 && ctx->daemon[len - 1] == '/')
		len--;
	strbuf_add(out, ctx->daemon, len);
	strbuf_addstr(out, path);
}
