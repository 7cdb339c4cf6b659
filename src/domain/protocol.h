/*
 * protocol: what daemon, client and agent must agree on (after tmux's
 * tmux-protocol.h).  A WebSocket client asks for the subprotocol
 * PROTOCOL_WS_NAME; the daemon refuses any other, so a client built for
 * another PROTOCOL_VERSION gets a clear error instead of misread frames.
 *
 * Messages on /events are JSON objects, one per text frame, each an event of
 * DESIGN.md section 4: {"seq", "ts", "kind", ...}.  The kinds are listed
 * below; a client ignores kinds it does not know.
 */
#ifndef SANDO_PROTOCOL_H
#define SANDO_PROTOCOL_H

#define PROTOCOL_VERSION 1
#define PROTOCOL_WS_NAME "sando.v1"

/* The most events GET /events?last=N replays. */
#define PROTOCOL_EVENTS_LAST_MAX 1000

/* Event kinds (the "kind" member). */
#define EV_REBUILD_REQUESTED "rebuild_requested"
#define EV_BUILD_START "build_start"
#define EV_BUILD_OK "build_ok"
#define EV_BUILD_FAILED "build_failed"
#define EV_BUILD_ABORTED "build_aborted"
#define EV_MANUAL_CONFIRM "manual_confirm"

#endif
