package storetest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/licensedhq/licensed/store"
)

// SealedValues pages through each sealed column in (brand, id) order,
// skips what starts with a prefix, and leaves pending idempotency records
// out; ReSeal swaps a value only if it is still the one read, and moves a
// license key's lookup hash with it.
func testSealedValues(t *testing.T, f *fixture) {
	w := f.world(1)
	other := f.world(1)
	marked := []byte("\x01MARK") // what a rotation has done already
	f.tx(func(tx store.Tx) error {
		for i, kid := range []string{"k1", "k2", "k3"} {
			ct := []byte("sealed-" + kid)
			if i == 1 {
				ct = append(slices.Clone(marked), ct...)
			}
			state := []store.KeyState{store.KeyRetired, store.KeyActive, store.KeyNext}[i]
			if err := tx.CreateSigningKey(f.ctx, store.SigningKey{KID: kid, PublicKey: []byte(kid), PrivateKeyCiphertext: ct,
				State: state, CreatedAt: f.now}); err != nil {
				return err
			}
		}
		for _, b := range []store.Brand{w.brand, other.brand} {
			for _, k := range []string{"a", "b"} {
				if _, err := tx.ClaimIdempotency(f.ctx, store.Idempotency{BrandID: b.ID, Key: k, RequestHash: []byte("h"), CreatedAt: f.now}); err != nil {
					return err
				}
				if err := tx.CompleteIdempotency(f.ctx, b.ID, k, 201, []byte("body-"+k)); err != nil {
					return err
				}
			}
		}
		_, err := tx.ClaimIdempotency(f.ctx, store.Idempotency{BrandID: w.brand.ID, Key: "pending", RequestHash: []byte("h"), CreatedAt: f.now})
		return err
	})

	all := func(flt store.SealedFilter) []store.SealedValue {
		t.Helper()
		var out []store.SealedValue
		for range 20 {
			page, err := f.s.SealedValues(f.ctx, flt)
			f.ok(err)
			if len(page) == 0 {
				return out
			}
			for _, v := range page {
				if v.Kind != flt.Kind {
					t.Fatalf("kind %q in a page of %q", v.Kind, flt.Kind)
				}
			}
			out = append(out, page...)
			last := page[len(page)-1]
			flt.AfterBrandID, flt.AfterID = last.BrandID, last.ID
		}
		t.Fatal("paging does not end")
		return nil
	}

	signing := all(store.SealedFilter{Kind: store.SealedSigningKey, Limit: 2})
	f.equal(ids(signing, func(v store.SealedValue) string { return v.ID + "=" + string(v.Ciphertext) }),
		[]string{"k1=sealed-k1", "k2=" + string(marked) + "sealed-k2", "k3=sealed-k3"})
	unmarked := all(store.SealedFilter{Kind: store.SealedSigningKey, NotPrefix: marked, Limit: 1})
	f.equal(ids(unmarked, func(v store.SealedValue) string { return v.ID }), []string{"k1", "k3"})

	keys := all(store.SealedFilter{Kind: store.SealedLicenseKey, Limit: 1})
	wantKeys := []string{w.key.ID, other.key.ID}
	slices.Sort(wantKeys)
	f.equal(ids(keys, func(v store.SealedValue) string { return v.ID }), wantKeys)

	idem := all(store.SealedFilter{Kind: store.SealedIdempotency, Limit: 3})
	var wantIdem []string
	for _, b := range []string{w.brand.ID, other.brand.ID} {
		wantIdem = append(wantIdem, b+"/a", b+"/b")
	}
	slices.Sort(wantIdem)
	f.equal(ids(idem, func(v store.SealedValue) string { return v.BrandID + "/" + v.ID }), wantIdem)

	newest, err := f.s.SealedValues(f.ctx, store.SealedFilter{Kind: store.SealedSigningKey, Newest: true, Limit: 1})
	f.ok(err)
	f.equal(ids(newest, func(v store.SealedValue) string { return v.ID }), []string{"k3"})

	// Re-sealing: a license key's ciphertext and hash move together.
	v := keys[0]
	var owner store.LicenseKey
	for _, k := range []store.LicenseKey{w.key, other.key} {
		if k.ID == v.ID {
			owner = k
		}
	}
	oldHash := owner.Hash
	f.tx(func(tx store.Tx) error { return tx.ReSeal(f.ctx, v, []byte("resealed"), []byte("new-hash")) })
	got, err := f.s.LicenseKeyByHash(f.ctx, []byte("new-hash"))
	f.ok(err)
	owner.Ciphertext, owner.Hash = []byte("resealed"), []byte("new-hash")
	f.equal(got, owner)
	_, err = f.s.LicenseKeyByHash(f.ctx, oldHash)
	f.is(err, store.ErrNotFound)

	// A value that changed since it was read is not overwritten.
	f.is(f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.ReSeal(f.ctx, v, []byte("again"), []byte("h2")) }), store.ErrConflict)
	// A license key needs its new hash; other kinds have none.
	if err := f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.ReSeal(f.ctx, keys[1], []byte("x"), nil) }); err == nil {
		t.Error("a license key re-sealed without a new lookup hash")
	}
	f.tx(func(tx store.Tx) error { return tx.ReSeal(f.ctx, signing[0], []byte("resealed-k1"), nil) })
	f.tx(func(tx store.Tx) error { return tx.ReSeal(f.ctx, idem[0], []byte("resealed-body"), nil) })
	rec, err := f.s.Idempotency(f.ctx, idem[0].BrandID, idem[0].ID)
	f.ok(err)
	if !bytes.Equal(rec.Body, []byte("resealed-body")) || rec.Status != 201 {
		t.Errorf("idempotency record after ReSeal: %d %q", rec.Status, rec.Body)
	}
	sk, err := f.s.SigningKeys(f.ctx)
	f.ok(err)
	f.equal(string(sk[0].PrivateKeyCiphertext), "resealed-k1")

	gone := store.SealedValue{Kind: store.SealedSigningKey, ID: "nope", Ciphertext: []byte("x")}
	f.is(f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.ReSeal(f.ctx, gone, []byte("y"), nil) }), store.ErrNotFound)
}
