package deadline

import (
	"context"
	"time"

	"github.com/licensedhq/licensed/store"
)

// Every method of store.Queries and store.Tx, forwarded under a deadline.
// Written out, so that a method added to the interfaces fails to compile
// here until it is bounded too.

func (r queries) BrandByID(ctx context.Context, id string) (store.Brand, error) {
	return call(ctx, r, func(ctx context.Context) (store.Brand, error) { return r.q.BrandByID(ctx, id) })
}

func (r queries) BrandBySlug(ctx context.Context, slug string) (store.Brand, error) {
	return call(ctx, r, func(ctx context.Context) (store.Brand, error) { return r.q.BrandBySlug(ctx, slug) })
}

func (r queries) Brands(ctx context.Context, f store.BrandFilter) ([]store.Brand, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.Brand, error) { return r.q.Brands(ctx, f) })
}

func (r queries) ProductBySlug(ctx context.Context, brandID, slug string) (store.Product, error) {
	return call(ctx, r, func(ctx context.Context) (store.Product, error) { return r.q.ProductBySlug(ctx, brandID, slug) })
}

func (r queries) MaxTokenTTL(ctx context.Context) (time.Duration, error) {
	return call(ctx, r, func(ctx context.Context) (time.Duration, error) { return r.q.MaxTokenTTL(ctx) })
}

func (r queries) APIKeyByID(ctx context.Context, id string) (store.APIKey, error) {
	return call(ctx, r, func(ctx context.Context) (store.APIKey, error) { return r.q.APIKeyByID(ctx, id) })
}

func (r queries) APIKeyByPrefix(ctx context.Context, prefix string) (store.APIKey, error) {
	return call(ctx, r, func(ctx context.Context) (store.APIKey, error) { return r.q.APIKeyByPrefix(ctx, prefix) })
}

func (r queries) APIKeys(ctx context.Context, f store.APIKeyFilter) ([]store.APIKey, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.APIKey, error) { return r.q.APIKeys(ctx, f) })
}

func (r queries) CustomerByEmail(ctx context.Context, email string) (store.Customer, error) {
	return call(ctx, r, func(ctx context.Context) (store.Customer, error) { return r.q.CustomerByEmail(ctx, email) })
}

func (r queries) LicenseKeyByHash(ctx context.Context, hash []byte) (store.LicenseKey, error) {
	return call(ctx, r, func(ctx context.Context) (store.LicenseKey, error) { return r.q.LicenseKeyByHash(ctx, hash) })
}

func (r queries) LatestLicenseKey(ctx context.Context, brandID, customerID string) (store.LicenseKey, error) {
	return call(ctx, r, func(ctx context.Context) (store.LicenseKey, error) {
		return r.q.LatestLicenseKey(ctx, brandID, customerID)
	})
}

func (r queries) LicenseByID(ctx context.Context, brandID, id string) (store.License, error) {
	return call(ctx, r, func(ctx context.Context) (store.License, error) { return r.q.LicenseByID(ctx, brandID, id) })
}

func (r queries) LicensesByKey(ctx context.Context, brandID, licenseKeyID string) ([]store.License, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.License, error) {
		return r.q.LicensesByKey(ctx, brandID, licenseKeyID)
	})
}

func (r queries) LicenseByKeyAndProduct(ctx context.Context, brandID, licenseKeyID, productID string) (store.License, error) {
	return call(ctx, r, func(ctx context.Context) (store.License, error) {
		return r.q.LicenseByKeyAndProduct(ctx, brandID, licenseKeyID, productID)
	})
}

func (r queries) SearchLicenses(ctx context.Context, f store.LicenseFilter) ([]store.License, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.License, error) { return r.q.SearchLicenses(ctx, f) })
}

func (r queries) ActivationByID(ctx context.Context, brandID, id string) (store.Activation, error) {
	return call(ctx, r, func(ctx context.Context) (store.Activation, error) { return r.q.ActivationByID(ctx, brandID, id) })
}

func (r queries) ReadKey(ctx context.Context, hash []byte, instance string) (store.KeyRead, error) {
	return call(ctx, r, func(ctx context.Context) (store.KeyRead, error) { return r.q.ReadKey(ctx, hash, instance) })
}

func (r queries) LiveActivation(ctx context.Context, brandID, licenseID, instance string) (store.Activation, error) {
	return call(ctx, r, func(ctx context.Context) (store.Activation, error) {
		return r.q.LiveActivation(ctx, brandID, licenseID, instance)
	})
}

func (r queries) LiveActivationsPage(ctx context.Context, brandID, licenseID, afterID string, limit int) ([]store.Activation, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.Activation, error) {
		return r.q.LiveActivationsPage(ctx, brandID, licenseID, afterID, limit)
	})
}

func (r queries) LiveActivations(ctx context.Context, brandID, licenseID string) ([]store.Activation, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.Activation, error) {
		return r.q.LiveActivations(ctx, brandID, licenseID)
	})
}

func (r queries) CountLiveActivations(ctx context.Context, brandID, licenseID string) (int, error) {
	return call(ctx, r, func(ctx context.Context) (int, error) { return r.q.CountLiveActivations(ctx, brandID, licenseID) })
}

func (r queries) AuditEvents(ctx context.Context, brandID string, f store.AuditFilter) ([]store.AuditEvent, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.AuditEvent, error) { return r.q.AuditEvents(ctx, brandID, f) })
}

func (r queries) Idempotency(ctx context.Context, brandID, key string) (store.Idempotency, error) {
	return call(ctx, r, func(ctx context.Context) (store.Idempotency, error) { return r.q.Idempotency(ctx, brandID, key) })
}

func (r queries) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.SigningKey, error) { return r.q.SigningKeys(ctx) })
}

func (r queries) SealedValues(ctx context.Context, f store.SealedFilter) ([]store.SealedValue, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.SealedValue, error) { return r.q.SealedValues(ctx, f) })
}

// boundTx is a store.Tx whose calls share the transaction's deadline.
type boundTx struct {
	queries
	tx store.Tx
}

var _ store.Tx = (*boundTx)(nil)

func (t *boundTx) CreateBrand(ctx context.Context, b store.Brand) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateBrand(ctx, b) })
}

func (t *boundTx) CreateProduct(ctx context.Context, p store.Product) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateProduct(ctx, p) })
}

func (t *boundTx) UpdateBrand(ctx context.Context, b store.Brand) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.UpdateBrand(ctx, b) })
}

func (t *boundTx) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateAPIKey(ctx, k) })
}

func (t *boundTx) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.TouchAPIKey(ctx, id, at) })
}

func (t *boundTx) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.RevokeAPIKey(ctx, id, at) })
}

func (t *boundTx) EnsureCustomer(ctx context.Context, c store.Customer) (store.Customer, error) {
	return call(ctx, t.queries, func(ctx context.Context) (store.Customer, error) { return t.tx.EnsureCustomer(ctx, c) })
}

func (t *boundTx) CreateLicenseKey(ctx context.Context, k store.LicenseKey) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateLicenseKey(ctx, k) })
}

func (t *boundTx) ProductAndCustomer(ctx context.Context, brandID, productSlug string, c store.Customer) (store.Product, store.Customer, error) {
	var cust store.Customer
	prod, err := call(ctx, t.queries, func(ctx context.Context) (store.Product, error) {
		p, cu, err := t.tx.ProductAndCustomer(ctx, brandID, productSlug, c)
		cust = cu
		return p, err
	})
	return prod, cust, err
}

func (t *boundTx) CreateLicenseWithEvent(ctx context.Context, key *store.LicenseKey, l store.License, e store.AuditEvent) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateLicenseWithEvent(ctx, key, l, e) })
}

func (t *boundTx) CreateLicense(ctx context.Context, l store.License) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateLicense(ctx, l) })
}

func (t *boundTx) LockLicense(ctx context.Context, brandID, id string) (store.License, error) {
	return call(ctx, t.queries, func(ctx context.Context) (store.License, error) { return t.tx.LockLicense(ctx, brandID, id) })
}

func (t *boundTx) UpdateLicense(ctx context.Context, l store.License) (int64, error) {
	return call(ctx, t.queries, func(ctx context.Context) (int64, error) { return t.tx.UpdateLicense(ctx, l) })
}

func (t *boundTx) CreateActivation(ctx context.Context, a store.Activation) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateActivation(ctx, a) })
}

func (t *boundTx) TouchActivation(ctx context.Context, id, instanceName string, at time.Time) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.TouchActivation(ctx, id, instanceName, at) })
}

func (t *boundTx) Deactivate(ctx context.Context, id string, at time.Time) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.Deactivate(ctx, id, at) })
}

func (t *boundTx) AppendAuditEvent(ctx context.Context, e store.AuditEvent) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.AppendAuditEvent(ctx, e) })
}

func (t *boundTx) ClaimIdempotency(ctx context.Context, r store.Idempotency) (bool, error) {
	return call(ctx, t.queries, func(ctx context.Context) (bool, error) { return t.tx.ClaimIdempotency(ctx, r) })
}

func (t *boundTx) CompleteIdempotency(ctx context.Context, brandID, key string, status int, body []byte) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CompleteIdempotency(ctx, brandID, key, status, body) })
}

func (t *boundTx) DeleteIdempotencyBefore(ctx context.Context, before time.Time) (int64, error) {
	return call(ctx, t.queries, func(ctx context.Context) (int64, error) { return t.tx.DeleteIdempotencyBefore(ctx, before) })
}

func (t *boundTx) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateSigningKey(ctx, k) })
}

func (t *boundTx) SetSigningKeyState(ctx context.Context, kid string, from, to store.KeyState, at time.Time) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.SetSigningKeyState(ctx, kid, from, to, at) })
}

func (t *boundTx) ReSeal(ctx context.Context, v store.SealedValue, ciphertext, hash []byte) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.ReSeal(ctx, v, ciphertext, hash) })
}
