-- Product policies: free instances (staging and local sites that take no
-- seat, at most max_free_activations of them per license at once), a grace
-- period after a license's expiry, and an activation TTL after which an
-- activation that was not seen is released. Existing products get the
-- defaults a new product gets. Numbered 00004 to leave 00002 and 00003 to
-- work that was under way beside it (the admin API's and webhooks').

-- +goose Up
ALTER TABLE products
    ADD COLUMN free_instances jsonb NOT NULL
        DEFAULT '["localhost", "127.0.0.1", "*.local", "*.localhost", "*.test", "*.example", "*.invalid", "staging.*", "dev.*"]'
        CHECK (jsonb_typeof(free_instances) = 'array'),
    ADD COLUMN max_free_activations integer NOT NULL DEFAULT 3 CHECK (max_free_activations >= 0),
    ADD COLUMN grace_days integer NOT NULL DEFAULT 0 CHECK (grace_days >= 0),
    ADD COLUMN activation_ttl_seconds bigint NOT NULL DEFAULT 0 CHECK (activation_ttl_seconds >= 0);

-- A free activation holds no seat: seats_used counts the others.
ALTER TABLE activations ADD COLUMN free boolean NOT NULL DEFAULT false;

-- The activation TTL sweeper reads live activations by when they were last
-- seen; a brand's license list pages by id within the brand.
CREATE INDEX activations_live_seen ON activations (last_seen_at) WHERE deactivated_at IS NULL;
CREATE INDEX licenses_brand ON licenses (brand_id, id);

-- +goose Down
DROP INDEX licenses_brand;
DROP INDEX activations_live_seen;
ALTER TABLE activations DROP COLUMN free;
ALTER TABLE products
    DROP COLUMN activation_ttl_seconds,
    DROP COLUMN grace_days,
    DROP COLUMN max_free_activations,
    DROP COLUMN free_instances;
