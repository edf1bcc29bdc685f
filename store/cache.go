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

// Memo is what a Cache with an in-process layer of decoded values offers
// (store/memo): a hit costs neither a round trip nor decoding. A value kept
// is shared by every reader that recalls it, so none may change it.
//
// The stamp makes the read-then-keep race safe, as the generation does for
// Set: take it before reading the Cache or the store, hand it to Keep with
// what was read, and Keep keeps nothing if an invalidation (of this replica
// or, as told, of another) may have happened in between.
type Memo interface {
	// Recall returns the value kept for key, if one is and is fresh.
	Recall(key string) (any, bool)
	// Stamp is taken before the reads whose result is handed to Keep.
	Stamp() uint64
	// Keep keeps value for key for ttl, unless an invalidation may have
	// happened since stamp was taken.
	Keep(key string, stamp uint64, value any, ttl time.Duration)
}
