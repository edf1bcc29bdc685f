package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// A product keeps its policy as given; licenses read it joined; products
// page by id within their brand; an update changes a product of its own
// brand only; the sweeper's read lists the products with an activation
// TTL of every brand.
func testProductPolicies(t *testing.T, f *fixture) {
	acme, other := f.brand("acme"), f.brand("other")
	p := store.Product{ID: newID(), BrandID: acme.ID, Slug: "pro", Name: "Pro", DefaultSeats: 2, TokenTTL: time.Hour,
		Policy: store.Policy{FreeInstances: []string{"*.test", "staging.*", "bücher.example", "[::1]"}, MaxFreeActivations: 5,
			GraceDays: 14, ActivationTTL: 90 * time.Second},
		CreatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateProduct(f.ctx, p) })
	got, err := f.s.ProductByID(f.ctx, acme.ID, p.ID)
	f.ok(err)
	f.equal(got, p)
	got, err = f.s.ProductBySlug(f.ctx, acme.ID, "pro")
	f.ok(err)
	f.equal(got, p)
	_, err = f.s.ProductByID(f.ctx, other.ID, p.ID)
	f.is(err, store.ErrNotFound)

	k := f.licenseKey(acme, f.customer("jane@example.com"))
	l := f.license(k, p, 1)
	f.equal(l.Policy, p.Policy)
	f.equal(l.TokenTTL, p.TokenTTL)

	// Update: every setting, of the product's own brand only.
	p.Name, p.DefaultSeats, p.TokenTTL = "Pro 2", 4, 2*time.Hour
	p.Policy = store.Policy{FreeInstances: []string{}, MaxFreeActivations: 1, GraceDays: 0, ActivationTTL: 0}
	f.tx(func(tx store.Tx) error { return tx.UpdateProduct(f.ctx, p) })
	got, err = f.s.ProductByID(f.ctx, acme.ID, p.ID)
	f.ok(err)
	f.equal(got, p)
	l, err = f.s.LicenseByID(f.ctx, acme.ID, l.ID)
	f.ok(err)
	f.equal(l.Policy, p.Policy)
	foreign := p
	foreign.BrandID, foreign.Name = other.ID, "stolen"
	f.is(f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.UpdateProduct(f.ctx, foreign) }), store.ErrNotFound)
	got, err = f.s.ProductByID(f.ctx, acme.ID, p.ID)
	f.ok(err)
	f.equal(got.Name, "Pro 2")

	// Pages of one brand's products, in id order.
	want := []store.Product{p}
	for i := range 4 {
		want = append(want, f.product(acme, fmt.Sprintf("p%d", i)))
	}
	f.product(other, "theirs")
	slices.SortFunc(want, func(a, b store.Product) int { return compareIDs(a.ID, b.ID) })
	var paged []store.Product
	after := ""
	for range len(want) + 1 {
		page, err := f.s.Products(f.ctx, store.ProductFilter{BrandID: acme.ID, AfterID: after, Limit: 2})
		f.ok(err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	f.equal(ids(paged, productID), ids(want, productID))
	if _, err := f.s.Products(f.ctx, store.ProductFilter{}); err == nil {
		t.Error("Products without a brand id: accepted")
	}

	// Only products with a TTL, of any brand.
	swept := f.product(other, "floating")
	swept.Policy.ActivationTTL = time.Minute
	f.tx(func(tx store.Tx) error { return tx.UpdateProduct(f.ctx, swept) })
	ttl, err := f.s.ProductsWithActivationTTL(f.ctx)
	f.ok(err)
	f.equal(ids(ttl, productID), []string{swept.ID})
}

func productID(p store.Product) string { return p.ID }

// Free activations are kept as such and counted apart from seats.
func testFreeActivations(t *testing.T, f *fixture) {
	w := f.world(2)
	paid, free := f.activation(w.license.ID, "example.org"), f.activation(w.license.ID, "staging.example.org")
	free.Free = true
	gone := f.activation(w.license.ID, "old.test")
	gone.Free = true
	f.tx(func(tx store.Tx) error {
		f.ok(tx.CreateActivation(f.ctx, paid))
		f.ok(tx.CreateActivation(f.ctx, free))
		f.ok(tx.CreateActivation(f.ctx, gone))
		return tx.Deactivate(f.ctx, gone.ID, f.now)
	})
	got, err := f.s.ActivationByID(f.ctx, w.brand.ID, free.ID)
	f.ok(err)
	f.equal(got, free)
	live, err := f.s.LiveActivations(f.ctx, w.brand.ID, w.license.ID)
	f.ok(err)
	f.equal(live, []store.Activation{paid, free})
	l, err := f.s.LicenseByID(f.ctx, w.brand.ID, w.license.ID)
	f.ok(err)
	f.equal([]int{l.SeatsUsed, l.FreeUsed}, []int{1, 1})
	f.tx(func(tx store.Tx) error {
		locked, err := tx.LockLicense(f.ctx, w.brand.ID, w.license.ID)
		f.equal([]int{locked.SeatsUsed, locked.FreeUsed}, []int{1, 1})
		return err
	})
	n, err := f.s.CountLiveActivations(f.ctx, w.brand.ID, w.license.ID)
	f.ok(err)
	f.equal(n, 2)
}

// A brand's licenses newest first, narrowed by product, effective status
// (expired computed at Now) and expiry, paged; another brand's never.
func testListLicenses(t *testing.T, f *fixture) {
	acme := f.brand("acme")
	pro, lite := f.product(acme, "pro"), f.product(acme, "lite")
	now := f.now
	past, soon, later := now.Add(-time.Hour), now.Add(24*time.Hour), now.Add(90*24*time.Hour)
	type spec struct {
		product store.Product
		status  store.Status
		expires *time.Time
	}
	specs := []spec{
		{pro, store.StatusActive, nil},       // perpetual
		{pro, store.StatusActive, &soon},     // active, expiring soon
		{pro, store.StatusActive, &past},     // expired
		{lite, store.StatusSuspended, &past}, // suspended wins over expired
		{lite, store.StatusCancelled, nil},
		{lite, store.StatusActive, &later},
		{pro, store.StatusActive, &now}, // expires exactly now: expired
	}
	var all []store.License
	for i, s := range specs {
		k := f.licenseKey(acme, f.customer(fmt.Sprintf("c%d@example.com", i)))
		l := store.License{ID: newID(), LicenseKeyID: k.ID, BrandID: acme.ID, ProductID: s.product.ID,
			Status: s.status, Seats: 1, ExpiresAt: s.expires, CreatedAt: f.now, UpdatedAt: f.now}
		f.tx(func(tx store.Tx) error { return tx.CreateLicense(f.ctx, l) })
		got, err := f.s.LicenseByID(f.ctx, acme.ID, l.ID)
		f.ok(err)
		all = append(all, got)
	}
	theirs := f.world(1) // another brand's license, never listed
	newestFirst := func(pick func(i int, l store.License) bool) []string {
		var out []store.License
		for i, l := range all {
			if pick(i, l) {
				out = append(out, l)
			}
		}
		slices.SortFunc(out, func(a, b store.License) int { return compareIDs(b.ID, a.ID) })
		return ids(out, licenseID)
	}
	list := func(flt store.LicenseListFilter) []string {
		t.Helper()
		flt.BrandID, flt.Now = acme.ID, now
		got, err := f.s.ListLicenses(f.ctx, flt)
		f.ok(err)
		return ids(got, licenseID)
	}
	f.equal(list(store.LicenseListFilter{}), newestFirst(func(int, store.License) bool { return true }))
	f.equal(list(store.LicenseListFilter{ProductID: pro.ID}), newestFirst(func(i int, _ store.License) bool { return specs[i].product.ID == pro.ID }))
	f.equal(list(store.LicenseListFilter{ProductID: theirs.product.ID}), []string{})
	for status, want := range map[store.Status][]int{
		store.StatusActive: {0, 1, 5}, store.StatusExpired: {2, 6}, store.StatusSuspended: {3}, store.StatusCancelled: {4},
	} {
		f.equal(list(store.LicenseListFilter{Status: status}), newestFirst(func(i int, _ store.License) bool { return slices.Contains(want, i) }))
	}
	week := now.Add(7 * 24 * time.Hour)
	f.equal(list(store.LicenseListFilter{ExpiresBefore: &week}), newestFirst(func(i int, _ store.License) bool { return slices.Contains([]int{1, 2, 3, 6}, i) }))
	f.equal(list(store.LicenseListFilter{ExpiresBefore: &week, Status: store.StatusActive, ProductID: pro.ID}),
		newestFirst(func(i int, _ store.License) bool { return i == 1 }))

	// Pages, each before the last id of the one before.
	var paged []string
	before := ""
	for range len(all) + 1 {
		page, err := f.s.ListLicenses(f.ctx, store.LicenseListFilter{BrandID: acme.ID, BeforeID: before, Limit: 3})
		f.ok(err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, ids(page, licenseID)...)
		before = page[len(page)-1].ID
	}
	f.equal(paged, newestFirst(func(int, store.License) bool { return true }))

	for _, bad := range []store.LicenseListFilter{{}, {BrandID: acme.ID, Status: "gone"}, {BrandID: acme.ID, Status: store.StatusExpired}} {
		if _, err := f.s.ListLicenses(f.ctx, bad); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}

func licenseID(l store.License) string { return l.ID }

// Activations not seen since a cutoff end at once, each reported once;
// the others, and other brands' and licenses', are left alone.
func testExpireActivations(t *testing.T, f *fixture) {
	w, theirs := f.world(5), f.world(5)
	old, cutoff, at := f.now.Add(-2*time.Hour), f.now.Add(-time.Hour), f.now
	seen := func(licenseID, instance string, last time.Time, free bool) store.Activation {
		a := f.activation(licenseID, instance)
		a.CreatedAt, a.LastSeenAt, a.Free = old, last, free
		f.tx(func(tx store.Tx) error { return tx.CreateActivation(f.ctx, a) })
		return a
	}
	stale := []store.Activation{seen(w.license.ID, "a.example", old, false), seen(w.license.ID, "b.test", old, true)}
	fresh := seen(w.license.ID, "c.example", cutoff, false) // seen exactly at the cutoff: kept
	seen(theirs.license.ID, "d.example", old, false)

	refs, err := f.s.StaleActivationLicenses(f.ctx, w.product.ID, cutoff, "", 10)
	f.ok(err)
	f.equal(refs, []store.LicenseRef{{ID: w.license.ID, BrandID: w.brand.ID, LicenseKeyID: w.key.ID}})
	refs, err = f.s.StaleActivationLicenses(f.ctx, w.product.ID, cutoff, w.license.ID, 10) // the page after it
	f.ok(err)
	f.equal(refs, []store.LicenseRef{})

	expire := func(brandID, licenseID string) []store.Activation {
		t.Helper()
		var got []store.Activation
		f.tx(func(tx store.Tx) (err error) {
			got, err = tx.ExpireActivations(f.ctx, brandID, licenseID, cutoff, at)
			return err
		})
		slices.SortFunc(got, func(a, b store.Activation) int { return compareIDs(a.ID, b.ID) })
		return got
	}
	f.equal(expire(theirs.brand.ID, w.license.ID), []store.Activation{}) // another brand's license: nothing
	want := slices.Clone(stale)
	for i := range want {
		want[i].DeactivatedAt = &at
	}
	f.equal(expire(w.brand.ID, w.license.ID), want)
	f.equal(expire(w.brand.ID, w.license.ID), []store.Activation{}) // once
	live, err := f.s.LiveActivations(f.ctx, w.brand.ID, w.license.ID)
	f.ok(err)
	f.equal(live, []store.Activation{fresh})
	refs, err = f.s.StaleActivationLicenses(f.ctx, w.product.ID, cutoff, "", 10)
	f.ok(err)
	f.equal(refs, []store.LicenseRef{})
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		_, err := tx.ExpireActivations(f.ctx, "", w.license.ID, cutoff, at)
		return err
	})
	if err == nil {
		t.Error("ExpireActivations without a brand id: accepted")
	}
}

// Eight transactions expire one license's 20 stale activations at once,
// without the license's lock: the conditional update alone makes each
// activation reported by exactly one of them.
func testConcurrentExpire(t *testing.T, f *fixture) {
	w := f.world(50)
	old := f.now.Add(-time.Hour)
	var want []string
	f.tx(func(tx store.Tx) error {
		for i := range 20 {
			a := f.activation(w.license.ID, fmt.Sprintf("host-%d.example", i))
			a.LastSeenAt, a.Free = old, i%2 == 0
			want = append(want, a.ID)
			f.ok(tx.CreateActivation(f.ctx, a))
		}
		return nil
	})
	var mu sync.Mutex
	var reported []string
	errs := parallel(8, func(int) error {
		return f.s.InTx(f.ctx, func(tx store.Tx) error {
			got, err := tx.ExpireActivations(f.ctx, w.brand.ID, w.license.ID, f.now, f.now)
			mu.Lock()
			reported = append(reported, ids(got, func(a store.Activation) string { return a.ID })...)
			mu.Unlock()
			return err
		})
	})
	for _, err := range errs {
		f.ok(err)
	}
	slices.Sort(reported)
	slices.Sort(want)
	f.equal(reported, want)
}

// Paid and free activations race on one license under its lock: exactly
// min(N, seats) paid and min(M, cap) free win, counted apart.
func testConcurrentFreeAndPaidSeats(t *testing.T, f *fixture) {
	const seats, freeCap, paidRacers, freeRacers = 3, 2, 20, 20
	l := f.world(seats).license
	full := errors.New("no room")
	errs := parallel(paidRacers+freeRacers, func(i int) error {
		free := i >= paidRacers
		return f.s.InTx(f.ctx, func(tx store.Tx) error {
			locked, err := tx.LockLicense(f.ctx, l.BrandID, l.ID)
			if err != nil {
				return err
			}
			if (!free && locked.SeatsUsed >= locked.Seats) || (free && locked.FreeUsed >= freeCap) {
				return full
			}
			a := f.activation(l.ID, fmt.Sprintf("host-%d.test", i))
			a.Free = free
			return tx.CreateActivation(f.ctx, a)
		})
	})
	won := map[bool]int{}
	for i, err := range errs {
		switch {
		case err == nil:
			won[i >= paidRacers]++
		case !errors.Is(err, full):
			t.Errorf("activation %d: %v", i, err)
		}
	}
	f.equal([]int{won[false], won[true]}, []int{seats, freeCap})
	got, err := f.s.LicenseByID(f.ctx, l.BrandID, l.ID)
	f.ok(err)
	f.equal([]int{got.SeatsUsed, got.FreeUsed}, []int{seats, freeCap})
}
