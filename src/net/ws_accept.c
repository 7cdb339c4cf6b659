/*
 * ws_accept: the server's side of the WebSocket opening handshake (RFC 6455
 * section 4.2): check the upgrade request, answer 101 with the
 * Sec-WebSocket-Accept value and hand the socket to ws_start (ws.c).
 */
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "net/http.h"
#include "net/ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* Whether the comma-separated list value holds token (case-insensitive). */
static int
has_token(const char *value, const char *token)
{
	size_t tlen = strlen(token);

	while (value && *value) {
		const char *p = value + strspn(value, " \t");
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == tlen && strncasecmp(p, token, n) == 0)
			return 1;
		value = end ? end + 1 : NULL;
	}
	return 0;
}

/* Whether key is the base64 encoding of 16 bytes. */
static int
key_valid(const char *key)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (strlen(key) != 24 || key[22] != '=' || key[23] != '=')
		return 0;
	for (int i = 0; i < 22; i++)
		if (strchr(b64, key[i]) == NULL)
			return 0;
	return 1;
}

/* 0 if req is an upgrade we take; else answer it and return -1. */
static int
ws_check_request(struct http_request *req, const struct ws_options *opts)
{
	const char *upgrade = http_request_header(req, "Upgrade");
	const char *conn = http_request_header(req, "Connection");
	const char *version = http_request_header(req, "Sec-WebSocket-Version");
	const char *key = http_request_header(req, "Sec-WebSocket-Key");
	const char *proto = http_request_header(req, "Sec-WebSocket-Protocol");

	if (strcmp(req->method, "GET") != 0 || !has_token(upgrade, "websocket") ||
	    !has_token(conn, "upgrade")) {
		http_respond_error(req, 400, "websocket_required",
		    "this resource is a websocket: send a GET with 'Upgrade: websocket' and "
		    "'Connection: Upgrade'");
	} else if (version == NULL || strcmp(version, "13") != 0) {
		http_add_response_header(req, "Sec-WebSocket-Version", "13");
		http_respond_error(req, 426, "websocket_version",
		    "websocket version '%s' is not supported: use 13", version ? version : "");
	} else if (key == NULL || !key_valid(key)) {
		http_respond_error(
		    req, 400, "websocket_key", "Sec-WebSocket-Key must be 16 bytes in base64");
	} else if (opts->protocol && !has_token(proto, opts->protocol)) {
		http_respond_error(req, 400, "websocket_protocol",
		    "websocket subprotocol '%s' required (offered: '%s')", opts->protocol,
		    proto ? proto : "");
	} else {
		return 0;
	}
	return -1;
}

void
ws_accept_value(const char *key, struct strbuf *out)
{
	struct strbuf in = STRBUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mdlen = 0;
	int n;

	strbuf_addstr(&in, key);
	strbuf_addstr(&in, WS_GUID);
	if (EVP_Digest(in.buf, in.len, md, &mdlen, EVP_sha1(), NULL) != 1)
		fatalx("ws: sha-1 failed");
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	strbuf_add(out, b64, (size_t)n);
	strbuf_release(&in);
}

struct ws_conn *
ws_accept(struct http_request *req, const struct ws_options *opts)
{
	struct strbuf head = STRBUF_INIT, in = STRBUF_INIT;
	struct ws_conn *ws = NULL;
	uv_tcp_t *tcp;

	if (ws_check_request(req, opts) != 0)
		return NULL;
	strbuf_addstr(&head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                     "Connection: Upgrade\r\nSec-WebSocket-Accept: ");
	ws_accept_value(http_request_header(req, "Sec-WebSocket-Key"), &head);
	strbuf_addstr(&head, "\r\n");
	if (opts->protocol)
		strbuf_addf(&head, "Sec-WebSocket-Protocol: %s\r\n", opts->protocol);
	strbuf_addstr(&head, "\r\n");
	if (http_detach(req, head.buf, head.len, &tcp, &in) == 0)
		ws = ws_start(tcp, 0, in.buf, in.len, opts);
	strbuf_release(&head);
	strbuf_release(&in);
	return ws;
}
