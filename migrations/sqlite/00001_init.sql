-- The data model of DESIGN.md, mirroring postgres/00001_init.sql. STRICT
-- tables make SQLite check column types as PostgreSQL would. Ids are TEXT;
-- times are TEXT in one fixed-width UTC format, 2006-01-02T15:04:05.000000Z,
-- so that comparing and ordering them as strings is comparing and ordering
-- them as times; JSON is TEXT checked by json_valid; bytes are BLOB.

-- +goose Up
CREATE TABLE brands (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE products (
    id                TEXT PRIMARY KEY,
    brand_id          TEXT NOT NULL REFERENCES brands (id),
    slug              TEXT NOT NULL,
    name              TEXT NOT NULL,
    default_seats     INTEGER NOT NULL CHECK (default_seats > 0),
    token_ttl_seconds INTEGER NOT NULL CHECK (token_ttl_seconds > 0),
    created_at        TEXT NOT NULL,
    UNIQUE (brand_id, slug)
) STRICT;

-- brand_id NULL: a platform key.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    brand_id     TEXT REFERENCES brands (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  BLOB NOT NULL,
    scopes       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;

CREATE TABLE customers (
    id    TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE license_keys (
    id             TEXT PRIMARY KEY,
    brand_id       TEXT NOT NULL REFERENCES brands (id),
    customer_id    TEXT NOT NULL REFERENCES customers (id),
    key_hash       BLOB NOT NULL UNIQUE,
    key_ciphertext BLOB NOT NULL,
    key_hint       TEXT NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX license_keys_customer ON license_keys (customer_id, brand_id, created_at);

-- "expired" is never stored: it is an active license past expires_at.
CREATE TABLE licenses (
    id             TEXT PRIMARY KEY,
    license_key_id TEXT NOT NULL REFERENCES license_keys (id),
    brand_id       TEXT NOT NULL REFERENCES brands (id),
    product_id     TEXT NOT NULL REFERENCES products (id),
    status         TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'cancelled')),
    seats          INTEGER NOT NULL CHECK (seats > 0),
    expires_at     TEXT,
    entitlements   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(entitlements) AND json_type(entitlements) = 'array'),
    metadata       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    version        INTEGER NOT NULL CHECK (version > 0),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (license_key_id, product_id)
) STRICT;

CREATE TABLE activations (
    id             TEXT PRIMARY KEY,
    license_id     TEXT NOT NULL REFERENCES licenses (id),
    instance       TEXT NOT NULL,
    instance_name  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL,
    deactivated_at TEXT
) STRICT;
-- At most one live seat per instance. The same partial index is what
-- counting live seats of a license reads.
CREATE UNIQUE INDEX activations_live ON activations (license_id, instance) WHERE deactivated_at IS NULL;

-- Append-only: see the triggers below. brand_id NULL: an operator's event
-- that belongs to no brand.
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('api_key', 'license_key', 'admin', 'system')),
    actor_id   TEXT NOT NULL,
    brand_id   TEXT REFERENCES brands (id),
    license_id TEXT REFERENCES licenses (id),
    action     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    ip         TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
) STRICT;
CREATE INDEX audit_events_brand ON audit_events (brand_id, id);
CREATE INDEX audit_events_license ON audit_events (license_id, id);

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- status 0 and body NULL while the first request still runs.
CREATE TABLE idempotency_keys (
    brand_id     TEXT NOT NULL REFERENCES brands (id),
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (brand_id, key)
) STRICT;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE signing_keys (
    kid                    TEXT PRIMARY KEY,
    public_key             BLOB NOT NULL,
    private_key_ciphertext BLOB NOT NULL,
    state                  TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at             TEXT NOT NULL,
    activated_at           TEXT,
    retired_at             TEXT
) STRICT;
-- At most one active key and at most one next key.
CREATE UNIQUE INDEX signing_keys_one_per_state ON signing_keys (state) WHERE state IN ('active', 'next');

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP TABLE activations;
DROP TABLE licenses;
DROP TABLE license_keys;
DROP TABLE customers;
DROP TABLE api_keys;
DROP TABLE products;
DROP TABLE brands;
