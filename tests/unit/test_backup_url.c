/*
 * backup_url: the strict parser of [backup] source URLs, their redaction and
 * the rsync argv built from them (backup.h).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/strvec.h"
#include "daemon/backup.h"
#include "daemon/config.h"

/* Parse url, expecting success. */
static void
parse_ok(const char *url, struct backup_url *u)
{
	struct strbuf err = STRBUF_INIT;

	cr_assert_eq(backup_url_parse(url, u, &err), 0, "'%s': %s", url, err.buf);
	strbuf_release(&err);
}

/* Parse url, expecting an error that contains want. */
static void
parse_bad(const char *url, const char *want)
{
	struct strbuf err = STRBUF_INIT;
	struct backup_url u;

	cr_assert_eq(backup_url_parse(url, &u, &err), -1, "'%s' was accepted", url);
	cr_assert(strstr(err.buf, want) != NULL, "'%s': '%s' lacks '%s'", url, err.buf, want);
	cr_assert_null(u.host);
	cr_assert_null(u.path);
	strbuf_release(&err);
}

Test(backup_url, file)
{
	struct backup_url u;

	parse_ok("file:///var/backups/latest.sql", &u);
	cr_assert_eq(u.scheme, BACKUP_FILE);
	cr_assert_str_eq(u.path, "/var/backups/latest.sql");
	cr_assert_null(u.host);
	backup_url_release(&u);
	parse_ok("file://localhost/b/2026-06-02T10:00:00.dump", &u);
	cr_assert_str_eq(u.path, "/b/2026-06-02T10:00:00.dump");
	backup_url_release(&u);
}

Test(backup_url, ssh)
{
	struct backup_url u;

	parse_ok("ssh://backup@db1:2222/var/backups/latest.sql", &u);
	cr_assert_eq(u.scheme, BACKUP_SSH);
	cr_assert_str_eq(u.user, "backup");
	cr_assert_str_eq(u.host, "db1");
	cr_assert_eq(u.port, 2222);
	cr_assert_str_eq(u.path, "/var/backups/latest.sql");
	backup_url_release(&u);
	parse_ok("ssh://[::1]/x.sql", &u);
	cr_assert_str_eq(u.host, "::1");
	cr_assert_null(u.user);
	cr_assert_eq(u.port, 0);
	backup_url_release(&u);
}

Test(backup_url, rsync)
{
	struct backup_url u;

	parse_ok("rsync://bk:s3cret@127.0.0.1:8873/dumps/db/latest.sql", &u);
	cr_assert_eq(u.scheme, BACKUP_RSYNC);
	cr_assert_str_eq(u.user, "bk");
	cr_assert_str_eq(u.password, "s3cret");
	cr_assert_str_eq(u.host, "127.0.0.1");
	cr_assert_eq(u.port, 8873);
	cr_assert_str_eq(u.path, "dumps/db/latest.sql");
	backup_url_release(&u);
}

Test(backup_url, refused)
{
	parse_bad("ftp://x/y", "unknown scheme 'ftp'");
	parse_bad("FILE:///x", "unknown scheme");
	parse_bad("/var/backups/x.sql", "not a URL");
	parse_bad("", "1-4096 bytes");
	parse_bad("ssh://-oProxyCommand=x/y", "host '-oProxyCommand=x'");
	parse_bad("ssh://-oProxyCommand=x@h/y", "user '-oProxyCommand=x'");
	parse_bad("file://relative", "file:///path");
	parse_bad("file://host/x", "not host 'host'");
	parse_bad("ssh://u@h:99999/p", "port '99999' is not 1-65535");
	parse_bad("ssh://u@h:0/p", "port '0'");
	parse_bad("ssh://u@h:/p", "port ''");
	parse_bad("ssh://u@h:22x/p", "port '22x'");
	parse_bad("rsync://h/../etc", "'..' segment");
	parse_bad("rsync://h/mod", "module and a file");
	parse_bad("rsync://h/mod/", "empty segment");
	parse_bad("ssh://h/a//b", "empty segment");
	parse_bad("ssh://h/a/./b", "'.' or '..'");
	parse_bad("ssh://h/a/-rf", "starting with '-'");
	parse_bad("ssh://h", "no absolute path");
	parse_bad("ssh:///x", "no host");
	parse_bad("ssh://u:pw@h/x", "no password");
	parse_bad("ssh://h/a b", "space");
	parse_bad("ssh://h/a\nb", "control character");
	parse_bad("ssh://h/a\x7f", "control character");
	parse_bad("ssh://h/caf\xc3\xa9", "non-ASCII");
	parse_bad("ssh://h/a%2e%2e/b", "percent-encoding");
	parse_bad("ssh://h/a?x=1", "query");
	parse_bad("ssh://h/a;reboot", "character ';'");
	parse_bad("ssh://h/a$(id)", "character '$'");
	parse_bad("ssh://h/`id`", "character '`'");
	parse_bad("ssh://.h/x", "host '.h'");
	parse_bad("ssh://h_x/x", "host 'h_x'");
	parse_bad("ssh://[zz]/x", "IPv6");
	parse_bad("ssh://[::1]x/y", "after the host");
	parse_bad("rsync://u@@h/m/f", "user 'u@'");
}

Test(backup_url, redact)
{
	struct strbuf out = STRBUF_INIT;

	backup_url_redact("rsync://bk:s3cret@h:873/m/f", &out);
	cr_assert_str_eq(out.buf, "rsync://bk:***@h:873/m/f");
	strbuf_reset(&out);
	backup_url_redact("ssh://u@h:22/p:x@y", &out);
	cr_assert_str_eq(out.buf, "ssh://u@h:22/p:x@y");
	strbuf_reset(&out);
	backup_url_redact("file:///a:b@c", &out);
	cr_assert_str_eq(out.buf, "file:///a:b@c");
	strbuf_release(&out);
}

/* argv of url to "/d/b.partial" joined by '|'. */
static void
argv_of(const char *url, const struct daemon_config *cfg, struct strbuf *out)
{
	struct backup_url u;
	struct strvec argv = STRVEC_INIT;

	parse_ok(url, &u);
	backup_rsync_argv(&u, cfg, "/d/b.partial", &argv);
	for (size_t i = 0; i < argv.nr; i++)
		strbuf_addf(out, "%s%s", i ? "|" : "", argv.v[i]);
	strvec_clear(&argv);
	backup_url_release(&u);
}

Test(backup_url, argv)
{
	struct daemon_config cfg;
	struct strbuf out = STRBUF_INIT;
	const char *common = "rsync|-t|-L|--inplace|--chmod=F0640|--timeout=600|";

	memset(&cfg, 0, sizeof(cfg));
	argv_of("file:///a/b.sql", &cfg, &out);
	cr_assert(strncmp(out.buf, common, strlen(common)) == 0, "%s", out.buf);
	cr_assert(strstr(out.buf, "|--|/a/b.sql|/d/b.partial") != NULL, "%s", out.buf);
	strbuf_reset(&out);
	argv_of("rsync://bk:pw@[::1]:8873/m/f.sql", &cfg, &out);
	cr_assert(strstr(out.buf, "|--contimeout=10|--|rsync://bk@[::1]:8873/m/f.sql|/d/b.partial"),
	    "%s", out.buf);
	cr_assert_null(strstr(out.buf, "pw"), "%s", out.buf);
	strbuf_reset(&out);
	cfg.ssh_key = "/k/my key";
	cfg.ssh_known_hosts = "/k/known_hosts";
	argv_of("ssh://u@h:2222/p/x.sql", &cfg, &out);
	cr_assert(strstr(out.buf, "|-e|ssh -o BatchMode=yes -o StrictHostKeyChecking=yes") != NULL,
	    "%s", out.buf);
	cr_assert(strstr(out.buf, " -p2222 '-i/k/my key' -oIdentitiesOnly=yes "
	                          "-oUserKnownHostsFile=/k/known_hosts|") != NULL,
	    "%s", out.buf);
	cr_assert(strstr(out.buf, "|--|u@h:/p/x.sql|/d/b.partial") != NULL, "%s", out.buf);
	strbuf_release(&out);
}
