/*
 * routes.h - demo-app's routes: a table of {method, path, handler}.
 *
 * Rules: handlers only fill in a struct http_response; they never touch the
 * socket.  Static files are served from app->static_dir, resolved with
 * realpath() and refused when they leave it.  Nothing secret (the restart
 * warning token) is ever put in a response or a log line.
 */
#ifndef DEMO_ROUTES_H
#define DEMO_ROUTES_H

#include "http.h"

struct app {
	const char *version;
	int healthy;            /* 0: /healthz answers 503 (DEMO_BOOT=unhealthy) */
	const char *token;      /* RESTART_WARNING_TOKEN, NULL when unset */
	const char *static_dir; /* "static" */
};

/* Answer req into res (which the caller has initialised and later releases). */
void routes_dispatch(
    const struct app *app, const struct http_request *req, struct http_response *res);

/* Parse a body of the form {"seconds": N}; 0 and *seconds set, or -1. */
int routes_parse_seconds(const char *body, size_t len, long *seconds);

#endif
