package storetest

import (
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// testReadKey: ReadKey answers what LicenseKeyByHash, LicensesByKey and
// LiveActivation answer one by one, inside a transaction too (where
// PostgreSQL sends its statements as one batch on the transaction's
// connection).
func testReadKey(t *testing.T, f *fixture) {
	w := f.world(3)
	second := store.License{ID: newID(), LicenseKeyID: w.key.ID, BrandID: w.brand.ID, ProductID: f.product(w.brand, "max").ID,
		Status: store.StatusActive, Seats: 1, Entitlements: []string{}, Version: 1,
		CreatedAt: f.now.Add(time.Second), UpdatedAt: f.now.Add(time.Second)}
	f.tx(func(tx store.Tx) error { return tx.CreateLicense(f.ctx, second) })
	seat := f.activation(w.license.ID, "https://example.org")
	otherInstance := f.activation(w.license.ID, "https://other.example")
	ended := f.activation(second.ID, seat.Instance)
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateActivation(f.ctx, seat))
		f.ok(tx.CreateActivation(f.ctx, otherInstance))
		f.ok(tx.CreateActivation(f.ctx, ended))
		return tx.Deactivate(f.ctx, ended.ID, f.now)
	})
	// Another brand's key with the same instance live: never part of it.
	o := f.world(1)
	f.tx(func(tx store.Tx) error { return tx.CreateActivation(f.ctx, f.activation(o.license.ID, seat.Instance)) })

	key, err := f.s.LicenseKeyByHash(f.ctx, w.key.Hash)
	f.ok(err)
	licenses, err := f.s.LicensesByKey(f.ctx, w.brand.ID, w.key.ID)
	f.ok(err)
	live, err := f.s.LiveActivation(f.ctx, w.brand.ID, w.license.ID, seat.Instance)
	f.ok(err)
	f.equal(len(licenses), 2)
	want := store.KeyRead{Key: key, Licenses: licenses, Activations: []store.Activation{live}}

	check := func(q store.Queries) {
		t.Helper()
		got, err := q.ReadKey(f.ctx, w.key.Hash, seat.Instance)
		f.ok(err)
		f.equal(got, want)

		got, err = q.ReadKey(f.ctx, w.key.Hash, "")
		f.ok(err)
		f.equal(got, store.KeyRead{Key: key, Licenses: licenses, Activations: []store.Activation{}})

		got, err = q.ReadKey(f.ctx, w.key.Hash, "https://nowhere.example")
		f.ok(err)
		f.equal(got.Activations, []store.Activation{})

		_, err = q.ReadKey(f.ctx, []byte("missing"), seat.Instance)
		f.is(err, store.ErrNotFound)
	}
	check(f.s)
	f.tx(func(tx store.Tx) error { check(tx); return nil })
}

// testLiveActivationsPage: the seats of a license page in id order in SQL,
// ended seats and other licenses' seats left out, another brand's id
// answering nothing.
func testLiveActivationsPage(t *testing.T, f *fixture) {
	w := f.world(10)
	var live []store.Activation
	f.tx(func(tx store.Tx) error {
		for i := range 5 {
			a := f.activation(w.license.ID, "https://"+randomHex(4)+".example")
			f.ok(tx.CreateActivation(f.ctx, a))
			if i == 2 {
				f.ok(tx.Deactivate(f.ctx, a.ID, f.now))
				continue
			}
			live = append(live, a)
		}
		return nil
	})
	other := f.world(1)
	f.tx(func(tx store.Tx) error {
		return tx.CreateActivation(f.ctx, f.activation(other.license.ID, "https://x.example"))
	})

	first, err := f.s.LiveActivationsPage(f.ctx, w.brand.ID, w.license.ID, "", 3)
	f.ok(err)
	f.equal(first, live[:3])
	rest, err := f.s.LiveActivationsPage(f.ctx, w.brand.ID, w.license.ID, first[2].ID, 3)
	f.ok(err)
	f.equal(rest, live[3:])
	all, err := f.s.LiveActivationsPage(f.ctx, w.brand.ID, w.license.ID, "", 0)
	f.ok(err)
	f.equal(all, live)
	none, err := f.s.LiveActivationsPage(f.ctx, other.brand.ID, w.license.ID, "", 10)
	f.ok(err)
	f.equal(none, []store.Activation{})
}
