#include "daemon/deploy/node_ops.h"

#include <string.h>

#include "daemon/config.h"
#include "daemon/topology.h"

static const char probe_sh[] = "mkdir -p \"$1/releases\" || exit 1\n"
                               "[ -d \"$1/releases/$2\" ] && echo complete\n"
                               "readlink \"$1/current\" || true\n";

static const char swap_sh[] =
    "set -e\n"
    "cd \"$1\"\n"
    "if [ -z \"$2\" ]; then rm -f current current.new; exit 0; fi\n"
    "if [ -d \"releases/$2.partial\" ]; then\n"
    "  rm -rf \"releases/$2\"\n"
    "  mv -T \"releases/$2.partial\" \"releases/$2\"\n"
    "fi\n"
    "[ -d \"releases/$2\" ] || { echo \"no release '$2' on this node\" >&2; exit 3; }\n"
    "rm -f current.new\n"
    "ln -s \"releases/$2\" current.new\n"
    "mv -T current.new current\n";

static const char hash_sh[] = "cd \"$1\" && shift && exec sha256sum -z -- \"$@\"\n";

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
	struct strbuf line = STRBUF_INIT, login = STRBUF_INIT;

	if (n->transport == TRANSPORT_LOCAL) {
		strvec_pushv(out, argv);
		return;
	}
	strvec_push(out, "ssh");
	node_ssh_options(s, n, out);
	node_login(n, &login);
	strvec_push(out, login.buf);
	strvec_push(out, "--");
	node_shell_quote(argv, &line);
	strvec_push(out, line.buf);
	strbuf_release(&line);
	strbuf_release(&login);
}

void
node_probe_argv(const struct node_config *n, const char *version, struct strvec *out)
{
	strvec_pushv(
	    out, (const char *const[]){"sh", "-c", probe_sh, "sh", n->release_root, version, NULL});
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
	strvec_pushv(out, (const char *const[]){"sh", "-c", hash_sh, "sh", NULL});
	strvec_pushf(out, "%s/releases/%s", n->release_root, dir);
	strvec_pushv(out, (const char *const *)files->v);
}

void
node_swap_argv(const struct node_config *n, const char *version, struct strvec *out)
{
	strvec_pushv(out, (const char *const[]){"sh", "-c", swap_sh, "sh", n->release_root,
	                      version ? version : "", NULL});
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
