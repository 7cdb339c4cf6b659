/*
 * sandod: the deploy controller daemon.  Start-up, signals and shutdown; the
 * work itself lives in the modules this file wires together.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "core/proc.h"
#include "daemon/api.h"
#include "daemon/backup.h"
#include "daemon/build.h"
#include "daemon/repo.h"
#include "daemon/daemon.h"
#include "daemon/deploy/node_check.h"
#include "daemon/deploy/promote.h"
#include "daemon/gates/gates.h"
#include "daemon/store.h"
#include "net/http.h"
#include "net/ws.h"

#define EXIT_CONFIG 2

static const char usage_text[] =
    "usage: sandod [-v] [--config PATH] [--check-config | --print-config]\n"
    "\n"
    "  -c, --config PATH   daemon.toml (default: $SANDO_CONFIG)\n"
    "      --check-config  validate daemon.toml and the topology, exit 0 (valid) or 2\n"
    "      --print-config  print the effective configuration with defaults filled in\n"
    "  -v, --verbose       more log output (repeat for debug)\n"
    "  -V, --version       print the version\n"
    "  -h, --help          this text\n";

struct options {
	const char *config;
	int check;
	int print;
	int verbose;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 'C'},
	    {"print-config", no_argument, NULL, 'P'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "c:vVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'C':
			o->check = 1;
			break;
		case 'P':
			o->print = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("sandod %s\n", SANDO_VERSION);
			exit(0);
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			exit(EXIT_CONFIG);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sandod: unexpected argument '%s'\n%s", argv[optind], usage_text);
		exit(EXIT_CONFIG);
	}
	if (o->config == NULL)
		o->config = getenv("SANDO_CONFIG");
	if (o->config == NULL || o->config[0] == '\0') {
		fprintf(
		    stderr, "sandod: no configuration: pass --config PATH or set SANDO_CONFIG\n");
		exit(EXIT_CONFIG);
	}
}

static void
load_config(struct daemon *d, const struct options *o)
{
	struct strbuf err = STRBUF_INIT;
	size_t nnodes = 0;

	if (config_load(&d->cfg, o->config, &err) == -1 ||
	    topology_load(&d->topo, d->cfg.topology_path, &err) == -1) {
		fprintf(stderr, "sandod: %s\n", err.buf);
		exit(EXIT_CONFIG);
	}
	strbuf_release(&err);
	for (size_t i = 0; i < d->topo.ntiers; i++)
		nnodes += d->topo.tiers[i].nnodes;
	if (o->check) {
		printf("configuration ok: '%s' and '%s' (%zu tiers, %zu nodes)\n", d->cfg.file,
		    d->topo.file, d->topo.ntiers, nnodes);
		exit(0);
	}
	if (o->print) {
		struct strbuf out = STRBUF_INIT;

		config_print(&d->cfg, &out);
		strbuf_addstr(&out, "\n");
		topology_print(&d->topo, &out);
		fwrite(out.buf, 1, out.len, stdout);
		strbuf_release(&out);
		exit(0);
	}
}

static void
make_dirs(struct daemon *d)
{
	char *dbdir = fs_dirname(d->cfg.db_path);
	const char *dirs[] = {d->cfg.workdir, d->cfg.release_root, d->cfg.logs_root, dbdir};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (fs_mkdir_p(dirs[i], 0755) == -1)
			fatal("cannot create directory '%s'", dirs[i]);
	free(dbdir);
}

static void
open_store(struct daemon *d)
{
	struct strbuf err = STRBUF_INIT;
	int changed;

	if (store_open(&d->store, d->cfg.db_path, store_migrations, store_nmigrations, &err) == -1)
		fatalx("%s", err.buf);
	if (build_reap_orphans(d, &err) == -1)
		log_warnx("cannot look for orphaned builds: %s", err.buf);
	if (store_recover(d->store, &changed, &err) == -1)
		fatalx("recovery: %s", err.buf);
	if (changed)
		log_warnx("recovered %d operation(s) left in flight by a previous sandod", changed);
	if (store_sync_topology(d->store, &d->topo, &err) == -1)
		fatalx("topology '%s': %s", d->topo.file, err.buf);
	if (events_init(&d->events, d->store, &err) == -1)
		fatalx("events: %s", err.buf);
	strbuf_release(&err);
}

static void
shutdown_done(void *arg)
{
	struct daemon *d = arg;

	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (d->stopping) {
		log_warnx("second signal %d: exiting now", signum);
		store_close(d->store);
		_exit(1);
	}
	d->stopping = 1;
	log_info("signal %d: shutting down, letting in-flight responses finish", signum);
	build_abort_current(d, "the daemon is shutting down");
	gates_shutdown(d);
	promote_shutdown(d);
	backup_shutdown(d);
	node_check_shutdown(d);
	proc_cancel_all();
	ws_close_all(1001, "the daemon is shutting down");
	http_server_shutdown(d->http, shutdown_done, d);
}

static void
start_http(struct daemon *d)
{
	struct strbuf err = STRBUF_INIT;

	d->http = http_server_new(d->loop, api_routes, api_nroutes, api_authorize, d, NULL);
	http_server_observe(d->http, api_metrics_observe);
	if (http_server_listen(d->http, d->cfg.listen, &err) == -1)
		fatalx("cannot listen on '%s': %s", d->cfg.listen, err.buf);
	if (d->cfg.auth == AUTH_NONE && !config_listen_is_loopback(d->cfg.listen))
		log_warnx(
		    "listening on non-loopback address '%s' with auth = \"none\": anyone who "
		    "can reach it can deploy; configure authentication or listen on 127.0.0.1",
		    d->cfg.listen);
	strbuf_release(&err);
}

/* The URL local clients (the post-receive hook) use to reach this daemon. */
static void
local_url(struct daemon *d, struct strbuf *url)
{
	struct strbuf host = STRBUF_INIT;
	int port;

	config_parse_listen(d->cfg.listen, &host, &port);
	if (strcmp(host.buf, "0.0.0.0") == 0)
		strbuf_reset(&host), strbuf_addstr(&host, "127.0.0.1");
	else if (strcmp(host.buf, "::") == 0)
		strbuf_reset(&host), strbuf_addstr(&host, "::1");
	strbuf_addf(url, strchr(host.buf, ':') ? "http://[%s]:%d" : "http://%s:%d", host.buf,
	    http_server_port(d->http));
	strbuf_release(&host);
}

static void
setup_repo(struct daemon *d)
{
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;

	local_url(d, &url);
	if (repo_setup(d, url.buf, &err) == -1)
		fatalx("repository '%s': %s", d->topo.bare_path, err.buf);
	log_info("ready: listening on http://%s (port %d), database '%s', %zu tiers", d->cfg.listen,
	    http_server_port(d->http), d->cfg.db_path, d->topo.ntiers);
	strbuf_release(&url);
	strbuf_release(&err);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct options o;

	memset(&d, 0, sizeof(d));
	strbuf_init(&d.state_cache, 0);
	strvec_init(&d.env);
	signal(SIGPIPE, SIG_IGN);
	parse_options(argc, argv, &o);
	log_init("sandod", LOG_INFO + o.verbose);
	load_config(&d, &o);
	make_dirs(&d);
	open_store(&d);
	d.loop = uv_default_loop();
	start_http(&d);
	setup_repo(&d);
	gates_init(&d);
	node_check_start(&d);
	uv_signal_init(d.loop, &d.sigterm);
	uv_signal_init(d.loop, &d.sigint);
	d.sigterm.data = d.sigint.data = &d;
	uv_signal_start(&d.sigterm, on_signal, SIGTERM);
	uv_signal_start(&d.sigint, on_signal, SIGINT);
	uv_run(d.loop, UV_RUN_DEFAULT);
	http_server_free(d.http);
	uv_loop_close(d.loop);
	gates_free(&d);
	node_check_free(&d);
	store_close(d.store);
	log_info("stopped");
	config_release(&d.cfg);
	topology_release(&d.topo);
	strbuf_release(&d.state_cache);
	strvec_clear(&d.env);
	return 0;
}
