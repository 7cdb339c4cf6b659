-- 0005: promotes and rollbacks of a tier (one row each, the deploys rows are
-- their nodes), and the global freeze.

CREATE TABLE promotes (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('promote', 'rollback')),
	tier_id INTEGER NOT NULL REFERENCES tiers(id),
	version TEXT NOT NULL,
	from_version TEXT,
	hotfix INTEGER NOT NULL DEFAULT 0,
	actor TEXT NOT NULL,
	status TEXT CHECK (status IS NULL OR status IN ('ok', 'failed', 'interrupted')),
	error TEXT,
	log_ref TEXT,
	started_at TEXT NOT NULL,
	finished_at TEXT
) STRICT;
CREATE INDEX promotes_tier ON promotes(tier_id, id);

CREATE TABLE freeze (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	frozen INTEGER NOT NULL DEFAULT 0,
	reason TEXT,
	updated_at TEXT
) STRICT;
INSERT INTO freeze(id, frozen) VALUES (1, 0);
