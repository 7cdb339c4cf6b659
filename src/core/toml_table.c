/*
 * toml_table.c: keys, [table] and [[array]] headers, key/value pairs,
 * arrays and inline tables, with every TOML rule about what may be defined,
 * extended or redefined.
 *
 * A table's state (toml_private.h) says how it came to be: implicitly as the
 * parent of a header, by a header, by a dotted key, or as an inline table.
 * A header may define an implicit table once; dotted keys may only go through
 * tables that dotted keys created; nothing extends an inline table.
 */
#include <stdlib.h>
#include <string.h>

#include "toml_private.h"
#include "xmalloc.h"

/* What a key is being used for, to say why an existing value is in the way. */
enum toml_want {
	WANT_PARENT, /* a header's intermediate segment */
	WANT_TABLE,  /* the last segment of [header] */
	WANT_AOT,    /* the last segment of [[header]] */
	WANT_DOTTED, /* a dotted key's intermediate segment */
	WANT_VALUE,  /* the last segment of a key/value pair */
};

static int
table_depth(const struct toml_value *t)
{
	return t->u.tab.flags >> TOML_DEPTH_SHIFT;
}

static int
too_deep(struct toml_parser *p, size_t off)
{
	return toml_fail(
	    p, off, "nesting too deep (at most %d levels of arrays and tables)", TOML_MAX_DEPTH);
}

/* A new table at depth (the root is 0), or NULL past TOML_MAX_DEPTH. */
static struct toml_value *
new_table(struct toml_parser *p, int depth, int flags, size_t off)
{
	struct toml_value *t;

	if (depth > TOML_MAX_DEPTH) {
		too_deep(p, off);
		return NULL;
	}
	t = toml_value_new(p, TOML_TABLE, off);
	t->u.tab.flags = flags | depth << TOML_DEPTH_SHIFT;
	return t;
}

static uint64_t
key_hash(const struct toml_value *t, const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)(uintptr_t)t;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ^ h >> 29;
}

static struct toml_keyval *
slot_kv(const struct toml_slot *slot)
{
	return &slot->table->u.tab.items[slot->index];
}

static struct toml_slot *
keymap_find(struct toml_keymap *m, const struct toml_value *t, const char *s, size_t len)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = key_hash(t, s, len) & (m->cap - 1); m->slots[i].table;
	     i = (i + 1) & (m->cap - 1)) {
		struct toml_keyval *kv = slot_kv(&m->slots[i]);

		if (m->slots[i].table == t && kv->key_len == len && memcmp(kv->key, s, len) == 0)
			return &m->slots[i];
	}
	return NULL;
}

static void
keymap_put(struct toml_keymap *m, const struct toml_slot *slot)
{
	struct toml_keyval *kv = slot_kv(slot);
	size_t i = key_hash(slot->table, kv->key, kv->key_len) & (m->cap - 1);

	while (m->slots[i].table)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = *slot;
	m->len++;
}

static void
keymap_add(struct toml_keymap *m, struct toml_value *t, size_t index, int flags)
{
	struct toml_slot slot = {t, index, flags};

	if (m->len * 2 >= m->cap) {
		struct toml_keymap old = *m;

		m->cap = old.cap ? old.cap * 2 : 64;
		m->len = 0;
		m->slots = xcalloc(m->cap, sizeof(*m->slots));
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].table)
				keymap_put(m, &old.slots[i]);
		free(old.slots);
	}
	keymap_put(m, &slot);
}

void
toml_keymap_release(struct toml_keymap *map)
{
	free(map->slots);
	map->slots = NULL;
	map->cap = map->len = 0;
}

/* Add seg = v to table t; the table takes the segment's string. */
static void
table_add(struct toml_parser *p, struct toml_value *t, struct toml_keyseg *seg,
    struct toml_value *v, int kflags)
{
	struct toml_table *tab = &t->u.tab;
	struct toml_keyval *kv;

	tab->items = toml_grow(tab->items, tab->len, sizeof(*tab->items));
	kv = &tab->items[tab->len];
	kv->key = seg->s;
	kv->key_len = seg->len;
	kv->pos = toml_pos_at(p, seg->off);
	kv->value = v;
	seg->s = NULL;
	keymap_add(&p->map, t, tab->len++, kflags);
}

static struct toml_slot *
lookup(struct toml_parser *p, const struct toml_value *t, const struct toml_keyseg *seg)
{
	return keymap_find(&p->map, t, seg->s, seg->len);
}

static int
is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Append a key segment as it could be written in TOML: bare or quoted. */
static void
add_segment(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && is_bare((unsigned char)s[i]); i++)
		;
	if (len > 0 && i == len) {
		strbuf_add(sb, s, len);
		return;
	}
	strbuf_addch(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			strbuf_addf(sb, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			strbuf_addf(sb, "\\u%04x", c);
		else
			strbuf_addch(sb, c);
	}
	strbuf_addch(sb, '"');
}

/* Append the key's segments 0..upto joined by dots. */
static void
add_path(struct strbuf *sb, const struct toml_key *key, size_t upto)
{
	for (size_t i = 0; i <= upto; i++) {
		if (i)
			strbuf_addch(sb, '.');
		add_segment(sb, key->segs[i].s, key->segs[i].len);
	}
}

static void
key_release(struct toml_key *key)
{
	for (size_t i = 0; i < key->n; i++)
		free(key->segs[i].s);
	free(key->segs);
	key->segs = NULL;
	key->n = 0;
}

static int
parse_simple_key(struct toml_parser *p, struct toml_keyseg *seg)
{
	struct strbuf sb = STRBUF_INIT;
	int c = toml_peek(p, 0);
	size_t start = p->off;

	seg->off = p->off;
	if (c == '"' || c == '\'') {
		if (toml_scan_string(p, 0, &sb) == -1) {
			strbuf_release(&sb);
			return -1;
		}
	} else {
		while (p->off < p->len && is_bare((unsigned char)p->buf[p->off]))
			p->off++;
		if (p->off == start)
			return toml_fail_found(p, p->off, "a key");
		strbuf_add(&sb, p->buf + start, p->off - start);
	}
	seg->s = strbuf_detach(&sb, &seg->len);
	return 0;
}

/* Parse a (dotted) key and the whitespace after it. */
static int
key_parse(struct toml_parser *p, struct toml_key *key)
{
	for (;;) {
		toml_skip_ws(p);
		key->segs = toml_grow(key->segs, key->n, sizeof(*key->segs));
		if (parse_simple_key(p, &key->segs[key->n]) == -1)
			return -1;
		key->n++;
		toml_skip_ws(p);
		if (toml_peek(p, 0) != '.')
			return 0;
		p->off++;
	}
}

/* Fail because the value in slot stands where key segment upto wants room. */
static int
conflict(struct toml_parser *p, const struct toml_key *key, size_t upto,
    const struct toml_slot *slot, enum toml_want want)
{
	const struct toml_value *v = slot_kv(slot)->value;
	struct strbuf path = STRBUF_INIT;
	size_t off = key->segs[upto].off;
	int line = v->pos.line, fl = v->type == TOML_TABLE ? v->u.tab.flags : 0;
	const char *name = toml_type_name(v->type);

	add_path(&path, key, upto);
	if (want == WANT_VALUE)
		toml_fail(p, off, "duplicate key '%s' (first defined at line %d)", path.buf, line);
	else if (v->type == TOML_TABLE && (fl & TOML_T_INLINE))
		toml_fail(
		    p, off, "cannot extend inline table '%s' (defined at line %d)", path.buf, line);
	else if (v->type == TOML_ARRAY && (slot->flags & TOML_K_AOT))
		toml_fail(p, off, "'%s' is already defined as an array of tables (at line %d)",
		    path.buf, line);
	else if (v->type == TOML_ARRAY && want == WANT_AOT)
		toml_fail(p, off, "cannot append to static array '%s' (defined at line %d)",
		    path.buf, line);
	else if (v->type == TOML_TABLE && want == WANT_DOTTED)
		toml_fail(p, off,
		    "cannot add to table '%s' with dotted keys: it is defined "
		    "by a header (at line %d)",
		    path.buf, line);
	else if (v->type == TOML_TABLE && (fl & TOML_T_DOTTED))
		toml_fail(p, off, "table '%s' is already defined by dotted keys (at line %d)",
		    path.buf, line);
	else if (v->type == TOML_TABLE)
		toml_fail(p, off, "table '%s' is already defined (at line %d)", path.buf, line);
	else
		toml_fail(p, off, "key '%s' is already defined as %s %s (at line %d)", path.buf,
		    strchr("aeiou", name[0]) ? "an" : "a", name, line);
	strbuf_release(&path);
	return -1;
}

/* The table a header's segment i names inside t, created if missing. */
static struct toml_value *
header_descend(struct toml_parser *p, struct toml_value *t, struct toml_key *key, size_t i)
{
	struct toml_slot *slot = lookup(p, t, &key->segs[i]);
	struct toml_value *v;

	if (slot == NULL) {
		v = new_table(p, table_depth(t) + 1, TOML_T_IMPLICIT, key->segs[i].off);
		if (v)
			table_add(p, t, &key->segs[i], v, 0);
		return v;
	}
	v = slot_kv(slot)->value;
	if (v->type == TOML_TABLE && !(v->u.tab.flags & TOML_T_INLINE))
		return v;
	if (v->type == TOML_ARRAY && (slot->flags & TOML_K_AOT))
		return v->u.arr.items[v->u.arr.len - 1];
	conflict(p, key, i, slot, WANT_PARENT);
	return NULL;
}

/* [key]: define the table, which may exist only as an implicit parent. */
static int
define_table(struct toml_parser *p, struct toml_value *t, struct toml_key *key, size_t start)
{
	struct toml_keyseg *seg = &key->segs[key->n - 1];
	struct toml_slot *slot = lookup(p, t, seg);
	struct toml_value *v;

	if (slot == NULL) {
		if ((v = new_table(p, table_depth(t) + 1, TOML_T_HEADER, start)) == NULL)
			return -1;
		table_add(p, t, seg, v, 0);
		p->cur = v;
		return 0;
	}
	v = slot_kv(slot)->value;
	if (v->type != TOML_TABLE || (v->u.tab.flags & ~TOML_T_IMPLICIT & 0xff))
		return conflict(p, key, key->n - 1, slot, WANT_TABLE);
	v->u.tab.flags = (v->u.tab.flags & ~TOML_T_IMPLICIT) | TOML_T_HEADER;
	v->pos = toml_pos_at(p, start);
	p->cur = v;
	return 0;
}

/* [[key]]: append a new table to the array of tables, created if missing. */
static int
define_aot(struct toml_parser *p, struct toml_value *t, struct toml_key *key, size_t start)
{
	struct toml_keyseg *seg = &key->segs[key->n - 1];
	struct toml_slot *slot = lookup(p, t, seg);
	struct toml_value *arr, *elem;

	if (slot && (slot_kv(slot)->value->type != TOML_ARRAY || !(slot->flags & TOML_K_AOT)))
		return conflict(p, key, key->n - 1, slot, WANT_AOT);
	if ((elem = new_table(p, table_depth(t) + 2, TOML_T_HEADER, start)) == NULL)
		return -1;
	if (slot)
		arr = slot_kv(slot)->value;
	else {
		arr = toml_value_new(p, TOML_ARRAY, start);
		table_add(p, t, seg, arr, TOML_K_AOT);
	}
	arr->u.arr.items = toml_grow(arr->u.arr.items, arr->u.arr.len, sizeof(elem));
	arr->u.arr.items[arr->u.arr.len++] = elem;
	p->cur = elem;
	return 0;
}

int
toml_parse_header(struct toml_parser *p)
{
	struct toml_key key = {0, NULL};
	struct toml_value *t = p->root;
	size_t start = p->off;
	int aot = toml_peek(p, 1) == '[', r = -1;

	p->off += aot ? 2 : 1;
	if (key_parse(p, &key) == -1)
		goto out;
	if (toml_peek(p, 0) != ']' || (aot && toml_peek(p, 1) != ']')) {
		toml_fail_found(p, p->off + (toml_peek(p, 0) == ']'),
		    aot ? "']]' to close the array of tables header"
		        : "']' to close the table header");
		goto out;
	}
	p->off += aot ? 2 : 1;
	for (size_t i = 0; i + 1 < key.n; i++)
		if ((t = header_descend(p, t, &key, i)) == NULL)
			goto out;
	r = aot ? define_aot(p, t, &key, start) : define_table(p, t, &key, start);
out:
	key_release(&key);
	return r;
}

/* The table a dotted key's segment i names inside t, created if missing. */
static struct toml_value *
dotted_descend(struct toml_parser *p, struct toml_value *t, struct toml_key *key, size_t i)
{
	struct toml_slot *slot = lookup(p, t, &key->segs[i]);
	struct toml_value *v;

	if (slot == NULL) {
		v = new_table(p, table_depth(t) + 1, TOML_T_DOTTED, key->segs[i].off);
		if (v)
			table_add(p, t, &key->segs[i], v, 0);
		return v;
	}
	v = slot_kv(slot)->value;
	if (v->type == TOML_TABLE &&
	    (v->u.tab.flags & (TOML_T_DOTTED | TOML_T_INLINE)) == TOML_T_DOTTED)
		return v;
	conflict(p, key, i, slot, WANT_DOTTED);
	return NULL;
}

int
toml_parse_keyval(struct toml_parser *p, struct toml_value *t)
{
	struct toml_key key = {0, NULL};
	struct toml_value *v;
	struct toml_slot *slot;
	struct strbuf what = STRBUF_INIT;
	int r = -1;

	if (key_parse(p, &key) == -1)
		goto out;
	if (toml_peek(p, 0) != '=') {
		strbuf_addstr(&what, "'=' after key '");
		add_path(&what, &key, key.n - 1);
		strbuf_addch(&what, '\'');
		toml_fail_found(p, p->off, what.buf);
		goto out;
	}
	p->off++;
	toml_skip_ws(p);
	for (size_t i = 0; i + 1 < key.n; i++)
		if ((t = dotted_descend(p, t, &key, i)) == NULL)
			goto out;
	if ((slot = lookup(p, t, &key.segs[key.n - 1])) != NULL) {
		conflict(p, &key, key.n - 1, slot, WANT_VALUE);
		goto out;
	}
	if (toml_parse_value(p, table_depth(t) + 1, &v) == -1)
		goto out;
	table_add(p, t, &key.segs[key.n - 1], v, 0);
	r = 0;
out:
	strbuf_release(&what);
	key_release(&key);
	return r;
}

int
toml_parse_array(struct toml_parser *p, int depth, struct toml_value **out)
{
	struct toml_value *arr, *item;

	if (depth > TOML_MAX_DEPTH)
		return too_deep(p, p->off);
	arr = toml_value_new(p, TOML_ARRAY, p->off++);
	for (;;) {
		toml_skip_ws_nl(p);
		if (toml_peek(p, 0) == ']')
			break;
		if (toml_parse_value(p, depth + 1, &item) == -1)
			goto fail;
		arr->u.arr.items = toml_grow(arr->u.arr.items, arr->u.arr.len, sizeof(item));
		arr->u.arr.items[arr->u.arr.len++] = item;
		toml_skip_ws_nl(p);
		if (toml_peek(p, 0) == ']')
			break;
		if (toml_peek(p, 0) != ',') {
			toml_fail_found(p, p->off, "',' or ']' after an array element");
			goto fail;
		}
		p->off++;
	}
	p->off++;
	*out = arr;
	return 0;
fail:
	toml_free(arr);
	return -1;
}

int
toml_parse_inline(struct toml_parser *p, int depth, struct toml_value **out)
{
	struct toml_value *t;

	if ((t = new_table(p, depth, TOML_T_INLINE, p->off++)) == NULL)
		return -1;
	toml_skip_ws(p);
	while (toml_peek(p, 0) != '}') {
		if (toml_parse_keyval(p, t) == -1)
			goto fail;
		toml_skip_ws(p);
		if (toml_peek(p, 0) == '}')
			break;
		if (toml_peek(p, 0) != ',') {
			toml_fail_found(p, p->off, "',' or '}' after a value in an inline table");
			goto fail;
		}
		p->off++;
		toml_skip_ws(p);
		if (toml_peek(p, 0) == '}') {
			toml_fail(p, p->off,
			    "expected a key after ',' (an inline table may not "
			    "end with a comma)");
			goto fail;
		}
	}
	p->off++;
	*out = t;
	return 0;
fail:
	toml_free(t);
	return -1;
}
