/*
 * config: daemon.toml, the daemon-wide settings of DESIGN.md section 2.
 *
 * config_load reads and validates the file through the config_fields table
 * (config.c), which also drives --print-config.  Relative paths resolve
 * against the file's directory.  The struct owns all its strings;
 * config_release frees them.
 */
#ifndef SANDO_CONFIG_H
#define SANDO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/strvec.h"

struct content_row {
	char *src; /* worktree-relative */
	char *dst; /* release-relative */
	int required;
};

struct build_config {
	char *dir;
	struct strvec command;
	char *artifact_dir;
	char *version_from;
	int64_t timeout_s;
};

enum auth_mode { AUTH_NONE };

struct daemon_config {
	char *file; /* absolute path of daemon.toml */
	char *dir;  /* its directory */
	char *listen;
	int auth; /* enum auth_mode */
	char *db_path;
	char *topology_path;
	char *workdir;
	char *release_root;
	char *logs_root;
	char *scratch_db_url; /* NULL when unset */
	char *hook_env_file;  /* where the post-receive hook reads the daemon's URL */
	struct strvec bin_names;
	struct content_row *contents;
	size_t ncontents;
	struct build_config build;
	int64_t retain_releases;
	char *ssh_key;         /* NULL: ssh's default identities */
	char *ssh_known_hosts; /* NULL: ssh's default files */
	int64_t health_timeout_s;
};

/* Load and validate path into cfg; 0, or -1 with "file:line:col: ..." in err. */
int config_load(struct daemon_config *cfg, const char *path, struct strbuf *err);

/* Free everything cfg owns. */
void config_release(struct daemon_config *cfg);

/* Append the effective configuration as TOML, defaults filled in and secrets
 * (the password in scratch_db_url) redacted. */
void config_print(const struct daemon_config *cfg, struct strbuf *out);

/* Split "host:port" or "[v6]:port" into host and port; 0 or -1. */
int config_parse_listen(const char *listen, struct strbuf *host, int *port);

/* Whether the host part of a listen address is a loopback address. */
int config_listen_is_loopback(const char *listen);

/* Append url with any password replaced by "***". */
void config_redact_url(const char *url, struct strbuf *out);

#endif
