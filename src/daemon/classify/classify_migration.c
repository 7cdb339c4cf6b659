/*
 * classify_migration.c - the migration_dry_run gate; see classify.h.
 *
 * The daemon restores the backup into the scratch database, then runs the
 * migration command against it.  A failed restore is the caller's to report
 * (restore_failed: the command never ran).  Then:
 * - exit 0: migrated {backup, count}, count from examples/demo-app's
 *   "applied N migrations" or the number of sqlx-cli "Applied V/migrate ..."
 *   lines (unknown when neither was printed);
 * - migration_modified: sqlx's "migration V was previously applied but has
 *   been modified" (or its Debug form VersionMismatch(V)), demo-app's
 *   "error: migration V was modified after it was applied";
 * - migration_drift: sqlx's "migration V was previously applied but is
 *   missing in the resolved migrations" (VersionMissing(V));
 * - migration_sql_error {migration, sqlstate}: an SQL error, with its
 *   SQLSTATE when the tool printed one (psql with VERBOSITY=verbose
 *   "ERROR:  42P01: ...", sqlx's Debug form code: "42P01", tokio-postgres's
 *   SqlState(E42P01) / SqlState("42P01"), "(SQLSTATE 42P01)", "(code 42P01)",
 *   "SQLSTATE[42P01]"), and without one for sqlx-cli's "error returned from
 *   database: ..." and terse psql "ERROR:  ..." lines.  The migration is named
 *   by demo-app's "error: migration V failed", sqlx's "while executing
 *   migration V:" or ExecuteMigration(..., V), else by psql's
 *   "psql:migrations/V.sql:LINE:" prefix;
 * - anything else: unclassified.
 */
#include "daemon/classify/classify_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

struct mig_scan {
	int modified, drift, sql_error;
	struct classify_line version;   /* of the modified or missing migration */
	struct classify_line name;      /* named by the tool, for the SQL error */
	struct classify_line psql_name; /* from psql's file prefix on the error line */
	char sqlstate[6];
	int have_total;
	int64_t total;        /* demo-app's "applied N migrations" */
	int64_t sqlx_applied; /* sqlx-cli's "Applied V/..." lines */
};

/* The SQLSTATE spellings: the five characters sit between prefix and suffix. */
static const struct {
	const char *prefix, *suffix;
} sqlstate_forms[] = {
    {"ERROR:  ", ":"},      /* psql, VERBOSITY=verbose */
    {"code: \"", "\""},     /* sqlx PgDatabaseError Debug */
    {"SqlState(E", ")"},    /* tokio-postgres Debug, enum form */
    {"SqlState(\"", "\")"}, /* tokio-postgres Debug, string form */
    {"(SQLSTATE ", ")"},    /* Go pgx and others */
    {"(code ", ")"},        /* as some wrappers print it */
    {"SQLSTATE[", "]"},     /* PHP PDO */
};

/* Lines that are an SQL error even without an SQLSTATE. */
static const char *const sql_error_marks[] = {
    "error returned from database: ", "ERROR:  ", "db error: ERROR: "};

/* The token after marker in l, up to a space, ':', ',' or ')'; its length is 0 if none. */
static struct classify_line
token_after(const struct classify_line *l, const char *marker)
{
	const char *p = classify_line_find(l, marker), *end = l->s + l->len, *q;

	if (p == NULL)
		return (struct classify_line){NULL, 0};
	p += strlen(marker);
	for (q = p; q < end && *q != ' ' && *q != ':' && *q != ')' && *q != ','; q++)
		;
	return (struct classify_line){p, (size_t)(q - p)};
}

/* The SQLSTATE in l, copied to out: 1, or 0 if l has none. */
static int
find_sqlstate(const struct classify_line *l, char out[6])
{
	const char *p, *end = l->s + l->len;
	size_t i, k, slen;

	for (i = 0; i < sizeof sqlstate_forms / sizeof sqlstate_forms[0]; i++) {
		if ((p = classify_line_find(l, sqlstate_forms[i].prefix)) == NULL)
			continue;
		p += strlen(sqlstate_forms[i].prefix);
		slen = strlen(sqlstate_forms[i].suffix);
		if ((size_t)(end - p) < 5 + slen ||
		    memcmp(p + 5, sqlstate_forms[i].suffix, slen) != 0)
			continue;
		for (k = 0; k < 5; k++)
			if (!((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'A' && p[k] <= 'Z')))
				break;
		if (k == 5) {
			memcpy(out, p, 5);
			out[5] = '\0';
			return 1;
		}
	}
	return 0;
}

/* The migration a tool names on this line ("error: migration V failed", ...). */
static struct classify_line
named_migration(const struct classify_line *l)
{
	struct classify_line t = token_after(l, "while executing migration ");
	const char *end = l->s + l->len, *d;

	if (t.len > 0)
		return t;
	if (classify_line_find(l, "ExecuteMigration(") != NULL) {
		while (end > l->s && (end[-1] == ' ' || end[-1] == ')'))
			end--;
		for (d = end; d > l->s && d[-1] >= '0' && d[-1] <= '9'; d--)
			;
		if (d < end && d - l->s >= 2 && d[-1] == ' ' && d[-2] == ',')
			return (struct classify_line){d, (size_t)(end - d)};
	}
	if (classify_line_find(l, "error: migration ") != NULL && classify_line_find(l, " failed"))
		return token_after(l, "error: migration ");
	return (struct classify_line){NULL, 0};
}

/* "psql:migrations/0002_add_price.sql:2: ERROR: ..." -> "0002_add_price". */
static struct classify_line
psql_file(const struct classify_line *l)
{
	const char *p = l->s + 5, *end = l->s + l->len, *colon, *base;

	if (!classify_line_starts(l, "psql:") ||
	    (colon = memchr(p, ':', (size_t)(end - p))) == NULL)
		return (struct classify_line){NULL, 0};
	for (base = colon; base > p && base[-1] != '/'; base--)
		;
	if (colon - base > 4 && memcmp(colon - 4, ".sql", 4) == 0)
		colon -= 4;
	return (struct classify_line){base, (size_t)(colon - base)};
}

static void
scan_state(const struct classify_line *l, struct mig_scan *m)
{
	if (!m->modified &&
	    (classify_line_find(l, "was previously applied but has been modified") ||
	        classify_line_find(l, "was modified after it was applied"))) {
		m->modified = 1;
		m->version = token_after(l, "migration ");
	} else if (!m->modified && classify_line_find(l, "VersionMismatch(")) {
		m->modified = 1;
		m->version = token_after(l, "VersionMismatch(");
	} else if (!m->drift && classify_line_find(l, "was previously applied but is missing")) {
		m->drift = 1;
		m->version = token_after(l, "migration ");
	} else if (!m->drift && classify_line_find(l, "VersionMissing(")) {
		m->drift = 1;
		m->version = token_after(l, "VersionMissing(");
	}
}

static void
scan_sql(const struct classify_line *l, struct mig_scan *m)
{
	struct classify_line name = named_migration(l);
	size_t i;
	int is_error = 0;

	if (name.len > 0 && (!m->sql_error || m->name.len == 0))
		m->name = name;
	if (m->sqlstate[0] == '\0' && find_sqlstate(l, m->sqlstate))
		is_error = 1;
	for (i = 0; !is_error && i < sizeof sql_error_marks / sizeof sql_error_marks[0]; i++)
		is_error = classify_line_find(l, sql_error_marks[i]) != NULL;
	if (is_error && !m->sql_error) {
		m->sql_error = 1;
		m->psql_name = psql_file(l);
	}
}

static void
scan_counts(const struct classify_line *l, struct mig_scan *m)
{
	const char *p, *end = l->s + l->len;
	int64_t n;

	if (classify_line_starts(l, "applied ")) {
		p = l->s + 8;
		if ((n = classify_digits(&p, end)) >= 0 && end - p >= 10 &&
		    memcmp(p, " migration", 10) == 0) {
			m->have_total = 1;
			m->total = n;
		}
	} else if (classify_line_starts(l, "Applied ")) {
		p = l->s + 8;
		if (classify_digits(&p, end) >= 0 && p < end && *p == '/')
			m->sqlx_applied++;
	}
}

static void
mig_scan(const struct gate_raw *raw, struct mig_scan *m)
{
	struct classify_lines it;
	struct classify_line l;

	memset(m, 0, sizeof *m);
	classify_lines_init(&it, raw);
	while (classify_lines_next(&it, &l)) {
		scan_state(&l, m);
		scan_sql(&l, m);
		scan_counts(&l, m);
	}
}

/* A NUL-terminated copy of a found name, or NULL. */
static char *
name_dup(const struct classify_line *l)
{
	return l->s != NULL && l->len > 0 ? xstrndup(l->s, l->len) : NULL;
}

/* The failure outcome the scan found; 0, or -1 if it found none. */
static int
mig_failure(const struct mig_scan *m, struct outcome *out)
{
	char *name;

	if (m->modified || m->drift) {
		name = name_dup(&m->version);
		if (m->modified)
			outcome_failed_migration_modified(out, name);
		else
			outcome_failed_migration_drift(out, name);
	} else if (m->sql_error) {
		name = name_dup(m->name.len > 0 ? &m->name : &m->psql_name);
		outcome_failed_migration_sql_error(out, name, m->sqlstate[0] ? m->sqlstate : NULL);
	} else {
		return -1;
	}
	free(name);
	return 0;
}

void
classify_migration(
    const struct gate_raw *raw, const char *backup, int restore_failed, struct outcome *out)
{
	struct mig_scan m;

	if (restore_failed) {
		outcome_failed_restore_failed(out);
		classify_done(raw, out);
		return;
	}
	if (classify_common(raw, out))
		return;
	mig_scan(raw, &m);
	if (raw->exited && raw->exit_status == 0)
		outcome_passed_migrated(out, backup != NULL ? backup : "unknown",
		    m.have_total         ? m.total
		    : m.sqlx_applied > 0 ? m.sqlx_applied
		                         : OUTCOME_COUNT_UNKNOWN);
	else if (mig_failure(&m, out) < 0)
		classify_unclassified(raw, NULL, out);
	classify_done(raw, out);
}
