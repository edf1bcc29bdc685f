-- The admin API, mirroring postgres/00005_admin.sql. SQLite cannot change a
-- CHECK constraint, so signing_keys is rebuilt with the 'revoked' state
-- (nothing references it).

-- +goose Up
CREATE TABLE signing_keys_new (
    kid                    TEXT PRIMARY KEY,
    public_key             BLOB NOT NULL,
    private_key_ciphertext BLOB NOT NULL,
    state                  TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired', 'revoked')),
    created_at             TEXT NOT NULL,
    activated_at           TEXT,
    retired_at             TEXT,
    revoked_at             TEXT
) STRICT;
INSERT INTO signing_keys_new (kid, public_key, private_key_ciphertext, state, created_at, activated_at, retired_at)
    SELECT kid, public_key, private_key_ciphertext, state, created_at, activated_at, retired_at FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_new RENAME TO signing_keys;
CREATE UNIQUE INDEX signing_keys_one_per_state ON signing_keys (state) WHERE state IN ('active', 'next');
CREATE INDEX api_keys_brand ON api_keys (brand_id, id);

-- +goose Down
DROP INDEX api_keys_brand;
CREATE TABLE signing_keys_old (
    kid                    TEXT PRIMARY KEY,
    public_key             BLOB NOT NULL,
    private_key_ciphertext BLOB NOT NULL,
    state                  TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at             TEXT NOT NULL,
    activated_at           TEXT,
    retired_at             TEXT
) STRICT;
-- A revoked key must stay unpublished: as retired long ago, it is.
INSERT INTO signing_keys_old (kid, public_key, private_key_ciphertext, state, created_at, activated_at, retired_at)
    SELECT kid, public_key, private_key_ciphertext,
           CASE state WHEN 'revoked' THEN 'retired' ELSE state END, created_at, activated_at,
           CASE state WHEN 'revoked' THEN '1970-01-01T00:00:00.000000Z' ELSE retired_at END
    FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_old RENAME TO signing_keys;
CREATE UNIQUE INDEX signing_keys_one_per_state ON signing_keys (state) WHERE state IN ('active', 'next');
