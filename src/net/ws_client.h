/*
 * ws_client: a WebSocket client on libuv, for the sando CLI (and later the
 * agent): connect to "http://host:port/path?query", send the upgrade request
 * with a random Sec-WebSocket-Key (OpenSSL RAND_bytes) and the subprotocol,
 * check the 101 answer (Upgrade, Connection, Sec-WebSocket-Accept, the
 * subprotocol) and then run the protocol of ws.h over the socket.
 *
 * Life cycle: ws_client_new -> on_open (once, when the WebSocket is up) ->
 * on_text* -> on_close (exactly once, from the loop), after which the client
 * frees itself when its handles have closed: the loop runs until then, so a
 * program can simply run its loop to the end.  The struct ws_client pointer
 * is valid until on_close returns.
 *
 * on_close gets the peer's close status (1005 none given, 1006 connection
 * lost) or 0 when the WebSocket never opened, and a lowercase reason for the
 * user: "cannot connect to '127.0.0.1:7766': connection refused", "server
 * refused the upgrade: 400 Bad Request: {...error JSON...}", "closed by the
 * server (1001 'shutting down')", ...  The reason lives only during the call.
 *
 * Ownership: the options and their strings are copied by ws_client_new.  One
 * host name is resolved with uv_getaddrinfo and its first address is used
 * ("localhost" is 127.0.0.1, as the daemon's listen address takes it).  No TLS:
 * "https:" and "wss:" URLs are refused.
 *
 * Files: ws_client.c (the client), ws_url.c (ws_url_parse).
 */
#ifndef SANDO_WS_CLIENT_H
#define SANDO_WS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/strbuf.h"

struct ws_client;

struct ws_client_options {
	const char *url;      /* "http://host:port/path?query" ("ws://" too) */
	const char *protocol; /* Sec-WebSocket-Protocol to ask for, or NULL */
	uint64_t timeout_ms;  /* connect and handshake; 0: 10 s */
	size_t max_message;   /* largest message accepted; 0: 64 MiB */
	void (*on_open)(struct ws_client *wc, void *arg); /* may be NULL */
	void (*on_text)(struct ws_client *wc, const char *buf, size_t len, void *arg);
	void (*on_close)(struct ws_client *wc, int code, const char *reason, void *arg);
	void *arg;
};

/* A parsed URL: what ws_client connects to. */
struct ws_url {
	struct strbuf host;      /* without brackets for IPv6 */
	int port;                /* 80 when not given */
	struct strbuf target;    /* path and query, "/" at least */
	struct strbuf authority; /* the Host header: "host:port", "[v6]:port" */
};

/* Parse "http://host[:port][/path][?query]" ("ws://" alike) into u (which
 * must be released); 0, or -1 with a message in err.  Pure: unit-tested. */
int ws_url_parse(const char *url, struct ws_url *u, struct strbuf *err);

/* Release what ws_url_parse put in u. */
void ws_url_release(struct ws_url *u);

/* Start connecting on loop; NULL with a message in err when the URL is bad or
 * the resolver cannot be started (no callback fires then). */
struct ws_client *ws_client_new(
    uv_loop_t *loop, const struct ws_client_options *opts, struct strbuf *err);

/* Send a text message once open; 0, or -1 (not open, closing, or too slow). */
int ws_client_send_text(struct ws_client *wc, const char *buf, size_t len);

/* Close: with a close frame when open (on_close follows when the server has
 * answered), else by giving up the connection attempt (on_close follows from
 * the loop with reason "closed before the connection was open"). */
void ws_client_close(struct ws_client *wc, uint16_t code, const char *reason);

#endif
