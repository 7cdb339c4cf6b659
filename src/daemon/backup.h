/*
 * backup: fetching the database backup from [backup] source to [backup]
 * local_path (DESIGN.md sections 2 and 3, POST /backup/fetch).
 *
 * Sources are URLs, parsed strictly by backup_url_parse (a pure function):
 *
 *   file:///abs/path                       (authority empty or "localhost")
 *   rsync://[user[:password]@]host[:port]/module/path
 *   ssh://[user@]host[:port]/abs/path      (no password: ssh_key logs in)
 *
 * A host is a DNS name or dotted IPv4 ([A-Za-z0-9.-], not starting with '-'
 * or '.') or an IPv6 address in brackets; a user is [A-Za-z0-9._-] not
 * starting with '-'; a port is 1-65535.  A path is absolute, names a file
 * (no trailing '/'), has no empty, "." or ".." segment and no segment
 * starting with '-', and is made of [A-Za-z0-9._+,=@~:/-] only: no '%'
 * (percent-encoding is not decoded), no '?', '#', spaces or control bytes.
 * So nothing of a source ever reads as an option or as shell syntax.
 *
 * Every scheme is fetched with rsync (argv, never a shell): a local rsync
 * for file://, rsync -e "ssh <the daemon's ssh options>" for ssh:// (host
 * keys checked against ssh_known_hosts, BatchMode), the rsync protocol for
 * rsync:// (a password goes in RSYNC_PASSWORD, never on a command line).
 * rsync writes <local_path>.partial; the daemon fsyncs it, hashes it (SHA-256,
 * on libuv's thread pool), renames it over local_path and fsyncs the
 * directory.  local_path therefore only ever changes by an atomic rename: a
 * reader (the migration_dry_run gate) sees the old backup or the new one,
 * never half of one, and a failed fetch removes the .partial and leaves the
 * old backup as it was.
 *
 * One fetch runs at a time.  Its backups row is written before rsync starts
 * (status NULL) and finished after (ok with size and sha256, failed with the
 * error, interrupted on shutdown); then a backup_fetched event is emitted.
 * Sources are redacted (no password) in the row, the event and the logs.
 * rsync's output goes to <logs_root>/backups/<id>.log.
 */
#ifndef SANDO_BACKUP_H
#define SANDO_BACKUP_H

#include <stdint.h>

#include "core/strbuf.h"
#include "core/strvec.h"

struct daemon;
struct daemon_config;

enum backup_scheme { BACKUP_FILE, BACKUP_RSYNC, BACKUP_SSH };

/* A parsed source; strings owned by the struct (backup_url_release). */
struct backup_url {
	int scheme;     /* enum backup_scheme */
	char *user;     /* NULL when not given */
	char *password; /* rsync:// only; NULL when not given */
	char *host;     /* NULL for file:// (IPv6 without brackets) */
	int port;       /* 0: the program's default */
	char *path;     /* file://, ssh://: absolute; rsync://: "module/path" */
};

/* How long a fetch may take before its process group is killed. */
#define BACKUP_TIMEOUT_S 3600

/* Parse url strictly (see above); 0 with out filled, or -1 with a message in
 * err (out is then empty). */
int backup_url_parse(const char *url, struct backup_url *out, struct strbuf *err);

/* Free the strings of u. */
void backup_url_release(struct backup_url *u);

/* Append url with any password replaced by "***". */
void backup_url_redact(const char *url, struct strbuf *out);

/* Append the rsync argv that copies u to dest to out (ssh:// with cfg's
 * ssh_key and ssh_known_hosts, like the deploys' ssh). */
void backup_rsync_argv(const struct backup_url *u, const struct daemon_config *cfg,
    const char *dest, struct strvec *out);

/* Start fetching u (the topology's source, already parsed) for actor: the
 * backup's id (> 0), 0 when a fetch is running (its id in *running), -1 with
 * err when its row cannot be written.  Later failures finish the row. */
int64_t backup_fetch_start(struct daemon *d, const struct backup_url *u, const char *actor,
    int64_t *running, struct strbuf *err);

/* The id of the fetch in flight, or 0. */
int64_t backup_running(void);

/* Stop the fetch in flight (daemon shutdown): rsync's group is killed, the
 * hash stops; the row is finished as interrupted and nothing is renamed. */
void backup_shutdown(struct daemon *d);

#endif
