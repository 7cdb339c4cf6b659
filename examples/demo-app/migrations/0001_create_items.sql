-- 0001: the items the demo app knows about.
CREATE TABLE items (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	created_at timestamptz NOT NULL DEFAULT now()
);
