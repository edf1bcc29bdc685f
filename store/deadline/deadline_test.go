package deadline_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/deadline"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/sqlite"
	"github.com/licensedhq/licensed/store/storetest"
)

// The wrapper changes nothing a healthy store does. It forwards alike
// whatever is under it, so one backend shows it.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "d.db"))
		return migrated(t, s, err)
	})
}

func migrated(t *testing.T, s store.Store, err error) store.Store {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	w := deadline.Wrap(s, 30*time.Second)
	if _, err := w.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return w
}

// patient is how long a test waits for a bounded call before calling it
// hung: generous, never a measurement.
const patient = time.Minute

// within runs fn and fails the test if it does not return within patient.
func within(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(patient):
		t.Fatal("the call hung past its deadline")
		return nil
	}
}

// hung is a store whose every call waits until its context ends and then
// fails the way drivers do, each in its own words.
type hung struct {
	store.Store // only the methods below are called
	answer      error
}

func (h hung) BrandBySlug(ctx context.Context, slug string) (store.Brand, error) {
	<-ctx.Done()
	if h.answer != nil {
		return store.Brand{}, h.answer
	}
	return store.Brand{}, errors.New("driver: connection reset while reading")
}

func (h hung) InTx(ctx context.Context, fn func(store.Tx) error) error {
	if err := fn(hungTx{}); err != nil {
		return err
	}
	<-ctx.Done() // the commit never answers
	return errors.New("driver: conn closed")
}

func (h hung) Ping(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

type hungTx struct{ store.Tx }

// LockLicense waits for its context: only a deadline the wrapper put
// there ends it, since callers pass context.Background().
func (hungTx) LockLicense(ctx context.Context, brandID, id string) (store.License, error) {
	<-ctx.Done()
	return store.License{}, errors.New("driver: i/o timeout")
}

func TestHungCallsAreUnavailable(t *testing.T) {
	ctx := context.Background()
	s := deadline.Wrap(hung{}, 20*time.Millisecond)
	for name, call := range map[string]func() error{
		"read": func() error { _, err := s.BrandBySlug(ctx, "x"); return err },
		"ping": func() error { return s.Ping(ctx) },
		"commit": func() error {
			return s.InTx(ctx, func(tx store.Tx) error { return nil })
		},
		"statement in a transaction, whatever context it is given": func() error {
			return s.InTx(ctx, func(tx store.Tx) error {
				_, err := tx.LockLicense(context.Background(), "b", "l")
				return err
			})
		},
	} {
		if err := within(t, call); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: %v, want store.ErrUnavailable", name, err)
		}
	}
}

// Answers stay answers, even when they come at the deadline, and the
// transaction's own errors come back as they were returned.
func TestAnswersAreKept(t *testing.T) {
	ctx := context.Background()
	s := deadline.Wrap(hung{answer: store.ErrNotFound}, 10*time.Millisecond)
	if _, err := s.BrandBySlug(ctx, "x"); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a not-found at the deadline: %v", err)
	}
	refusal := errors.New("seat limit reached")
	err := s.InTx(ctx, func(tx store.Tx) error {
		time.Sleep(20 * time.Millisecond) // past the deadline, and still fn's answer
		return refusal
	})
	if err != refusal {
		t.Fatalf("fn's error came back as %v", err)
	}
}

// SQLite with the write lock held by another connection (another process,
// say) past the deadline: the transaction gives up as unavailable rather
// than waiting out SQLite's own, longer busy timeout; it goes through once
// the lock is free.
func TestSQLiteLockedPastDeadline(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	inner, err := sqlite.Open(ctx, path) // busy timeout: the default, 10 s
	if err != nil {
		t.Fatal(err)
	}
	s := deadline.Wrap(inner, 200*time.Millisecond)
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	brand := store.Brand{ID: "0196b2a0-0000-7000-8000-000000000001", Slug: "b", Name: "B", CreatedAt: time.Now()}
	write := func() error {
		return s.InTx(ctx, func(tx store.Tx) error { return tx.CreateBrand(ctx, brand) })
	}
	if err := within(t, write); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("write while locked: %v, want store.ErrUnavailable", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := within(t, write); err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
}

// A PostgreSQL that stops answering without closing its connections: reads
// and transactions (one stalled mid-way) give up as unavailable, and once
// it answers again the pool recovers on its own.
func TestPostgresStalled(t *testing.T) {
	ctx := context.Background()
	proxy := storetest.StartProxy(t, storetest.PostgresURL(t))
	inner, err := postgres.Open(ctx, proxy.URL(), postgres.WithTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	s := deadline.Wrap(inner, 300*time.Millisecond)
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	read := func() error { _, err := s.BrandBySlug(ctx, "none"); return err }
	if err := read(); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}

	proxy.Stall()
	if err := within(t, read); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("read while stalled: %v", err)
	}
	if err := within(t, func() error { return s.Ping(ctx) }); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("ping while stalled: %v", err)
	}
	proxy.Restore()

	// Stalled in the middle of a transaction.
	err = within(t, func() error {
		return s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.BrandBySlug(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
				return err
			}
			proxy.Stall()
			return tx.CreateBrand(ctx, store.Brand{ID: "0196b2a0-0000-7000-8000-000000000002", Slug: "s", Name: "S", CreatedAt: time.Now()})
		})
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("transaction stalled mid-way: %v", err)
	}
	proxy.Restore()

	recovered := false
	for range 50 {
		if err := read(); errors.Is(err, store.ErrNotFound) {
			recovered = true
			break
		} else if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("after the stall: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !recovered {
		t.Fatal("the pool did not recover after the database answered again")
	}
	if _, err := s.BrandBySlug(ctx, "s"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the stalled transaction left its brand: %v", err)
	}
}
