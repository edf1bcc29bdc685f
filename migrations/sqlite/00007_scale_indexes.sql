-- Indexes for lists paged in SQL, mirroring postgres/00007_scale_indexes.sql
-- (SQLite builds them under its write lock; there is no CONCURRENTLY).

-- +goose Up
CREATE INDEX IF NOT EXISTS activations_live_by_id ON activations (license_id, id) WHERE deactivated_at IS NULL;
CREATE INDEX IF NOT EXISTS licenses_brand_product ON licenses (brand_id, product_id, id);

-- +goose Down
DROP INDEX IF EXISTS licenses_brand_product;
DROP INDEX IF EXISTS activations_live_by_id;
