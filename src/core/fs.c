#include "fs.h"

#include <errno.h>
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
