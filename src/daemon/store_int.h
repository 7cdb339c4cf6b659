/*
 * store_int: what the store's files share (store.c, store_sync.c, ...).  Not
 * for other modules: they use store.h.
 *
 * Statements are prepared once and cached by their SQL text's address (the
 * SQL must be a string literal).  store_run binds parameters from a format:
 * 's' a string (NULL binds NULL), 'i' an int64_t, 'd' a double.
 */
#ifndef SANDO_STORE_INT_H
#define SANDO_STORE_INT_H

#include <sqlite3.h>

#include "core/strbuf.h"
#include "daemon/store.h"

/* SQL for "now" in the store's time format (RFC 3339 UTC, seconds), for use
 * inside statements instead of binding store_now's text. */
#define STORE_NOW "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

struct store_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
	struct store_stmt *next;
};

struct store {
	char *path;
	sqlite3 *db;
	int lock_fd;
	uint64_t generation;
	struct store_stmt *stmts;
};

/* Set err to "database '<path>': <what>: <sqlite message>"; returns -1. */
int store_fail(struct store *st, struct strbuf *err, const char *what);

/* Run SQL text (several statements allowed, no parameters). */
int store_exec(struct store *st, const char *sql, struct strbuf *err);

/* The cached statement for sql, reset and bound from fmt; NULL with err. */
sqlite3_stmt *store_prepare(
    struct store *st, const char *sql, struct strbuf *err, const char *fmt, ...);

/* Prepare, bind and step a statement that returns no rows; 0 or -1. */
int store_run(struct store *st, const char *sql, struct strbuf *err, const char *fmt, ...);

/* Run a one-row, one-column integer query: the value, 0 when there is no
 * row (or it is NULL), -1 with err on failure. */
int64_t store_scalar(struct store *st, const char *sql, struct strbuf *err, const char *fmt, ...);

/* Step a prepared one-column query (then reset it): 1 with its text in out
 * (reset first), 0 when there is no row, -1 with err. */
int store_text(struct store *st, sqlite3_stmt *stmt, struct strbuf *out, struct strbuf *err);

/* A column as a new string, or NULL when the column is NULL. */
char *store_column_dup(sqlite3_stmt *stmt, int col);

/* The rows of a prepared statement as a JSON array of objects; resets it. */
json_t *store_rows_json(struct store *st, sqlite3_stmt *stmt, struct strbuf *err);

/* store_rows_json with the column outcome_json parsed into "outcome". */
json_t *store_rows_json_outcome(struct store *st, sqlite3_stmt *stmt, struct strbuf *err);

/* Finalize every cached statement (before closing). */
void store_stmts_finalize(struct store *st);

#endif
