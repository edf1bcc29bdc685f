-- The admin API: signing keys can be revoked (a leaked key leaves the JWKS
-- at once, whatever its state), and API keys are listed per brand.

-- +goose Up
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_state_check;
ALTER TABLE signing_keys
    ADD CONSTRAINT signing_keys_state_check CHECK (state IN ('next', 'active', 'retired', 'revoked')),
    ADD COLUMN revoked_at timestamptz;
CREATE INDEX api_keys_brand ON api_keys (brand_id, id);

-- +goose Down
DROP INDEX api_keys_brand;
-- A revoked key must stay unpublished: as retired long ago, it is.
UPDATE signing_keys SET state = 'retired', retired_at = '1970-01-01T00:00:00Z' WHERE state = 'revoked';
ALTER TABLE signing_keys DROP COLUMN revoked_at, DROP CONSTRAINT signing_keys_state_check;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_state_check CHECK (state IN ('next', 'active', 'retired'));
