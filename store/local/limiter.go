package local

import (
	"context"
	"sync"
	"time"

	"github.com/licensedhq/licensed/store"
)

// sweepEvery is how many calls pass between sweeps of full buckets, which
// keeps memory bounded by the keys seen recently rather than ever.
const sweepEvery = 4096

// Limiter is an in-process GCRA limiter with the same arithmetic as
// go-redis/redis_rate, so headers read the same on either backend.
type Limiter struct {
	now func() time.Time

	mu    sync.Mutex
	tat   map[string]time.Time // theoretical arrival time per key
	calls int
}

// NewLimiter returns a Limiter; now may be nil for time.Now.
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now, tat: make(map[string]time.Time)}
}

// Allow takes one request from key's bucket.
func (l *Limiter) Allow(_ context.Context, key string, lim store.Limit) (store.LimitResult, error) {
	return l.take(key, lim, true), nil
}

// Peek answers what Allow would, taking nothing.
func (l *Limiter) Peek(_ context.Context, key string, lim store.Limit) (store.LimitResult, error) {
	return l.take(key, lim, false), nil
}

func (l *Limiter) take(key string, lim store.Limit, commit bool) store.LimitResult {
	interval := lim.Interval()
	burstOffset := interval * time.Duration(max(lim.Burst, 1))

	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)

	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(interval)
	diff := now.Sub(newTAT.Add(-burstOffset))
	if diff < 0 {
		return store.LimitResult{RetryAfter: -diff, ResetAfter: tat.Sub(now)}
	}
	if !commit {
		return store.LimitResult{Allowed: true, Remaining: int(diff / interval), ResetAfter: tat.Sub(now)}
	}
	l.tat[key] = newTAT
	return store.LimitResult{
		Allowed:    true,
		Remaining:  int(diff / interval),
		ResetAfter: newTAT.Sub(now),
	}
}

func (l *Limiter) sweep(now time.Time) {
	l.calls++
	if l.calls%sweepEvery != 0 {
		return
	}
	for k, tat := range l.tat {
		if !tat.After(now) {
			delete(l.tat, k)
		}
	}
}

var _ store.Limiter = (*Limiter)(nil)
