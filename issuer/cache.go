package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/licensedhq/licensed/store"
)

// What the product API reads is cached (when a Cache is configured) under
// these keys; every change invalidates what it touched after it commits.
// The generations of store.Cache keep a reader that read the store before
// a change from putting the old snapshot back after it.
const (
	// A key hash's license key id never changes: cached for long.
	keyIDTTL = time.Hour
	// Snapshots are invalidated on change; the TTL only bounds what an
	// invalidation lost to an outage can leave behind.
	snapshotTTL = 5 * time.Minute
)

func keyIDCacheKey(hash []byte) string { return "lkr:" + hex.EncodeToString(hash) }

func licensesCacheKey(licenseKeyID string) string { return "lk:" + licenseKeyID }

func activationCacheKey(licenseID, instance string) string {
	sum := sha256.Sum256([]byte(instance))
	return "act:" + licenseID + ":" + hex.EncodeToString(sum[:16])
}

// cachedRead answers from the cache, or loads from the store and fills the
// cache. A cache that fails is a miss: the store is the source of truth.
// When the cache has an in-process memo (store.Memo), what was decoded or
// loaded is kept there too, and a memo hit is returned as it is: values of
// T are shared between readers and must never be changed.
func cachedRead[T any](ctx context.Context, c store.Cache, key string, ttl time.Duration, load func() (T, error)) (T, error) {
	if c == nil {
		return load()
	}
	m, _ := c.(store.Memo)
	var stamp uint64
	if m != nil {
		// The memo may keep a value it read from the shared cache just
		// before the value's TTL there ended: each layer keeps it half
		// the TTL, so the two together never serve it longer than ttl.
		ttl /= 2
		if v, ok := m.Recall(key); ok {
			if t, ok := v.(T); ok {
				return t, nil
			}
		}
		stamp = m.Stamp()
	}
	raw, gen, ok, err := c.Get(ctx, key)
	if err == nil && ok {
		var v T
		if json.Unmarshal(raw, &v) == nil {
			if m != nil {
				m.Keep(key, stamp, v, ttl)
			}
			return v, nil
		}
	}
	v, lerr := load()
	if lerr != nil || err != nil {
		return v, lerr
	}
	if b, merr := json.Marshal(v); merr == nil {
		_ = c.Set(ctx, key, gen, b, ttl) // a failed fill only costs the next reader a store read
		if m != nil {
			m.Keep(key, stamp, v, ttl)
		}
	}
	return v, nil
}

// invalidate drops snapshots after a change committed. The change stands
// even if this fails; the cache's own outage handling (see store/redis)
// keeps a lost invalidation from being served once the cache is back.
func (s *Service) invalidate(ctx context.Context, keys ...string) {
	if s.cache == nil || len(keys) == 0 {
		return
	}
	_ = s.cache.Invalidate(context.WithoutCancel(ctx), keys...)
}

// keyRef is what the product API needs of a license key row: its id, and
// its brand, which scopes every read that follows.
type keyRef struct {
	ID      string `json:"id"`
	BrandID string `json:"brand_id"`
}

// licenseKeyRef finds the license key by its lookup hash: under the
// primary master key, and during a master key rotation under the old ones
// too, since a row not yet re-sealed still holds its old hash.
func (s *Service) licenseKeyRef(ctx context.Context, key string) (keyRef, error) {
	var err error
	for _, hash := range s.secrets.LookupHashes([]byte(key)) {
		var ref keyRef
		ref, err = cachedRead(ctx, s.cache, keyIDCacheKey(hash), keyIDTTL, func() (keyRef, error) {
			lk, err := s.store.LicenseKeyByHash(ctx, hash)
			return keyRef{ID: lk.ID, BrandID: lk.BrandID}, err
		})
		if !errors.Is(err, store.ErrNotFound) {
			return ref, err
		}
	}
	return keyRef{}, err
}

// keyLicenses is every license under a key, as of the last change.
func (s *Service) keyLicenses(ctx context.Context, key keyRef) ([]store.License, error) {
	return cachedRead(ctx, s.cache, licensesCacheKey(key.ID), snapshotTTL, func() ([]store.License, error) {
		ls, err := s.store.LicensesByKey(ctx, key.BrandID, key.ID)
		if s.cache != nil {
			for i := range ls {
				// A cached license takes its product's policy from the
				// product's own snapshot (withProductSettings): not kept here.
				ls[i].Policy = store.Policy{}
				// The product API answers without the customer, the
				// license key or the brand's metadata: a shared cache
				// (Redis) never holds personal data or a sealed key.
				ls[i].CustomerEmail, ls[i].KeyCiphertext, ls[i].KeyHint, ls[i].Metadata = "", nil, "", nil
			}
		}
		return ls, err
	})
}

// liveActivation is the seat instance holds, or nil: a copy of its own,
// which the caller may change (seen does), since the snapshot is shared.
func (s *Service) liveActivation(ctx context.Context, brandID, licenseID, instance string) (*store.Activation, error) {
	a, err := s.cachedActivation(ctx, brandID, licenseID, instance)
	if a == nil || err != nil {
		return nil, err
	}
	own := *a
	return &own, nil
}

func (s *Service) cachedActivation(ctx context.Context, brandID, licenseID, instance string) (*store.Activation, error) {
	return cachedRead(ctx, s.cache, activationCacheKey(licenseID, instance), snapshotTTL, func() (*store.Activation, error) {
		a, err := s.store.LiveActivation(ctx, brandID, licenseID, instance)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &a, nil
	})
}
