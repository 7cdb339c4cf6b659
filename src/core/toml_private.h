/*
 * toml_private: the TOML parser's internals, shared by toml.c (document
 * structure and the public tree functions), toml_table.c (keys, tables,
 * arrays, inline tables and the redefinition rules) and toml_value.c (strings,
 * numbers, booleans and dates).  Nothing outside those files includes it.
 *
 * The parser works on the whole document in memory: p->off is the offset of
 * the next byte to read and every error is reported through toml_fail(), which
 * keeps the first error only and turns its offset into a line and column.
 * The document is checked for valid UTF-8 and forbidden control characters
 * before parsing starts, so the scanners never meet either.
 */
#ifndef SANDO_TOML_PRIVATE_H
#define SANDO_TOML_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "toml.h"

/* Table states, kept in the low bits of toml_table.flags; the table's depth
 * in the tree (the root is 0) is kept above TOML_DEPTH_SHIFT. */
#define TOML_T_IMPLICIT 0x01 /* created as the parent of a [header], not yet defined */
#define TOML_T_HEADER 0x02   /* defined by a [header] or [[header]] */
#define TOML_T_DOTTED 0x04   /* created by a dotted key */
#define TOML_T_INLINE 0x08   /* an inline table: never extended from outside */
#define TOML_DEPTH_SHIFT 8

/* Key flags, kept in the parser's key index. */
#define TOML_K_AOT 0x01 /* the array was created by [[header]] */

/* One entry of the key index: key number index of table. */
struct toml_slot {
	struct toml_value *table;
	size_t index;
	int flags;
};

/* An open-addressing hash of every key of every table, so that finding a key
 * costs the same in a table of ten keys or of a million. */
struct toml_keymap {
	size_t cap;
	size_t len;
	struct toml_slot *slots;
};

/* One segment of a dotted key: its bytes (owned) and source offset. */
struct toml_keyseg {
	char *s;
	size_t len;
	size_t off;
};

struct toml_key {
	size_t n;
	struct toml_keyseg *segs;
};

struct toml_parser {
	const char *buf;
	size_t len;
	size_t off;
	struct toml_error *err;
	int failed;
	struct toml_value *root;
	struct toml_value *cur; /* the table the last header opened */
	struct toml_keymap map;
	size_t pos_off; /* toml_pos_at's cache: offset, line and line start */
	int pos_line;
	size_t pos_bol;
};

/* toml.c */
struct toml_pos toml_pos_at(struct toml_parser *p, size_t off);
int toml_fail(struct toml_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int toml_fail_found(struct toml_parser *p, size_t off, const char *expected);
void toml_describe(struct toml_parser *p, size_t off, struct strbuf *sb);
struct toml_value *toml_value_new(struct toml_parser *p, enum toml_type type, size_t off);
void *toml_grow(void *items, size_t len, size_t size);
void toml_skip_ws(struct toml_parser *p);
void toml_skip_ws_nl(struct toml_parser *p);
int toml_peek(struct toml_parser *p, size_t ahead);

/* toml_table.c */
int toml_parse_header(struct toml_parser *p);
int toml_parse_keyval(struct toml_parser *p, struct toml_value *table);
int toml_parse_array(struct toml_parser *p, int depth, struct toml_value **out);
int toml_parse_inline(struct toml_parser *p, int depth, struct toml_value **out);
void toml_keymap_release(struct toml_keymap *map);

/* toml_value.c */
int toml_parse_value(struct toml_parser *p, int depth, struct toml_value **out);
int toml_scan_string(struct toml_parser *p, int allow_multi, struct strbuf *out);

#endif
