-- Webhooks, mirroring postgres/00006_webhooks.sql.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id                TEXT PRIMARY KEY,
    brand_id          TEXT NOT NULL REFERENCES brands (id),
    url               TEXT NOT NULL,
    events            TEXT NOT NULL CHECK (json_valid(events) AND json_type(events) = 'array'),
    secret_ciphertext BLOB NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_brand ON webhook_endpoints (brand_id, id);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    brand_id        TEXT NOT NULL REFERENCES brands (id),
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES audit_events (id),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempt         INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
