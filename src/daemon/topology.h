/*
 * topology: sando.toml, the repository, backup source and ordered tiers of
 * nodes (DESIGN.md section 2).  Tiers and nodes live only here, never in code.
 *
 * topology_load validates the whole file through field tables (topology.c):
 * unknown keys, wrong types, unknown gate kinds, duplicate tier or node names
 * and malformed ssh targets are errors naming file:line:column.  The struct
 * owns all its memory; topology_release frees it.
 */
#ifndef SANDO_TOPOLOGY_H
#define SANDO_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/strvec.h"
#include "domain/gate.h"

enum canary { CANARY_SEQUENTIAL, CANARY_PARALLEL };
enum verify { VERIFY_MANIFEST, VERIFY_SHA256 };
enum transport { TRANSPORT_LOCAL, TRANSPORT_SSH };

struct gate_config {
	int kind;              /* enum gate_kind */
	char *name;            /* command: its name; others: the kind's name */
	struct strvec command; /* test: command; migration_dry_run: optional command */
	struct strvec run;     /* command: argv */
	struct strvec args;    /* boot_smoke: extra args */
	int64_t seconds;       /* boot_smoke */
	char *health_url;      /* boot_smoke, optional */
	double hours;          /* burn_in */
	int64_t timeout_s;     /* every automated gate; default 1800 */
};

struct node_config {
	char *name;
	char *ssh_target; /* as written: "local" or "[user@]host[:port]" */
	int transport;    /* enum transport */
	char *ssh_user;   /* NULL when not given */
	char *ssh_host;
	int ssh_port; /* 22 unless given */
	char *release_root;
};

struct tier_config {
	char *name;
	int provisioned;
	int canary; /* enum canary */
	int64_t max_parallel;
	struct strvec restart;
	char *health_url;
	int64_t restart_warning_seconds;
	char *restart_warning_url;
	char *restart_warning_token_file;
	struct strvec pre_deploy;
	struct strvec post_deploy;
	int verify; /* enum verify */
	struct strvec renamed_from;
	struct gate_config *gates;
	size_t ngates;
	struct node_config *nodes;
	size_t nnodes;
};

struct topology {
	char *file;
	char *dir;
	char *bare_path;
	char *branch;
	char *backup_source; /* NULL without [backup] */
	char *backup_local_path;
	struct tier_config *tiers;
	size_t ntiers;
};

/* Load and validate path; 0, or -1 with "file:line:col: ..." in err. */
int topology_load(struct topology *topo, const char *path, struct strbuf *err);

/* Free everything topo owns. */
void topology_release(struct topology *topo);

/* Append the effective topology as TOML with defaults filled in. */
void topology_print(const struct topology *topo, struct strbuf *out);

/* The tier called name, or NULL. */
const struct tier_config *topology_tier(const struct topology *topo, const char *name, size_t len);

/* Whether a tier has gates that run (not only burn_in / manual_confirm). */
int topology_has_automated_gates(const struct tier_config *t);

/* Name of a canary policy / transport / verify mode. */
const char *topology_canary_name(int canary);
const char *topology_transport_name(int transport);

#endif
