package storetest

import (
	"errors"
	"testing"

	"github.com/licensedhq/licensed/store"
)

// Every read of a brand's licenses, activations and audit events filters
// by the brand in the store itself: with another brand's id each is
// ErrNotFound (or nothing, for a list), outside and inside transactions,
// even though the ids are real. Writes that take a license carry its brand
// too. And a read with no brand id at all is refused, never "every brand".
func testTenancy(t *testing.T, f *fixture) {
	mine, theirs := f.world(3), f.world(3)
	a := f.activation(mine.license.ID, "https://example.org")
	f.tx(func(tx store.Tx) error {
		if err := tx.CreateActivation(f.ctx, a); err != nil {
			return err
		}
		return tx.AppendAuditEvent(f.ctx, f.event(mine.brand.ID, mine.license.ID, "license.activated"))
	})
	other := theirs.brand.ID

	// Each read, first with the right brand (it must find the row, or the
	// case would prove nothing), then with the other brand's id.
	reads := []struct {
		name string
		read func(q store.Queries, brandID string) (found bool, err error)
	}{
		{"LicenseByID", func(q store.Queries, b string) (bool, error) {
			_, err := q.LicenseByID(f.ctx, b, mine.license.ID)
			return err == nil, notFoundIsNil(err)
		}},
		{"LicensesByKey", func(q store.Queries, b string) (bool, error) {
			l, err := q.LicensesByKey(f.ctx, b, mine.key.ID)
			return len(l) > 0, err
		}},
		{"LicenseByKeyAndProduct", func(q store.Queries, b string) (bool, error) {
			_, err := q.LicenseByKeyAndProduct(f.ctx, b, mine.key.ID, mine.product.ID)
			return err == nil, notFoundIsNil(err)
		}},
		{"SearchLicenses", func(q store.Queries, b string) (bool, error) {
			l, err := q.SearchLicenses(f.ctx, store.LicenseFilter{Email: mine.customer.Email, BrandID: b})
			return len(l) > 0, err
		}},
		{"ActivationByID", func(q store.Queries, b string) (bool, error) {
			_, err := q.ActivationByID(f.ctx, b, a.ID)
			return err == nil, notFoundIsNil(err)
		}},
		{"LiveActivation", func(q store.Queries, b string) (bool, error) {
			_, err := q.LiveActivation(f.ctx, b, mine.license.ID, a.Instance)
			return err == nil, notFoundIsNil(err)
		}},
		{"LiveActivations", func(q store.Queries, b string) (bool, error) {
			l, err := q.LiveActivations(f.ctx, b, mine.license.ID)
			return len(l) > 0, err
		}},
		{"CountLiveActivations", func(q store.Queries, b string) (bool, error) {
			n, err := q.CountLiveActivations(f.ctx, b, mine.license.ID)
			return n > 0, err
		}},
		{"AuditEvents", func(q store.Queries, b string) (bool, error) {
			l, err := q.AuditEvents(f.ctx, b, store.AuditFilter{LicenseID: mine.license.ID})
			return len(l) > 0, err
		}},
	}
	for _, c := range reads {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			for _, inTx := range []bool{false, true} {
				run := func(brandID string) (found bool, err error) {
					if !inTx {
						return c.read(f.s, brandID)
					}
					err = f.s.InTx(f.ctx, func(tx store.Tx) (err error) {
						found, err = c.read(tx, brandID)
						return err
					})
					return found, err
				}
				found, err := run(mine.brand.ID)
				f.ok(err)
				if !found {
					t.Fatalf("in tx %v: the owning brand does not find its own row", inTx)
				}
				found, err = run(other)
				f.ok(err)
				if found {
					t.Fatalf("in tx %v: another brand's id finds the row", inTx)
				}
				if _, err := run(""); err == nil || errors.Is(err, store.ErrNotFound) {
					t.Fatalf("in tx %v: no brand id: %v, want a refusal", inTx, err)
				}
			}
		})
	}

	t.Run("LockLicense", func(t *testing.T) {
		f := f.in(t)
		err := f.s.InTx(f.ctx, func(tx store.Tx) error {
			_, err := tx.LockLicense(f.ctx, other, mine.license.ID)
			return err
		})
		f.is(err, store.ErrNotFound)
		f.tx(func(tx store.Tx) error {
			_, err := tx.LockLicense(f.ctx, mine.brand.ID, mine.license.ID)
			return err
		})
	})
	t.Run("UpdateLicense", func(t *testing.T) {
		f := f.in(t)
		l := mine.license
		l.BrandID, l.Seats = other, 99
		err := f.s.InTx(f.ctx, func(tx store.Tx) error {
			_, err := tx.UpdateLicense(f.ctx, l)
			return err
		})
		f.is(err, store.ErrConflict)
		got, err := f.s.LicenseByID(f.ctx, mine.brand.ID, mine.license.ID)
		f.ok(err)
		f.equal(got.Seats, mine.license.Seats)
	})
	t.Run("SearchLicenses needs a scope", func(t *testing.T) {
		f := f.in(t)
		for _, flt := range []store.LicenseFilter{
			{Email: mine.customer.Email},
			{Email: mine.customer.Email, BrandID: mine.brand.ID, AllBrands: true},
		} {
			if _, err := f.s.SearchLicenses(f.ctx, flt); err == nil {
				t.Errorf("%+v: accepted", flt)
			}
		}
	})
}

func notFoundIsNil(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
