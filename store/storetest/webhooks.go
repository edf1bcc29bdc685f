package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

func (f *fixture) endpoint(b store.Brand, events ...string) store.WebhookEndpoint {
	f.t.Helper()
	e := store.WebhookEndpoint{ID: newID(), BrandID: b.ID, URL: "https://hooks.example.com/" + randomHex(4),
		Events: events, SecretCiphertext: []byte("sealed-" + randomHex(4)), CreatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateWebhookEndpoint(f.ctx, e) })
	return e
}

func (f *fixture) deliveries(e store.WebhookEndpoint) []store.WebhookDelivery {
	f.t.Helper()
	got, err := f.s.WebhookDeliveries(f.ctx, store.WebhookDeliveryFilter{BrandID: e.BrandID, EndpointID: e.ID})
	f.ok(err)
	return got
}

func eventIDs(ds []store.WebhookDelivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.EventID)
	}
	slices.Sort(out)
	return out
}

// Endpoints are a brand's own: listed in id order, read by id within the
// brand only, and deleted with their deliveries.
func testWebhookEndpoints(t *testing.T, f *fixture) {
	w, other := f.world(1), f.world(1)
	a := f.endpoint(w.brand, "*")
	b := f.endpoint(w.brand, "license.suspended", "license.resumed")
	f.endpoint(other.brand, "*")

	got, err := f.s.WebhookEndpoints(f.ctx, w.brand.ID)
	f.ok(err)
	f.equal(got, []store.WebhookEndpoint{a, b})
	one, err := f.s.WebhookEndpointByID(f.ctx, w.brand.ID, b.ID)
	f.ok(err)
	f.equal(one, b)
	_, err = f.s.WebhookEndpointByID(f.ctx, other.brand.ID, b.ID)
	f.is(err, store.ErrNotFound)
	_, err = f.s.WebhookEndpoints(f.ctx, "")
	if err == nil {
		t.Fatal("WebhookEndpoints without a brand: want an error")
	}

	e := f.event(w.brand.ID, w.license.ID, "license.suspended")
	f.tx(func(tx store.Tx) error { return tx.AppendAuditEvent(f.ctx, e) })
	f.equal(len(f.deliveries(a)), 1)

	// Another brand cannot delete it; its owner can, deliveries and all.
	err = f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(f.ctx, other.brand.ID, a.ID) })
	f.is(err, store.ErrNotFound)
	f.tx(func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(f.ctx, w.brand.ID, a.ID) })
	_, err = f.s.WebhookEndpointByID(f.ctx, w.brand.ID, a.ID)
	f.is(err, store.ErrNotFound)
	f.equal(f.deliveries(a), []store.WebhookDelivery{})
	f.equal(len(f.deliveries(b)), 1)
	err = f.s.InTx(f.ctx, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(f.ctx, w.brand.ID, a.ID) })
	f.is(err, store.ErrNotFound)
}

// AppendAuditEvent is the outbox: each endpoint of the event's brand that
// wants the action gets one pending delivery, due at the event's time; an
// operator's event reaches the brand it is about; a rolled-back
// transaction queues nothing.
func testWebhookOutbox(t *testing.T, f *fixture) {
	w, other := f.world(1), f.world(1)
	all := f.endpoint(w.brand, "*")
	some := f.endpoint(w.brand, "license.suspended")
	elsewhere := f.endpoint(other.brand, "*")

	suspended := f.event(w.brand.ID, w.license.ID, "license.suspended")
	renewed := f.event(w.brand.ID, w.license.ID, "license.renewed")
	about := f.event("", "", "product.updated")
	about.AboutBrandID = w.brand.ID
	nobody := f.event("", "", "brand.created")
	f.tx(func(tx store.Tx) error {
		for _, e := range []store.AuditEvent{suspended, renewed, about, nobody} {
			f.ok(tx.AppendAuditEvent(f.ctx, e))
		}
		return nil
	})
	boom := errors.New("boom")
	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		f.ok(tx.AppendAuditEvent(f.ctx, f.event(w.brand.ID, w.license.ID, "license.suspended")))
		return boom
	})
	f.is(err, boom)

	f.equal(eventIDs(f.deliveries(all)), slices.Sorted(slices.Values([]string{suspended.ID, renewed.ID, about.ID})))
	f.equal(eventIDs(f.deliveries(some)), []string{suspended.ID})
	f.equal(f.deliveries(elsewhere), []store.WebhookDelivery{})

	d := f.deliveries(some)[0]
	at := suspended.At
	f.equal(d, store.WebhookDelivery{ID: d.ID, BrandID: w.brand.ID, EndpointID: some.ID, EventID: suspended.ID,
		Type: "license.suspended", Status: store.DeliveryPending, NextAttemptAt: &at, CreatedAt: at, UpdatedAt: at})
	got, err := f.s.WebhookDeliveryByID(f.ctx, w.brand.ID, d.ID)
	f.ok(err)
	f.equal(got, d)
	_, err = f.s.WebhookDeliveryByID(f.ctx, other.brand.ID, d.ID)
	f.is(err, store.ErrNotFound)
	// Another brand's endpoint id lists nothing.
	list, err := f.s.WebhookDeliveries(f.ctx, store.WebhookDeliveryFilter{BrandID: other.brand.ID, EndpointID: all.ID})
	f.ok(err)
	f.equal(list, []store.WebhookDelivery{})

	// Newest first, in pages.
	full := f.deliveries(all)
	var paged []store.WebhookDelivery
	before := ""
	for range 5 {
		page, err := f.s.WebhookDeliveries(f.ctx, store.WebhookDeliveryFilter{BrandID: w.brand.ID, EndpointID: all.ID, BeforeID: before, Limit: 2})
		f.ok(err)
		if len(page) == 0 {
			break
		}
		paged, before = append(paged, page...), page[len(page)-1].ID
	}
	f.equal(paged, full)
	if !slices.IsSortedFunc(full, func(a, b store.WebhookDelivery) int { return compareIDs(b.ID, a.ID) }) {
		t.Fatal("deliveries are not newest first")
	}

	q, err := f.s.WebhookQueue(f.ctx)
	f.ok(err)
	f.equal(q.Pending, 4) // the other brand had no event
	f.equal(*q.OldestPending, f.now)
}

// A claim takes due deliveries only, counts the attempt and leases them;
// a result is recorded only for the attempt claimed; a redelivery queues a
// new delivery of the same event.
func testWebhookClaims(t *testing.T, f *fixture) {
	w := f.world(1)
	ep := f.endpoint(w.brand, "*")
	e1 := f.event(w.brand.ID, w.license.ID, "license.suspended")
	e2 := f.event(w.brand.ID, w.license.ID, "license.resumed")
	e2.At = f.now.Add(20 * time.Second) // due later
	f.tx(func(tx store.Tx) error {
		f.ok(tx.AppendAuditEvent(f.ctx, e1))
		return tx.AppendAuditEvent(f.ctx, e2)
	})
	claim := func(now time.Time, lease time.Duration) []store.WebhookJob {
		t.Helper()
		var jobs []store.WebhookJob
		f.tx(func(tx store.Tx) (err error) {
			jobs, err = tx.ClaimWebhookDeliveries(f.ctx, now, now.Add(lease), 10)
			return err
		})
		return jobs
	}

	nextDue := func() *time.Time {
		t.Helper()
		due, err := f.s.NextWebhookDue(f.ctx)
		f.ok(err)
		return due
	}
	f.equal(*nextDue(), e1.At)

	jobs := claim(f.now, 30*time.Second)
	f.equal(len(jobs), 1)
	f.equal(*nextDue(), e2.At) // e1 is leased until f.now+30s
	j := jobs[0]
	f.equal(j.Delivery.EventID, e1.ID)
	f.equal(j.Delivery.Attempt, 1)
	f.equal(j.URL, ep.URL)
	f.equal(j.SecretCiphertext, ep.SecretCiphertext)
	f.equal(j.Event, e1)
	// Leased: nobody else takes it until the lease ends.
	f.equal(len(claim(f.now.Add(10*time.Second), time.Minute)), 0)

	// The first attempt failed; the retry is due in 5 s.
	retry := f.now.Add(5 * time.Second)
	f.tx(func(tx store.Tx) error {
		return tx.CompleteWebhookDelivery(f.ctx, store.WebhookResult{ID: j.Delivery.ID, Attempt: 1, Status: store.DeliveryPending,
			ResponseStatus: 500, Error: "HTTP 500", NextAttemptAt: &retry, At: f.now})
	})
	d, err := f.s.WebhookDeliveryByID(f.ctx, w.brand.ID, j.Delivery.ID)
	f.ok(err)
	f.equal([]any{d.Status, d.Attempt, d.ResponseStatus, d.LastError, *d.NextAttemptAt}, []any{store.DeliveryPending, 1, 500, "HTTP 500", retry})

	// Past the lease of a second attempt, another dispatcher takes it
	// over: the first one's late result is refused.
	second := claim(retry, 30*time.Second)
	f.equal(len(second), 1)
	later := retry.Add(31 * time.Second)
	third := claim(later, 30*time.Second)
	f.equal(len(third), 2) // e2 is due by now too
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		return tx.CompleteWebhookDelivery(f.ctx, store.WebhookResult{ID: j.Delivery.ID, Attempt: 2, Status: store.DeliveryDelivered, ResponseStatus: 200, At: later})
	})
	f.is(err, store.ErrConflict)
	for _, job := range third {
		f.tx(func(tx store.Tx) error {
			return tx.CompleteWebhookDelivery(f.ctx, store.WebhookResult{ID: job.Delivery.ID, Attempt: job.Delivery.Attempt,
				Status: store.DeliveryDelivered, ResponseStatus: 204, At: later})
		})
	}
	d, err = f.s.WebhookDeliveryByID(f.ctx, w.brand.ID, j.Delivery.ID)
	f.ok(err)
	f.equal([]any{d.Status, d.Attempt, d.ResponseStatus, d.NextAttemptAt == nil}, []any{store.DeliveryDelivered, 3, 204, true})
	// Done is done: no result changes it again.
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		return tx.CompleteWebhookDelivery(f.ctx, store.WebhookResult{ID: d.ID, Attempt: 3, Status: store.DeliveryFailed, At: later})
	})
	f.is(err, store.ErrConflict)
	q, err := f.s.WebhookQueue(f.ctx)
	f.ok(err)
	f.equal([]any{q.Pending, q.OldestPending == nil}, []any{0, true})
	f.equal(nextDue() == nil, true)

	// Redelivery: a new pending delivery of the same event.
	var again store.WebhookDelivery
	f.tx(func(tx store.Tx) (err error) {
		again, err = tx.RedeliverWebhook(f.ctx, w.brand.ID, d.ID, newID(), later)
		return err
	})
	f.equal([]any{again.EventID, again.EndpointID, again.Status, again.Attempt, again.Type},
		[]any{e1.ID, ep.ID, store.DeliveryPending, 0, "license.suspended"})
	f.equal(len(claim(later, time.Minute)), 1)
	other := f.world(1)
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		_, err := tx.RedeliverWebhook(f.ctx, other.brand.ID, d.ID, newID(), later)
		return err
	})
	f.is(err, store.ErrNotFound)
}

// Claimers racing over many due deliveries take each exactly once.
func testConcurrentWebhookClaims(t *testing.T, f *fixture) {
	const events, claimers = 40, 4
	w := f.world(1)
	f.endpoint(w.brand, "*")
	f.tx(func(tx store.Tx) error {
		for range events {
			f.ok(tx.AppendAuditEvent(f.ctx, f.event(w.brand.ID, w.license.ID, "license.updated")))
		}
		return nil
	})
	claimed := make([][]string, claimers)
	errs := parallel(claimers, func(i int) error {
		for {
			var jobs []store.WebhookJob
			err := f.s.InTx(f.ctx, func(tx store.Tx) (err error) {
				jobs, err = tx.ClaimWebhookDeliveries(f.ctx, f.now, f.now.Add(time.Hour), 3)
				return err
			})
			if err != nil || len(jobs) == 0 {
				return err
			}
			for _, j := range jobs {
				claimed[i] = append(claimed[i], j.Delivery.ID)
			}
		}
	})
	for _, err := range errs {
		f.ok(err)
	}
	var all []string
	for _, c := range claimed {
		all = append(all, c...)
	}
	slices.Sort(all)
	f.equal(len(all), events)
	f.equal(len(slices.Compact(all)), events)
}
