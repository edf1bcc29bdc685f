package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

func testBrands(t *testing.T, f *fixture) {
	b := f.brand("acme")
	got, err := f.s.BrandByID(f.ctx, b.ID)
	f.ok(err)
	f.equal(got, b)
	got, err = f.s.BrandBySlug(f.ctx, "acme")
	f.ok(err)
	f.equal(got, b)
}

func testProducts(t *testing.T, f *fixture) {
	ttl, err := f.s.MaxTokenTTL(f.ctx)
	f.ok(err)
	f.equal(ttl, time.Duration(0))

	b := f.brand("acme")
	p := f.product(b, "pro")
	got, err := f.s.ProductBySlug(f.ctx, b.ID, "pro")
	f.ok(err)
	f.equal(got, p)

	long := store.Product{ID: newID(), BrandID: b.ID, Slug: "long", Name: "Long", DefaultSeats: 1,
		TokenTTL: 30 * 24 * time.Hour, CreatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateProduct(f.ctx, long) })
	ttl, err = f.s.MaxTokenTTL(f.ctx)
	f.ok(err)
	f.equal(ttl, long.TokenTTL)
}

func testAPIKeys(t *testing.T, f *fixture) {
	b := f.brand("acme")
	brandKey := store.APIKey{ID: newID(), BrandID: &b.ID, Name: "ci", Prefix: "abc123",
		SecretHash: []byte{0, 1, 2, 0xff}, Scopes: []string{"licenses:read", "licenses:write"}, CreatedAt: f.now}
	platformKey := store.APIKey{ID: newID(), Name: "ops", Prefix: "def456",
		SecretHash: []byte("h"), Scopes: []string{}, CreatedAt: f.now}
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateAPIKey(f.ctx, brandKey))
		return tx.CreateAPIKey(f.ctx, platformKey)
	})
	for _, k := range []store.APIKey{brandKey, platformKey} {
		got, err := f.s.APIKeyByID(f.ctx, k.ID)
		f.ok(err)
		f.equal(got, k)
		got, err = f.s.APIKeyByPrefix(f.ctx, k.Prefix)
		f.ok(err)
		f.equal(got, k)
	}

	used, revoked := f.now.Add(time.Minute), f.now.Add(time.Hour)
	f.tx(func(tx store.Tx) error {
		f.ok(tx.TouchAPIKey(f.ctx, brandKey.ID, used))
		return tx.RevokeAPIKey(f.ctx, brandKey.ID, revoked)
	})
	got, err := f.s.APIKeyByID(f.ctx, brandKey.ID)
	f.ok(err)
	brandKey.LastUsedAt, brandKey.RevokedAt = &used, &revoked
	f.equal(got, brandKey)

	err = f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.RevokeAPIKey(f.ctx, brandKey.ID, f.now) })
	f.is(err, store.ErrNotFound) // revoked already
}

func testCustomersAndLicenseKeys(t *testing.T, f *fixture) {
	c := f.customer("jane@example.com")
	again := f.customer("jane@example.com")
	f.equal(again, c)
	got, err := f.s.CustomerByEmail(f.ctx, "jane@example.com")
	f.ok(err)
	f.equal(got, c)

	b := f.brand("acme")
	first := f.licenseKey(b, c)
	k, err := f.s.LicenseKeyByHash(f.ctx, first.Hash)
	f.ok(err)
	f.equal(k, first)

	newer := store.LicenseKey{ID: newID(), BrandID: b.ID, CustomerID: c.ID, Hash: []byte("newer"),
		Ciphertext: []byte("sealed"), Hint: "…NEW1", CreatedAt: f.now.Add(time.Second)}
	f.tx(func(tx store.Tx) error { return tx.CreateLicenseKey(f.ctx, newer) })
	latest, err := f.s.LatestLicenseKey(f.ctx, b.ID, c.ID)
	f.ok(err)
	f.equal(latest, newer)

	other := f.brand("other")
	_, err = f.s.LatestLicenseKey(f.ctx, other.ID, c.ID)
	f.is(err, store.ErrNotFound)
}

func testLicenses(t *testing.T, f *fixture) {
	w := f.world(5)
	expires := f.now.Add(365 * 24 * time.Hour)
	l := store.License{ID: newID(), LicenseKeyID: w.key.ID, BrandID: w.brand.ID, ProductID: f.product(w.brand, "max").ID,
		Status: store.StatusSuspended, Seats: 2, ExpiresAt: &expires,
		Entitlements: []string{"pro", "support"}, Metadata: json.RawMessage(`{"order":"A-1","n":2}`),
		Version: 1, CreatedAt: f.now.Add(time.Second), UpdatedAt: f.now.Add(2 * time.Second)}
	f.tx(func(tx store.Tx) error { return tx.CreateLicense(f.ctx, l) })

	want := l
	want.BrandSlug, want.ProductSlug, want.TokenTTL = w.brand.Slug, "max", 7*24*time.Hour
	want.CustomerEmail, want.KeyCiphertext, want.KeyHint = w.customer.Email, w.key.Ciphertext, w.key.Hint
	got, err := f.s.LicenseByID(f.ctx, l.BrandID, l.ID)
	f.ok(err)
	f.equal(got, want)

	got, err = f.s.LicenseByKeyAndProduct(f.ctx, w.brand.ID, w.key.ID, l.ProductID)
	f.ok(err)
	f.equal(got, want)

	all, err := f.s.LicensesByKey(f.ctx, w.brand.ID, w.key.ID)
	f.ok(err)
	f.equal(all, []store.License{w.license, want}) // oldest first

	// SeatsUsed counts live activations only, in every read.
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateActivation(f.ctx, f.activation(l.ID, "a")))
		gone := f.activation(l.ID, "b")
		f.ok(tx.CreateActivation(f.ctx, gone))
		f.ok(tx.CreateActivation(f.ctx, f.activation(l.ID, "c")))
		return tx.Deactivate(f.ctx, gone.ID, f.now)
	})
	want.SeatsUsed = 2
	got, err = f.s.LicenseByID(f.ctx, l.BrandID, l.ID)
	f.ok(err)
	f.equal(got, want)
	f.tx(func(tx store.Tx) error {
		locked, err := tx.LockLicense(f.ctx, l.BrandID, l.ID)
		f.ok(err)
		f.equal(locked, want)
		return nil
	})
}

func testUpdateLicense(t *testing.T, f *fixture) {
	w := f.world(1)
	l := w.license
	expires := f.now.Add(time.Hour)
	l.Status, l.Seats, l.ExpiresAt = store.StatusCancelled, 4, &expires
	l.Entitlements, l.Metadata, l.UpdatedAt = []string{"x"}, json.RawMessage(`{"a":[1]}`), f.now.Add(time.Minute)
	f.tx(func(tx store.Tx) error {
		v, err := tx.UpdateLicense(f.ctx, l)
		f.equal(v, l.Version+1)
		return err
	})
	got, err := f.s.LicenseByID(f.ctx, l.BrandID, l.ID)
	f.ok(err)
	l.Version++
	f.equal(got, l)

	stale := l
	stale.Version--
	stale.Seats = 9
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		_, err := tx.UpdateLicense(f.ctx, stale)
		return err
	})
	f.is(err, store.ErrConflict)
	got, err = f.s.LicenseByID(f.ctx, l.BrandID, l.ID)
	f.ok(err)
	f.equal(got, l)
}

// A license created without a version starts at 1. Entitlements, metadata,
// scopes and audit data that were never set read back as [] and {}, never
// null: they end up in API responses.
func testDefaults(t *testing.T, f *fixture) {
	w := f.world(1)
	f.equal(w.license.Version, int64(1))
	if w.license.Entitlements == nil || len(w.license.Entitlements) != 0 {
		t.Errorf("entitlements = %#v, want an empty non-nil list", w.license.Entitlements)
	}
	f.equal(string(w.license.Metadata), "{}")

	e := f.event(w.brand.ID, "", "x")
	e.Data = nil
	f.tx(func(tx store.Tx) error { return tx.AppendAuditEvent(f.ctx, e) })
	events, err := f.s.AuditEvents(f.ctx, w.brand.ID, store.AuditFilter{})
	f.ok(err)
	f.equal(len(events), 1)
	f.equal(string(events[0].Data), "{}")

	k := store.APIKey{ID: newID(), Name: "k", Prefix: "p", SecretHash: []byte("h"), CreatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateAPIKey(f.ctx, k) })
	got, err := f.s.APIKeyByID(f.ctx, k.ID)
	f.ok(err)
	if got.Scopes == nil || len(got.Scopes) != 0 {
		t.Errorf("scopes = %#v, want an empty non-nil list", got.Scopes)
	}
}

func testActivations(t *testing.T, f *fixture) {
	w := f.world(3)
	a := f.activation(w.license.ID, "https://example.org")
	f.tx(func(tx store.Tx) error { return tx.CreateActivation(f.ctx, a) })
	got, err := f.s.ActivationByID(f.ctx, w.brand.ID, a.ID)
	f.ok(err)
	f.equal(got, a)
	got, err = f.s.LiveActivation(f.ctx, w.brand.ID, w.license.ID, a.Instance)
	f.ok(err)
	f.equal(got, a)

	// A second live seat for the instance is refused, and the transaction
	// goes on: callers may look up the seat that exists.
	f.tx(func(tx store.Tx) error {
		f.is(tx.CreateActivation(f.ctx, f.activation(w.license.ID, a.Instance)), store.ErrAlreadyExists)
		live, err := tx.LiveActivation(f.ctx, w.brand.ID, w.license.ID, a.Instance)
		f.equal(live.ID, a.ID)
		return err
	})

	seen := f.now.Add(time.Minute)
	f.tx(func(tx store.Tx) error { return tx.TouchActivation(f.ctx, a.ID, "renamed", seen) })
	a.InstanceName, a.LastSeenAt = "renamed", seen
	other := f.activation(w.license.ID, "https://other.example")
	f.tx(func(tx store.Tx) error { return tx.CreateActivation(f.ctx, other) })
	live, err := f.s.LiveActivations(f.ctx, w.brand.ID, w.license.ID)
	f.ok(err)
	f.equal(live, []store.Activation{a, other})
	n, err := f.s.CountLiveActivations(f.ctx, w.brand.ID, w.license.ID)
	f.ok(err)
	f.equal(n, 2)

	// Deactivated, the instance holds no seat and may activate again.
	ended := f.now.Add(time.Hour)
	f.tx(func(tx store.Tx) error { return tx.Deactivate(f.ctx, a.ID, ended) })
	got, err = f.s.ActivationByID(f.ctx, w.brand.ID, a.ID)
	f.ok(err)
	a.DeactivatedAt = &ended
	f.equal(got, a)
	_, err = f.s.LiveActivation(f.ctx, w.brand.ID, w.license.ID, a.Instance)
	f.is(err, store.ErrNotFound)
	for _, op := range []func(tx store.Tx) error{
		func(tx store.Tx) error { return tx.Deactivate(f.ctx, a.ID, ended) },
		func(tx store.Tx) error { return tx.TouchActivation(f.ctx, a.ID, "x", ended) },
	} {
		f.is(f.s.InTx(f.ctx, op), store.ErrNotFound)
	}
	again := f.activation(w.license.ID, a.Instance)
	f.tx(func(tx store.Tx) error { return tx.CreateActivation(f.ctx, again) })
	n, err = f.s.CountLiveActivations(f.ctx, w.brand.ID, w.license.ID)
	f.ok(err)
	f.equal(n, 2)
}

func testIdempotency(t *testing.T, f *fixture) {
	b := f.brand("acme")
	rec := store.Idempotency{BrandID: b.ID, Key: "order-1", RequestHash: []byte{1, 2, 3}, CreatedAt: f.now}
	claim := func() bool {
		var ok bool
		f.tx(func(tx store.Tx) (err error) {
			ok, err = tx.ClaimIdempotency(f.ctx, rec)
			return err
		})
		return ok
	}
	f.equal(claim(), true)
	f.equal(claim(), false)
	got, err := f.s.Idempotency(f.ctx, b.ID, "order-1")
	f.ok(err)
	f.equal(got, rec) // pending: status 0, no body

	// The body is kept byte for byte, whatever it holds.
	body := []byte("{\"a\":1}\x00\xff\n  ")
	f.tx(func(tx store.Tx) error { return tx.CompleteIdempotency(f.ctx, b.ID, "order-1", 201, body) })
	got, err = f.s.Idempotency(f.ctx, b.ID, "order-1")
	f.ok(err)
	rec.Status, rec.Body = 201, body
	f.equal(got, rec)

	newer := store.Idempotency{BrandID: b.ID, Key: "order-2", RequestHash: []byte{4}, CreatedAt: f.now.Add(time.Hour)}
	f.tx(func(tx store.Tx) error {
		_, err := tx.ClaimIdempotency(f.ctx, newer)
		return err
	})
	f.tx(func(tx store.Tx) error {
		n, err := tx.DeleteIdempotencyBefore(f.ctx, f.now.Add(time.Minute))
		f.equal(n, int64(1))
		return err
	})
	_, err = f.s.Idempotency(f.ctx, b.ID, "order-1")
	f.is(err, store.ErrNotFound)
	_, err = f.s.Idempotency(f.ctx, b.ID, "order-2")
	f.ok(err)
}

func testSigningKeys(t *testing.T, f *fixture) {
	key := func(kid string, state store.KeyState, created time.Time) store.SigningKey {
		return store.SigningKey{KID: kid, PublicKey: []byte("pub-" + kid + "\x00"), PrivateKeyCiphertext: []byte("sealed-" + kid),
			State: state, CreatedAt: created}
	}
	active := key("k1", store.KeyActive, f.now)
	active.ActivatedAt = &f.now
	next := key("k2", store.KeyNext, f.now.Add(time.Second))
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateSigningKey(f.ctx, active))
		return tx.CreateSigningKey(f.ctx, next)
	})
	keys, err := f.s.SigningKeys(f.ctx)
	f.ok(err)
	f.equal(keys, []store.SigningKey{active, next})

	// Rotation: retire the active key, promote the next one.
	at := f.now.Add(time.Hour)
	f.tx(func(tx store.Tx) error {
		f.ok(tx.SetSigningKeyState(f.ctx, active.KID, store.KeyActive, store.KeyRetired, at))
		return tx.SetSigningKeyState(f.ctx, next.KID, store.KeyNext, store.KeyActive, at)
	})
	active.State, active.RetiredAt = store.KeyRetired, &at
	next.State, next.ActivatedAt = store.KeyActive, &at
	keys, err = f.s.SigningKeys(f.ctx)
	f.ok(err)
	f.equal(keys, []store.SigningKey{active, next})

	// The same move again finds the keys moved: whoever raced lost.
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		return tx.SetSigningKeyState(f.ctx, next.KID, store.KeyNext, store.KeyActive, at)
	})
	f.is(err, store.ErrConflict)

	// Any number of retired keys.
	f.tx(func(tx store.Tx) error { return tx.CreateSigningKey(f.ctx, key("k3", store.KeyRetired, at)) })
}
