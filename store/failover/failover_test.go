package failover

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

var errBoom = errors.New("boom")

// fakeLimiter answers Allowed with its name in Remaining's place, so a
// test can tell which limiter answered.
type fakeLimiter struct {
	failing atomic.Bool
	calls   atomic.Int64
	block   chan struct{} // when set, Allow waits for it
}

func (f *fakeLimiter) Allow(ctx context.Context, key string, _ store.Limit) (store.LimitResult, error) {
	f.calls.Add(1)
	if f.block != nil {
		<-f.block
	}
	if err := ctx.Err(); err != nil {
		return store.LimitResult{}, err
	}
	if f.failing.Load() {
		return store.LimitResult{}, errBoom
	}
	return store.LimitResult{Allowed: true, Remaining: 1}, nil
}

func (f *fakeLimiter) Peek(ctx context.Context, key string, l store.Limit) (store.LimitResult, error) {
	return f.Allow(ctx, key, l)
}

type fallbackLimiter struct{ calls atomic.Int64 }

func (f *fallbackLimiter) Peek(ctx context.Context, key string, l store.Limit) (store.LimitResult, error) {
	return f.Allow(ctx, key, l)
}

func (f *fallbackLimiter) Allow(context.Context, string, store.Limit) (store.LimitResult, error) {
	f.calls.Add(1)
	return store.LimitResult{Allowed: true, Remaining: 2}, nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type changes struct {
	mu  sync.Mutex
	ups []bool
}

func (c *changes) record(up bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if up != (err == nil) {
		panic("OnStateChange: up and err disagree")
	}
	c.ups = append(c.ups, up)
}

func (c *changes) get() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bool(nil), c.ups...)
}

func newBreaker(clk *clock, ch *changes) *Breaker {
	return NewBreaker(WithCoolDown(time.Second), WithClock(clk.Now), WithOnStateChange(ch.record))
}

func TestLimiterCoolDownAndRecovery(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	ch := &changes{}
	b := newBreaker(clk, ch)
	primary, fallback := &fakeLimiter{}, &fallbackLimiter{}
	l := NewLimiter(primary, fallback, b)
	ctx := context.Background()
	allow := func() int {
		r, err := l.Allow(ctx, "k", store.Limit{Rate: 1, Burst: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r.Remaining
	}

	if allow() != 1 || !b.Up() {
		t.Fatal("a healthy primary did not answer")
	}
	primary.failing.Store(true)
	if allow() != 2 {
		t.Fatal("a failing primary's request did not go to the fallback")
	}
	if b.Up() {
		t.Fatal("still up after a failure")
	}
	calls := primary.calls.Load()
	for range 10 {
		allow()
	}
	if n := primary.calls.Load() - calls; n != 0 {
		t.Fatalf("primary called %d times during the cool-down", n)
	}

	clk.Add(time.Second)
	allow() // the probe: still failing
	allow()
	if n := primary.calls.Load() - calls; n != 1 {
		t.Fatalf("primary called %d times after one cool-down, want 1 probe", n)
	}

	primary.failing.Store(false)
	clk.Add(time.Second)
	if allow() != 1 || !b.Up() {
		t.Fatal("the primary was not used again after it recovered")
	}
	if allow() != 1 {
		t.Fatal("the primary was not used after the successful probe")
	}
	if got := ch.get(); len(got) != 2 || got[0] || !got[1] {
		t.Fatalf("state changes %v, want [false true]", got)
	}
}

func TestBreakerIgnoresCallersCancellation(t *testing.T) {
	b := NewBreaker()
	l := NewLimiter(&fakeLimiter{}, &fallbackLimiter{}, b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k", store.Limit{}); err != nil {
		t.Fatal(err)
	}
	if !b.Up() {
		t.Fatal("a caller giving up marked the primary down")
	}
}

// A slow success that began before a failure must not mark the primary up.
func TestBreakerLateSuccessDoesNotEndOutage(t *testing.T) {
	ch := &changes{}
	b := NewBreaker(WithOnStateChange(ch.record))
	slow := &fakeLimiter{block: make(chan struct{})}
	failing := &fakeLimiter{}
	failing.failing.Store(true)
	ctx := context.Background()

	done := make(chan struct{})
	go func() {
		NewLimiter(slow, &fallbackLimiter{}, b).Allow(ctx, "k", store.Limit{})
		close(done)
	}()
	for slow.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	NewLimiter(failing, &fallbackLimiter{}, b).Allow(ctx, "k", store.Limit{})
	close(slow.block)
	<-done
	if b.Up() {
		t.Fatal("a success that began before the failure ended the outage")
	}
	if got := ch.get(); len(got) != 1 || got[0] {
		t.Fatalf("state changes %v, want [false]", got)
	}
}

// Under -race: many callers on a flapping primary; state changes must
// alternate, each reported once.
func TestBreakerConcurrent(t *testing.T) {
	ch := &changes{}
	b := NewBreaker(WithCoolDown(time.Microsecond), WithOnStateChange(ch.record))
	primary := &fakeLimiter{}
	l := NewLimiter(primary, &fallbackLimiter{}, b)
	c := NewCache(&fakeCache{}, b)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 300 {
				if i == 0 && j%10 == 0 {
					primary.failing.Store(j%20 == 0)
				}
				l.Allow(context.Background(), "k", store.Limit{})
				c.Get(context.Background(), "k")
				b.Up()
			}
		})
	}
	wg.Wait()
	got := ch.get()
	if len(got) == 0 {
		t.Fatal("no state change seen; the test proves nothing")
	}
	for i, up := range got {
		if up != (i%2 == 1) {
			t.Fatalf("state changes %v do not alternate down, up, ...", got)
		}
	}
}

type fakeCache struct {
	failing atomic.Bool
	sets    atomic.Int64
	invs    atomic.Int64
}

func (f *fakeCache) Get(context.Context, string) ([]byte, uint64, bool, error) {
	if f.failing.Load() {
		return nil, 0, false, errBoom
	}
	return []byte("v"), 7, true, nil
}

func (f *fakeCache) Set(context.Context, string, uint64, []byte, time.Duration) error {
	f.sets.Add(1)
	if f.failing.Load() {
		return errBoom
	}
	return nil
}

func (f *fakeCache) Invalidate(context.Context, ...string) error {
	f.invs.Add(1)
	if f.failing.Load() {
		return errBoom
	}
	return nil
}

type markingCache struct {
	fakeCache
	marked atomic.Int64
}

func (m *markingCache) MarkStale() { m.marked.Add(1) }

func TestCacheDegrades(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	b := newBreaker(clk, &changes{})
	primary := &markingCache{}
	c := NewCache(primary, b)
	ctx := context.Background()

	if v, gen, ok, err := c.Get(ctx, "k"); err != nil || !ok || string(v) != "v" || gen != 7 {
		t.Fatalf("healthy Get: %q %d %v %v", v, gen, ok, err)
	}
	primary.failing.Store(true)
	v, gen, ok, err := c.Get(ctx, "k")
	if err != nil || ok || v != nil {
		t.Fatalf("Get on a failing primary: %q %v %v, want a miss without error", v, ok, err)
	}
	primary.failing.Store(false)
	clk.Add(time.Second) // the primary would be tried again...
	if err := c.Set(ctx, "k", gen, []byte("x"), time.Minute); err != nil || primary.sets.Load() != 0 {
		t.Fatalf("a fill after a failed Get reached the primary (err %v)", err)
	}

	primary.failing.Store(true)
	if err := c.Invalidate(ctx, "k"); !errors.Is(err, errBoom) {
		t.Fatalf("Invalidate on a failing primary: %v, want its error", err)
	}
	err = c.Invalidate(ctx, "k") // skipped: the breaker is open
	if !errors.Is(err, ErrDown) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Invalidate while down: %v, want ErrDown", err)
	}
	if primary.invs.Load() != 1 || primary.marked.Load() != 1 {
		t.Fatalf("%d invalidations reached the primary, %d marked stale; want 1 and 1",
			primary.invs.Load(), primary.marked.Load())
	}
	if err := c.Set(ctx, "k", 7, []byte("x"), time.Minute); err != nil {
		t.Fatalf("Set while down: %v, want nil", err)
	}
}

// A primary that cannot make up for a skipped invalidation gets it anyway.
func TestCacheInvalidateWithoutStaleMarker(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	b := newBreaker(clk, &changes{})
	primary := &fakeCache{}
	c := NewCache(primary, b)
	primary.failing.Store(true)
	c.Get(context.Background(), "k") // opens the breaker
	primary.failing.Store(false)
	if err := c.Invalidate(context.Background(), "k"); err != nil || primary.invs.Load() != 1 {
		t.Fatalf("Invalidate while down: err %v, %d reached the primary; want it tried", err, primary.invs.Load())
	}
	if !b.Up() {
		t.Fatal("its success did not mark the primary up")
	}
}
