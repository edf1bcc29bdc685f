package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// A transaction that fails after writing to every table leaves none of
// its rows behind, whether fn returns an error or panics.
func testFailedTx(t *testing.T, f *fixture) {
	w := f.world(1) // committed before: must survive
	boom := errors.New("boom")
	b := store.Brand{ID: newID(), Slug: "doomed", Name: "Doomed", CreatedAt: f.now}
	var c store.Customer
	var l store.License
	writeAll := func(tx store.Tx) {
		f.ok(tx.CreateBrand(f.ctx, b))
		p := store.Product{ID: newID(), BrandID: b.ID, Slug: "p", Name: "P", DefaultSeats: 1, TokenTTL: time.Hour, CreatedAt: f.now}
		f.ok(tx.CreateProduct(f.ctx, p))
		var err error
		c, err = tx.EnsureCustomer(f.ctx, store.Customer{ID: newID(), Email: "doomed@example.com"})
		f.ok(err)
		k := store.LicenseKey{ID: newID(), BrandID: b.ID, CustomerID: c.ID, Hash: []byte("doomed"), Ciphertext: []byte("x"), Hint: "x", CreatedAt: f.now}
		f.ok(tx.CreateLicenseKey(f.ctx, k))
		l = store.License{ID: newID(), LicenseKeyID: k.ID, BrandID: b.ID, ProductID: p.ID, Status: store.StatusActive,
			Seats: 1, Version: 1, CreatedAt: f.now, UpdatedAt: f.now}
		f.ok(tx.CreateLicense(f.ctx, l))
		f.ok(tx.CreateActivation(f.ctx, f.activation(l.ID, "x")))
		f.ok(tx.CreateActivation(f.ctx, f.activation(w.license.ID, "x")))
		f.ok(tx.AppendAuditEvent(f.ctx, f.event(b.ID, l.ID, "doomed")))
		f.ok(tx.AppendAuditEvent(f.ctx, f.event(w.brand.ID, w.license.ID, "doomed")))
		_, err = tx.ClaimIdempotency(f.ctx, store.Idempotency{BrandID: w.brand.ID, Key: "k", RequestHash: []byte("h"), CreatedAt: f.now})
		f.ok(err)
		f.ok(tx.CreateSigningKey(f.ctx, store.SigningKey{KID: "doomed", PublicKey: []byte("p"), PrivateKeyCiphertext: []byte("s"),
			State: store.KeyActive, CreatedAt: f.now}))
		changed := w.license
		changed.Seats = 9
		_, err = tx.UpdateLicense(f.ctx, changed)
		f.ok(err)
	}
	nothingLeft := func() {
		t.Helper()
		_, err := f.s.BrandBySlug(f.ctx, "doomed")
		f.is(err, store.ErrNotFound)
		_, err = f.s.CustomerByEmail(f.ctx, "doomed@example.com")
		f.is(err, store.ErrNotFound)
		_, err = f.s.LicenseByID(f.ctx, b.ID, l.ID)
		f.is(err, store.ErrNotFound)
		_, err = f.s.Idempotency(f.ctx, w.brand.ID, "k")
		f.is(err, store.ErrNotFound)
		got, err := f.s.LicenseByID(f.ctx, w.brand.ID, w.license.ID)
		f.ok(err)
		f.equal(got, w.license) // no seat taken, version unchanged
		events, err := f.s.AuditEvents(f.ctx, w.brand.ID, store.AuditFilter{})
		f.ok(err)
		f.equal(len(events), 0)
		keys, err := f.s.SigningKeys(f.ctx)
		f.ok(err)
		f.equal(len(keys), 0)
	}

	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		writeAll(tx)
		return boom
	})
	f.is(err, boom)
	nothingLeft()

	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("InTx swallowed the panic of fn")
			}
		}()
		_ = f.s.InTx(f.ctx, func(tx store.Tx) error {
			writeAll(tx)
			panic(boom)
		})
	}()
	nothingLeft()
	f.brand("after-panic") // the connection is usable again
}

// A change and the audit event that records it commit together, and when
// either fails neither is kept.
func testAuditCommitsWithChange(t *testing.T, f *fixture) {
	b := store.Brand{ID: newID(), Slug: "kept", Name: "Kept", CreatedAt: f.now}
	e := f.event(b.ID, "", "brand.created")
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateBrand(f.ctx, b))
		return tx.AppendAuditEvent(f.ctx, e)
	})
	_, err := f.s.BrandBySlug(f.ctx, "kept")
	f.ok(err)
	events, err := f.s.AuditEvents(f.ctx, b.ID, store.AuditFilter{})
	f.ok(err)
	f.equal(events, []store.AuditEvent{e})

	// The event is refused (a duplicate id): the change goes too.
	dropped := store.Brand{ID: newID(), Slug: "dropped", Name: "Dropped", CreatedAt: f.now}
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		f.ok(tx.CreateBrand(f.ctx, dropped))
		again := f.event(dropped.ID, "", "brand.created")
		again.ID = e.ID
		return tx.AppendAuditEvent(f.ctx, again)
	})
	f.is(err, store.ErrAlreadyExists)
	_, err = f.s.BrandBySlug(f.ctx, "dropped")
	f.is(err, store.ErrNotFound)
}

// The database itself refuses to change or delete audit events, so that
// not even a bug or a hand-written statement rewrites history.
func testAuditEventsAppendOnly(t *testing.T, f *fixture) {
	w := f.world(1)
	e := f.event(w.brand.ID, w.license.ID, "license.provisioned")
	f.tx(func(tx store.Tx) error { return tx.AppendAuditEvent(f.ctx, e) })

	db := f.rawDB()
	for _, stmt := range []string{
		"UPDATE audit_events SET action = 'rewritten'",
		"DELETE FROM audit_events",
	} {
		if _, err := db.ExecContext(f.ctx, stmt); err == nil {
			t.Errorf("%s: the database allowed it", stmt)
		}
	}
	events, err := f.s.AuditEvents(f.ctx, w.brand.ID, store.AuditFilter{})
	f.ok(err)
	f.equal(events, []store.AuditEvent{e})
}

// Times keep whole microseconds, whatever the database.
func testTimes(t *testing.T, f *fixture) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 123456789, time.FixedZone("CET", 3600))
	b := store.Brand{ID: newID(), Slug: "acme", Name: "Acme", CreatedAt: at}
	f.tx(func(tx store.Tx) error { return tx.CreateBrand(f.ctx, b) })
	got, err := f.s.BrandByID(f.ctx, b.ID)
	f.ok(err)
	want := time.Date(2026, 2, 3, 3, 5, 6, 123456000, time.UTC)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at = %v, want %v", got.CreatedAt, want)
	}
}

func testPingAndMigrate(t *testing.T, f *fixture) {
	f.ok(f.s.Ping(f.ctx))
	n, err := f.s.Migrate(f.ctx)
	f.ok(err)
	f.equal(n, 0) // open migrated already
}
