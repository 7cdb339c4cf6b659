/*
 * main.c - demo-app: a small HTTP service that sando builds, tests, boots,
 * migrates and deploys.  `demo-app` serves on 127.0.0.1:$PORT until SIGTERM;
 * `demo-app migrate` applies ./migrations/ (see migrate.h).
 */
#include "http.h"
#include "migrate.h"
#include "routes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef DEMO_VERSION
#error "DEMO_VERSION must be defined (the Makefile passes it from VERSION)"
#endif

#define IO_TIMEOUT_S 5

static volatile sig_atomic_t stop_signal;
static int wake_pipe[2] = {-1, -1};

static void
on_signal(int sig)
{
	int saved = errno;
	ssize_t n;

	stop_signal = sig;
	n = write(wake_pipe[1], "", 1);
	(void)n;
	errno = saved;
}

static int
signals_init(void)
{
	struct sigaction sa;
	int i;

	if (pipe(wake_pipe) < 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC) < 0)
			return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* One log line per request: time, peer, request line, status, body bytes. */
static void
log_request(const char *peer, const struct http_request *req, int status, long bytes)
{
	char when[32], target[128];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof when, "-");
	/* The target is client data: bounded and stripped of control bytes and quotes. */
	snprintf(target, sizeof target, "%.*s", (int)sizeof target - 1,
	    req->target[0] ? req->target : "-");
	for (i = 0; target[i] != '\0'; i++)
		if ((unsigned char)target[i] < 0x20 || target[i] == '"' || target[i] == 0x7f)
			target[i] = '?';
	fprintf(stderr, "%s %s \"%s %s\" %d %ld\n", when, peer, req->method[0] ? req->method : "-",
	    target, status, bytes);
}

/* Read one request from fd (bounded, with a timeout), answer it, log it. */
static void
serve_conn(int fd, const char *peer, const struct app *app)
{
	static char buf[HTTP_HEAD_MAX + HTTP_BODY_MAX];
	struct http_request req;
	struct http_response res;
	size_t len = 0;
	ssize_t n;
	int head = 0;
	long sent;

	memset(&req, 0, sizeof req);
	http_response_init(&res);
	for (;;) {
		if (head == 0 && (head = http_parse_head(buf, len, &req)) < 0) {
			http_response_error(&res, -head, "malformed or oversized request");
			goto reply;
		}
		if (head > 0 && len >= (size_t)head + req.content_length)
			break;
		n = read(fd, buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR && !stop_signal)
			continue;
		if (n == 0 && len == 0)
			return; /* connected and closed: nothing to answer */
		if (n <= 0) {
			http_response_error(&res, 408, "incomplete request");
			goto reply;
		}
		len += (size_t)n;
	}
	req.body = buf + head;
	req.body_len = req.content_length;
	routes_dispatch(app, &req, &res);
reply:
	sent = http_response_write(fd, &res);
	log_request(peer, &req, res.status, sent < 0 ? 0 : sent);
	http_response_release(&res);
}

static int
listen_on(int port)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) < 0) {
		close(fd);
		return -1;
	}
	fprintf(
	    stderr, "demo-app %s listening on 127.0.0.1:%d\n", DEMO_VERSION, ntohs(sin.sin_port));
	return fd;
}

static void
accept_one(int lfd, const struct app *app)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;
	struct timeval tv = {IO_TIMEOUT_S, 0};
	char peer[INET_ADDRSTRLEN];
	int fd;

	if ((fd = accept(lfd, (struct sockaddr *)&sin, &slen)) < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ECONNABORTED)
			fprintf(stderr, "demo-app: accept: %s\n", strerror(errno));
		return;
	}
	if (inet_ntop(AF_INET, &sin.sin_addr, peer, sizeof peer) == NULL)
		snprintf(peer, sizeof peer, "-");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
		fprintf(stderr, "demo-app: setsockopt: %s\n", strerror(errno));
	serve_conn(fd, peer, app);
	close(fd);
}

static int
serve(const struct app *app, int port)
{
	struct pollfd pfd[2];
	int lfd;

	if (signals_init() < 0) {
		fprintf(stderr, "demo-app: cannot set up signals: %s\n", strerror(errno));
		return 1;
	}
	if ((lfd = listen_on(port)) < 0) {
		fprintf(
		    stderr, "demo-app: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	while (!stop_signal) {
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "demo-app: poll: %s\n", strerror(errno));
			close(lfd);
			return 1;
		}
		if (pfd[0].revents & POLLIN && !stop_signal)
			accept_one(lfd, app);
	}
	close(lfd);
	fprintf(stderr, "demo-app: %s received, shutting down\n",
	    stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
	return 0;
}

/* $PORT: 0..65535 (0 lets the kernel choose); default 8080. */
static int
port_from_env(void)
{
	const char *s = getenv("PORT");
	char *end;
	long port;

	if (s == NULL || *s == '\0')
		return 8080;
	errno = 0;
	port = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || port < 0 || port > 65535)
		return -1;
	return (int)port;
}

/* DEMO_BOOT or --boot MODE: misbehave on purpose, for tests of sando's
 * boot_smoke gate (which passes the gate's args, not the environment). */
static void
boot_mode(struct app *app, const char *mode)
{
	if (mode == NULL || *mode == '\0')
		return;
	if (strcmp(mode, "panic") == 0) {
		fprintf(stderr, "thread 'main' panicked at src/main.c:1:1: demo panic\n");
		exit(101);
	} else if (strcmp(mode, "exit") == 0) {
		fprintf(stderr, "demo-app: DEMO_BOOT=exit: exiting with status 3 in 1 second\n");
		sleep(1);
		exit(3);
	} else if (strcmp(mode, "unhealthy") == 0) {
		fprintf(stderr, "demo-app: DEMO_BOOT=unhealthy: /healthz answers 503\n");
		app->healthy = 0;
	} else {
		fprintf(stderr, "demo-app: warning: ignoring unknown DEMO_BOOT value\n");
	}
}

static int
usage(FILE *f)
{
	fprintf(f,
	    "usage: demo-app            serve HTTP on 127.0.0.1:$PORT (default 8080)\n"
	    "       demo-app --boot panic|exit|unhealthy   the same, misbehaving (as DEMO_BOOT)\n"
	    "       demo-app migrate    apply ./migrations/*.sql to $DATABASE_URL\n"
	    "       demo-app --version\n");
	return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct app app = {DEMO_VERSION, 1, NULL, "static"};
	int port;

	const char *boot = getenv("DEMO_BOOT");

	if (argc == 3 && strcmp(argv[1], "--boot") == 0)
		boot = argv[2];
	else if (argc > 2)
		return usage(stderr);
	if (argc == 2) {
		if (strcmp(argv[1], "migrate") == 0)
			return migrate_main();
		if (strcmp(argv[1], "--version") == 0) {
			printf("demo-app %s\n", DEMO_VERSION);
			return 0;
		}
		return usage(strcmp(argv[1], "--help") == 0 ? stdout : stderr);
	}
	boot_mode(&app, boot);
	if ((port = port_from_env()) < 0) {
		fprintf(stderr, "demo-app: PORT must be a number from 0 to 65535\n");
		return 2;
	}
	app.token = getenv("RESTART_WARNING_TOKEN");
	return serve(&app, port);
}
