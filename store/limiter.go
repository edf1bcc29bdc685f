package store

import (
	"context"
	"time"
)

// Limit is a GCRA bucket: Burst requests at once, refilled at Rate per second.
type Limit struct {
	Rate  int
	Burst int
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
	Allow(ctx context.Context, key string, l Limit) (LimitResult, error)
}
