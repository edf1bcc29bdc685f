package redis_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/redis"
	"github.com/licensedhq/licensed/store/storetest"
)

// open connects to the test Redis with a prefix of the test's own, whose
// keys are deleted when the test ends.
func open(t *testing.T, opts ...redis.Option) (*redis.Client, string) {
	t.Helper()
	u := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t, u)
	return openAt(t, u, append([]redis.Option{redis.WithPrefix(prefix)}, opts...)...), prefix
}

func openAt(t *testing.T, u string, opts ...redis.Option) *redis.Client {
	t.Helper()
	c, err := redis.Open(t.Context(), u, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// raw is a plain client for looking at the keys themselves.
func raw(t *testing.T) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(storetest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func TestCacheConformance(t *testing.T) {
	storetest.RunCache(t, func(t *testing.T) store.Cache {
		c, _ := open(t)
		return c.Cache()
	})
}

func TestLimiterConformance(t *testing.T) {
	storetest.RunLimiter(t, func(t *testing.T) store.Limiter {
		c, _ := open(t)
		return c.Limiter()
	})
}

func TestOpenUnreachable(t *testing.T) {
	start := time.Now()
	_, err := redis.Open(t.Context(), "redis://127.0.0.1:1/0")
	if !errors.Is(err, redis.ErrUnreachable) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open on a closed port: %v, want ErrUnreachable and store.ErrUnavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Open on a closed port took %v", d)
	}
	if _, err := redis.New("http://127.0.0.1"); err == nil {
		t.Fatal("New accepted an http URL")
	}
}

// TestKeyLayout pins the documented key names: all under the prefix.
func TestKeyLayout(t *testing.T) {
	c, prefix := open(t)
	ctx := t.Context()
	if _, err := c.Limiter().Allow(ctx, "ip:1.2.3.4", store.Limit{Rate: 1, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	cache := c.Cache()
	_, gen, _, _ := cache.Get(ctx, "a")
	if err := cache.Set(ctx, "a", gen, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := cache.Invalidate(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	rdb := raw(t)
	epoch := rdb.Get(ctx, prefix+"cache:epoch").Val()
	if n, err := strconv.ParseUint(epoch, 10, 64); err != nil || n < 1e15 {
		t.Fatalf("epoch %q, want a value of the sequence, which starts at the time in µs", epoch)
	}
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	e := prefix + "cache:" + epoch
	want := []string{prefix + "rate:ip:1.2.3.4", prefix + "cache:seq", prefix + "cache:epoch",
		e + ":v:a", e + ":g:a", e + ":g:b"}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys\n%q\nwant\n%q", keys, want)
	}

	// A generation key outlives the values it guards, and no value
	// outlives the generation TTL.
	if err := cache.Set(ctx, "b", mustGen(t, cache, "b"), []byte("v"), 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	vTTL := rdb.PTTL(ctx, e+":v:b").Val()
	gTTL := rdb.PTTL(ctx, e+":g:b").Val()
	// (Both expire at the same instant; they are read a moment apart.)
	if vTTL <= 0 || vTTL > redis.DefaultGenerationTTL || gTTL < vTTL-time.Second {
		t.Fatalf("value TTL %v, generation TTL %v", vTTL, gTTL)
	}
}

func mustGen(t *testing.T, c store.Cache, key string) uint64 {
	t.Helper()
	_, gen, _, err := c.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return gen
}

// TestEpochAfterLostInvalidation cuts one replica (a) off Redis with a
// real network fault while another (b) keeps its connection: a's
// Invalidate fails, b still sees the value (the documented window), and
// once a reaches Redis again the epoch moves and nobody sees it.
func TestEpochAfterLostInvalidation(t *testing.T) {
	u := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t, u)
	px := storetest.StartProxy(t, u)
	a := openAt(t, px.URL(), redis.WithPrefix(prefix)).Cache()
	b := openAt(t, u, redis.WithPrefix(prefix)).Cache()
	ctx := t.Context()

	if err := a.Set(ctx, "lic", mustGen(t, a, "lic"), []byte("VALID"), time.Minute); err != nil {
		t.Fatal(err)
	}
	staleGen := mustGen(t, b, "lic")
	wantValue(t, b, "lic", "VALID")

	px.Cut()
	if err := a.Invalidate(ctx, "lic"); !errors.Is(err, redis.ErrUnreachable) {
		t.Fatalf("Invalidate through a cut connection: %v, want ErrUnreachable", err)
	}
	wantValue(t, b, "lic", "VALID") // the window: b never lost Redis

	px.Restore()
	if _, _, ok, err := a.Get(ctx, "lic"); err != nil || ok {
		t.Fatalf("a after reconnecting: hit %v, err %v; want a miss", ok, err)
	}
	if _, _, ok, _ := b.Get(ctx, "lic"); ok {
		t.Fatal("b still reads the value a failed to invalidate")
	}
	// A fill made from before the epoch moved does not land either.
	if err := b.Set(ctx, "lic", staleGen, []byte("VALID"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := b.Get(ctx, "lic"); ok {
		t.Fatal("a fill with a generation from the old epoch landed")
	}
}

// TestMarkStaleBumpsInBackground shows that the epoch moves without any
// further request to the replica that lost an invalidation.
func TestMarkStaleBumpsInBackground(t *testing.T) {
	c, prefix := open(t)
	cache := c.Cache()
	ctx := t.Context()
	if err := cache.Set(ctx, "k", mustGen(t, cache, "k"), []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	rdb := raw(t)
	epoch := func() string { return rdb.Get(ctx, prefix+"cache:epoch").Val() }
	before := epoch()
	cache.(interface{ MarkStale() }).MarkStale()
	deadline := time.Now().Add(2 * time.Second)
	for epoch() == before {
		if time.Now().After(deadline) {
			t.Fatal("epoch did not move within 2s of MarkStale")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, _, ok, _ := cache.Get(ctx, "k"); ok {
		t.Fatal("value from before the epoch is still read")
	}
}

func wantValue(t *testing.T, c store.Cache, key, want string) {
	t.Helper()
	v, _, ok, err := c.Get(context.Background(), key)
	if err != nil || !ok || string(v) != want {
		t.Fatalf("Get(%q) = %q, hit %v, err %v; want %q", key, v, ok, err, want)
	}
}

// TestRestartWithoutPersistence: a fill that spans a restart that lost all
// data must not land, even though the restarted Redis has no trace of the
// invalidation made before it; the sequence must not hand out the
// reader's generation again.
func TestRestartWithoutPersistence(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	c := openAt(t, srv.URL()).Cache()
	ctx := t.Context()

	_, stale, _, err := c.Get(ctx, "lic")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Invalidate(ctx, "lic"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	srv.Start()

	_, fresh, _, err := c.Get(ctx, "lic")
	if err != nil {
		t.Fatalf("Get after the restart: %v", err)
	}
	if fresh <= stale {
		t.Fatalf("generation %d after the restart, want above %d from before it", fresh, stale)
	}
	if err := c.Set(ctx, "lic", stale, []byte("stale"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := c.Get(ctx, "lic"); ok {
		t.Fatal("a fill read before the restart landed after it")
	}
}
