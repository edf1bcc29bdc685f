package store

import (
	"context"
	"time"
)

// Limit is a GCRA bucket: Burst requests at once, refilled at Rate per
// Period (a second when zero).
type Limit struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// Interval is the time one request's worth of the bucket takes to refill.
func (l Limit) Interval() time.Duration {
	p := l.Period
	if p <= 0 {
		p = time.Second
	}
	return p / time.Duration(max(l.Rate, 1))
}

// LimitResult is the outcome of one Allow call.
type LimitResult struct {
	Allowed   bool
	Remaining int
	// RetryAfter is how long until one request would be allowed; zero when
	// this one was.
	RetryAfter time.Duration
	// ResetAfter is how long until the bucket is full again.
	ResetAfter time.Duration
}

// Limiter counts requests against per-key rate limits: in process
// (store/local) or shared by every replica (store/redis).
type Limiter interface {
	// Allow takes one request from key's bucket if it holds one.
	Allow(ctx context.Context, key string, l Limit) (LimitResult, error)
	// Peek answers what Allow would answer now, taking nothing: a gate
	// that must be checked before the work whose failures it counts.
	Peek(ctx context.Context, key string, l Limit) (LimitResult, error)
}
