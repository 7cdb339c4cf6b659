-- 0006: /state asks for a tier's newest gate run (the version pending on the
-- first tier); without this index that sorted every run of the tier.

CREATE INDEX gate_runs_tier_id ON gate_runs(tier_id, id);
