package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/storetest"
)

func TestCacheConformance(t *testing.T) {
	storetest.RunCache(t, func(*testing.T) store.Cache { return NewCache() })
}

func TestLimiterConformance(t *testing.T) {
	storetest.RunLimiter(t, func(*testing.T) store.Limiter { return NewLimiter(nil) })
}

func TestCacheTTLOnClock(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := NewCache(WithClock(func() time.Time { return now }))
	ctx := context.Background()
	_, gen, _, _ := c.Get(ctx, "k")
	c.Set(ctx, "k", gen, []byte("v"), time.Minute)

	now = now.Add(time.Minute - time.Nanosecond)
	if _, _, ok, _ := c.Get(ctx, "k"); !ok {
		t.Fatal("gone before its TTL")
	}
	now = now.Add(time.Nanosecond)
	if _, _, ok, _ := c.Get(ctx, "k"); ok {
		t.Fatal("still there at its TTL")
	}
	if n := len(c.values); n != 0 {
		t.Fatalf("%d values kept after expiry", n)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewCache(WithMaxEntries(3))
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		fill(t, c, k)
	}
	c.Get(ctx, "a") // a is now the most recently used; b the least
	fill(t, c, "d")
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, _, ok, _ := c.Get(ctx, k); ok != want {
			t.Errorf("%s cached: %v, want %v", k, ok, want)
		}
	}
	if n := len(c.values); n != 3 {
		t.Fatalf("%d values kept, want 3", n)
	}
}

func TestCacheGenerationsBounded(t *testing.T) {
	const maxEntries = 100
	c := NewCache(WithMaxEntries(maxEntries))
	ctx := context.Background()
	for i := range 10 * maxEntries {
		c.Invalidate(ctx, fmt.Sprint("k", i))
	}
	if n, m := len(c.gens), c.genFIFO.Len(); n != maxEntries || m != maxEntries {
		t.Fatalf("%d generations (%d in FIFO) kept, want %d", n, m, maxEntries)
	}
}

// A fill whose key's generation was evicted between Get and Set must not
// land if the key was invalidated in between, and the conservative floor
// may refuse other fills too, but never lets a stale one through.
func TestCacheGenerationEvictionStaysSafe(t *testing.T) {
	c := NewCache(WithMaxEntries(2))
	ctx := context.Background()

	_, stale, _, _ := c.Get(ctx, "k")
	c.Invalidate(ctx, "k")
	c.Invalidate(ctx, "x")
	c.Invalidate(ctx, "y") // evicts k's generation
	if _, ok := c.gens["k"]; ok {
		t.Fatal("k's generation was not evicted; the test proves nothing")
	}
	c.Set(ctx, "k", stale, []byte("stale"), time.Minute)
	if _, _, ok, _ := c.Get(ctx, "k"); ok {
		t.Fatal("a fill from before an invalidation landed after its generation was evicted")
	}

	// Generations never go down, so a token taken after eviction works.
	_, fresh, _, _ := c.Get(ctx, "k")
	if fresh <= stale {
		t.Fatalf("generation went from %d to %d", stale, fresh)
	}
	c.Set(ctx, "k", fresh, []byte("fresh"), time.Minute)
	if v, _, ok, _ := c.Get(ctx, "k"); !ok || string(v) != "fresh" {
		t.Fatalf("fill after eviction: %q %v", v, ok)
	}
}

func fill(t *testing.T, c *Cache, key string) {
	t.Helper()
	_, gen, _, err := c.Get(context.Background(), key)
	if err == nil {
		err = c.Set(context.Background(), key, gen, []byte(key), time.Minute)
	}
	if err != nil {
		t.Fatal(err)
	}
}
