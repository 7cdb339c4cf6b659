/*
 * toml: a complete TOML 1.0 parser producing a tree of values.
 *
 * toml_parse() reads a whole document and returns its root table, or fails
 * with the first error's line and column (1-based; columns count bytes) and a
 * message (lowercase, no full stop).  The parser enforces every TOML 1.0 rule:
 * all four string kinds with escapes and UTF-8 validation, integers in every
 * base with overflow detection, floats (inf/nan), booleans, offset and local
 * date-times, dates and times, arrays, inline tables, tables, arrays of tables,
 * dotted keys and all redefinition rules.
 *
 * Nesting is limited: at most TOML_MAX_DEPTH arrays and tables (the root table
 * not counted) may nest inside each other, however they were made (headers,
 * dotted keys, arrays, inline tables), so 128 levels parse and 129 fail with
 * an error.  Hostile input cannot exhaust the stack, and code that walks a
 * tree may recurse.
 *
 * Choices where TOML leaves room: a UTF-8 BOM at the start is skipped; CRLF
 * inside multi-line strings becomes LF; a leap second (:60) is accepted; an
 * integer outside int64 and a float outside the range of double are errors;
 * fractional seconds beyond nanoseconds are truncated; an offset of -00:00
 * reads as +00:00 (both format as Z).
 *
 * Ownership: the tree returned by toml_parse belongs to the caller and is freed
 * as a whole with toml_free(); every pointer inside it (strings, arrays,
 * tables) stays valid until then.  Tables keep their keys in document order.
 */
#ifndef SANDO_TOML_H
#define SANDO_TOML_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define TOML_MAX_DEPTH 128

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
	TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,     /* 1979-05-27 */
	TOML_TIME_LOCAL,     /* 07:32:00 */
};

/* A position in the source: 1-based line and byte column. */
struct toml_pos {
	int line;
	int col;
};

struct toml_datetime {
	int year, month, day;     /* set for DATETIME, DATETIME_LOCAL, DATE_LOCAL */
	int hour, minute, second; /* set for DATETIME, DATETIME_LOCAL, TIME_LOCAL */
	int nanosecond;           /* fractional seconds, truncated to ns */
	int offset_minutes;       /* DATETIME only: offset east of UTC (Z = 0) */
};

struct toml_value;

struct toml_array {
	size_t len;
	struct toml_value **items;
};

struct toml_keyval {
	char *key;           /* the key's last segment, NUL-terminated UTF-8 */
	size_t key_len;      /* length in bytes (a quoted key may hold NUL) */
	struct toml_pos pos; /* where the key was written */
	struct toml_value *value;
};

struct toml_table {
	size_t len;
	struct toml_keyval *items; /* in the order the keys were first defined */
	int flags;                 /* parser-internal: defined/implicit/inline state */
};

struct toml_value {
	enum toml_type type;
	struct toml_pos pos; /* where the value (or the table's header) starts */
	union {
		struct {
			char *ptr; /* NUL-terminated UTF-8 */
			size_t len;
		} s;
		int64_t i;
		double f;
		int b;
		struct toml_datetime dt;
		struct toml_array arr;
		struct toml_table tab;
	} u;
};

/* A parse error: position and message. */
struct toml_error {
	struct toml_pos pos;
	struct strbuf msg;
};

/* Parse len bytes of TOML; on success *root is the root table and 0 is
 * returned; on failure -1 with err filled.  err is initialised either way, so
 * toml_error_release may always be called after. */
int toml_parse(const char *buf, size_t len, struct toml_value **root, struct toml_error *err);

/* Free the message held by an error. */
void toml_error_release(struct toml_error *err);

/* Free a tree returned by toml_parse (NULL is allowed). */
void toml_free(struct toml_value *v);

/* The value under key in a table value, or NULL (also when t is not a table). */
const struct toml_value *toml_table_get(const struct toml_value *t, const char *key);

/* The key/value entry for key in a table value, or NULL. */
const struct toml_keyval *toml_table_entry(const struct toml_value *t, const char *key);

/* The type's name as TOML users say it ("string", "integer", "table", ...). */
const char *toml_type_name(enum toml_type type);

/* Append the value's canonical text for a date/time value (RFC 3339 forms,
 * fractional seconds only when non-zero) to sb. */
void toml_datetime_format(const struct toml_value *v, struct strbuf *sb);

#endif
