/*
 * sando: the operator's command-line client.  Global options, then one
 * command from the table in cmd.c, which does the work.
 *
 * The daemon's address: --daemon URL, else $SANDO_DAEMON, else
 * CMD_DEFAULT_DAEMON.  "sando --man" prints the manual page (roff) made from
 * the same command table; the build runs it to produce sando.1 (see
 * src/client/meson.build), so the page never drifts from --help.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/tui.h"

static void
usage(FILE *out)
{
	fputs("usage: sando [--daemon URL] COMMAND [ARGS]\n"
	      "\n"
	      "  --daemon URL   the daemon to talk to (default: $SANDO_DAEMON, "
	      "else " CMD_DEFAULT_DAEMON ")\n"
	      "  --help         this text\n"
	      "  --man          print the manual page (roff)\n"
	      "  --version      print the version\n"
	      "\n"
	      "commands:\n",
	    out);
	for (size_t i = 0; cmd_table[i]; i++)
		fprintf(out, "  %-12s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fputs("\n'sando COMMAND --help' shows a command's options.\n", out);
}

/* Append s to out as roff text: backslashes escaped, '-' as \-, a leading
 * '.' or '\'' protected. */
static void
man_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
		if (*s == '\n' && (s[1] == '.' || s[1] == '\''))
			fputs("\\&", out);
	}
}

/* One command: its synopsis, summary and help (kept as written). */
static void
man_command(FILE *out, const struct cmd_entry *cmd)
{
	fprintf(out, ".TP\n\\fB%s\\fR ", cmd->name);
	man_text(out, cmd->usage);
	fputs("\n", out);
	man_text(out, cmd->summary);
	fputs(".\n.RS\n.nf\n", out);
	man_text(out, cmd->help);
	fputs(".fi\n.RE\n", out);
}

/* The manual page, from the command table. */
static void
man_page(FILE *out)
{
	fprintf(out, ".TH SANDO 1 \"\" \"sando %s\" \"sando manual\"\n", SANDO_VERSION);
	fputs(".SH NAME\nsando \\- the operator's client of the sando deploy controller\n"
	      ".SH SYNOPSIS\n.B sando\n[\\fB\\-\\-daemon\\fR \\fIURL\\fR] \\fICOMMAND\\fR "
	      "[\\fIARGS\\fR]\n"
	      ".SH DESCRIPTION\nsando talks to the daemon \\fBsandod\\fR over its HTTP API: "
	      "it shows the tiers, builds, versions and deploys, and starts builds, promotes, "
	      "rollbacks, confirmations and freezes.\n"
	      "Output is aligned text; \\fB\\-\\-json\\fR prints the daemon's JSON.\n"
	      ".SH OPTIONS\n.TP\n.BI \\-\\-daemon \" URL\"\nthe daemon to talk to\n"
	      ".TP\n.B \\-\\-help\nlist the commands; \\fBsando\\fR \\fICOMMAND\\fR "
	      "\\fB\\-\\-help\\fR shows a command's options\n"
	      ".TP\n.B \\-\\-version\nprint the version\n"
	      ".TP\n.B \\-\\-man\nprint this page\n.SH COMMANDS\n",
	    out);
	for (size_t i = 0; cmd_table[i]; i++)
		man_command(out, cmd_table[i]);
	fputs(".SH ENVIRONMENT\n.TP\n.B SANDO_DAEMON\nthe daemon's URL when "
	      "\\fB\\-\\-daemon\\fR is not given (default " CMD_DEFAULT_DAEMON ")\n"
	      ".TP\n.B NO_COLOR\nwhen set and not empty, no colours (there are colours only "
	      "on a terminal anyway)\n"
	      ".SH EXIT STATUS\n0: done; 1: the daemon could not be reached, refused, "
	      "answered garbage, or the work failed (one line on stderr); 2: usage error\n",
	    out);
}

/* Parse the global options into ctx; the index of the command's name. */
static int
parse_global(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"daemon", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"man", no_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	const char *no_color = getenv("NO_COLOR");
	int ch;

	ctx->daemon = getenv("SANDO_DAEMON");
	if (ctx->daemon == NULL || ctx->daemon[0] == '\0')
		ctx->daemon = CMD_DEFAULT_DAEMON;
	ctx->color = isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == '\0');
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			ctx->daemon = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(CMD_EXIT_OK);
		case 'V':
			printf("sando %s\n", SANDO_VERSION);
			exit(CMD_EXIT_OK);
		case 'm':
			man_page(stdout);
			exit(CMD_EXIT_OK);
		default:
			usage(stderr);
			exit(CMD_EXIT_USAGE);
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct strbuf name = STRBUF_INIT;
	struct cmd_ctx ctx;
	const struct cmd_entry *cmd;
	int first = parse_global(argc, argv, &ctx), r;

	if (first >= argc && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return tui_run(&ctx); /* no command on a terminal: the interactive view */
	if (first >= argc) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	cmd = cmd_find(argv[first]);
	if (cmd == NULL) {
		fprintf(stderr, "sando: unknown command '%s' (see 'sando --help')\n", argv[first]);
		fputs("usage: sando [--daemon URL] COMMAND [ARGS]\n", stderr);
		return CMD_EXIT_USAGE;
	}
	/* The command parses its own options from its name on; getopt's
	 * messages then start with "sando NAME". */
	strbuf_addf(&name, "sando %s", cmd->name);
	argv[first] = name.buf;
	optind = 0;
	r = cmd->run(&ctx, argc - first, argv + first);
	strbuf_release(&name);
	return r;
}
