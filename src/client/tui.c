/*
 * tui: the life cycle of the TUI (see tui.h): the terminal in curses mode, the
 * loop's handles, the requests in flight, and leaving cleanly (the terminal
 * restored on every path, including SIGTERM and SIGHUP).
 */
#include <curses.h>
#include <locale.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client/tui.h"
#include "core/xmalloc.h"
#include "net/http_client.h"
#include "net/ws_client.h"

#define TUI_HTTP_TIMEOUT_MS 10000
#define TUI_HTTP_MAX ((size_t)1 << 20)
#define TUI_STREAM_TIMEOUT_MS (7ULL * 24 * 3600 * 1000)

/* A request in flight, on t->reqs. */
struct tui_req {
	struct tui *t;
	struct http_client *hc;
	tui_piece_fn *piece;
	tui_http_fn *done;
	void *arg;
	struct tui_req *next;
};

static void
tui_http_done(const struct http_client_result *res, void *arg)
{
	struct tui_req *rq = arg, **pp;
	struct tui *t = rq->t;

	for (pp = &t->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == rq) {
			*pp = rq->next;
			break;
		}
	}
	if (!t->quitting)
		rq->done(t, res->status, res->body, res->body_len, res->error, rq->arg);
	free(rq);
}

static void
tui_http_piece(const char *buf, size_t len, void *arg)
{
	struct tui_req *rq = arg;

	if (!rq->t->quitting)
		rq->piece(rq->t, buf, len, rq->arg);
}

/* Start the request o (url, callbacks and rq's fields set here); rq, or NULL
 * when it could not start (done has run). */
static struct tui_req *
tui_http_start(struct tui *t, const char *path, struct http_client_options *o, tui_piece_fn *piece,
    tui_http_fn *done, void *arg)
{
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;
	struct tui_req *rq = xcalloc(1, sizeof(*rq));

	rq->t = t;
	rq->piece = piece;
	rq->done = done;
	rq->arg = arg;
	cmd_daemon_url(t->ctx, path, &url);
	o->url = url.buf;
	o->on_done = tui_http_done;
	o->on_body = piece ? tui_http_piece : NULL;
	o->arg = rq;
	if (http_client_start(t->loop, o, &rq->hc, &err) == 0) {
		rq->next = t->reqs;
		t->reqs = rq;
	} else {
		done(t, 0, "", 0, err.buf, arg);
		free(rq);
		rq = NULL;
	}
	strbuf_release(&url);
	strbuf_release(&err);
	return rq;
}

void
tui_http(struct tui *t, const char *method, const char *path, json_t *body, size_t max,
    tui_http_fn *done, void *arg)
{
	static const char *const json_headers[] = {
	    "Content-Type: application/json", "Accept: application/json", NULL};
	static const char *const plain_headers[] = {"Accept: application/json", NULL};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_client_options o = {
	    .method = method,
	    .headers = text ? json_headers : plain_headers,
	    .body = text,
	    .body_len = text ? strlen(text) : 0,
	    .timeout_ms = TUI_HTTP_TIMEOUT_MS,
	    .body_max = max ? max : TUI_HTTP_MAX,
	};

	tui_http_start(t, path, &o, NULL, done, arg);
	free(text);
}

struct tui_req *
tui_http_stream(struct tui *t, const char *path, tui_piece_fn *piece, tui_http_fn *done, void *arg)
{
	struct http_client_options o = {
	    .method = "GET",
	    .timeout_ms = TUI_STREAM_TIMEOUT_MS,
	    .body_max = TUI_HTTP_MAX, /* of an error's body */
	};

	return tui_http_start(t, path, &o, piece, done, arg);
}

void
tui_http_cancel(struct tui_req *rq)
{
	http_client_cancel(rq->hc);
}

void
tui_message(struct tui *t, enum tui_color color, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(&t->msg);
	va_start(ap, fmt);
	strbuf_vaddf(&t->msg, fmt, ap);
	va_end(ap);
	t->msg_color = color;
	t->dirty = 1;
}

static void
tui_close(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void
tui_quit(struct tui *t)
{
	if (t->quitting)
		return;
	t->quitting = 1;
	tui_close((uv_handle_t *)&t->input);
	tui_close((uv_handle_t *)&t->poll_timer);
	tui_close((uv_handle_t *)&t->reconnect_timer);
	tui_close((uv_handle_t *)&t->follow_timer);
	tui_close((uv_handle_t *)&t->sigwinch);
	tui_close((uv_handle_t *)&t->sigint);
	tui_close((uv_handle_t *)&t->sigterm);
	tui_close((uv_handle_t *)&t->sighup);
	tui_close((uv_handle_t *)&t->draw_hook);
	for (struct tui_req *rq = t->reqs; rq; rq = rq->next)
		http_client_cancel(rq->hc);
	if (t->wc)
		ws_client_close(t->wc, 1000, "bye");
}

static void
tui_on_input(uv_poll_t *h, int status, int events)
{
	struct tui *t = h->data;
	int ch;

	if (status < 0 || (events & UV_DISCONNECT)) {
		tui_quit(t); /* the terminal went away */
		return;
	}
	while (!t->quitting && (ch = getch()) != ERR)
		tui_key(t, ch);
}

static void
tui_on_signal(uv_signal_t *h, int signum)
{
	struct tui *t = h->data;
	struct winsize ws;

	if (signum != SIGWINCH) {
		tui_quit(t);
		return;
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	t->dirty = 1;
}

static void
tui_on_prepare(uv_prepare_t *h)
{
	struct tui *t = h->data;

	if (t->dirty && !t->quitting) {
		t->dirty = 0;
		tui_draw(t);
	}
	if (t->trim) {
		t->trim = 0;
		malloc_trim(0);
	}
}

static void
tui_signal(struct tui *t, uv_signal_t *h, int signum)
{
	uv_signal_init(t->loop, h);
	h->data = t;
	uv_signal_start(h, tui_on_signal, signum);
}

/* The handles, after initscr (so SIGWINCH is ours, not ncurses'). */
static void
tui_handles(struct tui *t)
{
	uv_poll_init(t->loop, &t->input, STDIN_FILENO);
	t->input.data = t;
	uv_poll_start(&t->input, UV_READABLE | UV_DISCONNECT, tui_on_input);
	uv_timer_init(t->loop, &t->poll_timer);
	uv_timer_init(t->loop, &t->reconnect_timer);
	uv_timer_init(t->loop, &t->follow_timer);
	t->poll_timer.data = t->reconnect_timer.data = t->follow_timer.data = t;
	tui_signal(t, &t->sigwinch, SIGWINCH);
	tui_signal(t, &t->sigint, SIGINT);
	tui_signal(t, &t->sigterm, SIGTERM);
	tui_signal(t, &t->sighup, SIGHUP);
	uv_prepare_init(t->loop, &t->draw_hook);
	t->draw_hook.data = t;
	uv_prepare_start(&t->draw_hook, tui_on_prepare);
}

static void
tui_curses_start(struct tui *t)
{
	setlocale(LC_ALL, "");
	set_escdelay(25);
	initscr();
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	tui_draw_init(t);
}

static void
tui_release(struct tui *t)
{
	tui_state_release(t);
	tui_events_release(t);
	tui_log_release(&t->log);
	tui_keys_release(t);
	strbuf_release(&t->prompt);
	strbuf_release(&t->msg);
}

int
tui_run(const struct cmd_ctx *ctx)
{
	struct tui t = {.ctx = ctx, .last_seq = -1, .reconnect_ms = TUI_RECONNECT_MIN_MS};
	uv_loop_t loop;

	uv_loop_init(&loop);
	t.loop = &loop;
	strbuf_init(&t.prompt, 0);
	strbuf_init(&t.msg, 0);
	strbuf_init(&t.state_body, 0);
	strbuf_init(&t.state_error, 0);
	strbuf_init(&t.log.text, 0);
	strbuf_init(&t.log.note, 0);
	t.color = ctx->color;
	tui_curses_start(&t);
	tui_handles(&t);
	tui_state_start(&t);
	tui_events_connect(&t);
	t.dirty = 1;
	uv_run(&loop, UV_RUN_DEFAULT);
	endwin();
	uv_loop_close(&loop);
	tui_release(&t);
	return CMD_EXIT_OK;
}
