/*
 * The backup routes: POST /backup/fetch, GET /backups and /backups/{id}.
 *
 * POST /backup/fetch takes no body (or {}); it refuses a topology without
 * [backup] (409 no_backup_configured), a source that backup_url_parse
 * refuses (400 invalid_backup_source, checked on every request: the
 * topology accepts any string) and a fetch already running (409
 * backup_running, naming it).  Otherwise it writes the row and an audit row
 * (backup_fetch) and answers 202 {"backup_id"}; the outcome comes as the
 * backup_fetched event and in the row.
 */
#include <stdlib.h>

#include "core/log.h"
#include "daemon/api.h"
#include "daemon/backup.h"
#include "daemon/store.h"

/* The configured source, parsed into u; 0, or -1 after answering. */
static int
configured_source(struct http_request *req, struct daemon *d, struct backup_url *u)
{
	struct strbuf why = STRBUF_INIT, red = STRBUF_INIT;
	int rc = -1;

	if (d->topo.backup_source == NULL || d->topo.backup_local_path == NULL) {
		http_respond_error(req, 409, "no_backup_configured",
		    "the topology '%s' has no [backup] source and local_path", d->topo.file);
	} else if (backup_url_parse(d->topo.backup_source, u, &why) == -1) {
		backup_url_redact(d->topo.backup_source, &red);
		http_respond_error(req, 400, "invalid_backup_source",
		    "[backup] source '%s' in '%s': %s", red.buf, d->topo.file, why.buf);
	} else {
		rc = 0;
	}
	strbuf_release(&why);
	strbuf_release(&red);
	return rc;
}

/* Record who started backup id in the audit log. */
static void
audit(struct daemon *d, const char *actor, int64_t id)
{
	struct strbuf src = STRBUF_INIT, err = STRBUF_INIT;
	json_t *detail;
	char *text;

	backup_url_redact(d->topo.backup_source, &src);
	detail = json_pack("{s:I, s:s, s:s}", "backup_id", (json_int_t)id, "source", src.buf,
	    "local_path", d->topo.backup_local_path);
	text = json_dumps(detail, JSON_COMPACT);
	if (store_audit(d->store, actor, "backup_fetch", NULL, text, &err) == -1)
		log_warnx("audit: %s", err.buf);
	free(text);
	json_decref(detail);
	strbuf_release(&src);
	strbuf_release(&err);
}

void
api_backup_fetch(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;
	struct backup_url u;
	const char *actor = req->identity ? req->identity : "local";
	int64_t id, running = 0;

	if (req->json && (!json_is_object(req->json) || json_object_size(req->json) > 0)) {
		http_respond_error(
		    req, 400, "bad_request", "POST /backup/fetch takes no body (or {})");
		return;
	}
	if (configured_source(req, d, &u) == -1)
		return;
	id = backup_fetch_start(d, &u, actor, &running, &err);
	if (id == 0)
		http_respond_error(req, 409, "backup_running", "backup fetch %lld is still running",
		    (long long)running);
	else if (id < 0)
		http_respond_error(req, 500, "internal", "cannot start the fetch: %s", err.buf);
	else {
		audit(d, actor, id);
		http_respond_json(req, 202, json_pack("{s:I}", "backup_id", (json_int_t)id));
	}
	backup_url_release(&u);
	strbuf_release(&err);
}

void
api_backups(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;

	api_respond_rows(req, store_backups_json(d->store, 0, 100, &err), &err, NULL);
	strbuf_release(&err);
}

void
api_backup_get(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct strbuf err = STRBUF_INIT;
	int64_t id = api_param_id(req, "id");

	if (id > 0)
		api_respond_rows(
		    req, store_backups_json(d->store, id, 1, &err), &err, "unknown_backup");
	strbuf_release(&err);
}
