package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// RunCache runs every conformance case of store.Cache against caches made
// by open, which gets each case's own test and returns an empty cache that
// no other case uses. Cases run in parallel and take about a second in
// all, most of it one short TTL running out in real time (a shared cache
// cannot be handed a fake clock).
func RunCache(t *testing.T, open func(t *testing.T) store.Cache) {
	for _, c := range cacheCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, &cacheFixture{t: t, c: open(t), ctx: t.Context()})
		})
	}
}

var cacheCases = []struct {
	name string
	run  func(t *testing.T, f *cacheFixture)
}{
	{"GetSetMiss", testCacheGetSet},
	{"BinarySafe", testCacheBinarySafe},
	{"TTL", testCacheTTL},
	{"NonPositiveTTLStoresNothing", testCacheNonPositiveTTL},
	{"GenerationRace", testCacheGenerationRace},
	{"InvalidateSeveral", testCacheInvalidateSeveral},
	{"ConcurrentSetInvalidate", testCacheConcurrent},
}

type cacheFixture struct {
	t   *testing.T
	c   store.Cache
	ctx context.Context
}

func (f *cacheFixture) get(key string) ([]byte, uint64, bool) {
	f.t.Helper()
	v, gen, ok, err := f.c.Get(f.ctx, key)
	if err != nil {
		f.t.Fatalf("Get(%q): %v", key, err)
	}
	return v, gen, ok
}

func (f *cacheFixture) set(key string, gen uint64, v []byte, ttl time.Duration) {
	f.t.Helper()
	if err := f.c.Set(f.ctx, key, gen, v, ttl); err != nil {
		f.t.Fatalf("Set(%q): %v", key, err)
	}
}

func (f *cacheFixture) invalidate(keys ...string) {
	f.t.Helper()
	if err := f.c.Invalidate(f.ctx, keys...); err != nil {
		f.t.Fatalf("Invalidate(%q): %v", keys, err)
	}
}

// fill is the read-then-fill a caller does on a miss.
func (f *cacheFixture) fill(key string, v []byte) {
	f.t.Helper()
	_, gen, _ := f.get(key)
	f.set(key, gen, v, time.Minute)
}

func (f *cacheFixture) wantHit(key string, want []byte) {
	f.t.Helper()
	got, _, ok := f.get(key)
	if !ok || !bytes.Equal(got, want) {
		f.t.Fatalf("Get(%q) = %q, hit %v; want hit %q", key, got, ok, want)
	}
}

func (f *cacheFixture) wantMiss(key string) {
	f.t.Helper()
	if got, _, ok := f.get(key); ok {
		f.t.Fatalf("Get(%q) = hit %q, want a miss", key, got)
	}
}

func testCacheGetSet(t *testing.T, f *cacheFixture) {
	f.wantMiss("k")
	_, gen, _ := f.get("k")
	f.set("k", gen, []byte("v1"), time.Minute)
	f.wantHit("k", []byte("v1"))
	f.wantMiss("other")

	// A fill does not change the generation: a second fill with the same
	// one replaces the value.
	_, gen2, _ := f.get("k")
	if gen2 != gen {
		t.Fatalf("generation went from %d to %d without an Invalidate", gen, gen2)
	}
	f.set("k", gen, []byte("v2"), time.Minute)
	f.wantHit("k", []byte("v2"))
}

func testCacheBinarySafe(t *testing.T, f *cacheFixture) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 256<<10)
	rand.Read(big)
	values := map[string][]byte{
		"all-bytes":        all,
		"empty":            {},
		"nul":              {0},
		"bad-utf8":         {0xff, 0xfe, 0xc3, 0x28},
		"big":              big,
		"key: with spaces": []byte("spaces"),
		"key*?[glob]":      []byte("glob"),
		"ключ/日本":          []byte("unicode"),
		"v:clash":          []byte("not the v: of another key"),
		"g:clash":          []byte("not the g: of another key"),
	}
	for k, v := range values {
		f.fill(k, v)
	}
	for k, v := range values {
		f.wantHit(k, v)
	}
	if got, _, _ := f.get("empty"); got == nil {
		t.Fatal("an empty value came back nil; want an empty, non-nil slice")
	}

	// Neither the caller's slice after Set nor the returned one is the
	// stored value.
	v := []byte("original")
	f.fill("mutable", v)
	v[0] = 'X'
	got, _, _ := f.get("mutable")
	got[1] = 'Y'
	f.wantHit("mutable", []byte("original"))
}

func testCacheTTL(t *testing.T, f *cacheFixture) {
	const ttl = 400 * time.Millisecond
	start := time.Now()
	_, gen, _ := f.get("short")
	f.set("short", gen, []byte("v"), ttl)
	f.fill("long", []byte("v"))
	got, _, ok := f.get("short")
	if time.Since(start) < ttl && !ok {
		t.Fatalf("value gone after %v, before its TTL of %v", time.Since(start), ttl)
	}
	if ok && string(got) != "v" {
		t.Fatalf("Get = %q", got)
	}
	time.Sleep(time.Until(start.Add(ttl + 150*time.Millisecond)))
	f.wantMiss("short")
	f.wantHit("long", []byte("v"))
}

func testCacheNonPositiveTTL(t *testing.T, f *cacheFixture) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, gen, _ := f.get("k")
		f.set("k", gen, []byte("v"), ttl)
		f.wantMiss("k")
	}
}

func testCacheGenerationRace(t *testing.T, f *cacheFixture) {
	// A reader misses and reads the store; a change invalidates; the
	// reader's fill, made from the old state, must not land.
	_, gen, _ := f.get("k")
	f.invalidate("k")
	f.set("k", gen, []byte("stale"), time.Minute)
	f.wantMiss("k")

	// The next reader's fill does.
	_, gen2, _ := f.get("k")
	if gen2 == gen {
		t.Fatalf("generation %d unchanged by Invalidate", gen)
	}
	f.set("k", gen2, []byte("fresh"), time.Minute)
	f.wantHit("k", []byte("fresh"))

	// Invalidate drops a stored value, and a token from before two
	// invalidations is as dead as one from before one.
	f.invalidate("k")
	f.wantMiss("k")
	f.invalidate("k")
	f.set("k", gen2, []byte("stale"), time.Minute)
	f.wantMiss("k")
}

func testCacheInvalidateSeveral(t *testing.T, f *cacheFixture) {
	for _, k := range []string{"a", "b", "c"} {
		f.fill(k, []byte(k))
	}
	_, genA, _ := f.get("a")
	_, genC, _ := f.get("c")
	_, genNever, _ := f.get("never-set")
	f.invalidate("a", "b", "never-set")
	f.wantMiss("a")
	f.wantMiss("b")
	f.wantHit("c", []byte("c"))

	// Only the named keys moved to a new generation.
	f.set("a", genA, []byte("stale"), time.Minute)
	f.wantMiss("a")
	f.set("never-set", genNever, []byte("stale"), time.Minute)
	f.wantMiss("never-set")
	f.set("c", genC, []byte("c2"), time.Minute)
	f.wantHit("c", []byte("c2"))

	if err := f.c.Invalidate(f.ctx); err != nil {
		t.Fatalf("Invalidate() with no keys: %v", err)
	}
	f.wantHit("c", []byte("c2"))
}

// testCacheConcurrent races readers that fill from a "store" (a version
// counter) against a writer that changes it and invalidates. After an
// Invalidate returns, no reader may see a version older than the change
// it followed, and when all is quiet the cache holds the last version or
// nothing.
func testCacheConcurrent(t *testing.T, f *cacheFixture) {
	const versions, readers = 150, 4
	keys := []string{"x", "y"}
	var version, acked atomic.Int64
	var writerDone atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)

	wg.Go(func() {
		defer writerDone.Store(true)
		for v := int64(1); v <= versions; v++ {
			version.Store(v)
			if err := f.c.Invalidate(f.ctx, keys...); err != nil {
				errs <- err
				return
			}
			acked.Store(v)
		}
	})
	for r := range readers {
		wg.Go(func() { errs <- concurrentReader(f, keys[r%len(keys)], &version, &acked, &writerDone) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		if v, _, ok := f.get(k); ok && string(v) != strconv.Itoa(versions) {
			t.Fatalf("%s holds version %s when all is done; want %d or nothing", k, v, versions)
		}
	}
}

// concurrentReader reads and fills key until the writer is done and it has
// seen one hit after that, so the case fails if fills never land.
func concurrentReader(f *cacheFixture, key string, version, acked *atomic.Int64, writerDone *atomic.Bool) error {
	for {
		done := writerDone.Load()
		floor := acked.Load()
		v, gen, ok, err := f.c.Get(f.ctx, key)
		if err != nil {
			return err
		}
		if ok {
			got, _ := strconv.ParseInt(string(v), 10, 64)
			if got < floor {
				return fmt.Errorf("%s: read version %d after the invalidation of version %d returned", key, got, floor)
			}
			if done {
				return nil
			}
			continue
		}
		fresh := strconv.FormatInt(version.Load(), 10)
		if err := f.c.Set(f.ctx, key, gen, []byte(fresh), time.Minute); err != nil {
			return err
		}
	}
}
