#include "daemon/deploy/node_ops.h"

#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/xmalloc.h"

#include "daemon/config.h"
#include "daemon/topology.h"

void
node_shell_quote(const char *const *argv, struct strbuf *out)
{
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strbuf_addch(out, ' ');
		strbuf_addch(out, '\'');
		for (const char *p = argv[i]; *p; p++) {
			if (*p == '\'')
				strbuf_addstr(out, "'\\''");
			else
				strbuf_addch(out, *p);
		}
		strbuf_addch(out, '\'');
	}
}

/* A ControlPath must fit a unix socket's 108 bytes, with the node's name
 * and the 17 characters ssh adds while it sets one up. */
#define NODE_CONTROL_DIR_MAX 80

void
node_ssh_init(struct node_ssh *s, const struct daemon_config *cfg, struct strbuf *dir)
{
	strbuf_release(dir);
	strbuf_addf(dir, "%s/ssh", cfg->workdir);
	fs_mkdir_p(dir->buf, 0700);
	s->cfg = cfg;
	s->control_dir = dir->len < NODE_CONTROL_DIR_MAX ? dir->buf : NULL;
}

void
node_ssh_options(const struct node_ssh *s, const struct node_config *n, struct strvec *out)
{
	strvec_pushv(
	    out, (const char *const[]){"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
	             "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15", NULL});
	strvec_pushf(out, "-p%d", n->ssh_port);
	if (s->cfg->ssh_key) {
		strvec_pushf(out, "-i%s", s->cfg->ssh_key);
		strvec_push(out, "-oIdentitiesOnly=yes");
	}
	if (s->cfg->ssh_known_hosts)
		strvec_pushf(out, "-oUserKnownHostsFile=%s", s->cfg->ssh_known_hosts);
	if (s->control_dir) {
		strvec_push(out, "-oControlMaster=auto");
		strvec_pushf(out, "-oControlPath=%s/%s", s->control_dir, n->name);
		strvec_push(out, "-oControlPersist=60");
	}
}

/* user@host for ssh and rsync. */
static void
node_login(const struct node_config *n, struct strbuf *out)
{
	if (n->ssh_user)
		strbuf_addf(out, "%s@", n->ssh_user);
	strbuf_addstr(out, n->ssh_host);
}

void
node_cmd(const struct node_ssh *s, const struct node_config *n, const char *const *argv,
    struct strvec *out)
{
	struct node_progs one = NODE_PROGS_INIT, cmds = NODE_PROGS_INIT;

	strvec_pushv(node_progs_add(&one), argv);
	node_progs_cmds(s, n, &one, &cmds);
	strvec_pushv(out, (const char *const *)cmds.v[0].v);
	node_progs_clear(&one);
	node_progs_clear(&cmds);
}

struct strvec *
node_progs_add(struct node_progs *p)
{
	if (p->nr == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 4;
		p->v = xreallocarray(p->v, p->alloc, sizeof(*p->v));
	}
	strvec_init(&p->v[p->nr]);
	return &p->v[p->nr++];
}

void
node_progs_clear(struct node_progs *p)
{
	for (size_t i = 0; i < p->nr; i++)
		strvec_clear(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->nr = p->alloc = 0;
}

void
node_progs_cmds(const struct node_ssh *s, const struct node_config *n, const struct node_progs *p,
    struct node_progs *out)
{
	struct strbuf line = STRBUF_INIT, login = STRBUF_INIT;
	struct strvec *ssh;

	node_progs_clear(out);
	if (n->transport == TRANSPORT_LOCAL) {
		for (size_t i = 0; i < p->nr; i++)
			strvec_pushv(node_progs_add(out), (const char *const *)p->v[i].v);
		return;
	}
	ssh = node_progs_add(out);
	strvec_push(ssh, "ssh");
	node_ssh_options(s, n, ssh);
	node_login(n, &login);
	strvec_push(ssh, login.buf);
	strvec_push(ssh, "--");
	for (size_t i = 0; i < p->nr; i++) {
		if (i)
			strbuf_addstr(&line, " && ");
		node_shell_quote((const char *const *)p->v[i].v, &line);
	}
	strvec_push(ssh, line.buf);
	strbuf_release(&line);
	strbuf_release(&login);
}

void
node_probe_progs(const struct node_config *n, struct node_progs *out)
{
	struct strvec *mk = node_progs_add(out), *find = node_progs_add(out);

	strvec_pushv(mk, (const char *const[]){"mkdir", "-p", "--", NULL});
	strvec_pushf(mk, "%s/releases", n->release_root);
	/* -H: a release_root that is itself a symlink is still listed */
	strvec_pushv(find, (const char *const[]){"find", "-H", n->release_root, NULL});
	strvec_pushf(find, "%s/releases", n->release_root);
	strvec_pushv(find, (const char *const[]){"-mindepth", "1", "-maxdepth", "1", "-printf",
	                       "%H\\0%f\\0%y\\0%l\\0", NULL});
}

/* The next NUL-terminated field of buf[*p..len) into *f; -1 when there is none. */
static int
listing_field(const char *buf, size_t len, size_t *p, const char **f)
{
	const char *nul = *p < len ? memchr(buf + *p, '\0', len - *p) : NULL;

	if (nul == NULL)
		return -1;
	*f = buf + *p;
	*p = (size_t)(nul - buf) + 1;
	return 0;
}

int
node_listing_parse(const struct node_config *n, const char *buf, size_t len, struct node_listing *l,
    struct strbuf *err)
{
	struct strbuf rel = STRBUF_INIT;
	const char *f[4];
	size_t p = 0;
	int rc = 0;

	l->current = NULL;
	strvec_init(&l->releases);
	strbuf_addf(&rel, "%s/releases", n->release_root);
	while (rc == 0 && p < len) {
		size_t at = p;

		for (int i = 0; i < 4 && rc == 0; i++)
			rc = listing_field(buf, len, &p, &f[i]);
		if (rc == -1) {
			strbuf_addf(err, "malformed listing of '%s': truncated record at byte %zu",
			    n->release_root, at);
			break;
		}
		if (strcmp(f[0], n->release_root) == 0 && strcmp(f[1], "current") == 0 &&
		    strcmp(f[2], "l") == 0) {
			free(l->current);
			l->current = xstrdup(f[3]);
		} else if (strcmp(f[0], rel.buf) == 0 && strcmp(f[2], "d") == 0) {
			strvec_push(&l->releases, f[1]);
		}
	}
	strbuf_release(&rel);
	if (rc == -1)
		node_listing_release(l);
	return rc;
}

void
node_listing_release(struct node_listing *l)
{
	free(l->current);
	l->current = NULL;
	strvec_clear(&l->releases);
}

int
node_listing_has(const struct node_listing *l, const char *name)
{
	for (size_t i = 0; i < l->releases.nr; i++)
		if (strcmp(l->releases.v[i], name) == 0)
			return 1;
	return 0;
}

const char *
node_listing_current(const struct node_listing *l)
{
	const char *v = l->current;

	if (v == NULL || strncmp(v, "releases/", 9) != 0 || v[9] == '\0' || strchr(v + 9, '/'))
		return NULL;
	return v + 9;
}

void
node_rsync_argv(const struct node_ssh *s, const struct node_config *n, const char *src_dir,
    const char *version, const char *link_dest, struct strvec *out)
{
	struct strbuf dest = STRBUF_INIT, e = STRBUF_INIT;
	struct strvec opts = STRVEC_INIT;

	strvec_pushv(
	    out, (const char *const[]){"rsync", "-a", "--delete", "--out-format=%n", NULL});
	if (link_dest)
		strvec_pushf(out, "--link-dest=../%s", link_dest);
	if (n->transport == TRANSPORT_SSH) {
		/* rsync splits -e on spaces: the options carry no spaces of their own */
		strvec_push(&opts, "ssh");
		node_ssh_options(s, n, &opts);
		for (size_t i = 0; i < opts.nr; i++)
			strbuf_addf(&e, "%s%s", i ? " " : "", opts.v[i]);
		strvec_push(out, "-e");
		strvec_push(out, e.buf);
		node_login(n, &dest);
		strbuf_addch(&dest, ':');
	}
	strvec_pushf(out, "%s/", src_dir);
	strbuf_addf(&dest, "%s/releases/%s.partial/", n->release_root, version);
	strvec_push(out, dest.buf);
	strbuf_release(&dest);
	strbuf_release(&e);
	strvec_clear(&opts);
}

void
node_list_argv(const struct node_config *n, const char *dir, struct strvec *out)
{
	strvec_push(out, "find");
	strvec_pushf(out, "%s/releases/%s", n->release_root, dir);
	strvec_pushv(
	    out, (const char *const[]){"-mindepth", "1", "-printf", "%y %m %s %P\\0%l\\0", NULL});
}

void
node_hash_argv(
    const struct node_config *n, const char *dir, const struct strvec *files, struct strvec *out)
{
	strvec_pushv(out, (const char *const[]){"sha256sum", "-z", "--", NULL});
	for (size_t i = 0; i < files->nr; i++)
		strvec_pushf(out, "%s/releases/%s/%s", n->release_root, dir, files->v[i]);
}

int
node_hash_relative(const struct node_config *n, const char *dir, const char *sums, size_t len,
    struct strbuf *out, struct strbuf *err)
{
	struct strbuf prefix = STRBUF_INIT;
	const char *rec, *name;
	size_t p = 0;
	int rc = 0;

	strbuf_addf(&prefix, "%s/releases/%s/", n->release_root, dir);
	while (rc == 0 && p < len) {
		size_t at = p;

		if (listing_field(sums, len, &p, &rec) == -1 ||
		    (name = strstr(rec, "  ")) == NULL ||
		    strncmp(name + 2, prefix.buf, prefix.len) != 0) {
			strbuf_addf(err, "malformed sha256sum output at byte %zu", at);
			rc = -1;
			break;
		}
		strbuf_add(out, rec, (size_t)(name + 2 - rec));
		strbuf_add(out, name + 2 + prefix.len, strlen(name + 2 + prefix.len) + 1);
	}
	strbuf_release(&prefix);
	return rc;
}

void
node_swap_progs(
    const struct node_config *n, const char *version, int publish, struct node_progs *out)
{
	const char *root = n->release_root;
	struct strvec *a = node_progs_add(out);

	if (version == NULL) {
		strvec_pushv(a, (const char *const[]){"rm", "-f", "--", NULL});
		strvec_pushf(a, "%s/current", root);
		strvec_pushf(a, "%s/current.new", root);
		return;
	}
	if (publish) {
		strvec_pushv(a, (const char *const[]){"mv", "-T", "--", NULL});
		strvec_pushf(a, "%s/releases/%s.partial", root, version);
	} else {
		strvec_pushv(a, (const char *const[]){"test", "-d", NULL});
	}
	strvec_pushf(a, "%s/releases/%s", root, version);
	a = node_progs_add(out);
	strvec_pushv(a, (const char *const[]){"ln", "-sfn", "--", NULL});
	strvec_pushf(a, "releases/%s", version);
	strvec_pushf(a, "%s/current.new", root);
	a = node_progs_add(out);
	strvec_pushv(a, (const char *const[]){"mv", "-T", "--", NULL});
	strvec_pushf(a, "%s/current.new", root);
	strvec_pushf(a, "%s/current", root);
}

void
node_prune_progs(const struct node_config *n, const struct strvec *drop, const struct strvec *aside,
    struct node_progs *out)
{
	const char *root = n->release_root;
	struct strvec *a;

	if (drop->nr) {
		a = node_progs_add(out);
		strvec_pushv(a, (const char *const[]){"rm", "-rf", "--", NULL});
		for (size_t i = 0; i < drop->nr; i++)
			strvec_pushf(a, "%s/releases/%s", root, drop->v[i]);
	}
	if (aside->nr == 0)
		return;
	a = node_progs_add(out);
	strvec_pushv(a, (const char *const[]){"mkdir", "-p", "--", NULL});
	strvec_pushf(a, "%s/failed", root);
	a = node_progs_add(out);
	strvec_pushv(a, (const char *const[]){"rm", "-rf", "--", NULL});
	for (size_t i = 0; i < aside->nr; i++)
		strvec_pushf(a, "%s/failed/%s", root, aside->v[i]);
	a = node_progs_add(out);
	strvec_pushv(a, (const char *const[]){"mv", "-t", NULL});
	strvec_pushf(a, "%s/failed", root);
	strvec_push(a, "--");
	for (size_t i = 0; i < aside->nr; i++)
		strvec_pushf(a, "%s/releases/%s", root, aside->v[i]);
}

void
node_health_argv(const char *url, int timeout_s, struct strvec *out)
{
	strvec_pushv(out,
	    (const char *const[]){"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", NULL});
	strvec_pushf(out, "-m%d", timeout_s);
	strvec_push(out, "--");
	strvec_push(out, url);
}
