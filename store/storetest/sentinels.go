package storetest

import (
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// Lookups of what does not exist give store.ErrNotFound, outside and
// inside transactions; so do writes to rows that do not exist or no longer
// qualify, and rows that name a parent that does not exist.
func testNotFound(t *testing.T, f *fixture) {
	w := f.world(1)
	missing := newID()
	reads := []struct {
		name string
		read func(q store.Queries) error
	}{
		{"BrandByID", func(q store.Queries) error { _, err := q.BrandByID(f.ctx, missing); return err }},
		{"BrandBySlug", func(q store.Queries) error { _, err := q.BrandBySlug(f.ctx, "missing"); return err }},
		{"ProductBySlug", func(q store.Queries) error { _, err := q.ProductBySlug(f.ctx, w.brand.ID, "missing"); return err }},
		{"ProductBySlug/other brand", func(q store.Queries) error { _, err := q.ProductBySlug(f.ctx, missing, w.product.Slug); return err }},
		{"APIKeyByID", func(q store.Queries) error { _, err := q.APIKeyByID(f.ctx, missing); return err }},
		{"APIKeyByPrefix", func(q store.Queries) error { _, err := q.APIKeyByPrefix(f.ctx, "missing"); return err }},
		{"CustomerByEmail", func(q store.Queries) error { _, err := q.CustomerByEmail(f.ctx, "missing@example.com"); return err }},
		{"LicenseKeyByHash", func(q store.Queries) error { _, err := q.LicenseKeyByHash(f.ctx, []byte("missing")); return err }},
		{"LatestLicenseKey", func(q store.Queries) error { _, err := q.LatestLicenseKey(f.ctx, w.brand.ID, missing); return err }},
		{"LicenseByID", func(q store.Queries) error { _, err := q.LicenseByID(f.ctx, w.brand.ID, missing); return err }},
		{"LicenseByKeyAndProduct", func(q store.Queries) error {
			_, err := q.LicenseByKeyAndProduct(f.ctx, w.brand.ID, w.key.ID, missing)
			return err
		}},
		{"ActivationByID", func(q store.Queries) error { _, err := q.ActivationByID(f.ctx, w.brand.ID, missing); return err }},
		{"LiveActivation", func(q store.Queries) error {
			_, err := q.LiveActivation(f.ctx, w.brand.ID, w.license.ID, "missing")
			return err
		}},
		{"Idempotency", func(q store.Queries) error { _, err := q.Idempotency(f.ctx, w.brand.ID, "missing"); return err }},
	}
	for _, c := range reads {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			f.is(c.read(f.s), store.ErrNotFound)
			f.is(f.s.InTx(f.ctx, func(tx store.Tx) error { return c.read(tx) }), store.ErrNotFound)
		})
	}

	at := f.now
	writes := []struct {
		name  string
		write func(tx store.Tx) error
	}{
		{"TouchAPIKey", func(tx store.Tx) error { return tx.TouchAPIKey(f.ctx, missing, at) }},
		{"RevokeAPIKey", func(tx store.Tx) error { return tx.RevokeAPIKey(f.ctx, missing, at) }},
		{"LockLicense", func(tx store.Tx) error { _, err := tx.LockLicense(f.ctx, w.brand.ID, missing); return err }},
		{"TouchActivation", func(tx store.Tx) error { return tx.TouchActivation(f.ctx, missing, "x", at) }},
		{"Deactivate", func(tx store.Tx) error { return tx.Deactivate(f.ctx, missing, at) }},
		{"CompleteIdempotency", func(tx store.Tx) error { return tx.CompleteIdempotency(f.ctx, w.brand.ID, "missing", 200, nil) }},
		{"CreateProduct/unknown brand", func(tx store.Tx) error {
			return tx.CreateProduct(f.ctx, store.Product{ID: newID(), BrandID: missing, Slug: "p", Name: "P",
				DefaultSeats: 1, TokenTTL: time.Hour, CreatedAt: at})
		}},
		{"CreateActivation/unknown license", func(tx store.Tx) error {
			return tx.CreateActivation(f.ctx, f.activation(missing, "x"))
		}},
	}
	for _, c := range writes {
		t.Run(c.name, func(t *testing.T) {
			f.in(t).is(f.s.InTx(f.ctx, c.write), store.ErrNotFound)
		})
	}

	t.Run("UpdateLicense", func(t *testing.T) {
		f := f.in(t)
		err := f.s.InTx(f.ctx, func(tx store.Tx) error {
			l := w.license
			l.ID = missing
			_, err := tx.UpdateLicense(f.ctx, l)
			return err
		})
		f.is(err, store.ErrConflict) // no row has that version: the caller read something else
	})
}

// Every uniqueness rule of the data model gives store.ErrAlreadyExists.
func testAlreadyExists(t *testing.T, f *fixture) {
	w := f.world(2)
	other := f.brand("other")
	apiKey := func(prefix string) store.APIKey {
		return store.APIKey{ID: newID(), Name: "k", Prefix: prefix, SecretHash: []byte("h"), CreatedAt: f.now}
	}
	signingKey := func(kid string, state store.KeyState) store.SigningKey {
		return store.SigningKey{KID: kid, PublicKey: []byte(kid), PrivateKeyCiphertext: []byte(kid), State: state, CreatedAt: f.now}
	}
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateAPIKey(f.ctx, apiKey("taken")))
		f.ok(tx.CreateActivation(f.ctx, f.activation(w.license.ID, "https://example.org")))
		f.ok(tx.CreateSigningKey(f.ctx, signingKey("a1", store.KeyActive)))
		return tx.CreateSigningKey(f.ctx, signingKey("n1", store.KeyNext))
	})

	cases := []struct {
		name   string
		create func(tx store.Tx) error
	}{
		{"brand slug", func(tx store.Tx) error {
			return tx.CreateBrand(f.ctx, store.Brand{ID: newID(), Slug: w.brand.Slug, Name: "x", CreatedAt: f.now})
		}},
		{"brand id", func(tx store.Tx) error {
			return tx.CreateBrand(f.ctx, store.Brand{ID: w.brand.ID, Slug: "fresh", Name: "x", CreatedAt: f.now})
		}},
		{"product slug in its brand", func(tx store.Tx) error {
			p := w.product
			p.ID = newID()
			return tx.CreateProduct(f.ctx, p)
		}},
		{"api key prefix", func(tx store.Tx) error { return tx.CreateAPIKey(f.ctx, apiKey("taken")) }},
		{"license key hash", func(tx store.Tx) error {
			k := w.key
			k.ID = newID()
			return tx.CreateLicenseKey(f.ctx, k)
		}},
		{"license of a product under a key", func(tx store.Tx) error {
			l := w.license
			l.ID = newID()
			return tx.CreateLicense(f.ctx, l)
		}},
		{"live activation of an instance", func(tx store.Tx) error {
			return tx.CreateActivation(f.ctx, f.activation(w.license.ID, "https://example.org"))
		}},
		{"second active signing key", func(tx store.Tx) error { return tx.CreateSigningKey(f.ctx, signingKey("a2", store.KeyActive)) }},
		{"second next signing key", func(tx store.Tx) error { return tx.CreateSigningKey(f.ctx, signingKey("n2", store.KeyNext)) }},
		{"signing key kid", func(tx store.Tx) error { return tx.CreateSigningKey(f.ctx, signingKey("a1", store.KeyRetired)) }},
		{"promotion beside an active key", func(tx store.Tx) error {
			return tx.SetSigningKeyState(f.ctx, "n1", store.KeyNext, store.KeyActive, f.now)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.in(t).is(f.s.InTx(f.ctx, c.create), store.ErrAlreadyExists)
		})
	}

	t.Run("product slug under another brand", func(t *testing.T) {
		f := f.in(t)
		p := w.product
		p.ID, p.BrandID = newID(), other.ID
		f.tx(func(tx store.Tx) error { return tx.CreateProduct(f.ctx, p) })
	})
}
