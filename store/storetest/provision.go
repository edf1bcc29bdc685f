package storetest

import (
	"testing"

	"github.com/licensedhq/licensed/store"
)

// ProductAndCustomer reads the product and ensures the customer like
// ProductBySlug and EnsureCustomer; the customer has the given id exactly
// when the call created it, and an unknown product writes nothing.
func testProductAndCustomer(t *testing.T, f *fixture) {
	w := f.world(1)
	var prod store.Product
	var fresh, again store.Customer
	newCust := store.Customer{ID: newID(), Email: "new-" + randomHex(4) + "@example.com"}
	f.tx(func(tx store.Tx) (err error) {
		prod, fresh, err = tx.ProductAndCustomer(f.ctx, w.brand.ID, w.product.Slug, newCust)
		return err
	})
	f.equal(prod, w.product)
	f.equal(fresh, newCust)
	f.tx(func(tx store.Tx) (err error) {
		_, again, err = tx.ProductAndCustomer(f.ctx, w.brand.ID, w.product.Slug, store.Customer{ID: newID(), Email: newCust.Email})
		return err
	})
	f.equal(again, newCust) // the existing row, not the id offered

	gone := store.Customer{ID: newID(), Email: "gone-" + randomHex(4) + "@example.com"}
	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		_, _, err := tx.ProductAndCustomer(f.ctx, w.brand.ID, "no-such-product", gone)
		return err
	})
	f.is(err, store.ErrNotFound)
	_, err = f.s.CustomerByEmail(f.ctx, gone.Email)
	f.is(err, store.ErrNotFound)
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		_, _, err := tx.ProductAndCustomer(f.ctx, "", w.product.Slug, gone)
		return err
	})
	if err == nil {
		t.Fatal("ProductAndCustomer without a brand: want an error")
	}
}

// CreateLicenseWithEvent writes the key (when given), the license and the
// event with its deliveries, all or nothing: a conflict on any of them is
// ErrAlreadyExists and leaves none of the transaction's rows.
func testCreateLicenseWithEvent(t *testing.T, f *fixture) {
	w := f.world(1)
	all := f.endpoint(w.brand, "*")
	other := f.endpoint(w.brand, "license.suspended")
	c := f.customer("batch-" + randomHex(4) + "@example.com")
	id := newID()
	k := store.LicenseKey{ID: id, BrandID: w.brand.ID, CustomerID: c.ID, Hash: []byte("hash-" + id),
		Ciphertext: []byte("sealed-" + id), Hint: "…" + id[len(id)-4:], CreatedAt: f.now}
	l := store.License{ID: newID(), LicenseKeyID: k.ID, BrandID: w.brand.ID, ProductID: w.product.ID,
		Status: store.StatusActive, Seats: 2, Entitlements: []string{"a"}, Version: 1, CreatedAt: f.now, UpdatedAt: f.now}
	e := f.event(w.brand.ID, l.ID, "license.provisioned")
	f.tx(func(tx store.Tx) error { return tx.CreateLicenseWithEvent(f.ctx, &k, l, e) })

	gotKey, err := f.s.LatestLicenseKey(f.ctx, w.brand.ID, c.ID)
	f.ok(err)
	f.equal(gotKey, k)
	got, err := f.s.LicenseByID(f.ctx, w.brand.ID, l.ID)
	f.ok(err)
	f.equal([]any{got.LicenseKeyID, got.Seats, got.Entitlements, got.CustomerEmail}, []any{k.ID, 2, []string{"a"}, c.Email})
	events, err := f.s.AuditEvents(f.ctx, w.brand.ID, store.AuditFilter{LicenseID: l.ID})
	f.ok(err)
	f.equal(events, []store.AuditEvent{e})
	f.equal(eventIDs(f.deliveries(all)), []string{e.ID})
	f.equal(f.deliveries(other), []store.WebhookDelivery{})

	// Under an existing key (no key given): a second product's license.
	second := f.product(w.brand, "second")
	l2 := l
	l2.ID, l2.ProductID = newID(), second.ID
	e2 := f.event(w.brand.ID, l2.ID, "license.provisioned")
	f.tx(func(tx store.Tx) error { return tx.CreateLicenseWithEvent(f.ctx, nil, l2, e2) })
	_, err = f.s.LicenseByID(f.ctx, w.brand.ID, l2.ID)
	f.ok(err)

	// Conflicts: the key's hash taken, the product's license under the key
	// taken. Each fails whole.
	k3 := k
	k3.ID = newID()
	l3 := l
	l3.ID, l3.LicenseKeyID = newID(), k3.ID
	l4 := l
	l4.ID = newID()
	for _, c := range []struct {
		name string
		key  *store.LicenseKey
		l    store.License
	}{{"key hash", &k3, l3}, {"license of the product under the key", nil, l4}} {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			ev := f.event(w.brand.ID, c.l.ID, "license.provisioned")
			err := f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.CreateLicenseWithEvent(f.ctx, c.key, c.l, ev) })
			f.is(err, store.ErrAlreadyExists)
			_, err = f.s.LicenseByID(f.ctx, w.brand.ID, c.l.ID)
			f.is(err, store.ErrNotFound)
			events, err := f.s.AuditEvents(f.ctx, w.brand.ID, store.AuditFilter{LicenseID: c.l.ID})
			f.ok(err)
			f.equal(len(events), 0)
			f.equal(eventIDs(f.deliveries(all)), eventIDs([]store.WebhookDelivery{{EventID: e.ID}, {EventID: e2.ID}}))
		})
	}
}
