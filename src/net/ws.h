/*
 * ws: WebSocket (RFC 6455) connections on wslay, server side, taken over from
 * an HTTP request of http.h.
 *
 * ws_accept checks that req is a valid upgrade (GET, "Upgrade: websocket",
 * "Connection: Upgrade", "Sec-WebSocket-Version: 13", a 16-byte base64
 * Sec-WebSocket-Key, and the subprotocol named in opts if any), answers 101
 * with Sec-WebSocket-Accept (SHA-1 via OpenSSL libcrypto) and takes over the
 * socket (http_detach); req is then gone.  A request that is not a valid
 * upgrade is answered (400, or 426 with "Sec-WebSocket-Version: 13"; 503
 * during the HTTP server's shutdown) and NULL returned.
 *
 * Outgoing messages are framed by wslay and queued as whole frames; at most
 * two uv_writes are in flight.  ws_queued counts the bytes of the frames
 * queued and not yet written (frame headers included).  A message that would
 * take that past opts->max_queue means the client is too slow: ws_send_text
 * returns -1, the frames not yet handed to the socket are freed at once and
 * the connection is closed with status 1008, so a stalled reader never grows
 * the daemon's memory beyond max_queue.  Pings are answered; a close frame is
 * answered and the connection closed.  Binary messages are refused (1003);
 * messages above max_message get 1009.  Once either side has started the
 * close, the closing handshake has 2 s to finish before the socket is
 * closed anyway.  on_close fires exactly once, after which the ws_conn is
 * freed by the module (do not use it after on_close returns); it may fire
 * from inside ws_send_text or ws_close when the socket fails, never from
 * inside ws_accept.  ws_close_code and ws_close_reason may be called from
 * on_close.
 *
 * Every connection made by ws_accept is on a list until it closes, so that
 * ws_close_all can close them at shutdown; that list, like everything here,
 * belongs to the one loop (no locking).  ws_start runs the same protocol as a
 * client on a socket whose client handshake is done (ws_client.h); such
 * connections mask their frames and are not on the list.
 *
 * Files: ws.c (the connection), ws_accept.c (the server's handshake).
 */
#ifndef SANDO_WS_H
#define SANDO_WS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/strbuf.h"

struct http_request;
struct ws_conn;

struct ws_options {
	const char *protocol; /* required subprotocol, or NULL (not kept after the call) */
	size_t max_queue;     /* bytes queued before the client is dropped; 0: 4 MiB */
	void (*on_text)(struct ws_conn *ws, const char *buf, size_t len, void *arg);
	void (*on_close)(struct ws_conn *ws, void *arg);
	void *arg;
	size_t max_message; /* largest message accepted; 0: 1 MiB (last, for positional inits) */
};

/* Upgrade req; the new connection, or NULL after answering the error. */
struct ws_conn *ws_accept(struct http_request *req, const struct ws_options *opts);

/* Run the protocol on tcp, an open connection whose opening handshake is
 * done (heap-allocated; the module takes it, closes and frees it): as the
 * client (ws_client.c; frames masked) or as the server (ws_accept; listed for
 * ws_close_all).  in holds the len bytes already read past the handshake
 * (copied).  Nothing is called back before this returns. */
struct ws_conn *ws_start(
    uv_tcp_t *tcp, int client, const char *in, size_t len, const struct ws_options *opts);

/* Queue one text message; 0, or -1 when the connection is closing or the
 * queue limit was hit (the connection is then being closed with 1008). */
int ws_send_text(struct ws_conn *ws, const char *buf, size_t len);

/* Close with a status code and reason (a close frame, then the socket); the
 * reason is cut to 123 bytes.  Nothing is delivered to on_text afterwards. */
void ws_close(struct ws_conn *ws, uint16_t code, const char *reason);

/* Bytes queued and not yet written to the socket. */
size_t ws_queued(const struct ws_conn *ws);

/* The status code of the peer's close frame: 1005 if it had none, 1006 if
 * none was received (the connection was lost or we gave up waiting). */
uint16_t ws_close_code(const struct ws_conn *ws);

/* The reason in the peer's close frame ("" if none). */
const char *ws_close_reason(const struct ws_conn *ws);

/* ws_close every connection made by ws_accept (daemon shutdown); the loop
 * must run on until they are gone (at most 2 s). */
void ws_close_all(uint16_t code, const char *reason);

/* Append the Sec-WebSocket-Accept value for key (base64 of the SHA-1 of key
 * and RFC 6455's GUID) to out. */
void ws_accept_value(const char *key, struct strbuf *out);

#endif
