/*
 * pgscratch: backup format detection, the libpq environment of a URL (and
 * errors that never show its password), the restore argv.  pgscratch_reset
 * needs a server: the system tests cover it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/strvec.h"
#include "daemon/pgscratch.h"

static char tmpdir[] = "/tmp/sando-test-pgscratch-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd[] = {"rm", "-rf", tmpdir, NULL};
	pid_t pid = fork();

	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

/* Write len bytes of data to tmpdir/name; the path (caller frees). */
static char *
write_file(const char *name, const void *data, size_t len)
{
	char *path = NULL;
	FILE *f;

	cr_assert(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static enum pg_backup_format
format_of(const char *name, const char *data, size_t len)
{
	char *path = write_file(name, data, len);
	enum pg_backup_format fmt = pgscratch_backup_format(path);

	free(path);
	return fmt;
}

TestSuite(pgscratch, .init = setup, .fini = teardown);

Test(pgscratch, backup_format_missing_and_empty)
{
	char *path = NULL;

	cr_assert(asprintf(&path, "%s/nope.sql", tmpdir) > 0);
	cr_assert_eq(pgscratch_backup_format(path), PG_BACKUP_MISSING);
	free(path);
	cr_assert(asprintf(&path, "%s/nope/below.sql", tmpdir) > 0);
	cr_assert_eq(pgscratch_backup_format(path), PG_BACKUP_MISSING);
	free(path);
	cr_assert_eq(format_of("empty.sql", "", 0), PG_BACKUP_EMPTY);
}

Test(pgscratch, backup_format_plain_and_custom)
{
	static const char custom[] = "PGDMP\x01\x0e\x00\x04\x08\x01\x01";

	cr_assert_eq(format_of("a.sql", "--\n-- PostgreSQL database dump\n", 31), PG_BACKUP_PLAIN);
	cr_assert_eq(format_of("b.sql", "\n", 1), PG_BACKUP_PLAIN);
	/* shorter than the magic, or almost the magic: plain */
	cr_assert_eq(format_of("c.sql", "PGDM", 4), PG_BACKUP_PLAIN);
	cr_assert_eq(format_of("d.sql", "PGDMq", 5), PG_BACKUP_PLAIN);
	cr_assert_eq(format_of("e.sql", "pgdmp", 5), PG_BACKUP_PLAIN);
	cr_assert_eq(format_of("f.dump", custom, sizeof custom - 1), PG_BACKUP_CUSTOM);
	cr_assert_eq(format_of("g.dump", "PGDMP", 5), PG_BACKUP_CUSTOM);
}

Test(pgscratch, backup_format_unreadable)
{
	char *path = NULL;

	/* a directory, a FIFO (never opened for a blocking read) */
	cr_assert_eq(pgscratch_backup_format(tmpdir), PG_BACKUP_UNREADABLE);
	cr_assert(asprintf(&path, "%s/fifo", tmpdir) > 0);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(pgscratch_backup_format(path), PG_BACKUP_UNREADABLE);
	free(path);
	/* a file without read permission (root reads it anyway) */
	path = write_file("secret.sql", "SELECT 1;\n", 10);
	cr_assert_eq(chmod(path, 0), 0);
	if (geteuid() != 0)
		cr_assert_eq(pgscratch_backup_format(path), PG_BACKUP_UNREADABLE);
	free(path);
}

/* env of url, joined with '\n'. */
static char *
env_of(const char *url)
{
	struct strvec env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	cr_assert_eq(pgscratch_env(url, &env, &err), 0, "'%s': %s", url, err.buf);
	cr_assert_eq(err.len, 0);
	for (size_t i = 0; i < env.nr; i++)
		strbuf_addf(&out, "%s%s", i ? "\n" : "", env.v[i]);
	strvec_clear(&env);
	return strbuf_detach(&out, NULL);
}

Test(pgscratch, env_from_url)
{
	char *env = env_of("postgresql://u:p@h:5432/db?sslmode=disable");

	cr_assert_str_eq(env, "PGUSER=u\nPGPASSWORD=p\nPGDATABASE=db\nPGHOST=h\nPGPORT=5432\n"
	                      "PGSSLMODE=disable");
	free(env);
	env = env_of("postgres://127.0.0.1/scratch");
	cr_assert_str_eq(env, "PGDATABASE=scratch\nPGHOST=127.0.0.1");
	free(env);
}

Test(pgscratch, env_from_conninfo)
{
	char *env = env_of("host=db.example port = 6543 dbname=scratch user=sando "
	                   "password='it\\'s a \\\\q' application_name=dry");

	cr_assert_str_eq(env, "PGUSER=sando\nPGPASSWORD=it's a \\q\nPGDATABASE=scratch\n"
	                      "PGHOST=db.example\nPGPORT=6543\nPGAPPNAME=dry");
	free(env);
}

Test(pgscratch, env_decodes_percent_encoded_password)
{
	char *env = env_of("postgresql://sando:p%40ss%2Fw%20rd%3A@[::1]:5433/db%20x");

	cr_assert_str_eq(
	    env, "PGUSER=sando\nPGPASSWORD=p@ss/w rd:\nPGDATABASE=db x\nPGHOST=::1\nPGPORT=5433");
	free(env);
}

Test(pgscratch, env_appends)
{
	struct strvec env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;

	strvec_push(&env, "PATH=/usr/bin:/bin");
	cr_assert_eq(pgscratch_env("postgresql:///db", &env, &err), 0);
	cr_assert_eq(env.nr, 2);
	cr_assert_str_eq(env.v[0], "PATH=/usr/bin:/bin");
	cr_assert_str_eq(env.v[1], "PGDATABASE=db");
	cr_assert_null(env.v[2]);
	strvec_clear(&env);
}

/* url is refused with a message containing want and none of the secrets. */
static void
env_error(const char *url, const char *want, const char *const *secrets)
{
	struct strvec env = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(pgscratch_env(url, &env, &err), -1, "accepted '%s'", url);
	cr_assert_eq(env.nr, 0);
	cr_assert_not_null(strstr(err.buf, want), "'%s' gave '%s'", url, err.buf);
	for (; *secrets != NULL; secrets++)
		cr_assert_null(strstr(err.buf, *secrets), "'%s' leaked: '%s'", url, err.buf);
	cr_assert_neq(err.buf[err.len - 1], '\n');
	strbuf_release(&err);
}

Test(pgscratch, env_errors_never_show_the_password)
{
	env_error("postgresql://u:s3cretpw@[::1/db",
	    "invalid database url: ", (const char *[]){"s3cretpw", NULL});
	env_error("postgresql://u:s3cretpw@[::1/db", "postgresql://u:***@[::1/db",
	    (const char *[]){"s3cretpw", NULL});
	env_error("postgresql://u:s3c%zzret@h/db", "invalid percent-encoded token: \"***\"",
	    (const char *[]){"s3c", "ret", NULL});
	env_error(
	    "postgresql://u:pw@h/db?password=s3cr%zz", "\"***\"", (const char *[]){"s3cr", NULL});
	env_error("postgresql://u:s3cretpw@h/db?sslmod=disable", "invalid URI query parameter",
	    (const char *[]){"s3cretpw", NULL});
	env_error("postgresql://u:ab@h:5432x/db?x", "\"x\"", (const char *[]){":ab@", NULL});
	env_error("host=h password=sec ret", "missing \"=\" after \"***\"",
	    (const char *[]){"sec", "ret", NULL});
	env_error("host=h password=a b=c", "invalid connection option", (const char *[]){NULL});
	env_error("host=h password='s3cret", "unterminated quoted string",
	    (const char *[]){"s3cret", NULL});
}

Test(pgscratch, env_refuses_options_without_environment_variable)
{
	env_error("postgresql://u:s3cretpw@h/db?keepalives=0", "'keepalives'",
	    (const char *[]){"s3cretpw", NULL});
	env_error("host=h sslpassword=k3ypass", "'sslpassword'", (const char *[]){"k3ypass", NULL});
}

/* The restore argv of fmt and path, joined with ' ' and empty strings as ''. */
static char *
argv_of(enum pg_backup_format fmt, const char *path)
{
	struct strvec argv = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT;

	pgscratch_restore_argv(fmt, path, &argv);
	for (size_t i = 0; i < argv.nr; i++)
		strbuf_addf(&out, "%s%s", i ? " " : "", *argv.v[i] ? argv.v[i] : "''");
	cr_assert_null(argv.v[argv.nr]);
	strvec_clear(&argv);
	return strbuf_detach(&out, NULL);
}

Test(pgscratch, restore_argv)
{
	char *a = argv_of(PG_BACKUP_PLAIN, "/srv/sando/backup.sql");

	cr_assert_str_eq(
	    a, "psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f /srv/sando/backup.sql");
	free(a);
	a = argv_of(PG_BACKUP_CUSTOM, "/srv/sando/backup.dump");
	cr_assert_str_eq(a, "pg_restore --no-owner --no-privileges --exit-on-error "
	                    "--single-transaction -d '' /srv/sando/backup.dump");
	free(a);
	a = argv_of(PG_BACKUP_CUSTOM, "-x.dump");
	cr_assert_str_eq(a, "pg_restore --no-owner --no-privileges --exit-on-error "
	                    "--single-transaction -d '' ./-x.dump");
	free(a);
	a = argv_of(PG_BACKUP_PLAIN, "-");
	cr_assert_str_eq(a, "psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f ./-");
	free(a);
}

Test(pgscratch, restore_argv_of_no_backup_is_empty)
{
	enum pg_backup_format none[] = {PG_BACKUP_MISSING, PG_BACKUP_EMPTY, PG_BACKUP_UNREADABLE};

	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		char *a = argv_of(none[i], "/x.sql");

		cr_assert_str_eq(a, "");
		free(a);
	}
}
