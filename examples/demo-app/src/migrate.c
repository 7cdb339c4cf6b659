/* migrate.c - `demo-app migrate` through psql; see migrate.h. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIGRATIONS_DIR "migrations"
#define CAPTURE_MAX (1024 * 1024) /* per stream; the rest of a chatty psql is dropped */

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS _demo_migrations (version text PRIMARY KEY, checksum text)";
static const char select_sql[] = "SELECT version, checksum FROM _demo_migrations ORDER BY version";

struct capture {
	char *data; /* NUL-terminated */
	size_t len;
};

static void
capture_append(struct capture *c, const char *p, size_t n)
{
	char *grown;

	if (n > CAPTURE_MAX - c->len)
		n = CAPTURE_MAX - c->len;
	if ((grown = realloc(c->data, c->len + n + 1)) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		abort();
	}
	c->data = grown;
	memcpy(c->data + c->len, p, n);
	c->len += n;
	c->data[c->len] = '\0';
}

static void
capture_clear(struct capture *c)
{
	free(c->data);
	c->data = NULL;
	c->len = 0;
	capture_append(c, "", 0);
}

/* The child: stdin from /dev/null, stdout and stderr into the pipes, then exec. */
static void
child_exec(char *const argv[], int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execvp(argv[0], argv);
	dprintf(2, "error: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Run argv (no shell), capturing stdout and stderr; its exit status, 128+signal, or -1. */
static int
run_capture(char *const argv[], struct capture *out, struct capture *err)
{
	int po[2], pe[2], status, i, open_fds = 2;
	struct pollfd pfd[2];
	struct capture *dst[2] = {out, err};
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (pipe(po) < 0)
		return -1;
	if (pipe(pe) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(po[0]);
		close(pe[0]);
		child_exec(argv, po[1], pe[1]);
	}
	close(po[1]);
	close(pe[1]);
	pfd[0] = (struct pollfd){.fd = po[0], .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = pe[0], .events = POLLIN};
	while (pid > 0 && open_fds > 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if ((n = read(pfd[i].fd, buf, sizeof buf)) > 0) {
				capture_append(dst[i], buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* psql with the common options, then extra (NULL-terminated, at most 12). */
static int
psql(const char *url, const char *const extra[], struct capture *out, struct capture *err)
{
	const char *argv[24] = {"psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "-v",
	    "VERBOSITY=verbose", "-d", url};
	size_t n = 9;

	while (*extra != NULL && n < sizeof argv / sizeof argv[0] - 1)
		argv[n++] = *extra++;
	argv[n] = NULL;
	capture_clear(out);
	capture_clear(err);
	return run_capture((char *const *)argv, out, err);
}

int
migrate_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (len <= 4 || len - 4 >= MIGRATE_VERSION_MAX || strcmp(name + len - 4, ".sql") != 0 ||
	    name[0] < '0' || name[0] > '9')
		return 0;
	for (i = 0; i < len - 4; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'z') ||
		        (name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

static int
migration_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct migration *)a)->version, ((const struct migration *)b)->version);
}

/* Read dir's migration file names into *out; the count, or -1. */
static int
list_names(const char *dir, struct migration **out)
{
	struct migration *m = NULL, *grown;
	struct dirent *de;
	DIR *d;
	int n = 0;
	size_t len;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "error: cannot open '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if (!migrate_name_ok(de->d_name)) {
			fprintf(stderr, "error: invalid migration file name '%s'\n", de->d_name);
			goto fail;
		}
		if ((grown = realloc(m, (size_t)(n + 1) * sizeof *m)) == NULL) {
			fprintf(stderr, "error: out of memory\n");
			goto fail;
		}
		m = grown;
		snprintf(m[n].version, sizeof m[n].version, "%.*s", (int)(len - 4), de->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(m, (size_t)n, sizeof *m, migration_cmp);
	*out = m;
	return n;
fail:
	closedir(d);
	free(m);
	return -1;
}

int
migrate_list(const char *dir, struct migration **out)
{
	char path[4096];
	int i, n;

	*out = NULL;
	if ((n = list_names(dir, out)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s.sql", dir, (*out)[i].version);
		if (sha256_file(path, (*out)[i].checksum) < 0) {
			fprintf(stderr, "error: cannot read '%s': %s\n", path, strerror(errno));
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	return n;
}

int
migrate_applied_checksum(const char *rows, const char *version, char checksum[SHA256_HEX_LEN + 1])
{
	size_t vlen = strlen(version), clen;
	const char *line, *eol;

	for (line = rows; *line != '\0'; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		if (strncmp(line, version, vlen) != 0 || line[vlen] != '|')
			continue;
		clen = (size_t)(eol - (line + vlen + 1));
		checksum[0] = '\0'; /* a malformed stored checksum never matches */
		if (clen == SHA256_HEX_LEN)
			snprintf(checksum, SHA256_HEX_LEN + 1, "%.*s", (int)clen, line + vlen + 1);
		return 1;
	}
	return 0;
}

/* Apply one migration and record it, in one transaction; 0, or 2 after printing psql's stderr. */
static int
apply_one(const char *url, const struct migration *m, struct capture *out, struct capture *err)
{
	char path[MIGRATE_VERSION_MAX + 32], insert[512];
	const char *extra[] = {"--single-transaction", "-f", path, "-c", insert, NULL};

	/* version and checksum are [A-Za-z0-9_-] and hex: safe inside quotes. */
	snprintf(path, sizeof path, "%s/%s.sql", MIGRATIONS_DIR, m->version);
	snprintf(insert, sizeof insert,
	    "INSERT INTO _demo_migrations (version, checksum) VALUES ('%s', '%s')", m->version,
	    m->checksum);
	if (psql(url, extra, out, err) != 0) {
		fprintf(stderr, "error: migration %s failed\n%s", m->version, err->data);
		return 2;
	}
	printf("migration %s applied\n", m->version);
	return 0;
}

int
migrate_main(void)
{
	const char *url = getenv("DATABASE_URL");
	const char *prepare[] = {
	    "--no-align", "--tuples-only", "-c", create_sql, "-c", select_sql, NULL};
	struct capture rows = {0}, out = {0}, err = {0};
	struct migration *m;
	char stored[SHA256_HEX_LEN + 1];
	int i, n, rc = 2, applied = 0;

	if (url == NULL || *url == '\0') {
		fprintf(stderr, "error: DATABASE_URL is not set\n");
		return 2;
	}
	if ((n = migrate_list(MIGRATIONS_DIR, &m)) < 0)
		return 2;
	if (psql(url, prepare, &rows, &err) != 0) {
		fprintf(stderr, "error: cannot read _demo_migrations\n%s", err.data);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (migrate_applied_checksum(rows.data, m[i].version, stored) &&
		    strcmp(stored, m[i].checksum) != 0) {
			fprintf(stderr, "error: migration %s was modified after it was applied\n",
			    m[i].version);
			rc = 3;
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		if (migrate_applied_checksum(rows.data, m[i].version, stored))
			continue;
		if (apply_one(url, &m[i], &out, &err) != 0)
			goto done;
		applied++;
	}
	printf("applied %d migrations\n", applied);
	rc = 0;
done:
	free(m);
	free(rows.data);
	free(out.data);
	free(err.data);
	return rc;
}
