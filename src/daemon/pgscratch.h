/*
 * pgscratch: the scratch PostgreSQL database of the migration_dry_run gate
 * (daemon.toml's scratch_db_url, a libpq URL or "key=value" conninfo): what
 * kind of backup a file is, how psql and pg_restore reach the database, how
 * the database is emptied, and the argv that restores a backup into it.
 *
 * Rules:
 * - The URL may hold a password.  It never reaches a command line: programs
 *   get the libpq environment (PGHOST, PGPASSWORD, ...) from pgscratch_env and
 *   an argv without the URL from pgscratch_restore_argv.  No error message
 *   echoes it either: libpq's messages (which quote whole URLs and malformed
 *   tokens) have every password, in every spelling, replaced by "***".
 * - pgscratch_reset talks to the server through libpq and blocks (connect
 *   timeout 10 s unless the URL sets connect_timeout; lock waits 60 s): call
 *   it from libuv's thread pool, never from the loop.  It keeps no state, so
 *   any thread may call it.
 * - The caller owns every strbuf and strvec it passes; functions only append.
 */
#ifndef SANDO_PGSCRATCH_H
#define SANDO_PGSCRATCH_H

#include "core/strbuf.h"
#include "core/strvec.h"

enum pg_backup_format {
	PG_BACKUP_MISSING,    /* no such file */
	PG_BACKUP_EMPTY,      /* a file of 0 bytes */
	PG_BACKUP_PLAIN,      /* SQL text, restored with psql */
	PG_BACKUP_CUSTOM,     /* pg_dump -Fc (starts with "PGDMP"), restored with pg_restore */
	PG_BACKUP_UNREADABLE, /* not a regular file, or it cannot be opened or read */
};

/* What kind of backup path is: custom format starts with "PGDMP"; anything
 * else non-empty is plain SQL. */
enum pg_backup_format pgscratch_backup_format(const char *path);

/* Append the libpq environment the URL sets (PGHOST, PGPORT, PGUSER,
 * PGPASSWORD, PGDATABASE, PGSSLMODE, ...: each option the URL gives, as
 * "KEY=VALUE") to env, so psql and pg_restore connect without the URL on
 * their command line; env should hold no PG* variable of its own.  0, or -1
 * with err when the URL does not parse or sets an option that has no
 * environment variable (keepalives, sslpassword, ...). */
int pgscratch_env(const char *url, struct strvec *env, struct strbuf *err);

/* Connect to url and, in one transaction, drop every schema that is not a
 * system schema (pg_catalog, information_schema, pg_toast*, pg_temp*) with
 * CASCADE, then CREATE SCHEMA public (owned by the connecting user); nothing
 * else is dropped.  Blocking: call it from the thread pool.  The number of
 * schemas dropped, or -1 with err (libpq's message, passwords redacted). */
int pgscratch_reset(const char *url, struct strbuf *err);

/* Append to out the argv that restores path (format fmt) into the database
 * that the PG* environment of pgscratch_env names: "psql -X -q -v
 * ON_ERROR_STOP=1 --single-transaction -f PATH" for plain SQL, "pg_restore
 * --no-owner --no-privileges --exit-on-error --single-transaction -d '' PATH"
 * for the custom format (an empty -d makes pg_restore connect with the
 * environment's PGDATABASE; without -d it refuses to run, or in releases
 * before 12 writes SQL to stdout).  A path starting with '-' gets "./" in
 * front.  Other formats append nothing. */
void pgscratch_restore_argv(enum pg_backup_format fmt, const char *path, struct strvec *out);

#endif
