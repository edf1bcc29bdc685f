package failover

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licensedhq/licensed/store"
)

// DefaultCoolDown is how long a Breaker skips the primary after a failure.
const DefaultCoolDown = time.Second

// ErrDown is returned (wrapped) for an Invalidate skipped because the
// primary is down. It wraps store.ErrUnavailable.
var ErrDown = fmt.Errorf("failover: primary down: %w", store.ErrUnavailable)

// Breaker tracks whether a primary backend is up. It starts up; one failure
// marks it down, and while down it lets one call through per cool-down to
// find out whether the primary is back. It is safe for concurrent use.
type Breaker struct {
	coolDown time.Duration
	now      func() time.Time
	onChange func(up bool, err error)

	up atomic.Bool // read without the lock by Up

	mu       sync.Mutex
	failures uint64    // so that a late success cannot undo a newer failure
	retryAt  time.Time // while down, when the next call may try the primary
}

// BreakerOption configures NewBreaker.
type BreakerOption func(*Breaker)

// WithCoolDown sets how long the primary is skipped after a failure
// (DefaultCoolDown when not given or not positive).
func WithCoolDown(d time.Duration) BreakerOption {
	return func(b *Breaker) {
		if d > 0 {
			b.coolDown = d
		}
	}
}

// WithOnStateChange calls f each time the primary goes down (up false,
// with the error that showed it) or comes back (up true, err nil), in
// order, one call at a time. f runs while the Breaker is locked, so it
// must be quick; it may call Up.
func WithOnStateChange(f func(up bool, err error)) BreakerOption {
	return func(b *Breaker) { b.onChange = f }
}

// WithClock makes the Breaker read the time from now (for tests).
func WithClock(now func() time.Time) BreakerOption {
	return func(b *Breaker) {
		if now != nil {
			b.now = now
		}
	}
}

// NewBreaker returns a Breaker that considers its primary up.
func NewBreaker(opts ...BreakerOption) *Breaker {
	b := &Breaker{coolDown: DefaultCoolDown, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	b.up.Store(true)
	return b
}

// Up reports whether the primary is considered up.
func (b *Breaker) Up() bool { return b.up.Load() }

// try reports whether to call the primary now, and a ticket to hand to
// done. While down, only the first call after each cool-down gets through.
func (b *Breaker) try() (ticket uint64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.up.Load() {
		return b.failures, true
	}
	now := b.now()
	if now.Before(b.retryAt) {
		return b.failures, false
	}
	b.retryAt = now.Add(b.coolDown)
	return b.failures, true
}

// done records the outcome of a call to the primary. A failure while the
// caller's context is done says nothing about the primary and is ignored;
// a success marks the primary up only if no failure came after the call
// began, so a slow call from before an outage cannot end it.
func (b *Breaker) done(ctx context.Context, ticket uint64, err error) {
	if err != nil && ctx.Err() != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.failures++
		b.retryAt = b.now().Add(b.coolDown)
		b.set(false, err)
		return
	}
	if ticket == b.failures {
		b.set(true, nil)
	}
}

func (b *Breaker) set(up bool, err error) {
	if b.up.Load() == up {
		return
	}
	b.up.Store(up)
	if b.onChange != nil {
		b.onChange(up, err)
	}
}
