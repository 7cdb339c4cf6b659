/*
 * gate_boot.c: boot_smoke { seconds = 10, health_url?, args? }.
 *
 * Starts the release's first binary (bin_names[0]) from the release
 * directory with a free loopback port in PORT, requires that it stays up for
 * `seconds` (then stops its process group) and, when health_url is set, that
 * the URL answered 2xx at least once meanwhile; "{port}", "$PORT" and
 * "${PORT}" in the URL become the port.  The URL is polled every
 * HEALTH_POLL_MS, one request at a time, each with HEALTH_TIMEOUT_MS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/gates/gates_int.h"
#include "net/http_client.h"

#define HEALTH_POLL_MS 200
#define HEALTH_TIMEOUT_MS 2000

struct boot_state {
	struct gate_run *run;
	uv_timer_t timer;
	struct http_client *req; /* the health request in flight */
	char *url;               /* health_url with the port filled in, or NULL */
	struct strbuf last_error;
	int healthy;
	int answered;   /* an HTTP status (not 2xx) was seen */
	int timer_open; /* the timer handle is not closed yet */
	int proc_ended;
	struct proc_result res; /* copied at exit, tail/error dropped */
	struct strbuf spawn_error;
};

/* A free loopback TCP port (bound then released), or -1. */
static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static char *
health_url(const char *url, int port)
{
	struct strbuf sb = STRBUF_INIT, p = STRBUF_INIT;

	strbuf_addstr(&sb, url);
	strbuf_addf(&p, "%d", port);
	strbuf_replace_all(&sb, "${PORT}", p.buf);
	strbuf_replace_all(&sb, "$PORT", p.buf);
	strbuf_replace_all(&sb, "{port}", p.buf);
	strbuf_release(&p);
	return strbuf_detach(&sb, NULL);
}

static void boot_try_finish(struct boot_state *b);

static void
health_done(const struct http_client_result *res, void *arg)
{
	struct boot_state *b = arg;

	b->req = NULL;
	if (b->proc_ended) {
		/* cancelled at the end of the window: keep what was seen */
	} else if (res->status >= 200 && res->status < 300) {
		if (!b->healthy)
			gate_run_log(b->run, "health check: '%s' answered %d", b->url, res->status);
		b->healthy = 1;
	} else if (res->status) {
		strbuf_reset(&b->last_error);
		strbuf_addf(&b->last_error, "'%s' answered %d", b->url, res->status);
		b->answered = 1;
	} else if (!b->answered) {
		/* an answer says more than a later timeout on a busy machine */
		strbuf_reset(&b->last_error);
		strbuf_addf(&b->last_error, "'%s': %s", b->url, res->error);
	}
	boot_try_finish(b);
}

static void
health_tick(uv_timer_t *t)
{
	struct boot_state *b = t->data;
	struct http_client_options o = {
	    .url = b->url, .timeout_ms = HEALTH_TIMEOUT_MS, .on_done = health_done, .arg = b};
	struct strbuf err = STRBUF_INIT;

	if (b->req || b->healthy || b->proc_ended)
		return;
	if (http_client_start(b->run->d->loop, &o, &b->req, &err) == -1) {
		strbuf_reset(&b->last_error);
		strbuf_addbuf(&b->last_error, &err);
		uv_timer_stop(t);
	}
	strbuf_release(&err);
}

static void
timer_closed(uv_handle_t *h)
{
	struct boot_state *b = h->data;

	b->timer_open = 0;
	boot_try_finish(b);
}

/* Classify once the process has ended and no health request or timer is left. */
static void
boot_try_finish(struct boot_state *b)
{
	struct gate_run *r = b->run;
	struct strbuf log = STRBUF_INIT;
	struct gate_raw raw;
	struct outcome o;

	if (!b->proc_ended || b->req || b->timer_open)
		return;
	memset(&o, 0, sizeof(o));
	b->res.error = b->spawn_error.len ? b->spawn_error.buf : NULL;
	gate_run_raw(r, &b->res, 0, &raw, &log);
	classify_boot(&raw, (double)r->g->seconds,
	    b->url && !b->healthy ? (b->last_error.len ? b->last_error.buf : "no answer") : NULL,
	    &o);
	strbuf_release(&log);
	free(b->url);
	strbuf_release(&b->last_error);
	strbuf_release(&b->spawn_error);
	free(b);
	r->state = NULL;
	gate_run_finish(r, &o);
}

static void
boot_exited(struct gate_run *r, const struct proc_result *res)
{
	struct boot_state *b = r->state;

	b->proc_ended = 1;
	b->res = *res;
	b->res.tail = NULL;
	if (res->error)
		strbuf_addstr(&b->spawn_error, res->error);
	if (b->req)
		http_client_cancel(b->req);
	if (b->timer_open)
		uv_close((uv_handle_t *)&b->timer, timer_closed);
	else
		boot_try_finish(b);
}

/* The argv: the release's binary, then the gate's args. */
static void
boot_argv(struct gate_run *r, struct strvec *argv)
{
	strvec_pushf(argv, "%s/%s", r->release_dir, r->d->cfg.bin_names.v[0]);
	for (size_t i = 0; i < r->g->args.nr; i++)
		strvec_push(argv, r->g->args.v[i]);
}

/* A promoted tier with nodes and a health_url: its nodes already run the
 * version, so boot_smoke watches them instead of starting the binary here. */
static int
boot_on_nodes(const struct gate_run *r)
{
	return r->tier != &r->d->topo.tiers[0] && r->tier->nnodes > 0 && r->tier->health_url;
}

static void
boot_cancel(struct gate_run *r)
{
	if (boot_on_nodes(r))
		gate_boot_nodes_cancel(r);
}

static void
boot_start(struct gate_run *r)
{
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct boot_state *b;
	struct outcome o;
	struct stat st;
	double window = (double)r->g->seconds;
	int port;

	if (boot_on_nodes(r)) {
		gate_boot_nodes_start(r);
		return;
	}
	port = free_port();
	if (stat(r->release_dir, &st) != 0) {
		memset(&o, 0, sizeof(o));
		gate_run_log(r, "release directory '%s' is missing", r->release_dir);
		outcome_blocked_artifact_missing(&o, r->version);
		outcome_set_log_ref(&o, r->log_ref);
		gate_run_finish(r, &o);
		return;
	}
	if (port == -1) {
		gate_run_finish_error(r, "no free loopback port for the boot smoke test");
		return;
	}
	if (window > gate_run_timeout_s(r))
		window = gate_run_timeout_s(r);
	b = xcalloc(1, sizeof(*b));
	b->run = r;
	strbuf_init(&b->last_error, 0);
	strbuf_init(&b->spawn_error, 0);
	r->state = b;
	boot_argv(r, &argv);
	gate_run_env(r, &env);
	strvec_pushf(&env, "PORT=%d", port);
	if (r->g->health_url)
		b->url = health_url(r->g->health_url, port);
	gate_run_log(r, "starting '%s' in '%s' with PORT=%d; it must stay up %g s%s%s", argv.v[0],
	    r->release_dir, port, window, b->url ? " and answer 2xx at " : "",
	    b->url ? b->url : "");
	if (gate_run_spawn(r, (const char *const *)argv.v, r->release_dir, &env,
	        (uint64_t)(window * 1000), 0, boot_exited, &err) == -1) {
		free(b->url);
		strbuf_release(&b->last_error);
		strbuf_release(&b->spawn_error);
		free(b);
		r->state = NULL;
		gate_run_finish_error(r, err.buf);
	} else if (b->url) {
		uv_timer_init(r->d->loop, &b->timer);
		b->timer.data = b;
		b->timer_open = 1;
		uv_timer_start(&b->timer, health_tick, HEALTH_POLL_MS, HEALTH_POLL_MS);
	}
	strvec_clear(&argv);
	strvec_clear(&env);
	strbuf_release(&err);
}

const struct gate_runner gate_runner_boot_smoke = {GATE_BOOT_SMOKE, boot_start, boot_cancel};
