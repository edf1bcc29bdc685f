package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/store"
)

const brandCols = "id, slug, name, created_at"

func brandFields(b *store.Brand) []any {
	return []any{&b.ID, &b.Slug, &b.Name, timeCol{&b.CreatedAt}}
}

func (r queries) BrandByID(ctx context.Context, id string) (store.Brand, error) {
	return get(ctx, r, "brand by id", brandFields, "SELECT "+brandCols+" FROM brands WHERE id = $1", id)
}

func (r queries) BrandBySlug(ctx context.Context, slug string) (store.Brand, error) {
	return get(ctx, r, "brand by slug", brandFields, "SELECT "+brandCols+" FROM brands WHERE slug = $1", slug)
}

func (r queries) Brands(ctx context.Context, f store.BrandFilter) ([]store.Brand, error) {
	var w where
	if f.AfterID != "" {
		w.and("id > ?", f.AfterID)
	}
	q := "SELECT " + brandCols + " FROM brands" + w.String() + " ORDER BY id" + w.limit(f.Limit)
	return list(ctx, r, "brands", brandFields, q, w.args...)
}

func (t *tx) UpdateBrand(ctx context.Context, b store.Brand) error {
	return t.change(ctx, "update brand", store.ErrNotFound, "UPDATE brands SET name = $1 WHERE id = $2", b.Name, b.ID)
}

func (t *tx) CreateBrand(ctx context.Context, b store.Brand) error {
	return t.insert(ctx, "create brand", "INSERT INTO brands ("+brandCols+") VALUES ($1, $2, $3, $4)",
		b.ID, b.Slug, b.Name, ts(b.CreatedAt))
}

const productCols = "id, brand_id, slug, name, default_seats, token_ttl_seconds, " +
	"free_instances, max_free_activations, grace_days, activation_ttl_seconds, created_at"

func productFields(p *store.Product) []any {
	return []any{&p.ID, &p.BrandID, &p.Slug, &p.Name, &p.DefaultSeats, secondsCol{&p.TokenTTL},
		listCol{&p.Policy.FreeInstances}, &p.Policy.MaxFreeActivations, &p.Policy.GraceDays, secondsCol{&p.Policy.ActivationTTL},
		timeCol{&p.CreatedAt}}
}

func (r queries) ProductBySlug(ctx context.Context, brandID, slug string) (store.Product, error) {
	return get(ctx, r, "product by slug", productFields,
		"SELECT "+productCols+" FROM products WHERE brand_id = $1 AND slug = $2", brandID, slug)
}

func (r queries) ProductByID(ctx context.Context, brandID, id string) (store.Product, error) {
	if err := needBrand("product by id", brandID); err != nil {
		return store.Product{}, err
	}
	return get(ctx, r, "product by id", productFields,
		"SELECT "+productCols+" FROM products WHERE brand_id = $1 AND id = $2", brandID, id)
}

func (r queries) Products(ctx context.Context, f store.ProductFilter) ([]store.Product, error) {
	if err := needBrand("products", f.BrandID); err != nil {
		return nil, err
	}
	var w where
	w.and("brand_id = ?", f.BrandID)
	if f.AfterID != "" {
		w.and("id > ?", f.AfterID)
	}
	q := "SELECT " + productCols + " FROM products" + w.String() + " ORDER BY id" + w.limit(f.Limit)
	return list(ctx, r, "products", productFields, q, w.args...)
}

func (r queries) ProductsWithActivationTTL(ctx context.Context) ([]store.Product, error) {
	return list(ctx, r, "products with activation ttl", productFields,
		"SELECT "+productCols+" FROM products WHERE activation_ttl_seconds > 0 ORDER BY id")
}

func (r queries) MaxTokenTTL(ctx context.Context) (time.Duration, error) {
	var d time.Duration
	err := r.q.QueryRow(ctx, "SELECT COALESCE(MAX(token_ttl_seconds), 0) FROM products").Scan(secondsCol{&d})
	return d, r.fail("max token ttl", err)
}

func (t *tx) CreateProduct(ctx context.Context, p store.Product) error {
	return t.insert(ctx, "create product", "INSERT INTO products ("+productCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		p.ID, p.BrandID, p.Slug, p.Name, p.DefaultSeats, seconds(p.TokenTTL),
		jsonList(p.Policy.FreeInstances), p.Policy.MaxFreeActivations, p.Policy.GraceDays, seconds(p.Policy.ActivationTTL), ts(p.CreatedAt))
}

func (t *tx) UpdateProduct(ctx context.Context, p store.Product) error {
	return t.change(ctx, "update product", store.ErrNotFound, `UPDATE products
		SET name = $1, default_seats = $2, token_ttl_seconds = $3,
			free_instances = $4, max_free_activations = $5, grace_days = $6, activation_ttl_seconds = $7
		WHERE id = $8 AND brand_id = $9`,
		p.Name, p.DefaultSeats, seconds(p.TokenTTL),
		jsonList(p.Policy.FreeInstances), p.Policy.MaxFreeActivations, p.Policy.GraceDays, seconds(p.Policy.ActivationTTL),
		p.ID, p.BrandID)
}

// seconds is a duration in whole seconds, as durations are stored.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

const apiKeyCols = "id, brand_id, name, prefix, secret_hash, scopes, created_at, last_used_at, revoked_at"

func apiKeyFields(k *store.APIKey) []any {
	return []any{&k.ID, nullTextCol{&k.BrandID}, &k.Name, &k.Prefix, &k.SecretHash, listCol{&k.Scopes},
		timeCol{&k.CreatedAt}, nullTimeCol{&k.LastUsedAt}, nullTimeCol{&k.RevokedAt}}
}

func (r queries) APIKeyByID(ctx context.Context, id string) (store.APIKey, error) {
	return get(ctx, r, "api key by id", apiKeyFields, "SELECT "+apiKeyCols+" FROM api_keys WHERE id = $1", id)
}

func (r queries) APIKeyByPrefix(ctx context.Context, prefix string) (store.APIKey, error) {
	return get(ctx, r, "api key by prefix", apiKeyFields, "SELECT "+apiKeyCols+" FROM api_keys WHERE prefix = $1", prefix)
}

func (r queries) APIKeys(ctx context.Context, f store.APIKeyFilter) ([]store.APIKey, error) {
	var w where
	switch {
	case f.BrandID != "":
		w.and("brand_id = ?", f.BrandID)
	case f.Platform:
		w.and("brand_id IS NULL")
	case !f.All:
		return nil, fmt.Errorf("api keys: %w", errNoBrand)
	}
	if f.AfterID != "" {
		w.and("id > ?", f.AfterID)
	}
	q := "SELECT " + apiKeyCols + " FROM api_keys" + w.String() + " ORDER BY id" + w.limit(f.Limit)
	return list(ctx, r, "api keys", apiKeyFields, q, w.args...)
}

func (t *tx) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	return t.insert(ctx, "create api key", "INSERT INTO api_keys ("+apiKeyCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		k.ID, ptrOrNull(k.BrandID), k.Name, k.Prefix, k.SecretHash, jsonList(k.Scopes),
		ts(k.CreatedAt), tsOrNull(k.LastUsedAt), tsOrNull(k.RevokedAt))
}

func (t *tx) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return t.change(ctx, "touch api key", store.ErrNotFound,
		"UPDATE api_keys SET last_used_at = $1 WHERE id = $2", ts(at), id)
}

func (t *tx) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	return t.change(ctx, "revoke api key", store.ErrNotFound,
		"UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", ts(at), id)
}
