-- 0002: items get a price, in cents, never negative.
ALTER TABLE items ADD COLUMN price_cents integer NOT NULL DEFAULT 0 CHECK (price_cents >= 0);
