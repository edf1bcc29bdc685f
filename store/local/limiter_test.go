package local

import (
	"context"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

func TestLimiterBurstThenRefill(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := NewLimiter(func() time.Time { return now })
	lim := store.Limit{Rate: 2, Burst: 3}
	ctx := context.Background()

	for i, wantRemaining := range []int{2, 1, 0} {
		r, _ := l.Allow(ctx, "k", lim)
		if !r.Allowed || r.Remaining != wantRemaining {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i, r, wantRemaining)
		}
	}
	r, _ := l.Allow(ctx, "k", lim)
	if r.Allowed || r.RetryAfter != 500*time.Millisecond {
		t.Fatalf("4th request: %+v, want denied, retry after 500ms", r)
	}
	if other, _ := l.Allow(ctx, "other", lim); !other.Allowed {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if r, _ := l.Allow(ctx, "k", lim); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("after refill of one: %+v", r)
	}
	now = now.Add(10 * time.Second)
	if r, _ := l.Allow(ctx, "k", lim); !r.Allowed || r.Remaining != 2 || r.ResetAfter != 500*time.Millisecond {
		t.Fatalf("after full refill: %+v", r)
	}
}

func TestLimiterSweepKeepsMemoryBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := NewLimiter(func() time.Time { return now })
	for i := 0; i < 3*sweepEvery; i++ {
		now = now.Add(time.Second)
		l.Allow(context.Background(), string(rune(i)), store.Limit{Rate: 10, Burst: 10})
	}
	if n := len(l.tat); n > sweepEvery {
		t.Fatalf("%d buckets kept, want at most %d", n, sweepEvery)
	}
}
