/*
 * node_local.c: a local node's swap with system calls (node_local.h).
 */
#include "daemon/deploy/node_local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "daemon/topology.h"

struct local_swap {
	uv_work_t work;
	char *root;
	char *version;
	int publish;
	int rc;
	struct strbuf err;
	node_local_done_fn *done;
	void *arg;
};

static int
fail(struct strbuf *err, const char *what, const char *path)
{
	strbuf_addf(err, "%s '%s': %s", what, path, strerror(errno));
	return -1;
}

static int
not_dir(struct strbuf *err, const char *path)
{
	strbuf_addf(err, "no release '%s': not a directory", path);
	return -1;
}

/* Remove path; a missing one is fine. */
static int
remove_link(const char *path, struct strbuf *err)
{
	if (unlink(path) == -1 && errno != ENOENT)
		return fail(err, "cannot remove", path);
	return 0;
}

int
node_local_swap_now(const char *release_root, const char *version, int publish, struct strbuf *err)
{
	char *cur = xasprintf("%s/current", release_root);
	char *tmp = xasprintf("%s/current.new", release_root);
	char *rel = version ? xasprintf("%s/releases/%s", release_root, version) : NULL;
	char *partial = version ? xasprintf("%s.partial", rel) : NULL;
	char *target = version ? xasprintf("releases/%s", version) : NULL;
	struct stat st;
	int rc = 0;

	if (version == NULL)
		rc = remove_link(cur, err) == 0 ? remove_link(tmp, err) : -1;
	else if (publish && rename(partial, rel) == -1)
		rc = fail(err, "cannot publish", partial);
	else if (!publish && stat(rel, &st) == -1)
		rc = fail(err, "no release", rel);
	else if (!publish && !S_ISDIR(st.st_mode))
		rc = not_dir(err, rel);
	else if (remove_link(tmp, err) == -1)
		rc = -1;
	else if (symlink(target, tmp) == -1)
		rc = fail(err, "cannot create", tmp);
	else if (rename(tmp, cur) == -1)
		rc = fail(err, "cannot rename over", cur);
	free(cur);
	free(tmp);
	free(rel);
	free(partial);
	free(target);
	return rc;
}

static void
swap_work(uv_work_t *w)
{
	struct local_swap *s = w->data;

	s->rc = node_local_swap_now(s->root, s->version, s->publish, &s->err);
}

static void
swap_after(uv_work_t *w, int status)
{
	struct local_swap *s = w->data;

	if (status != 0 && s->err.len == 0) {
		s->rc = -1;
		strbuf_addf(&s->err, "swap not run: %s", uv_strerror(status));
	}
	s->done(s->arg, s->rc, s->err.buf);
	free(s->root);
	free(s->version);
	strbuf_release(&s->err);
	free(s);
}

void
node_local_swap(uv_loop_t *loop, const struct node_config *n, const char *version, int publish,
    node_local_done_fn *done, void *arg)
{
	struct local_swap *s = xcalloc(1, sizeof(*s));
	int rc;

	s->work.data = s;
	s->root = xstrdup(n->release_root);
	s->version = version ? xstrdup(version) : NULL;
	s->publish = publish;
	s->done = done;
	s->arg = arg;
	strbuf_init(&s->err, 0);
	if ((rc = uv_queue_work(loop, &s->work, swap_work, swap_after)) != 0) {
		/* only with a bad argument: report it like a failed swap */
		strbuf_addf(&s->err, "swap not run: %s", uv_strerror(rc));
		s->rc = -1;
		swap_after(&s->work, 0);
	}
}
