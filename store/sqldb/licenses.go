package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/store"
)

func (r queries) CustomerByEmail(ctx context.Context, email string) (store.Customer, error) {
	return get(ctx, r, "customer by email", customerFields, "SELECT id, email FROM customers WHERE email = $1", email)
}

func customerFields(c *store.Customer) []any { return []any{&c.ID, &c.Email} }

// EnsureCustomer inserts and then reads the row under its lock, rather than
// reading first, so that two transactions racing on one email both end up
// with the same row, one after the other: on PostgreSQL the second waits
// for the first to end (and so sees the license key the first created for
// the customer); on SQLite transactions do not overlap at all.
func (t *tx) EnsureCustomer(ctx context.Context, c store.Customer) (store.Customer, error) {
	var got []store.Customer
	err := t.each(ctx, t.ensureCustomer(c), func(i int, rows Rows) (err error) {
		if i == 1 {
			got, err = collect(rows, customerFields)
		}
		return err
	})
	if err != nil {
		return store.Customer{}, t.fail("ensure customer", err)
	}
	return oneCustomer(got)
}

// ensureCustomer is EnsureCustomer's two statements.
func (t *tx) ensureCustomer(c store.Customer) []Query {
	return []Query{
		{"INSERT INTO customers (id, email) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING", []any{c.ID, c.Email}},
		{"SELECT id, email FROM customers WHERE email = $1 " + t.d.ForUpdate, []any{c.Email}},
	}
}

// oneCustomer is the row of ensureCustomer's locking read.
func oneCustomer(got []store.Customer) (store.Customer, error) {
	if len(got) == 0 {
		return store.Customer{}, fmt.Errorf("ensure customer: %w", store.ErrNotFound)
	}
	return got[0], nil
}

const licenseKeyCols = "id, brand_id, customer_id, key_hash, key_ciphertext, key_hint, created_at"

func licenseKeyFields(k *store.LicenseKey) []any {
	return []any{&k.ID, &k.BrandID, &k.CustomerID, &k.Hash, &k.Ciphertext, &k.Hint, timeCol{&k.CreatedAt}}
}

func (r queries) LicenseKeyByHash(ctx context.Context, hash []byte) (store.LicenseKey, error) {
	return get(ctx, r, "license key by hash", licenseKeyFields,
		"SELECT "+licenseKeyCols+" FROM license_keys WHERE key_hash = $1", hash)
}

func (r queries) LatestLicenseKey(ctx context.Context, brandID, customerID string) (store.LicenseKey, error) {
	return get(ctx, r, "latest license key", licenseKeyFields,
		"SELECT "+licenseKeyCols+" FROM license_keys WHERE brand_id = $1 AND customer_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
		brandID, customerID)
}

func (t *tx) CreateLicenseKey(ctx context.Context, k store.LicenseKey) error {
	q := licenseKeyInsert(k)
	return t.insert(ctx, "create license key", q.SQL, q.Args...)
}

func licenseKeyInsert(k store.LicenseKey) Query {
	return Query{"INSERT INTO license_keys (" + licenseKeyCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		[]any{k.ID, k.BrandID, k.CustomerID, k.Hash, k.Ciphertext, k.Hint, ts(k.CreatedAt)}}
}

// licenseSelect reads a license with what its readers need from the rows
// around it, and its seats in use.
const licenseSelect = `SELECT l.id, l.license_key_id, l.brand_id, l.product_id, l.status, l.seats,
	l.expires_at, l.entitlements, l.metadata, l.version, l.created_at, l.updated_at,
	b.slug, p.slug, p.token_ttl_seconds,
	p.free_instances, p.max_free_activations, p.grace_days, p.activation_ttl_seconds,
	c.email, k.key_ciphertext, k.key_hint,
	(SELECT COUNT(*) FROM activations a WHERE a.license_id = l.id AND a.deactivated_at IS NULL AND NOT a.free),
	(SELECT COUNT(*) FROM activations a WHERE a.license_id = l.id AND a.deactivated_at IS NULL AND a.free)
FROM licenses l
JOIN brands b ON b.id = l.brand_id
JOIN products p ON p.id = l.product_id
JOIN license_keys k ON k.id = l.license_key_id
JOIN customers c ON c.id = k.customer_id`

func licenseFields(l *store.License) []any {
	return []any{&l.ID, &l.LicenseKeyID, &l.BrandID, &l.ProductID, &l.Status, &l.Seats,
		nullTimeCol{&l.ExpiresAt}, listCol{&l.Entitlements}, jsonCol{&l.Metadata, "{}"}, &l.Version,
		timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt},
		&l.BrandSlug, &l.ProductSlug, secondsCol{&l.TokenTTL},
		listCol{&l.Policy.FreeInstances}, &l.Policy.MaxFreeActivations, &l.Policy.GraceDays, secondsCol{&l.Policy.ActivationTTL},
		&l.CustomerEmail, &l.KeyCiphertext, &l.KeyHint,
		&l.SeatsUsed, &l.FreeUsed}
}

func (r queries) LicenseByID(ctx context.Context, brandID, id string) (store.License, error) {
	if err := needBrand("license by id", brandID); err != nil {
		return store.License{}, err
	}
	return get(ctx, r, "license by id", licenseFields, licenseSelect+" WHERE l.brand_id = $1 AND l.id = $2", brandID, id)
}

func (r queries) LicensesByKey(ctx context.Context, brandID, licenseKeyID string) ([]store.License, error) {
	if err := needBrand("licenses by key", brandID); err != nil {
		return nil, err
	}
	return list(ctx, r, "licenses by key", licenseFields,
		licenseSelect+" WHERE l.brand_id = $1 AND l.license_key_id = $2 ORDER BY l.created_at, l.id", brandID, licenseKeyID)
}

func (r queries) LicenseByKeyAndProduct(ctx context.Context, brandID, licenseKeyID, productID string) (store.License, error) {
	if err := needBrand("license by key and product", brandID); err != nil {
		return store.License{}, err
	}
	return get(ctx, r, "license by key and product", licenseFields,
		licenseSelect+" WHERE l.brand_id = $1 AND l.license_key_id = $2 AND l.product_id = $3", brandID, licenseKeyID, productID)
}

func (r queries) SearchLicenses(ctx context.Context, f store.LicenseFilter) ([]store.License, error) {
	var w where
	w.and("c.email = ?", f.Email)
	switch {
	case f.BrandID != "" && !f.AllBrands:
		w.and("l.brand_id = ?", f.BrandID)
	case f.BrandID == "" && f.AllBrands:
	default:
		return nil, fmt.Errorf("search licenses: give exactly one of a brand id and AllBrands: %w", errNoBrand)
	}
	if f.AfterID != "" {
		w.and("l.id > ?", f.AfterID)
	}
	q := licenseSelect + w.String() + " ORDER BY l.id" + w.limit(f.Limit)
	return list(ctx, r, "search licenses", licenseFields, q, w.args...)
}

// ListLicenses filters by effective status in SQL, by the same rule as
// the service: an active license whose expiry is not after Now is expired.
func (r queries) ListLicenses(ctx context.Context, f store.LicenseListFilter) ([]store.License, error) {
	if err := needBrand("list licenses", f.BrandID); err != nil {
		return nil, err
	}
	var w where
	w.and("l.brand_id = ?", f.BrandID)
	if f.ProductID != "" {
		w.and("l.product_id = ?", f.ProductID)
	}
	switch f.Status {
	case "":
	case store.StatusActive:
		w.and("l.status = 'active' AND (l.expires_at IS NULL OR l.expires_at > ?)", ts(f.Now))
	case store.StatusExpired:
		w.and("l.status = 'active' AND l.expires_at <= ?", ts(f.Now))
	case store.StatusSuspended, store.StatusCancelled:
		w.and("l.status = ?", string(f.Status))
	default:
		return nil, fmt.Errorf("list licenses: unknown status %q", f.Status)
	}
	if (f.Status == store.StatusActive || f.Status == store.StatusExpired) && f.Now.IsZero() {
		return nil, fmt.Errorf("list licenses: status %s needs Now", f.Status)
	}
	if f.ExpiresBefore != nil {
		w.and("l.expires_at < ?", ts(*f.ExpiresBefore))
	}
	if f.BeforeID != "" {
		w.and("l.id < ?", f.BeforeID)
	}
	q := licenseSelect + w.String() + " ORDER BY l.id DESC" + w.limit(f.Limit)
	return list(ctx, r, "list licenses", licenseFields, q, w.args...)
}

func (r queries) StaleActivationLicenses(ctx context.Context, productID string, seenBefore time.Time, afterID string, limit int) ([]store.LicenseRef, error) {
	var w where
	w.and("l.product_id = ?", productID)
	w.and("a.deactivated_at IS NULL AND a.last_seen_at < ?", ts(seenBefore))
	if afterID != "" {
		w.and("l.id > ?", afterID)
	}
	q := `SELECT DISTINCT l.id, l.brand_id, l.license_key_id FROM activations a JOIN licenses l ON l.id = a.license_id` +
		w.String() + " ORDER BY l.id" + w.limit(limit)
	return list(ctx, r, "stale activation licenses", func(l *store.LicenseRef) []any {
		return []any{&l.ID, &l.BrandID, &l.LicenseKeyID}
	}, q, w.args...)
}

func (t *tx) CreateLicense(ctx context.Context, l store.License) error {
	q := licenseInsert(l)
	return t.insert(ctx, "create license", q.SQL, q.Args...)
}

func licenseInsert(l store.License) Query {
	return Query{`INSERT INTO licenses (id, license_key_id, brand_id, product_id, status, seats,
		expires_at, entitlements, metadata, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		[]any{l.ID, l.LicenseKeyID, l.BrandID, l.ProductID, string(l.Status), l.Seats,
			tsOrNull(l.ExpiresAt), jsonList(l.Entitlements), jsonOr(l.Metadata, "{}"), max(l.Version, 1), ts(l.CreatedAt), ts(l.UpdatedAt)}}
}

// LockLicense takes the row lock first and reads afterwards, in a second
// statement: on PostgreSQL at READ COMMITTED a statement sees what was
// committed when it began, so a read in the locking statement itself could
// miss the seats taken by the transaction it waited for.
func (t *tx) LockLicense(ctx context.Context, brandID, id string) (store.License, error) {
	if err := needBrand("lock license", brandID); err != nil {
		return store.License{}, err
	}
	// Both statements go in one round trip when the connection batches:
	// the second still starts only once the first holds the lock.
	var got []store.License
	err := t.each(ctx, []Query{
		{"SELECT id FROM licenses WHERE brand_id = $1 AND id = $2 " + t.d.ForUpdate, []any{brandID, id}},
		{licenseSelect + " WHERE l.brand_id = $1 AND l.id = $2", []any{brandID, id}},
	}, func(i int, rows Rows) (err error) {
		if i == 1 {
			got, err = collect(rows, licenseFields)
		}
		return err
	})
	if err == nil && len(got) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.License{}, t.fail("lock license", err)
	}
	return got[0], nil
}

func (t *tx) UpdateLicense(ctx context.Context, l store.License) (int64, error) {
	err := t.change(ctx, "update license", store.ErrConflict, `UPDATE licenses
		SET status = $1, seats = $2, expires_at = $3, entitlements = $4, metadata = $5, updated_at = $6, version = version + 1
		WHERE id = $7 AND version = $8 AND brand_id = $9`,
		string(l.Status), l.Seats, tsOrNull(l.ExpiresAt), jsonList(l.Entitlements), jsonOr(l.Metadata, "{}"), ts(l.UpdatedAt),
		l.ID, l.Version, l.BrandID)
	if err != nil {
		return 0, err
	}
	return l.Version + 1, nil
}
