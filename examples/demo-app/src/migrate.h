/*
 * migrate.h - `demo-app migrate`: apply the .sql files of ./migrations/ to $DATABASE_URL.
 *
 * Rules: migrations are the files NNNN_name.sql in ./migrations/, applied in
 * name order; a migration's version is its file name without ".sql".  Each
 * one runs through `psql` (fork + execvp, never a shell) in a single
 * transaction together with the row that records it in
 * _demo_migrations(version text primary key, checksum text), the checksum
 * being the file's SHA-256.  Every applied migration is checked before any
 * new one runs.  Exit codes: 0 applied (prints "applied N migrations"),
 * 2 failure (missing DATABASE_URL, psql error with its stderr), 3 an applied
 * migration's file was modified.  DATABASE_URL is never printed.
 */
#ifndef DEMO_MIGRATE_H
#define DEMO_MIGRATE_H

#include <stddef.h>

#include "sha256.h"

#define MIGRATE_VERSION_MAX 128

struct migration {
	char version[MIGRATE_VERSION_MAX]; /* "0001_create_items" */
	char checksum[SHA256_HEX_LEN + 1];
};

/* Run the subcommand in the current directory; returns the exit code. */
int migrate_main(void);

/* 1 when name is a valid migration file name (digits, then [A-Za-z0-9_-], ".sql"). */
int migrate_name_ok(const char *name);

/*
 * List and checksum dir's migration files in order into a new array (*out,
 * free()d by the caller).  Returns the count, or -1 after printing an error.
 */
int migrate_list(const char *dir, struct migration **out);

/*
 * Find version in psql's unaligned "version|checksum" lines; copy its
 * checksum to checksum and return 1, or return 0 when it is not there.
 */
int migrate_applied_checksum(
    const char *rows, const char *version, char checksum[SHA256_HEX_LEN + 1]);

#endif
