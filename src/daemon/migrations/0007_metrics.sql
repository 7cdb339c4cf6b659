-- 0007: GET /metrics reads running totals instead of scanning the history.
--
-- metric_sums holds, per family and group, how many finished rows count (n)
-- and, for the duration histograms, their seconds (sum) and how many took at
-- most 1, 5, 15, 30, 60, 120, 300, 600, 1800 and 3600 seconds (b0..b9: the
-- bounds of store_metrics_bounds in store_metrics.c; changing them takes a
-- migration).  Triggers keep it in step with every write to builds,
-- gate_runs, deploys and promotes, whoever makes it: a row's contribution is
-- taken away before it changes and added back after.  What a row contributes
-- is defined once, by the *_metric_rows views.  Groups: tier_id 0 for none,
-- '' for an absent label; a group whose n fell back to 0 stays, unread.
--
-- promote_dora holds what DORA needs of each finished promote and rollback
-- (one row per promotes row that counts, kept by triggers the same way), so
-- that the figures of a time window are one indexed aggregate.

CREATE TABLE metric_sums (
	family TEXT NOT NULL,
	tier_id INTEGER NOT NULL,
	l1 TEXT NOT NULL,
	l2 TEXT NOT NULL,
	n INTEGER NOT NULL,
	sum INTEGER NOT NULL,
	b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL, b3 INTEGER NOT NULL,
	b4 INTEGER NOT NULL, b5 INTEGER NOT NULL, b6 INTEGER NOT NULL, b7 INTEGER NOT NULL,
	b8 INTEGER NOT NULL, b9 INTEGER NOT NULL,
	PRIMARY KEY (family, tier_id, l1, l2)
) STRICT, WITHOUT ROWID;

-- Write-only: inserting (family, tier_id, l1, l2, sign, dur) adds (sign 1)
-- or takes away (sign -1) one row of the group, observing dur seconds unless
-- dur is NULL.
CREATE VIEW metric_delta(family, tier_id, l1, l2, sign, dur) AS
	SELECT NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER metric_delta_insert INSTEAD OF INSERT ON metric_delta
BEGIN
	INSERT INTO metric_sums VALUES (NEW.family, NEW.tier_id, NEW.l1, NEW.l2, NEW.sign,
		coalesce(NEW.sign * NEW.dur, 0),
		coalesce(NEW.sign * (NEW.dur <= 1), 0), coalesce(NEW.sign * (NEW.dur <= 5), 0),
		coalesce(NEW.sign * (NEW.dur <= 15), 0), coalesce(NEW.sign * (NEW.dur <= 30), 0),
		coalesce(NEW.sign * (NEW.dur <= 60), 0), coalesce(NEW.sign * (NEW.dur <= 120), 0),
		coalesce(NEW.sign * (NEW.dur <= 300), 0), coalesce(NEW.sign * (NEW.dur <= 600), 0),
		coalesce(NEW.sign * (NEW.dur <= 1800), 0), coalesce(NEW.sign * (NEW.dur <= 3600), 0))
	ON CONFLICT DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
		b0 = b0 + excluded.b0, b1 = b1 + excluded.b1, b2 = b2 + excluded.b2,
		b3 = b3 + excluded.b3, b4 = b4 + excluded.b4, b5 = b5 + excluded.b5,
		b6 = b6 + excluded.b6, b7 = b7 + excluded.b7, b8 = b8 + excluded.b8,
		b9 = b9 + excluded.b9;
END;

-- Finished builds by status; durations of ok and failed ones.
CREATE VIEW builds_metric_rows(id, family, tier_id, l1, l2, dur) AS
	SELECT id, 'builds', 0, status, '', NULL FROM builds WHERE status != 'running'
	UNION ALL
	SELECT id, 'build_seconds', 0, '', '', unixepoch(finished_at) - unixepoch(started_at)
	FROM builds WHERE status IN ('ok', 'failed') AND unixepoch(started_at) IS NOT NULL
		AND unixepoch(finished_at) IS NOT NULL;

-- Finished gate runs by tier, gate, status; durations of passed and failed
-- runs of automated gates by tier, gate.
CREATE VIEW gate_runs_metric_rows(id, family, tier_id, l1, l2, dur) AS
	SELECT id, 'gate_runs', tier_id, gate, status, NULL FROM gate_runs WHERE status IS NOT NULL
	UNION ALL
	SELECT id, 'gate_run_seconds', tier_id, gate, '',
		unixepoch(finished_at) - unixepoch(started_at)
	FROM gate_runs WHERE status IN ('passed', 'failed')
		AND kind NOT IN ('burn_in', 'manual_confirm') AND unixepoch(started_at) IS NOT NULL
		AND unixepoch(finished_at) IS NOT NULL;

-- Finished deploys by tier, status and (failed ones) their failure's kind.
CREATE VIEW deploys_metric_rows(id, family, tier_id, l1, l2, dur) AS
	SELECT id, 'deploys', tier_id, status,
		coalesce(CASE WHEN status = 'failed' AND json_valid(outcome_json)
			THEN CAST(json_extract(outcome_json, '$.failure.kind') AS TEXT) END, ''), NULL
	FROM deploys WHERE status IS NOT NULL;

-- Finished rollbacks by tier, status; durations of successful promotes by tier.
CREATE VIEW promotes_metric_rows(id, family, tier_id, l1, l2, dur) AS
	SELECT id, 'rollbacks', tier_id, status, '', NULL FROM promotes
	WHERE kind = 'rollback' AND status IS NOT NULL
	UNION ALL
	SELECT id, 'promote_seconds', tier_id, '', '', unixepoch(finished_at) - unixepoch(started_at)
	FROM promotes WHERE kind = 'promote' AND status = 'ok' AND unixepoch(started_at) IS NOT NULL
		AND unixepoch(finished_at) IS NOT NULL;

-- The history so far.
INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur FROM builds_metric_rows;
INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur FROM gate_runs_metric_rows;
INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur FROM deploys_metric_rows;
INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur FROM promotes_metric_rows;

CREATE TRIGGER builds_metrics_insert AFTER INSERT ON builds BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM builds_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER builds_metrics_unsay BEFORE UPDATE OF status, started_at, finished_at ON builds
BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM builds_metric_rows WHERE id = OLD.id;
END;
CREATE TRIGGER builds_metrics_say AFTER UPDATE OF status, started_at, finished_at ON builds
BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM builds_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER builds_metrics_delete BEFORE DELETE ON builds BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM builds_metric_rows WHERE id = OLD.id;
END;

CREATE TRIGGER gate_runs_metrics_insert AFTER INSERT ON gate_runs BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM gate_runs_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER gate_runs_metrics_unsay
BEFORE UPDATE OF tier_id, gate, kind, status, started_at, finished_at ON gate_runs BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM gate_runs_metric_rows WHERE id = OLD.id;
END;
CREATE TRIGGER gate_runs_metrics_say
AFTER UPDATE OF tier_id, gate, kind, status, started_at, finished_at ON gate_runs BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM gate_runs_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER gate_runs_metrics_delete BEFORE DELETE ON gate_runs BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM gate_runs_metric_rows WHERE id = OLD.id;
END;

CREATE TRIGGER deploys_metrics_insert AFTER INSERT ON deploys BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM deploys_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER deploys_metrics_unsay
BEFORE UPDATE OF tier_id, status, outcome_json ON deploys BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM deploys_metric_rows WHERE id = OLD.id;
END;
CREATE TRIGGER deploys_metrics_say
AFTER UPDATE OF tier_id, status, outcome_json ON deploys BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM deploys_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER deploys_metrics_delete BEFORE DELETE ON deploys BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM deploys_metric_rows WHERE id = OLD.id;
END;

CREATE TRIGGER promotes_metrics_insert AFTER INSERT ON promotes BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM promotes_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER promotes_metrics_unsay
BEFORE UPDATE OF kind, tier_id, status, started_at, finished_at ON promotes BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM promotes_metric_rows WHERE id = OLD.id;
END;
CREATE TRIGGER promotes_metrics_say
AFTER UPDATE OF kind, tier_id, status, started_at, finished_at ON promotes BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, 1, dur
	FROM promotes_metric_rows WHERE id = NEW.id;
END;
CREATE TRIGGER promotes_metrics_delete BEFORE DELETE ON promotes BEGIN
	INSERT INTO metric_delta SELECT family, tier_id, l1, l2, -1, dur
	FROM promotes_metric_rows WHERE id = OLD.id;
END;

-- DORA: a successful or failed promote, or a finished rollback (failed);
-- done is its finish and lead (successful promotes) the seconds since its
-- version was staged, both as of when the row was written.
CREATE TABLE promote_dora (
	id INTEGER PRIMARY KEY,              -- promotes.id
	tier_id INTEGER NOT NULL,
	done INTEGER NOT NULL,               -- finished_at in seconds since the epoch
	rollback INTEGER NOT NULL,
	ok INTEGER NOT NULL,
	failed INTEGER NOT NULL,
	lead INTEGER
) STRICT;
-- a tier's window, read from the index alone; a failure's next success
CREATE INDEX promote_dora_window ON promote_dora(tier_id, done, rollback, ok, failed, lead);
CREATE INDEX promote_dora_ok ON promote_dora(tier_id, ok, id, done);

CREATE VIEW promotes_dora_rows(id, tier_id, done, rollback, ok, failed, lead) AS
	SELECT p.id, p.tier_id, unixepoch(p.finished_at), p.kind = 'rollback',
		p.kind = 'promote' AND p.status = 'ok', p.kind = 'rollback' OR p.status = 'failed',
		CASE WHEN p.kind = 'promote' AND p.status = 'ok' THEN unixepoch(p.finished_at) -
			(SELECT unixepoch(v.staged_at) FROM versions v WHERE v.version = p.version) END
	FROM promotes p WHERE (p.status IN ('ok', 'failed') OR (p.kind = 'rollback'
		AND p.status IS NOT NULL)) AND unixepoch(p.finished_at) IS NOT NULL;

INSERT INTO promote_dora SELECT * FROM promotes_dora_rows;

CREATE TRIGGER promotes_dora_insert AFTER INSERT ON promotes BEGIN
	INSERT INTO promote_dora SELECT * FROM promotes_dora_rows WHERE id = NEW.id;
END;
CREATE TRIGGER promotes_dora_update
AFTER UPDATE OF kind, tier_id, version, status, finished_at ON promotes BEGIN
	DELETE FROM promote_dora WHERE id = OLD.id;
	INSERT INTO promote_dora SELECT * FROM promotes_dora_rows WHERE id = NEW.id;
END;
CREATE TRIGGER promotes_dora_delete AFTER DELETE ON promotes BEGIN
	DELETE FROM promote_dora WHERE id = OLD.id;
END;
