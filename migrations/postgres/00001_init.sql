-- The whole data model of DESIGN.md. Ids are UUIDv7 made by the service,
-- except signing_keys.kid, an RFC 7638 thumbprint. JSON lives in jsonb;
-- api_keys.scopes too (a JSON array rather than text[]), so that PostgreSQL
-- and SQLite share one implementation in store/sqldb.

-- +goose Up
CREATE TABLE brands (
    id         uuid PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE products (
    id                uuid PRIMARY KEY,
    brand_id          uuid NOT NULL REFERENCES brands (id),
    slug              text NOT NULL,
    name              text NOT NULL,
    default_seats     integer NOT NULL CHECK (default_seats > 0),
    token_ttl_seconds bigint NOT NULL CHECK (token_ttl_seconds > 0),
    created_at        timestamptz NOT NULL,
    UNIQUE (brand_id, slug)
);

-- brand_id NULL: a platform key.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    brand_id     uuid REFERENCES brands (id),
    name         text NOT NULL,
    prefix       text NOT NULL UNIQUE,
    secret_hash  bytea NOT NULL,
    scopes       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(scopes) = 'array'),
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE customers (
    id    uuid PRIMARY KEY,
    email text NOT NULL UNIQUE
);

CREATE TABLE license_keys (
    id             uuid PRIMARY KEY,
    brand_id       uuid NOT NULL REFERENCES brands (id),
    customer_id    uuid NOT NULL REFERENCES customers (id),
    key_hash       bytea NOT NULL UNIQUE,
    key_ciphertext bytea NOT NULL,
    key_hint       text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX license_keys_customer ON license_keys (customer_id, brand_id, created_at);

-- "expired" is never stored: it is an active license past expires_at.
CREATE TABLE licenses (
    id             uuid PRIMARY KEY,
    license_key_id uuid NOT NULL REFERENCES license_keys (id),
    brand_id       uuid NOT NULL REFERENCES brands (id),
    product_id     uuid NOT NULL REFERENCES products (id),
    status         text NOT NULL CHECK (status IN ('active', 'suspended', 'cancelled')),
    seats          integer NOT NULL CHECK (seats > 0),
    expires_at     timestamptz,
    entitlements   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(entitlements) = 'array'),
    metadata       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    version        bigint NOT NULL CHECK (version > 0),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (license_key_id, product_id)
);

CREATE TABLE activations (
    id             uuid PRIMARY KEY,
    license_id     uuid NOT NULL REFERENCES licenses (id),
    instance       text NOT NULL,
    instance_name  text NOT NULL,
    created_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    deactivated_at timestamptz
);
-- At most one live seat per instance. The same partial index is what
-- counting live seats of a license reads.
CREATE UNIQUE INDEX activations_live ON activations (license_id, instance) WHERE deactivated_at IS NULL;

-- Append-only: see the trigger below. brand_id NULL: an operator's event
-- that belongs to no brand.
CREATE TABLE audit_events (
    id         uuid PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor_type text NOT NULL CHECK (actor_type IN ('api_key', 'license_key', 'admin', 'system')),
    actor_id   text NOT NULL,
    brand_id   uuid REFERENCES brands (id),
    license_id uuid REFERENCES licenses (id),
    action     text NOT NULL,
    request_id text NOT NULL,
    ip         text NOT NULL,
    data       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_brand ON audit_events (brand_id, id);
CREATE INDEX audit_events_license ON audit_events (license_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- status 0 and body NULL while the first request still runs.
CREATE TABLE idempotency_keys (
    brand_id     uuid NOT NULL REFERENCES brands (id),
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer NOT NULL DEFAULT 0,
    body         bytea,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (brand_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE signing_keys (
    kid                    text PRIMARY KEY,
    public_key             bytea NOT NULL,
    private_key_ciphertext bytea NOT NULL,
    state                  text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at             timestamptz NOT NULL,
    activated_at           timestamptz,
    retired_at             timestamptz
);
-- At most one active key and at most one next key.
CREATE UNIQUE INDEX signing_keys_one_per_state ON signing_keys (state) WHERE state IN ('active', 'next');

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE activations;
DROP TABLE licenses;
DROP TABLE license_keys;
DROP TABLE customers;
DROP TABLE api_keys;
DROP TABLE products;
DROP TABLE brands;
