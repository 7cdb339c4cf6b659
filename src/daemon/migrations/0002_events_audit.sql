-- 0002: the persisted event stream (replay with ?since=) and the audit log.

CREATE TABLE events (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, -- strictly increasing, never reused
	ts TEXT NOT NULL,
	kind TEXT NOT NULL,
	body_json TEXT NOT NULL              -- the whole event object
) STRICT;

CREATE TABLE audit (
	id INTEGER PRIMARY KEY,
	ts TEXT NOT NULL,
	actor TEXT NOT NULL,                 -- token name, user, or "local"
	action TEXT NOT NULL,                -- promote, rollback, confirm, freeze, unlock, ...
	tier TEXT,
	detail_json TEXT
) STRICT;

-- the audit log is append-only
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
