/*
 * daemon: the state of one running sandod, shared by its modules.
 *
 * One struct daemon lives for the whole process (main.c owns it); modules get
 * a pointer and never free what it holds.
 */
#ifndef SANDO_DAEMON_H
#define SANDO_DAEMON_H

#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "core/strbuf.h"
#include "core/strvec.h"
#include "daemon/config.h"
#include "daemon/events.h"
#include "daemon/topology.h"

struct store;
struct http_server;
struct build;
struct gate_engine;
struct node_checks;

struct daemon {
	uv_loop_t *loop;
	struct daemon_config cfg;
	struct topology topo;
	struct store *store;
	struct http_server *http;
	uv_signal_t sigterm;
	uv_signal_t sigint;
	int stopping;
	struct events events;
	struct strvec env;               /* the default environment of child programs */
	struct build *build;             /* the build in flight, or NULL */
	int stage_busy;                  /* a stage runs on the thread pool */
	struct build *stage_waiter;      /* a build waiting for that stage to stop */
	struct gate_engine *gates;       /* gates/gates.h */
	struct node_checks *node_checks; /* deploy/node_check.h */

	/* /state is rebuilt only when the store's generation moves */
	struct strbuf state_cache;
	uint64_t state_generation;
	time_t state_time;
	int state_valid;
};

#endif
