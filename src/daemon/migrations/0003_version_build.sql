-- 0003: a staged version remembers the build that staged it (its log, its sha).

ALTER TABLE versions ADD COLUMN build_id INTEGER REFERENCES builds(id);
