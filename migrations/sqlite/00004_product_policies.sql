-- Product policies, mirroring postgres/00004_product_policies.sql. A
-- boolean is an INTEGER 0 or 1.

-- +goose Up
ALTER TABLE products ADD COLUMN free_instances TEXT NOT NULL
    DEFAULT '["localhost", "127.0.0.1", "*.local", "*.localhost", "*.test", "*.example", "*.invalid", "staging.*", "dev.*"]'
    CHECK (json_valid(free_instances) AND json_type(free_instances) = 'array');
ALTER TABLE products ADD COLUMN max_free_activations INTEGER NOT NULL DEFAULT 3 CHECK (max_free_activations >= 0);
ALTER TABLE products ADD COLUMN grace_days INTEGER NOT NULL DEFAULT 0 CHECK (grace_days >= 0);
ALTER TABLE products ADD COLUMN activation_ttl_seconds INTEGER NOT NULL DEFAULT 0 CHECK (activation_ttl_seconds >= 0);

ALTER TABLE activations ADD COLUMN free INTEGER NOT NULL DEFAULT 0 CHECK (free IN (0, 1));

CREATE INDEX activations_live_seen ON activations (last_seen_at) WHERE deactivated_at IS NULL;
CREATE INDEX licenses_brand ON licenses (brand_id, id);

-- +goose Down
DROP INDEX licenses_brand;
DROP INDEX activations_live_seen;
ALTER TABLE activations DROP COLUMN free;
ALTER TABLE products DROP COLUMN activation_ttl_seconds;
ALTER TABLE products DROP COLUMN grace_days;
ALTER TABLE products DROP COLUMN max_free_activations;
ALTER TABLE products DROP COLUMN free_instances;
