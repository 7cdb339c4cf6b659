/* pgscratch.c - the scratch database of migration_dry_run; see pgscratch.h. */
#include "daemon/pgscratch.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xmalloc.h"

#define CUSTOM_MAGIC "PGDMP"
#define CUSTOM_MAGIC_LEN (sizeof CUSTOM_MAGIC - 1)

/* Secrets shorter than this are only redacted where libpq quotes them, so a
 * one-letter password does not turn every word of a message into "***". */
#define SECRET_BARE_MIN 4

static const char list_schemas_sql[] =
    "SELECT nspname FROM pg_catalog.pg_namespace"
    " WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'"
    " ORDER BY nspname";

/* Read up to len bytes (fewer only at end of file); the count, or -1. */
static ssize_t
read_head(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

enum pg_backup_format
pgscratch_backup_format(const char *path)
{
	char head[CUSTOM_MAGIC_LEN];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return errno == ENOENT || errno == ENOTDIR ? PG_BACKUP_MISSING
		                                           : PG_BACKUP_UNREADABLE;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return PG_BACKUP_UNREADABLE;
	}
	n = read_head(fd, head, sizeof head);
	close(fd);
	if (n == -1)
		return PG_BACKUP_UNREADABLE;
	if (n == 0)
		return PG_BACKUP_EMPTY;
	if ((size_t)n == CUSTOM_MAGIC_LEN && memcmp(head, CUSTOM_MAGIC, CUSTOM_MAGIC_LEN) == 0)
		return PG_BACKUP_CUSTOM;
	return PG_BACKUP_PLAIN;
}

/* --- redaction ------------------------------------------------------------
 * libpq refuses a malformed connection string with a message that may quote
 * the whole string or the token it choked on, the password included, so the
 * secrets are found here by scanning the string the way libpq does. */

struct redaction {
	const char *done;      /* the string up to here is copied into url */
	struct strbuf url;     /* the string with each secret replaced by "***" */
	struct strvec secrets; /* each secret as written, percent-decoded, unescaped */
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append p (len bytes) with %XX decoded; a bad sequence stays as it is. */
static void
percent_decode(struct strbuf *out, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = -1, lo = -1;

		if (p[i] == '%' && i + 2 < len && (hi = hexval((unsigned char)p[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)p[i + 2])) >= 0) {
			strbuf_addch(out, hi * 16 + lo);
			i += 2;
		} else {
			strbuf_addch(out, p[i]);
		}
	}
}

/* Append p (len bytes) with conninfo's backslash escapes removed. */
static void
unescape(struct strbuf *out, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len)
			i++;
		strbuf_addch(out, p[i]);
	}
}

/* Push s unless it is empty or already there. */
static void
secret_push(struct strvec *secrets, const char *s)
{
	if (*s == '\0')
		return;
	for (size_t i = 0; i < secrets->nr; i++)
		if (strcmp(secrets->v[i], s) == 0)
			return;
	strvec_push(secrets, s);
}

/* The secret p (len bytes) of the scanned string: copy what precedes it,
 * "***" instead of it, and remember its spellings. */
static void
redact_span(struct redaction *r, const char *p, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	if (len == 0)
		return;
	strbuf_add(&r->url, r->done, (size_t)(p - r->done));
	strbuf_addstr(&r->url, "***");
	r->done = p + len;
	strbuf_add(&sb, p, len);
	secret_push(&r->secrets, sb.buf);
	strbuf_reset(&sb);
	percent_decode(&sb, p, len);
	secret_push(&r->secrets, sb.buf);
	strbuf_reset(&sb);
	unescape(&sb, p, len);
	secret_push(&r->secrets, sb.buf);
	strbuf_release(&sb);
}

static int
is_secret_key(const char *p, size_t len, int decode)
{
	struct strbuf key = STRBUF_INIT;
	int yes;

	if (decode)
		percent_decode(&key, p, len);
	else
		strbuf_add(&key, p, len);
	yes = strcmp(key.buf, "password") == 0 || strcmp(key.buf, "sslpassword") == 0;
	strbuf_release(&key);
	return yes;
}

static size_t
uri_prefix_len(const char *s)
{
	if (strncmp(s, "postgresql://", 13) == 0)
		return 13;
	if (strncmp(s, "postgres://", 11) == 0)
		return 11;
	return 0;
}

/* postgresql://user:SECRET@host/db?password=SECRET&sslpassword=SECRET */
static void
scan_uri(struct redaction *r, const char *s)
{
	const char *p = s + uri_prefix_len(s), *at = p + strcspn(p, "@/"), *colon;

	if (*at == '@' && (colon = memchr(p, ':', (size_t)(at - p))) != NULL) {
		redact_span(r, colon + 1, (size_t)(at - colon - 1));
		p = at;
	}
	if ((p = strchr(p, '?')) == NULL)
		return;
	while (*p != '\0') {
		const char *key = p + 1, *eq, *end;

		end = key + strcspn(key, "&");
		eq = memchr(key, '=', (size_t)(end - key));
		if (eq != NULL && is_secret_key(key, (size_t)(eq - key), 1))
			redact_span(r, eq + 1, (size_t)(end - eq - 1));
		p = end;
	}
}

/* The end of a conninfo value starting at p: quoted '...' or up to a space. */
static const char *
kv_value_end(const char *p)
{
	int quoted = *p == '\'';

	for (p += quoted; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (quoted ? *p == '\'' : isspace((unsigned char)*p))
			return p + quoted;
	}
	return p;
}

/* Redact the conninfo value from val to end: inside the quotes if quoted. */
static void
redact_value(struct redaction *r, const char *val, const char *end)
{
	if (*val != '\'') {
		redact_span(r, val, (size_t)(end - val));
		return;
	}
	if (end - 1 > val && end[-1] == '\'')
		end--;
	redact_span(r, val + 1, (size_t)(end - val - 1));
}

/* key=SECRET and key = 'SECRET' for password and sslpassword; a bare word
 * after an unquoted secret (libpq quotes it: 'missing "=" after "..."') may
 * be the rest of a password with a space in it, and is a secret too. */
static void
scan_kv(struct redaction *r, const char *p)
{
	int after_secret = 0;

	while (*p != '\0') {
		const char *key, *key_end, *val, *end;

		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		key = p;
		while (*p != '\0' && *p != '=' && !isspace((unsigned char)*p))
			p++;
		key_end = p;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=') {
			if (after_secret)
				redact_span(r, key, (size_t)(key_end - key));
			continue;
		}
		for (val = p + 1; isspace((unsigned char)*val); val++)
			;
		end = kv_value_end(val);
		after_secret = is_secret_key(key, (size_t)(key_end - key), 0);
		if (after_secret)
			redact_value(r, val, end);
		after_secret = after_secret && *val != '\'';
		p = end;
	}
}

static void
redaction_init(struct redaction *r, const char *conninfo)
{
	r->done = conninfo;
	strbuf_init(&r->url, 0);
	strvec_init(&r->secrets);
	if (uri_prefix_len(conninfo) > 0)
		scan_uri(r, conninfo);
	else
		scan_kv(r, conninfo);
	strbuf_addstr(&r->url, r->done);
}

/* Replace, in msg, conninfo by its redacted form and every secret of it by
 * "***": always where quoted as libpq quotes tokens, bare when not short. */
static void
redact(struct strbuf *msg, const char *conninfo)
{
	struct redaction r;
	struct strbuf quoted = STRBUF_INIT;

	redaction_init(&r, conninfo);
	if (*conninfo != '\0')
		strbuf_replace_all(msg, conninfo, r.url.buf);
	for (size_t i = 0; i < r.secrets.nr; i++) {
		strbuf_reset(&quoted);
		strbuf_addf(&quoted, "\"%s\"", r.secrets.v[i]);
		strbuf_replace_all(msg, quoted.buf, "\"***\"");
		if (strlen(r.secrets.v[i]) >= SECRET_BARE_MIN)
			strbuf_replace_all(msg, r.secrets.v[i], "***");
	}
	strbuf_release(&quoted);
	strbuf_release(&r.url);
	strvec_clear(&r.secrets);
}

/* Append "what: libpq's message", redacted, without its trailing newline. */
static void
pq_error(struct strbuf *err, const char *what, const char *msg, const char *conninfo)
{
	struct strbuf m = STRBUF_INIT;

	strbuf_addstr(&m, msg != NULL && *msg != '\0' ? msg : "out of memory");
	redact(&m, conninfo);
	strbuf_rtrim(&m);
	strbuf_addf(err, "%s: %s", what, m.buf);
	strbuf_release(&m);
}

/* --- environment and restore ---------------------------------------------- */

static PQconninfoOption *
parse_conninfo(const char *url, struct strbuf *err)
{
	PQconninfoOption *opts;
	char *msg = NULL;

	if ((opts = PQconninfoParse(url, &msg)) == NULL)
		pq_error(err, "invalid database url", msg, url);
	PQfreemem(msg);
	return opts;
}

int
pgscratch_env(const char *url, struct strvec *env, struct strbuf *err)
{
	PQconninfoOption *opts, *o;

	if ((opts = parse_conninfo(url, err)) == NULL)
		return -1;
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0' || o->envvar != NULL)
			continue;
		strbuf_addf(err,
		    "database url option '%s' cannot be passed to psql and pg_restore: "
		    "libpq has no environment variable for it",
		    o->keyword);
		PQconninfoFree(opts);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && *o->val != '\0')
			strvec_pushf(env, "%s=%s", o->envvar, o->val);
	PQconninfoFree(opts);
	return 0;
}

void
pgscratch_restore_argv(enum pg_backup_format fmt, const char *path, struct strvec *out)
{
	static const char *const psql[] = {
	    "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", NULL};
	static const char *const pg_restore[] = {"pg_restore", "--no-owner", "--no-privileges",
	    "--exit-on-error", "--single-transaction", "-d", "", NULL};

	if (fmt != PG_BACKUP_PLAIN && fmt != PG_BACKUP_CUSTOM)
		return;
	strvec_pushv(out, fmt == PG_BACKUP_PLAIN ? psql : pg_restore);
	/* "-f -" would read stdin, and pg_restore takes "-x" for an option */
	strvec_pushf(out, "%s%s", path[0] == '-' ? "./" : "", path);
}

/* --- reset ------------------------------------------------------------------ */

static void
notice_ignore(void *arg, const char *message)
{
	/* libpq's default prints NOTICEs ("drop cascades to ...") on stderr */
}

static PGconn *
reset_connect(const char *url, struct strbuf *err)
{
	/* later keywords win: the URL's own connect_timeout overrides the 10 s */
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *const vals[] = {"10", "sando", url, NULL};
	PQconninfoOption *opts;
	PGconn *conn;

	if ((opts = parse_conninfo(url, err)) == NULL)
		return NULL;
	PQconninfoFree(opts);
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		pq_error(err, "cannot connect to the scratch database",
		    conn != NULL ? PQerrorMessage(conn) : NULL, url);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_ignore, NULL);
	return conn;
}

/* Run sql; 0 when its (last) result has status want, else -1 with err. */
static int
exec_expect(PGconn *conn, const char *sql, ExecStatusType want, const char *url, struct strbuf *err)
{
	PGresult *res = PQexec(conn, sql);
	int rc = 0;

	if (PQresultStatus(res) != want) {
		pq_error(err, "cannot reset the scratch database", PQerrorMessage(conn), url);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Append "DROP SCHEMA ... CASCADE;" for each schema of res; 0 or -1 with err. */
static int
add_drops(PGconn *conn, PGresult *res, struct strbuf *sql, const char *url, struct strbuf *err)
{
	for (int i = 0; i < PQntuples(res); i++) {
		char *id =
		    PQescapeIdentifier(conn, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0));

		if (id == NULL) {
			pq_error(
			    err, "cannot reset the scratch database", PQerrorMessage(conn), url);
			return -1;
		}
		strbuf_addf(sql, "DROP SCHEMA %s CASCADE;\n", id);
		PQfreemem(id);
	}
	return 0;
}

static int
reset_schemas(PGconn *conn, const char *url, struct strbuf *err)
{
	struct strbuf sql = STRBUF_INIT;
	PGresult *res;
	int n = -1;

	if (exec_expect(conn, "SET lock_timeout = '60s'; BEGIN", PGRES_COMMAND_OK, url, err) == -1)
		return -1;
	res = PQexec(conn, list_schemas_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		pq_error(err, "cannot reset the scratch database", PQerrorMessage(conn), url);
	else if (add_drops(conn, res, &sql, url, err) == 0) {
		strbuf_addstr(&sql, "CREATE SCHEMA public;\nCOMMIT");
		if (exec_expect(conn, sql.buf, PGRES_COMMAND_OK, url, err) == 0)
			n = PQntuples(res);
	}
	PQclear(res);
	strbuf_release(&sql);
	return n;
}

int
pgscratch_reset(const char *url, struct strbuf *err)
{
	PGconn *conn = reset_connect(url, err);
	int n;

	if (conn == NULL)
		return -1;
	n = reset_schemas(conn, url, err);
	PQfinish(conn);
	return n;
}
