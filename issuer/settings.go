package issuer

import (
	"context"
	"slices"
	"time"

	"github.com/licensedhq/licensed/store"
)

// A license read from the store carries its product's settings (token TTL
// and policy), joined fresh. A license snapshot from the cache carries them
// as of when it was cached, and changing a product must reach every
// license of it at once — far too many snapshots to invalidate one by one.
// So cached licenses take their product's settings from a snapshot of
// their own, under one key per product, which UpdateProduct invalidates.
//
// A product changed by the admin CLI is changed from a process that reaches
// neither the serving process's memory (the embedded default's cache) nor,
// unless it was given the Redis URL, Redis: so the snapshot lives one
// second at most, and a change by any route is in every answer within a
// second — at once through the admin API. That costs one store read per
// product and second, against one per request without it.
const productSettingsTTL = time.Second

func productCacheKey(productID string) string { return "prod:" + productID }

// productSettings is what the product API reads of a product outside a
// license's lock: the token TTL and the grace and activation TTL of its
// policy. Free instances and their cap are read under the lock, from the
// store (LockLicense), where they decide.
type productSettings struct {
	TokenTTL      time.Duration `json:"token_ttl"`
	GraceDays     int           `json:"grace_days,omitempty"`
	ActivationTTL time.Duration `json:"activation_ttl,omitempty"`
}

// withProductSettings returns licenses read through the cache with their
// products' current settings; their free instances and cap are left out
// (nil, 0), so that nothing outside the lock can go by a stale list.
// Without a cache they came from the store and are returned as they are.
func (s *Service) withProductSettings(ctx context.Context, ls []store.License) ([]store.License, error) {
	if s.cache == nil {
		return ls, nil
	}
	out := slices.Clone(ls)
	for i := range out {
		l := &out[i]
		ps, err := cachedRead(ctx, s.cache, productCacheKey(l.ProductID), productSettingsTTL, func() (productSettings, error) {
			p, err := s.store.ProductByID(ctx, l.BrandID, l.ProductID)
			return productSettings{TokenTTL: p.TokenTTL, GraceDays: p.Policy.GraceDays, ActivationTTL: p.Policy.ActivationTTL}, err
		})
		if err != nil {
			return nil, err
		}
		l.TokenTTL, l.Policy = ps.TokenTTL, store.Policy{GraceDays: ps.GraceDays, ActivationTTL: ps.ActivationTTL}
	}
	return out, nil
}
