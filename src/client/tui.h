/*
 * tui: the interactive view "sando" opens when it is run without a command on
 * a terminal: the tiers with their gates' outcomes, the event stream, the log
 * of the selected tier's running (or last failed) gate, a status line, and
 * single keys for the operator's actions (promote, rollback, confirm, backup
 * fetch), each asking y/N first where it changes a tier.
 *
 * Everything runs on one libuv loop and nothing blocks it: stdin is watched
 * with uv_poll (ncurses reads the keys, raw mode, keypad on), a timer polls
 * GET /state every TUI_POLL_MS, a WebSocket follows /events (the first
 * connection with ?last=TUI_EVENTS_HISTORY, so the pane starts with the
 * recent history; reconnecting with ?since= the last seq seen, the status
 * line saying "disconnected" meanwhile), SIGWINCH resizes.  The screen is drawn from a uv_prepare hook
 * only when something changed (tui->dirty), with wnoutrefresh + doupdate, so
 * an idle TUI sleeps in the kernel.
 *
 * Memory is bounded: the log asked for is its last TUI_LOG_TAIL bytes (the
 * daemon's ?tail=) of which the last TUI_LOG_KEEP are kept, the event
 * pane the last TUI_EVENTS_MAX lines, and lines are cut to the window's width
 * when drawn (a 10 MB line costs one screen row of work).  Every string from
 * the daemon goes through tui_put, which turns control bytes and invalid
 * UTF-8 into '?'.
 *
 * Files, by role: tui.c (life cycle, loop, HTTP helper), tui_state.c
 * (/state), tui_events.c (/events), tui_log.c (the log pane and pager data),
 * tui_draw.c (drawing), tui_keys.c (keys and actions).  struct tui owns every
 * string it points to; each file frees what it allocated.
 */
#ifndef SANDO_TUI_H
#define SANDO_TUI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "client/cmd.h"
#include "core/strbuf.h"
#include "domain/outcome.h"

#define TUI_POLL_MS 2000
#define TUI_EVENTS_MAX 64
#define TUI_EVENTS_HISTORY 50            /* past events shown at start (/events?last=) */
#define TUI_LOG_KEEP ((size_t)256 << 10) /* the tail of a log kept in memory */
/* the tail asked for: more than is kept, so a longer log shows as cut */
#define TUI_LOG_TAIL (TUI_LOG_KEEP + ((size_t)16 << 10))
#define TUI_RECONNECT_MIN_MS 500
#define TUI_RECONNECT_MAX_MS 5000

/* Colour pairs (only when colours are on). */
enum tui_color { TUI_C_NONE, TUI_C_GREEN, TUI_C_YELLOW, TUI_C_RED, TUI_C_CYAN };

enum tui_mode { TUI_MAIN, TUI_CONFIRM, TUI_HELP, TUI_PAGER };

enum tui_action { TUI_ACT_NONE, TUI_ACT_PROMOTE, TUI_ACT_ROLLBACK, TUI_ACT_CONFIRM };

struct tui_gate {
	char *name;    /* the gate's name (or kind) */
	char *summary; /* "tests failed: 3", "running", "no outcome yet" */
	enum tui_color color;
	int is_burn_in; /* a burn_in gate: its summary goes on the tier's line */
	int pending;    /* a gate of the tier's pending version */
};

struct tui_tier {
	char *name, *current, *previous; /* current/previous: "-" when none */
	char *pending;                   /* the version waiting for the gates, or NULL */
	int frozen;
	struct tui_gate *gates;
	size_t ngates;
};

/* The log pane: one gate run's log (its last TUI_LOG_KEEP bytes). */
struct tui_log {
	int64_t run_id;              /* 0: no run chosen */
	char *tier, *version, *gate; /* of the run shown */
	char *status;                /* "running", "failed", ... */
	struct strbuf text;          /* the tail of the log */
	int cut;                     /* earlier bytes were dropped */
	int complete;                /* text has the log's end (the run had ended) */
	int busy;                    /* a gate-runs or log request is in flight */
	int again;                   /* look again once the request in flight ends */
	unsigned gen;                /* bumped by tui_log_reset: older answers are stale */
	struct tui_req *stream;      /* following the running run's log, or NULL */
	unsigned stream_gen;         /* bumped when a stream is dropped */
	int fresh;                   /* the stream has not sent anything yet */
	struct strbuf note;          /* why there is no log ("no gate run yet") */
	size_t *lines;               /* pager: offsets of line starts */
	size_t nlines, lines_alloc, lines_for; /* lines_for: text.len they index */
};

struct tui_req;

struct tui {
	const struct cmd_ctx *ctx;
	uv_loop_t *loop;
	uv_poll_t input;
	uv_timer_t poll_timer, reconnect_timer, follow_timer;
	uv_signal_t sigwinch, sigint, sigterm, sighup;
	uv_prepare_t draw_hook;
	int color, dirty, quitting;
	int trim; /* a large answer was freed: malloc_trim when idle */
	/* /state */
	struct tui_tier *tiers;
	size_t ntiers, sel;
	int state_busy, state_ok;
	struct strbuf state_body, state_error;
	/* /events */
	struct ws_client *wc;
	int ws_up;
	int64_t last_seq; /* the last stream seq seen; -1: none */
	unsigned reconnect_ms;
	char *ev_lines[TUI_EVENTS_MAX];
	enum tui_color ev_colors[TUI_EVENTS_MAX];
	size_t ev_count; /* lines held; the newest is at (ev_count - 1) % MAX */
	/* log pane */
	struct tui_log log;
	size_t pager_top;
	/* the operator */
	enum tui_mode mode;
	enum tui_action action;
	char *act_tier, *act_version;
	struct strbuf prompt, msg;
	enum tui_color msg_color;
	int64_t follow_id;    /* the promote/rollback being watched, or 0 */
	struct tui_req *reqs; /* requests in flight */
};

/* Run the TUI against ctx->daemon until the operator quits; the exit status. */
int tui_run(const struct cmd_ctx *ctx);

/* --- tui.c --- */

/* What a request answered: status 0 when nothing came (error says why). */
typedef void tui_http_fn(
    struct tui *t, int status, const char *body, size_t len, const char *error, void *arg);

/* A piece of a streamed answer's body. */
typedef void tui_piece_fn(struct tui *t, const char *buf, size_t len, void *arg);

/* Start method path (escaped) with body (JSON, may be NULL, not stolen) on the
 * loop; done runs once (not after tui quits); max: body bytes taken (0: 1 MiB). */
void tui_http(struct tui *t, const char *method, const char *path, json_t *body, size_t max,
    tui_http_fn *done, void *arg);

/* GET path with a 2xx body handed to piece as it arrives, with no time limit
 * (a followed log); then done.  The request, for tui_http_cancel until done
 * runs, or NULL when it could not start (done has run). */
struct tui_req *tui_http_stream(
    struct tui *t, const char *path, tui_piece_fn *piece, tui_http_fn *done, void *arg);

/* Cancel a request in flight: its done still runs once, later, with status 0. */
void tui_http_cancel(struct tui_req *rq);

/* Set the message line (printf-like; cleaned when drawn). */
void tui_message(struct tui *t, enum tui_color color, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Leave the loop: close every handle, cancel requests, close the WebSocket. */
void tui_quit(struct tui *t);

/* --- tui_state.c --- */

/* Start polling /state now and every TUI_POLL_MS. */
void tui_state_start(struct tui *t);

/* Fetch /state now (unless a fetch is in flight). */
void tui_state_refresh(struct tui *t);

/* Free the tiers and state buffers. */
void tui_state_release(struct tui *t);

/* The selected tier, or NULL when there are none. */
struct tui_tier *tui_state_selected(struct tui *t);

/* --- tui_events.c --- */

/* Connect the WebSocket (again, with ?since= after a drop). */
void tui_events_connect(struct tui *t);

/* Add a line to the event pane (cleaned when drawn). */
void tui_events_add(struct tui *t, enum tui_color color, const char *line);

/* Free the event pane's lines. */
void tui_events_release(struct tui *t);

/* The colour of an event kind (and its outcome status, may be NULL). */
enum tui_color tui_events_color(const char *kind, const char *status);

/* --- tui_log.c --- */

/* Look up the selected tier's gate run to show and fetch its log. */
void tui_log_refresh(struct tui *t);

/* Forget the run shown (the selection changed) and look again. */
void tui_log_reset(struct tui *t);

/* Index the log's lines for the pager (cheap when unchanged). */
void tui_log_index(struct tui_log *l);

/* Free what the log pane holds. */
void tui_log_release(struct tui_log *l);

/* --- tui_draw.c --- */

/* Set up colours (when t->color). */
void tui_draw_init(struct tui *t);

/* Draw the whole screen for t->mode and update the terminal. */
void tui_draw(struct tui *t);

/* Put len bytes of s at (y, x) in at most w columns: stops at a newline, control
 * bytes and invalid UTF-8 as '?'; the columns used. */
int tui_put(int y, int x, int w, const char *s, size_t len);

/* --- tui_keys.c --- */

/* Handle one key from ncurses. */
void tui_key(struct tui *t, int key);

/* Free the action's strings. */
void tui_keys_release(struct tui *t);

#endif
