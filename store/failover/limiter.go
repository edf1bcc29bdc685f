package failover

import (
	"context"

	"github.com/licensedhq/licensed/store"
)

// Limiter asks the primary limiter (Redis, shared by every replica) and,
// when it fails or its breaker is open, the fallback (in process): rate
// limits hold through an outage, per replica rather than shared.
type Limiter struct {
	primary, fallback store.Limiter
	breaker           *Breaker
}

// NewLimiter returns a Limiter over primary and fallback; b may be shared
// with a Cache on the same backend, and nil means a Breaker of its own
// with the defaults.
func NewLimiter(primary, fallback store.Limiter, b *Breaker) *Limiter {
	if b == nil {
		b = NewBreaker()
	}
	return &Limiter{primary: primary, fallback: fallback, breaker: b}
}

// Allow never fails because of the primary: its error sends the request to
// the fallback, whose answer (or error) is returned.
func (l *Limiter) Allow(ctx context.Context, key string, lim store.Limit) (store.LimitResult, error) {
	if ticket, ok := l.breaker.try(); ok {
		r, err := l.primary.Allow(ctx, key, lim)
		l.breaker.done(ctx, ticket, err)
		if err == nil {
			return r, nil
		}
	}
	return l.fallback.Allow(ctx, key, lim)
}

// Peek asks like Allow does.
func (l *Limiter) Peek(ctx context.Context, key string, lim store.Limit) (store.LimitResult, error) {
	if ticket, ok := l.breaker.try(); ok {
		r, err := l.primary.Peek(ctx, key, lim)
		l.breaker.done(ctx, ticket, err)
		if err == nil {
			return r, nil
		}
	}
	return l.fallback.Peek(ctx, key, lim)
}

var _ store.Limiter = (*Limiter)(nil)
