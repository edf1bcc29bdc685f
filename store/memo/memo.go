package memo

import (
	"context"
	"sync"
	"time"

	"github.com/licensedhq/licensed/store"
)

// DefaultMaxEntries bounds a Cache made without WithMaxEntries. Past it the
// memo is emptied: the shared cache behind it still holds everything.
const DefaultMaxEntries = 50_000

// Cache is a store.Cache and a store.Memo: Get, Set and Invalidate go to
// the cache it wraps (Invalidate also forgets here); Recall, Stamp and
// Keep serve decoded values from memory.
//
// Every invalidation — Invalidate, Drop, Reset — moves one sequence, which
// Stamp reads, and records it as the key's last invalidation; Keep refuses
// a value whose key was invalidated after its stamp: a value read before
// an invalidation is never kept after it, while fills of other keys go on.
// The record is bounded like the values: past max keys it is emptied and
// its floor raised to the sequence, so every stamp from before is refused
// for every key — one more read of the shared cache, never a stale value.
type Cache struct {
	inner store.Cache
	now   func() time.Time
	max   int

	mu      sync.RWMutex
	entries map[string]entry
	inval   map[string]uint64 // key -> the sequence of its last invalidation
	floor   uint64            // the last invalidation of keys not in inval
	seq     uint64
	up      bool
}

type entry struct {
	value   any
	expires time.Time
}

// Option configures New.
type Option func(*Cache)

// Down makes a Cache that serves nothing until Reset(true): for a memo
// whose watcher has yet to confirm its subscription.
func Down() Option { return func(c *Cache) { c.up = false } }

// WithMaxEntries bounds the number of values kept; n < 1 means the default.
func WithMaxEntries(n int) Option {
	return func(c *Cache) {
		if n >= 1 {
			c.max = n
		}
	}
}

// WithClock makes the Cache read the time from now (for tests).
func WithClock(now func() time.Time) Option {
	return func(c *Cache) {
		if now != nil {
			c.now = now
		}
	}
}

// New returns an empty memo in front of inner, up unless Down is given.
func New(inner store.Cache, opts ...Option) *Cache {
	c := &Cache{inner: inner, now: time.Now, max: DefaultMaxEntries, entries: make(map[string]entry), inval: make(map[string]uint64), up: true}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Get reads the wrapped cache.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	return c.inner.Get(ctx, key)
}

// Set fills the wrapped cache.
func (c *Cache) Set(ctx context.Context, key string, gen uint64, value []byte, ttl time.Duration) error {
	return c.inner.Set(ctx, key, gen, value, ttl)
}

// Invalidate forgets the keys here, invalidates them in the wrapped cache,
// and forgets them here again: a reader that read the wrapped cache before
// its invalidation landed cannot keep what it read.
func (c *Cache) Invalidate(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	c.Drop(keys...)
	err := c.inner.Invalidate(ctx, keys...)
	c.Drop(keys...)
	return err
}

// Drop forgets keys invalidated by another replica.
func (c *Cache) Drop(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if len(c.inval)+len(keys) > c.max {
		clear(c.inval)
		c.floor = c.seq
	}
	for _, k := range keys {
		delete(c.entries, k)
		c.inval[k] = c.seq
	}
}

// Reset forgets everything; up says whether to serve and keep values from
// now on (false while invalidations of other replicas may go unheard).
func (c *Cache) Reset(up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	clear(c.entries)
	clear(c.inval)
	c.floor = c.seq
	c.up = up
}

// Up reports whether the memo serves values.
func (c *Cache) Up() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.up
}

// Recall returns the value kept for key, unless it expired or the memo is
// down.
func (c *Cache) Recall(key string) (any, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	up := c.up
	c.mu.RUnlock()
	if !ok || !up || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.value, true
}

// Stamp returns the invalidation sequence, for Keep.
func (c *Cache) Stamp() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.seq
}

// Keep keeps value for ttl if the memo is up and key was not invalidated
// since stamp. A full memo is emptied first.
func (c *Cache) Keep(key string, stamp uint64, value any, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	expires := c.now().Add(ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	last, ok := c.inval[key]
	if !ok {
		last = c.floor
	}
	if !c.up || last > stamp {
		return
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = entry{value: value, expires: expires}
}

var (
	_ store.Cache = (*Cache)(nil)
	_ store.Memo  = (*Cache)(nil)
)
