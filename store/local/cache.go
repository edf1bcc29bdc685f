package local

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/licensedhq/licensed/store"
)

// DefaultMaxEntries bounds a Cache made without WithMaxEntries: license
// snapshots are small (well under a kilobyte), so this is a few megabytes.
const DefaultMaxEntries = 10_000

// Cache is an in-process store.Cache: right for one replica, where an
// Invalidate in this process is all there is to see. It is safe for
// concurrent use and bounded twice, by entry count: values are evicted
// least recently used first, generations oldest first.
//
// Generations come from one counter shared by all keys, so a key's
// generation only ever grows and every Invalidate moves it past any token
// handed out before. A key with no generation entry (never invalidated, or
// its entry evicted) reads the floor: the highest generation evicted so
// far. Eviction raises the floor to the evicted generation, which the
// evicted key's generation already was, so no key's generation goes down,
// and tokens of other keys below the new floor stop matching: Set then
// refuses conservatively, which costs one fill, never a stale value.
type Cache struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	values  map[string]*list.Element // of *valueEntry, most recently used in front
	lru     *list.List
	gens    map[string]*list.Element // of *genEntry, oldest generation in front
	genFIFO *list.List
	counter uint64 // the last generation handed out
	floor   uint64 // the generation of keys without an entry
}

type valueEntry struct {
	key     string
	value   []byte
	expires time.Time
}

type genEntry struct {
	key string
	gen uint64
}

// CacheOption configures NewCache.
type CacheOption func(*Cache)

// WithMaxEntries bounds the number of values and, separately, of
// generations kept; n < 1 means DefaultMaxEntries.
func WithMaxEntries(n int) CacheOption {
	return func(c *Cache) {
		if n >= 1 {
			c.max = n
		}
	}
}

// WithClock makes the Cache read the time from now (for tests); nil means
// time.Now.
func WithClock(now func() time.Time) CacheOption {
	return func(c *Cache) {
		if now != nil {
			c.now = now
		}
	}
}

// NewCache returns an empty Cache.
func NewCache(opts ...CacheOption) *Cache {
	c := &Cache{
		now:     time.Now,
		max:     DefaultMaxEntries,
		values:  make(map[string]*list.Element),
		lru:     list.New(),
		gens:    make(map[string]*list.Element),
		genFIFO: list.New(),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Get returns a copy of key's value, so callers may keep or change it.
func (c *Cache) Get(_ context.Context, key string) ([]byte, uint64, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := c.genOf(key)
	e, ok := c.values[key]
	if !ok {
		return nil, gen, false, nil
	}
	v := e.Value.(*valueEntry)
	if !c.now().Before(v.expires) {
		c.dropValue(e)
		return nil, gen, false, nil
	}
	c.lru.MoveToFront(e)
	return clone(v.value), gen, true, nil
}

// Set stores a copy of value. A ttl of zero or less stores nothing: the
// value would be expired before anyone read it.
func (c *Cache) Set(_ context.Context, key string, gen uint64, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.genOf(key) != gen {
		return nil
	}
	entry := &valueEntry{key: key, value: clone(value), expires: c.now().Add(ttl)}
	if e, ok := c.values[key]; ok {
		e.Value = entry
		c.lru.MoveToFront(e)
		return nil
	}
	c.values[key] = c.lru.PushFront(entry)
	if c.lru.Len() > c.max {
		c.dropValue(c.lru.Back())
	}
	return nil
}

// Invalidate drops the keys' values and moves them all to one new
// generation.
func (c *Cache) Invalidate(_ context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counter++
	for _, k := range keys {
		if e, ok := c.values[k]; ok {
			c.dropValue(e)
		}
		c.setGen(k, c.counter)
	}
	return nil
}

func (c *Cache) genOf(key string) uint64 {
	if e, ok := c.gens[key]; ok {
		return e.Value.(*genEntry).gen
	}
	return c.floor
}

// setGen records key's new generation, the highest so far, at the back of
// the FIFO, which therefore stays sorted by generation.
func (c *Cache) setGen(key string, gen uint64) {
	if e, ok := c.gens[key]; ok {
		e.Value.(*genEntry).gen = gen
		c.genFIFO.MoveToBack(e)
		return
	}
	c.gens[key] = c.genFIFO.PushBack(&genEntry{key: key, gen: gen})
	if c.genFIFO.Len() > c.max {
		oldest := c.genFIFO.Front()
		g := c.genFIFO.Remove(oldest).(*genEntry)
		delete(c.gens, g.key)
		c.floor = max(c.floor, g.gen)
	}
}

func (c *Cache) dropValue(e *list.Element) {
	v := c.lru.Remove(e).(*valueEntry)
	delete(c.values, v.key)
}

// clone copies b, keeping an empty value distinct from a missing one.
func clone(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}

var _ store.Cache = (*Cache)(nil)
