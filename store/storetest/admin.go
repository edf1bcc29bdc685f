package storetest

import (
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// The reads and writes of the admin API: brand listing and renaming, API
// key listing, signing key revocation.

func testBrandList(t *testing.T, f *fixture) {
	none, err := f.s.Brands(f.ctx, store.BrandFilter{})
	f.ok(err)
	f.equal(len(none), 0)

	a, b, c := f.brand("a"), f.brand("b"), f.brand("c")
	all, err := f.s.Brands(f.ctx, store.BrandFilter{})
	f.ok(err)
	f.equal(all, []store.Brand{a, b, c})
	page, err := f.s.Brands(f.ctx, store.BrandFilter{AfterID: a.ID, Limit: 1})
	f.ok(err)
	f.equal(page, []store.Brand{b})

	b.Name = "Renamed \u00e9"
	f.tx(func(tx store.Tx) error { return tx.UpdateBrand(f.ctx, b) })
	got, err := f.s.BrandBySlug(f.ctx, "b")
	f.ok(err)
	f.equal(got, b)
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		return tx.UpdateBrand(f.ctx, store.Brand{ID: newID(), Name: "x"})
	})
	f.is(err, store.ErrNotFound)
}

func testAPIKeyList(t *testing.T, f *fixture) {
	b1, b2 := f.brand("one"), f.brand("two")
	key := func(brandID *string, prefix string) store.APIKey {
		k := store.APIKey{ID: newID(), BrandID: brandID, Name: prefix, Prefix: prefix,
			SecretHash: []byte("h"), Scopes: []string{"licenses:read"}, CreatedAt: f.now}
		f.tx(func(tx store.Tx) error { return tx.CreateAPIKey(f.ctx, k) })
		return k
	}
	k1, k2, kp, k1b := key(&b1.ID, "p1"), key(&b2.ID, "p2"), key(nil, "pp"), key(&b1.ID, "p1b")

	got, err := f.s.APIKeys(f.ctx, store.APIKeyFilter{BrandID: b1.ID})
	f.ok(err)
	f.equal(got, []store.APIKey{k1, k1b})
	got, err = f.s.APIKeys(f.ctx, store.APIKeyFilter{Platform: true})
	f.ok(err)
	f.equal(got, []store.APIKey{kp})
	got, err = f.s.APIKeys(f.ctx, store.APIKeyFilter{All: true})
	f.ok(err)
	f.equal(got, []store.APIKey{k1, k2, kp, k1b})
	got, err = f.s.APIKeys(f.ctx, store.APIKeyFilter{All: true, AfterID: k2.ID, Limit: 1})
	f.ok(err)
	f.equal(got, []store.APIKey{kp})

	// A filter naming no brand is refused, never read as "every key".
	if _, err := f.s.APIKeys(f.ctx, store.APIKeyFilter{}); err == nil {
		t.Fatal("APIKeys with an empty filter: want an error")
	}
}

func testSigningKeyRevoke(t *testing.T, f *fixture) {
	mk := func(kid string, state store.KeyState) store.SigningKey {
		return store.SigningKey{KID: kid, PublicKey: []byte("pub"), PrivateKeyCiphertext: []byte("sealed"), State: state, CreatedAt: f.now}
	}
	retired, active, next := mk("r", store.KeyRetired), mk("a", store.KeyActive), mk("n", store.KeyNext)
	retired.RetiredAt, active.ActivatedAt = &f.now, &f.now
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateSigningKey(f.ctx, retired))
		f.ok(tx.CreateSigningKey(f.ctx, active))
		return tx.CreateSigningKey(f.ctx, next)
	})

	// Revoking the active key promotes the next one in the same
	// transaction, as compare-and-swap moves.
	at := f.now.Add(time.Minute)
	f.tx(func(tx store.Tx) error {
		f.ok(tx.SetSigningKeyState(f.ctx, "r", store.KeyRetired, store.KeyRevoked, at))
		f.ok(tx.SetSigningKeyState(f.ctx, "a", store.KeyActive, store.KeyRevoked, at))
		return tx.SetSigningKeyState(f.ctx, "n", store.KeyNext, store.KeyActive, at)
	})
	retired.State, retired.RevokedAt = store.KeyRevoked, &at
	active.State, active.RevokedAt = store.KeyRevoked, &at
	next.State, next.ActivatedAt = store.KeyActive, &at
	keys, err := f.s.SigningKeys(f.ctx)
	f.ok(err)
	f.equal(keys, []store.SigningKey{active, next, retired}) // created_at, kid

	// A second revocation finds the key moved already.
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		return tx.SetSigningKeyState(f.ctx, "a", store.KeyActive, store.KeyRevoked, at)
	})
	f.is(err, store.ErrConflict)
	// Revoked keys, like retired ones, are not limited to one.
	f.tx(func(tx store.Tx) error { return tx.CreateSigningKey(f.ctx, mk("z", store.KeyRevoked)) })
}
