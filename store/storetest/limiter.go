package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// RunLimiter runs every conformance case of store.Limiter against limiters
// made by open, which gets each case's own test and returns a limiter with
// no buckets that no other case uses. Limiters run on real time (Redis
// reads its own clock), so the cases use rates that make a few hundred
// milliseconds enough, and bounds that hold on a slow machine.
func RunLimiter(t *testing.T, open func(t *testing.T) store.Limiter) {
	for _, c := range limiterCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, &limiterFixture{t: t, l: open(t)})
		})
	}
}

var limiterCases = []struct {
	name string
	run  func(t *testing.T, f *limiterFixture)
}{
	{"BurstThenRefusal", testLimiterBurst},
	{"SeparateKeys", testLimiterSeparateKeys},
	{"Refill", testLimiterRefill},
	{"NonPositiveLimitCountsAsOne", testLimiterNonPositive},
	{"Concurrent", testLimiterConcurrent},
	{"PeekTakesNothing", testLimiterPeek},
	{"Period", testLimiterPeriod},
}

type limiterFixture struct {
	t *testing.T
	l store.Limiter
}

func (f *limiterFixture) allow(key string, lim store.Limit) store.LimitResult {
	f.t.Helper()
	r, err := f.l.Allow(f.t.Context(), key, lim)
	if err != nil {
		f.t.Fatalf("Allow(%q, %+v): %v", key, lim, err)
	}
	if r.RetryAfter < 0 || r.ResetAfter < 0 || r.Remaining < 0 {
		f.t.Fatalf("Allow(%q, %+v) = %+v: negative field", key, lim, r)
	}
	if r.Allowed && r.RetryAfter != 0 {
		f.t.Fatalf("Allow(%q, %+v) = %+v: allowed with a RetryAfter", key, lim, r)
	}
	return r
}

// within fails unless lo < d <= hi.
func (f *limiterFixture) within(what string, d, lo, hi time.Duration) {
	f.t.Helper()
	if d <= lo || d > hi {
		f.t.Fatalf("%s = %v, want in (%v, %v]", what, d, lo, hi)
	}
}

func testLimiterBurst(t *testing.T, f *limiterFixture) {
	// One per second: the test finishes long before a refill.
	lim := store.Limit{Rate: 1, Burst: 3}
	for i, want := range []int{2, 1, 0} {
		r := f.allow("k", lim)
		if !r.Allowed || r.Remaining != want {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, r, want)
		}
		// Full again one interval per request taken.
		f.within("ResetAfter", r.ResetAfter, time.Duration(i)*time.Second, time.Duration(i+1)*time.Second)
	}
	r := f.allow("k", lim)
	if r.Allowed || r.Remaining != 0 {
		t.Fatalf("request 4: %+v, want refused with 0 remaining", r)
	}
	f.within("RetryAfter", r.RetryAfter, 0, time.Second)
	f.within("ResetAfter", r.ResetAfter, 2*time.Second, 3*time.Second)
}

func testLimiterSeparateKeys(t *testing.T, f *limiterFixture) {
	lim := store.Limit{Rate: 1, Burst: 1}
	if r := f.allow("a", lim); !r.Allowed {
		t.Fatalf("a: %+v", r)
	}
	if r := f.allow("a", lim); r.Allowed {
		t.Fatalf("a again: %+v, want refused", r)
	}
	if r := f.allow("b", lim); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("b shares a's bucket: %+v", r)
	}
}

func testLimiterRefill(t *testing.T, f *limiterFixture) {
	lim := store.Limit{Rate: 10, Burst: 1}
	if r := f.allow("k", lim); !r.Allowed {
		t.Fatalf("first: %+v", r)
	}
	r := f.allow("k", lim)
	if r.Allowed {
		t.Fatalf("second at once: %+v, want refused", r)
	}
	f.within("RetryAfter", r.RetryAfter, 0, 100*time.Millisecond)
	time.Sleep(r.RetryAfter + 20*time.Millisecond)
	if r := f.allow("k", lim); !r.Allowed {
		t.Fatalf("after waiting RetryAfter: %+v, want allowed", r)
	}
}

func testLimiterNonPositive(t *testing.T, f *limiterFixture) {
	for _, lim := range []store.Limit{{}, {Rate: -1, Burst: -1}} {
		key := fmt.Sprint("k", lim.Rate)
		if r := f.allow(key, lim); !r.Allowed {
			t.Fatalf("%+v first: %+v", lim, r)
		}
		if r := f.allow(key, lim); r.Allowed {
			t.Fatalf("%+v second: %+v, want refused (a burst of one)", lim, r)
		}
	}
}

func testLimiterConcurrent(t *testing.T, f *limiterFixture) {
	const goroutines, each = 20, 3
	lim := store.Limit{Rate: 1, Burst: 5}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range goroutines {
		wg.Go(func() {
			for range each {
				r, err := f.l.Allow(t.Context(), "k", lim)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	// At most the burst plus what refilled meanwhile, at one per second.
	most := int64(lim.Burst) + int64(time.Since(start)/time.Second)
	if n := allowed.Load(); n < int64(lim.Burst) || n > most {
		t.Fatalf("%d of %d concurrent requests allowed, want %d to %d", n, goroutines*each, lim.Burst, most)
	}
}

func (f *limiterFixture) peek(key string, lim store.Limit) store.LimitResult {
	f.t.Helper()
	r, err := f.l.Peek(f.t.Context(), key, lim)
	if err != nil {
		f.t.Fatalf("Peek(%q, %+v): %v", key, lim, err)
	}
	if r.RetryAfter < 0 || r.ResetAfter < 0 || r.Remaining < 0 {
		f.t.Fatalf("Peek(%q, %+v) = %+v: negative field", key, lim, r)
	}
	return r
}

// testLimiterPeek: Peek answers what Allow would, and takes nothing.
func testLimiterPeek(t *testing.T, f *limiterFixture) {
	lim := store.Limit{Rate: 1, Burst: 2}
	for range 5 {
		if r := f.peek("k", lim); !r.Allowed || r.Remaining != 1 {
			t.Fatalf("peek of a full bucket: %+v, want allowed with 1 remaining", r)
		}
	}
	if r := f.allow("k", lim); !r.Allowed || r.Remaining != 1 {
		t.Fatalf("first take after peeks: %+v", r)
	}
	if r := f.peek("k", lim); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("peek with one left: %+v, want allowed with 0 remaining", r)
	}
	if r := f.allow("k", lim); !r.Allowed {
		t.Fatalf("second take: %+v", r)
	}
	r := f.peek("k", lim)
	if r.Allowed {
		t.Fatalf("peek of an empty bucket: %+v, want refused", r)
	}
	f.within("Peek RetryAfter", r.RetryAfter, 0, time.Second)
	if r := f.allow("k", lim); r.Allowed {
		t.Fatalf("take after a refused peek: %+v, want refused", r)
	}
}

// testLimiterPeriod: a limit per minute refills per minute, not per second.
func testLimiterPeriod(t *testing.T, f *limiterFixture) {
	lim := store.Limit{Rate: 10, Burst: 2, Period: time.Minute}
	f.allow("k", lim)
	f.allow("k", lim)
	r := f.allow("k", lim)
	if r.Allowed {
		t.Fatalf("third of a burst of two: %+v, want refused", r)
	}
	// One request refills in 6 s at ten a minute.
	f.within("RetryAfter", r.RetryAfter, 5*time.Second, 6*time.Second)
	f.within("ResetAfter", r.ResetAfter, 11*time.Second, 12*time.Second)
}
