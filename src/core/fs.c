#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "strbuf.h"
#include "xmalloc.h"

int
fs_mkdir_p(const char *path, mode_t mode)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	strbuf_addstr(&sb, path);
	for (size_t i = 1; i <= sb.len && rc == 0; i++) {
		if (i < sb.len && sb.buf[i] != '/')
			continue;
		sb.buf[i] = '\0';
		if (mkdir(sb.buf, mode) == -1 && errno != EEXIST)
			rc = -1;
		if (i < sb.len)
			sb.buf[i] = '/';
	}
	if (rc == 0) {
		struct stat st;

		if (stat(path, &st) == -1)
			rc = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
	}
	strbuf_release(&sb);
	return rc;
}

char *
fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
fs_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const char *p = data;

	if (fd == -1)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static int
fs_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

int
fs_remove_tree(const char *path)
{
	if (nftw(path, fs_remove_one, 32, FTW_DEPTH | FTW_PHYS) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

void
fs_log_line(const char *path, const char *fmt, va_list ap)
{
	struct strbuf line = STRBUF_INIT;
	int fd;

	strbuf_addstr(&line, "sando: ");
	strbuf_vaddf(&line, fmt, ap);
	strbuf_addch(&line, '\n');
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (write(fd, line.buf, line.len) < 0) {
			/* best effort: the log is for people, the state is in the store */
		}
		close(fd);
	}
	strbuf_release(&line);
}
