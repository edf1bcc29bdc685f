-- Indexes for lists paged in SQL at tens of millions of licenses: the live
-- seats of a license in id order (the brand's activation list pages by
-- id), and a brand's licenses of one product in id order (the license list
-- filtered by product). Built CONCURRENTLY, outside a transaction, so that
-- a large database keeps taking writes while they build.

-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS activations_live_by_id ON activations (license_id, id) WHERE deactivated_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS licenses_brand_product ON licenses (brand_id, product_id, id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS licenses_brand_product;
DROP INDEX CONCURRENTLY IF EXISTS activations_live_by_id;
