package deadline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/store"
)

// Store is a store.Store whose every call has a deadline.
type Store struct {
	queries
	inner store.Store
}

var _ store.Store = (*Store)(nil)

// Wrap bounds each call to s by timeout: a read, a Ping, or a whole InTx.
// Migrate is not bounded: a migration may take longer than any request,
// and runs before serving.
func Wrap(s store.Store, timeout time.Duration) *Store {
	return &Store{queries: queries{q: s, limit: func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, timeout)
	}, timeout: timeout}, inner: s}
}

// Unwrap is the store under the deadlines, for tools and tests that reach
// past the interface (its DB method, say).
func (s *Store) Unwrap() store.Store { return s.inner }

// InTx runs fn in one transaction that must end, commit included, within
// the deadline; every call fn makes on tx is bounded by it too, whatever
// context fn passes. fn's own errors are returned as they are.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	tctx, cancel := s.limit(ctx)
	defer cancel()
	deadline, _ := tctx.Deadline()
	var fnErr error
	err := s.inner.InTx(tctx, func(tx store.Tx) error {
		fnErr = fn(&boundTx{queries: queries{q: tx, limit: until(deadline), timeout: s.timeout}, tx: tx})
		return fnErr
	})
	if err != nil && err == fnErr {
		return err // fn's answer; the store calls in it were classified already
	}
	return s.classify(tctx, err) // begin, commit or rollback
}

// until bounds a context by a fixed deadline: a transaction's calls share
// the transaction's.
func until(d time.Time) func(context.Context) (context.Context, context.CancelFunc) {
	return func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithDeadline(ctx, d)
	}
}

func (s *Store) Migrate(ctx context.Context) (int, error) { return s.inner.Migrate(ctx) }

func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.limit(ctx)
	defer cancel()
	return s.classify(ctx, s.inner.Ping(ctx))
}

func (s *Store) Close() error { return s.inner.Close() }

// queries bounds each read by limit.
type queries struct {
	q       store.Queries
	limit   func(context.Context) (context.Context, context.CancelFunc)
	timeout time.Duration
}

// classify turns the failure of a call whose context ended into
// store.ErrUnavailable, keeping the driver's error in the chain; answers
// (not found, already exists, conflict) and errors of calls that finished
// in time are left alone.
func (r queries) classify(ctx context.Context, err error) error {
	switch {
	case err == nil, ctx.Err() == nil,
		errors.Is(err, store.ErrUnavailable),
		errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAlreadyExists), errors.Is(err, store.ErrConflict):
		return err
	}
	return fmt.Errorf("%w: no answer within the database deadline (%v): %w", store.ErrUnavailable, r.timeout, err)
}

// call runs one bounded read.
func call[T any](ctx context.Context, r queries, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := r.limit(ctx)
	defer cancel()
	v, err := fn(ctx)
	return v, r.classify(ctx, err)
}

// do runs one bounded write.
func do(ctx context.Context, r queries, fn func(context.Context) error) error {
	ctx, cancel := r.limit(ctx)
	defer cancel()
	return r.classify(ctx, fn(ctx))
}
