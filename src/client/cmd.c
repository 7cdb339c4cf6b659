/*
 * cmd: the command table and the helpers every command shares.
 */
#include "client/cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const struct cmd_entry *const cmd_table[] = {
    &cmd_events_entry,
    NULL,
};

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
