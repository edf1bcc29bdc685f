package failover

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/licensedhq/licensed/store"
)

// noGeneration is the generation Get returns when it could not ask the
// primary; Set drops fills made with it. Neither backend of this module
// reaches it: generations count invalidations from zero.
const noGeneration = math.MaxUint64

// StaleMarker is what a primary implements to make up later for an
// invalidation it never received (store/redis moves to a new epoch).
type StaleMarker interface {
	MarkStale()
}

// Cache puts a breaker in front of a shared cache. Reads and fills degrade
// to misses and no-ops while the primary is down; invalidations are
// reported, since the caller may want to log that one was lost.
type Cache struct {
	primary store.Cache
	breaker *Breaker
}

// NewCache returns a Cache over primary; b may be shared with a Limiter on
// the same backend, and nil means a Breaker of its own with the defaults.
func NewCache(primary store.Cache, b *Breaker) *Cache {
	if b == nil {
		b = NewBreaker()
	}
	return &Cache{primary: primary, breaker: b}
}

// Get is a miss, without error, when the primary fails or is skipped.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	ticket, ok := c.breaker.try()
	if !ok {
		return nil, noGeneration, false, nil
	}
	v, gen, hit, err := c.primary.Get(ctx, key)
	c.breaker.done(ctx, ticket, err)
	if err != nil {
		return nil, noGeneration, false, nil
	}
	return v, gen, hit, nil
}

// Set drops the fill, without error, when the primary fails or is skipped,
// or when the Get before it could not reach the primary (its gen says
// nothing about the primary's generations).
func (c *Cache) Set(ctx context.Context, key string, gen uint64, value []byte, ttl time.Duration) error {
	if gen == noGeneration {
		return nil
	}
	ticket, ok := c.breaker.try()
	if !ok {
		return nil
	}
	c.breaker.done(ctx, ticket, c.primary.Set(ctx, key, gen, value, ttl))
	return nil
}

// Invalidate reports the primary's error. While the primary is down it is
// skipped, if the primary can make up for that later (StaleMarker), and
// ErrDown is returned; otherwise it is tried anyway, since dropping an
// invalidation silently could leave a stale value behind.
func (c *Cache) Invalidate(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	ticket, ok := c.breaker.try()
	if !ok {
		if m, can := c.primary.(StaleMarker); can {
			m.MarkStale()
			return fmt.Errorf("invalidate %d keys: %w", len(keys), ErrDown)
		}
	}
	err := c.primary.Invalidate(ctx, keys...)
	c.breaker.done(ctx, ticket, err)
	return err
}

var _ store.Cache = (*Cache)(nil)
