package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/licensedhq/licensed/store"
)

// parallel runs fn n times at once and returns each run's error.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errs
}

// 50 activations race for the 5 seats of one license: exactly 5 win,
// however the transaction counts the seats in use after LockLicense.
func testConcurrentSeats(t *testing.T, f *fixture) {
	const seats, racers = 5, 50
	counts := []struct {
		name  string
		count func(tx store.Tx, l store.License) (int, error)
	}{
		{"CountLiveActivations", func(tx store.Tx, l store.License) (int, error) {
			return tx.CountLiveActivations(f.ctx, l.BrandID, l.ID)
		}},
		{"SeatsUsed", func(tx store.Tx, l store.License) (int, error) { return l.SeatsUsed, nil }},
	}
	for _, c := range counts {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			l := f.world(seats).license
			full := errors.New("no seat left")
			errs := parallel(racers, func(i int) error {
				return f.s.InTx(f.ctx, func(tx store.Tx) error {
					locked, err := tx.LockLicense(f.ctx, l.BrandID, l.ID)
					if err != nil {
						return err
					}
					used, err := c.count(tx, locked)
					if err != nil {
						return err
					}
					if used >= locked.Seats {
						return full
					}
					return tx.CreateActivation(f.ctx, f.activation(l.ID, fmt.Sprintf("host-%d", i)))
				})
			})
			won, lost := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, full):
					lost++
				default:
					t.Errorf("activation: %v", err)
				}
			}
			if won != seats || lost != racers-seats {
				t.Errorf("%d activations won and %d found no seat, want %d and %d", won, lost, seats, racers-seats)
			}
			n, err := f.s.CountLiveActivations(f.ctx, l.BrandID, l.ID)
			f.ok(err)
			f.equal(n, seats)
		})
	}
}

// Ten requests with one idempotency key: one claims it and completes it;
// every other finds, in its own transaction, the completed response.
func testConcurrentIdempotency(t *testing.T, f *fixture) {
	b := f.brand("acme")
	body := []byte(`{"license":"first"}`)
	var mu sync.Mutex
	claimed := 0
	errs := parallel(10, func(i int) error {
		return f.s.InTx(f.ctx, func(tx store.Tx) error {
			ok, err := tx.ClaimIdempotency(f.ctx, store.Idempotency{BrandID: b.ID, Key: "k", RequestHash: []byte("h"), CreatedAt: f.now})
			if err != nil {
				return err
			}
			if ok {
				mu.Lock()
				claimed++
				mu.Unlock()
				return tx.CompleteIdempotency(f.ctx, b.ID, "k", 201, body)
			}
			rec, err := tx.Idempotency(f.ctx, b.ID, "k")
			if err != nil {
				return err
			}
			if rec.Status != 201 || string(rec.Body) != string(body) {
				return fmt.Errorf("a losing claim found %d %q, want the completed response", rec.Status, rec.Body)
			}
			return nil
		})
	})
	for _, err := range errs {
		f.ok(err)
	}
	f.equal(claimed, 1)
}

// Ten transactions ensure one email at once: all get the same customer.
func testConcurrentEnsureCustomer(t *testing.T, f *fixture) {
	got := make([]store.Customer, 10)
	errs := parallel(len(got), func(i int) error {
		return f.s.InTx(f.ctx, func(tx store.Tx) (err error) {
			got[i], err = tx.EnsureCustomer(f.ctx, store.Customer{ID: newID(), Email: "jane@example.com"})
			return err
		})
	})
	for i, err := range errs {
		f.ok(err)
		f.equal(got[i], got[0])
	}
	c, err := f.s.CustomerByEmail(f.ctx, "jane@example.com")
	f.ok(err)
	f.equal(c, got[0])
}
