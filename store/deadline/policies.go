package deadline

import (
	"context"
	"time"

	"github.com/licensedhq/licensed/store"
)

// The methods of product policies, license listing and activation expiry,
// bounded like every other (methods.go).

func (r queries) ProductByID(ctx context.Context, brandID, id string) (store.Product, error) {
	return call(ctx, r, func(ctx context.Context) (store.Product, error) { return r.q.ProductByID(ctx, brandID, id) })
}

func (r queries) Products(ctx context.Context, f store.ProductFilter) ([]store.Product, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.Product, error) { return r.q.Products(ctx, f) })
}

func (r queries) ProductsWithActivationTTL(ctx context.Context) ([]store.Product, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.Product, error) { return r.q.ProductsWithActivationTTL(ctx) })
}

func (r queries) ListLicenses(ctx context.Context, f store.LicenseListFilter) ([]store.License, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.License, error) { return r.q.ListLicenses(ctx, f) })
}

func (r queries) StaleActivationLicenses(ctx context.Context, productID string, seenBefore time.Time, afterID string, limit int) ([]store.LicenseRef, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.LicenseRef, error) {
		return r.q.StaleActivationLicenses(ctx, productID, seenBefore, afterID, limit)
	})
}

func (t *boundTx) UpdateProduct(ctx context.Context, p store.Product) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.UpdateProduct(ctx, p) })
}

func (t *boundTx) ExpireActivations(ctx context.Context, brandID, licenseID string, seenBefore, at time.Time) ([]store.Activation, error) {
	return call(ctx, t.queries, func(ctx context.Context) ([]store.Activation, error) {
		return t.tx.ExpireActivations(ctx, brandID, licenseID, seenBefore, at)
	})
}
