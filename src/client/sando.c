/*
 * sando: the operator's command-line client.  Global options, then one
 * command from the table in cmd.c, which does the work.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"

static void
usage(FILE *out)
{
	fputs("usage: sando [--daemon URL] COMMAND [ARGS]\n"
	      "\n"
	      "  --daemon URL   the daemon to talk to (default: $SANDO_DAEMON, "
	      "else " CMD_DEFAULT_DAEMON ")\n"
	      "  --help         this text\n"
	      "  --version      print the version\n"
	      "\n"
	      "commands:\n",
	    out);
	for (size_t i = 0; cmd_table[i]; i++)
		fprintf(out, "  %-12s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fputs("\n'sando COMMAND --help' shows a command's options.\n", out);
}

/* Parse the global options into ctx; the index of the command's name. */
static int
parse_global(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"daemon", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
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

	if (first >= argc) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	cmd = cmd_find(argv[first]);
	if (cmd == NULL) {
		fprintf(stderr, "sando: unknown command '%s' (see 'sando --help')\n", argv[first]);
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
