/*
 * build_reap: at start-up, stop what a dead daemon's build left running.
 *
 * A sandod killed with SIGKILL cannot stop its build's process group; the
 * group's id was recorded in the builds row.  Before that row is marked
 * interrupted, the group is killed, but only if one of its processes still
 * works inside that build's worktree: a recycled process-group id belongs to
 * someone else and is left alone.
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "daemon/build.h"
#include "daemon/daemon.h"
#include "daemon/store.h"

/* The process group of /proc/<pid>/stat, or -1. */
static long
proc_pgrp(const char *pid)
{
	struct strbuf path = STRBUF_INIT, stat = STRBUF_INIT;
	const char *p;
	long pgrp = -1;
	char state;
	long ppid;

	strbuf_addf(&path, "/proc/%s/stat", pid);
	/* "pid (comm) state ppid pgrp ...": comm may hold spaces and ')' */
	if (strbuf_read_file(&stat, path.buf, 4096) == 0 && (p = strrchr(stat.buf, ')')) &&
	    sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3)
		pgrp = -1;
	strbuf_release(&path);
	strbuf_release(&stat);
	return pgrp;
}

/* Whether a process of group pgid has its working directory under dir. */
static int
group_works_in(long pgid, const char *dir)
{
	DIR *proc = opendir("/proc");
	struct strbuf link = STRBUF_INIT;
	struct dirent *de;
	char cwd[PATH_MAX];
	size_t n = strlen(dir);
	int found = 0;

	while (proc && !found && (de = readdir(proc)) != NULL) {
		ssize_t len;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || proc_pgrp(de->d_name) != pgid)
			continue;
		strbuf_reset(&link);
		strbuf_addf(&link, "/proc/%s/cwd", de->d_name);
		len = readlink(link.buf, cwd, sizeof(cwd) - 1);
		if (len > 0 && (size_t)len >= n && strncmp(cwd, dir, n) == 0 &&
		    (cwd[n] == '/' || (size_t)len == n))
			found = 1;
	}
	if (proc)
		closedir(proc);
	strbuf_release(&link);
	return found;
}

static void
reap_one(int64_t id, int64_t pgid, void *arg)
{
	struct daemon *d = arg;
	char *workdir = realpath(d->cfg.workdir, NULL);
	struct strbuf dir = STRBUF_INIT;

	strbuf_addf(&dir, "%s/build-%lld", workdir ? workdir : d->cfg.workdir, (long long)id);
	if (pgid > 1 && group_works_in((long)pgid, dir.buf)) {
		if (kill(-(pid_t)pgid, SIGKILL) == 0)
			log_warnx("killed process group %lld left running by build %lld of a "
			          "previous sandod",
			    (long long)pgid, (long long)id);
		else
			log_warn("cannot kill process group %lld of build %lld", (long long)pgid,
			    (long long)id);
	}
	free(workdir);
	strbuf_release(&dir);
}

int
build_reap_orphans(struct daemon *d, struct strbuf *err)
{
	return store_running_builds(d->store, reap_one, d, err);
}
