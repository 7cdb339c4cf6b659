/*
 * The store's prepared-statement cache and parameter binding.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/xmalloc.h"
#include "daemon/store_int.h"

static sqlite3_stmt *
store_cached(struct store *st, const char *sql, struct strbuf *err)
{
	struct store_stmt *s;

	for (s = st->stmts; s; s = s->next)
		if (s->sql == sql)
			return s->stmt;
	s = xcalloc(1, sizeof(*s));
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt, NULL) !=
	    SQLITE_OK) {
		store_fail(st, err, "prepare");
		free(s);
		return NULL;
	}
	s->sql = sql;
	s->next = st->stmts;
	st->stmts = s;
	return s->stmt;
}

static int
store_vbind(sqlite3_stmt *stmt, const char *fmt, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 1; fmt && *fmt && rc == SQLITE_OK; fmt++, i++) {
		const char *s;

		switch (*fmt) {
		case 's':
			s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(stmt, i);
			break;
		case 'i':
			rc = sqlite3_bind_int64(stmt, i, va_arg(ap, int64_t));
			break;
		case 'd':
			rc = sqlite3_bind_double(stmt, i, va_arg(ap, double));
			break;
		default:
			abort(); /* a bad format is a programming error */
		}
	}
	return rc;
}

static sqlite3_stmt *
store_vprepare(struct store *st, const char *sql, struct strbuf *err, const char *fmt, va_list ap)
{
	sqlite3_stmt *stmt = store_cached(st, sql, err);

	if (stmt == NULL)
		return NULL;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (store_vbind(stmt, fmt, ap) != SQLITE_OK) {
		store_fail(st, err, "bind");
		return NULL;
	}
	return stmt;
}

sqlite3_stmt *
store_prepare(struct store *st, const char *sql, struct strbuf *err, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;

	va_start(ap, fmt);
	stmt = store_vprepare(st, sql, err, fmt, ap);
	va_end(ap);
	return stmt;
}

int
store_run(struct store *st, const char *sql, struct strbuf *err, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	stmt = store_vprepare(st, sql, err, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(st, err, "write");
	st->generation++;
	return 0;
}

char *
store_column_dup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s ? xstrdup((const char *)s) : NULL;
}

void
store_stmts_finalize(struct store *st)
{
	while (st->stmts) {
		struct store_stmt *next = st->stmts->next;

		sqlite3_finalize(st->stmts->stmt);
		free(st->stmts);
		st->stmts = next;
	}
}

int64_t
store_scalar(struct store *st, const char *sql, struct strbuf *err, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	int64_t v = 0;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	stmt = store_vprepare(st, sql, err, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	else if (rc != SQLITE_DONE)
		v = store_fail(st, err, "read");
	sqlite3_reset(stmt);
	return v;
}

int
store_text(struct store *st, sqlite3_stmt *stmt, struct strbuf *out, struct strbuf *err)
{
	int rc;

	strbuf_reset(out);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		strbuf_addstr(out, (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, "read");
	return rc == SQLITE_ROW;
}
