-- 0004: a running build's process group, so a daemon restarted after a crash
-- can stop what the dead daemon's build left running.

ALTER TABLE builds ADD COLUMN pgid INTEGER;
