package store

import (
	"context"
	"time"
)

// Cache holds snapshots of what online validation reads (a license key's
// licenses, status, expiry, seats in use) so that the hot path can skip
// the database. It is a cache of the Store, never a source of truth: a
// miss, or any error, means "read the store".
//
// Staleness is what matters: after Invalidate returns, no replica may read
// the old value. Generations make the read-then-fill race safe: Get returns
// the key's generation, and Set stores only if no Invalidate happened in
// between, so a reader that read the store before a change cannot put the
// pre-change snapshot back after the change invalidated it.
type Cache interface {
	// Get returns the cached value of key (ok false on a miss) and the
	// key's current generation, to hand to Set after reading the store.
	Get(ctx context.Context, key string) (value []byte, gen uint64, ok bool, err error)
	// Set stores value for key for ttl, unless key was invalidated since
	// the Get that returned gen.
	Set(ctx context.Context, key string, gen uint64, value []byte, ttl time.Duration) error
	// Invalidate drops the keys and bumps their generations, for every
	// replica sharing the cache.
	Invalidate(ctx context.Context, keys ...string) error
}
