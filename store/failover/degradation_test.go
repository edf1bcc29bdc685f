package failover_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/failover"
	"github.com/licensedhq/licensed/store/local"
	"github.com/licensedhq/licensed/store/redis"
	"github.com/licensedhq/licensed/store/storetest"
)

// replica is what one licensed process would wire up on one Redis.
type replica struct {
	client  *redis.Client
	breaker *failover.Breaker
	limiter *failover.Limiter
	cache   *failover.Cache

	mu  sync.Mutex
	ups []bool
}

func newReplica(t *testing.T, c *redis.Client) *replica {
	r := &replica{client: c}
	t.Cleanup(func() { c.Close() })
	r.breaker = failover.NewBreaker(
		failover.WithCoolDown(100*time.Millisecond),
		failover.WithOnStateChange(func(up bool, _ error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.ups = append(r.ups, up)
		}))
	r.limiter = failover.NewLimiter(c.Limiter(), local.NewLimiter(nil), r.breaker)
	r.cache = failover.NewCache(c.Cache(), r.breaker)
	return r
}

func (r *replica) changes() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bool(nil), r.ups...)
}

var limit = store.Limit{Rate: 1, Burst: 2}

func (r *replica) allow(t *testing.T, key string) bool {
	t.Helper()
	res, err := r.limiter.Allow(t.Context(), key, limit)
	if err != nil {
		t.Fatalf("Allow: %v", err)
	}
	return res.Allowed
}

// fill does a reader's miss-then-fill and reports whether the value is then
// read back.
func (r *replica) fill(t *testing.T, key, value string) bool {
	t.Helper()
	ctx := t.Context()
	_, gen, _, err := r.cache.Get(ctx, key)
	if err == nil {
		err = r.cache.Set(ctx, key, gen, []byte(value), time.Minute)
	}
	if err != nil {
		t.Fatalf("Get/Set never fail through failover: %v", err)
	}
	v, _, ok, err := r.cache.Get(ctx, key)
	return err == nil && ok && string(v) == value
}

func TestDeadEndpoint(t *testing.T) {
	c, err := redis.New("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	r := newReplica(t, c)
	start := time.Now()

	// Rate limits hold: the in-process fallback limits, never "no limit".
	for i, want := range []bool{true, true, false} {
		if got := r.allow(t, "ip"); got != want {
			t.Fatalf("request %d allowed %v, want %v", i+1, got, want)
		}
	}
	if r.breaker.Up() {
		t.Fatal("Up with a dead Redis")
	}
	if got := r.changes(); len(got) != 1 || got[0] {
		t.Fatalf("state changes %v, want one: down", got)
	}

	if r.fill(t, "lic", "VALID") {
		t.Fatal("a cache hit from a dead Redis")
	}
	if err := r.cache.Invalidate(t.Context(), "lic"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Invalidate on a dead Redis: %v, want store.ErrUnavailable", err)
	}

	for range 200 {
		r.allow(t, "other")
		r.cache.Get(t.Context(), "lic")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a dead Redis cost %v for 400 requests", d)
	}
}

// TestOutageAndRecovery runs two replicas on a Redis of the test's own,
// kills it and starts it again, with the same clients throughout.
func TestOutageAndRecovery(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	open := func() *replica {
		c, err := redis.Open(t.Context(), srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		return newReplica(t, c)
	}
	a, b := open(), open()

	// Redis up: both replicas count against one bucket.
	if !shared(t, a, b, "k1") {
		t.Fatal("replicas do not share rate limits with Redis up")
	}
	if !a.fill(t, "lic", "VALID") {
		t.Fatal("no cache with Redis up")
	}

	srv.Stop()
	if !a.allow(t, "k2") || !a.allow(t, "k2") || a.allow(t, "k2") {
		t.Fatal("replica a does not limit with Redis down")
	}
	if a.breaker.Up() {
		t.Fatal("a is Up with Redis down")
	}
	if !b.allow(t, "k2") {
		t.Fatal("b shares a's in-process fallback")
	}
	if a.fill(t, "lic", "VALID") {
		t.Fatal("a cache hit with Redis down")
	}
	if err := a.cache.Invalidate(t.Context(), "lic"); err == nil {
		t.Fatal("Invalidate with Redis down reported no error")
	}

	srv.Start()
	for _, r := range []*replica{a, b} {
		deadline := time.Now().Add(5 * time.Second)
		for !r.breaker.Up() {
			if time.Now().After(deadline) {
				t.Fatal("Redis back for 5s, replica still not using it")
			}
			r.allow(t, "probe")
			time.Sleep(20 * time.Millisecond)
		}
		if got := r.changes(); len(got) != 2 || got[0] || !got[1] {
			t.Fatalf("state changes %v, want [false true]", got)
		}
	}
	if !shared(t, a, b, "k3") {
		t.Fatal("replicas do not share rate limits after Redis came back")
	}
	if !a.fill(t, "lic", "VALID") {
		t.Fatal("no cache after Redis came back")
	}
}

// TestLostInvalidationThroughFailover cuts replica a off a shared Redis
// while b keeps it: a's invalidations fail or are skipped while its
// breaker is open, and after the cut heals a's epoch bump drops the value
// for b too, with no further request to a.
func TestLostInvalidationThroughFailover(t *testing.T) {
	u := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t, u)
	px := storetest.StartProxy(t, u)
	openAt := func(u string) *replica {
		c, err := redis.Open(t.Context(), u, redis.WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		return newReplica(t, c)
	}
	a, b := openAt(px.URL()), openAt(u)

	if !b.fill(t, "lic", "VALID") {
		t.Fatal("no cache")
	}
	px.Cut()
	if err := a.cache.Invalidate(t.Context(), "lic"); err == nil {
		t.Fatal("Invalidate through a cut connection reported no error")
	}
	if err := a.cache.Invalidate(t.Context(), "lic2"); !errors.Is(err, failover.ErrDown) {
		t.Fatalf("Invalidate with the breaker open: %v, want ErrDown", err)
	}
	if v, _, ok, _ := b.cache.Get(t.Context(), "lic"); !ok || string(v) != "VALID" {
		t.Fatal("b lost the value; the test proves nothing")
	}

	px.Restore()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, _, ok, _ := b.cache.Get(t.Context(), "lic"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b still reads the value a failed to invalidate, 3s after the cut healed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shared reports whether a and b draw from one bucket of key (Burst 2).
func shared(t *testing.T, a, b *replica, key string) bool {
	t.Helper()
	return a.allow(t, key) && b.allow(t, key) && !a.allow(t, key) && !b.allow(t, key)
}
