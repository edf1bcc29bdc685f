package storetest

import (
	"slices"
	"testing"

	"github.com/licensedhq/licensed/store"
)

func testSearchLicenses(t *testing.T, f *fixture) {
	acme, other := f.brand("acme"), f.brand("other")
	jane, bob := f.customer("jane@example.com"), f.customer("bob@example.com")
	janeAcme, janeOther := f.licenseKey(acme, jane), f.licenseKey(other, jane)
	want := []store.License{
		f.license(janeAcme, f.product(acme, "pro"), 1),
		f.license(janeAcme, f.product(acme, "max"), 1),
		f.license(janeOther, f.product(other, "pro"), 1),
	}
	f.license(f.licenseKey(acme, bob), f.product(acme, "lite"), 1)
	slices.SortFunc(want, func(a, b store.License) int { return compareIDs(a.ID, b.ID) })

	search := func(flt store.LicenseFilter) []store.License {
		t.Helper()
		got, err := f.s.SearchLicenses(f.ctx, flt)
		f.ok(err)
		return got
	}
	f.equal(search(store.LicenseFilter{Email: "jane@example.com", AllBrands: true}), want)
	f.equal(search(store.LicenseFilter{Email: "jane@example.com", BrandID: acme.ID}),
		slices.DeleteFunc(slices.Clone(want), func(l store.License) bool { return l.BrandID != acme.ID }))
	f.equal(search(store.LicenseFilter{Email: "nobody@example.com", AllBrands: true}), []store.License{})

	// Page by page, each starting after the last id of the one before.
	var paged []store.License
	after := ""
	for range len(want) + 1 {
		page := search(store.LicenseFilter{Email: "jane@example.com", AllBrands: true, AfterID: after, Limit: 2})
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	f.equal(paged, want)
}

func testAuditEvents(t *testing.T, f *fixture) {
	w := f.world(1)
	second := f.license(w.key, f.product(w.brand, "max"), 1)
	other := f.world(1)

	var want, wantFirst []store.AuditEvent
	f.tx(func(tx store.Tx) error {
		for i, licenseID := range []string{w.license.ID, second.ID, w.license.ID, "", w.license.ID, second.ID, ""} {
			e := f.event(w.brand.ID, licenseID, "action")
			e.ActorType = []string{store.ActorAPIKey, store.ActorLicenseKey, store.ActorAdmin, store.ActorSystem}[i%4]
			f.ok(tx.AppendAuditEvent(f.ctx, e))
			want = append(want, e)
			if licenseID == w.license.ID {
				wantFirst = append(wantFirst, e)
			}
		}
		f.ok(tx.AppendAuditEvent(f.ctx, f.event(other.brand.ID, other.license.ID, "elsewhere")))
		return tx.AppendAuditEvent(f.ctx, f.event("", "", "operator")) // belongs to no brand
	})
	newestFirst := func(l []store.AuditEvent) []store.AuditEvent {
		slices.SortFunc(l, func(a, b store.AuditEvent) int { return compareIDs(b.ID, a.ID) })
		return l
	}

	events := func(brandID string, flt store.AuditFilter) []store.AuditEvent {
		t.Helper()
		got, err := f.s.AuditEvents(f.ctx, brandID, flt)
		f.ok(err)
		return got
	}
	f.equal(events(w.brand.ID, store.AuditFilter{}), newestFirst(want))
	f.equal(events(w.brand.ID, store.AuditFilter{LicenseID: w.license.ID}), newestFirst(wantFirst))
	// Another brand's license filters to nothing: no peeking across brands.
	f.equal(events(w.brand.ID, store.AuditFilter{LicenseID: other.license.ID}), []store.AuditEvent{})
	f.equal(len(events(other.brand.ID, store.AuditFilter{})), 1)

	var paged []store.AuditEvent
	before := ""
	for range len(want) + 1 {
		page := events(w.brand.ID, store.AuditFilter{BeforeID: before, Limit: 3})
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		before = page[len(page)-1].ID
	}
	f.equal(paged, newestFirst(want))
}

// compareIDs orders ids as the databases do: UUIDs in canonical form sort
// as their bytes do.
func compareIDs(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
