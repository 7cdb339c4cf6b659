-- 0001: the core of the state store (DESIGN.md section 6).
-- Every table is STRICT; times are RFC 3339 UTC text; typed outcomes are JSON.

CREATE TABLE tiers (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	position INTEGER NOT NULL,          -- order in the topology file
	provisioned INTEGER NOT NULL DEFAULT 1,
	retired_at TEXT                      -- set when the tier left the topology
) STRICT;

CREATE TABLE nodes (
	id INTEGER PRIMARY KEY,
	tier_id INTEGER NOT NULL REFERENCES tiers(id),
	name TEXT NOT NULL UNIQUE,
	transport TEXT NOT NULL CHECK (transport IN ('local', 'ssh', 'agent')),
	target TEXT NOT NULL,
	release_root TEXT NOT NULL,
	current_version TEXT,
	previous_version TEXT,
	retired_at TEXT
) STRICT;

CREATE TABLE versions (
	id INTEGER PRIMARY KEY,
	version TEXT NOT NULL UNIQUE,        -- semver, possibly with +<short sha>
	sha TEXT NOT NULL CHECK (length(sha) = 40),
	bundle_digest TEXT,
	staged_at TEXT NOT NULL
) STRICT;

CREATE TABLE builds (
	id INTEGER PRIMARY KEY,
	sha TEXT NOT NULL CHECK (length(sha) = 40),
	status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'aborted', 'interrupted')),
	version TEXT,
	error TEXT,
	log_ref TEXT,
	requested_at TEXT NOT NULL,
	started_at TEXT,
	finished_at TEXT
) STRICT;

CREATE TABLE tier_state (
	tier_id INTEGER PRIMARY KEY REFERENCES tiers(id),
	current_version TEXT,
	previous_version TEXT,
	burn_in_started_at TEXT,
	frozen INTEGER NOT NULL DEFAULT 0,
	frozen_reason TEXT,
	lock_holder TEXT,                    -- "promote:12" while a promote/rollback runs
	lock_pid INTEGER,                    -- the daemon process that holds it
	lock_taken_at TEXT,
	updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE gate_runs (
	id INTEGER PRIMARY KEY,
	tier_id INTEGER NOT NULL REFERENCES tiers(id),
	version TEXT NOT NULL,
	gate TEXT NOT NULL,                  -- the gate's name in the topology
	kind TEXT NOT NULL,
	status TEXT CHECK (status IS NULL OR status IN ('passed', 'failed', 'blocked', 'interrupted')),
	outcome_json TEXT,
	log_ref TEXT,
	started_at TEXT NOT NULL,
	finished_at TEXT
) STRICT;
CREATE INDEX gate_runs_tier_version ON gate_runs(tier_id, version, gate);

CREATE TABLE deploys (
	id INTEGER PRIMARY KEY,
	promote_id INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('promote', 'rollback', 'revert')),
	tier_id INTEGER NOT NULL REFERENCES tiers(id),
	node_id INTEGER NOT NULL REFERENCES nodes(id),
	version TEXT NOT NULL,
	from_version TEXT,
	status TEXT CHECK (status IS NULL OR status IN ('ok', 'failed', 'reverted', 'interrupted')),
	outcome_json TEXT,
	log_ref TEXT,
	started_at TEXT NOT NULL,
	finished_at TEXT
) STRICT;
CREATE INDEX deploys_promote ON deploys(promote_id);

CREATE TABLE backups (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,
	local_path TEXT NOT NULL,
	status TEXT CHECK (status IS NULL OR status IN ('ok', 'failed', 'interrupted')),
	size_bytes INTEGER,
	sha256 TEXT,
	error TEXT,
	started_at TEXT NOT NULL,
	finished_at TEXT
) STRICT;
