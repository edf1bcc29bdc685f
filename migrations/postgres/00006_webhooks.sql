-- Webhooks: a brand's endpoints, and the outbox of deliveries that
-- AppendAuditEvent fills in the transaction of each change. A delivery is
-- due at next_attempt_at while pending; a dispatcher that claims it moves
-- next_attempt_at to the end of its lease, so that a dispatcher that dies
-- mid-attempt leaves it to another once the lease runs out.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id                uuid PRIMARY KEY,
    brand_id          uuid NOT NULL REFERENCES brands (id),
    url               text NOT NULL,
    events            jsonb NOT NULL CHECK (jsonb_typeof(events) = 'array'),
    secret_ciphertext bytea NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_brand ON webhook_endpoints (brand_id, id);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    brand_id        uuid NOT NULL REFERENCES brands (id),
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL REFERENCES audit_events (id),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempt         integer NOT NULL DEFAULT 0,
    response_status integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
-- The dispatcher's claim reads pending rows by due time; the delivery log
-- pages an endpoint's rows by id.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
