package issuer

import (
	"context"
	"errors"

	"github.com/licensedhq/licensed/store"
)

// validateFromStore answers a validation without a snapshot cache: one
// store call (store.Queries.ReadKey, one round trip on PostgreSQL) reads
// the key, its licenses and the instance's seat, where the cached path
// makes three reads that each may miss the cache.
func (s *Service) validateFromStore(ctx context.Context, key, brand, product, instance string) (Validation, error) {
	read, err := s.readKey(ctx, key, instance)
	if err != nil {
		return Validation{}, err
	}
	now := s.now().UTC()
	if product == "" {
		return validateAll(read.Licenses, now), nil
	}
	for _, l := range read.Licenses {
		if l.BrandSlug != brand || l.ProductSlug != product {
			continue
		}
		return s.validateOne(ctx, l, instance, now, func(context.Context) (*store.Activation, error) {
			for i := range read.Activations {
				if read.Activations[i].LicenseID == l.ID {
					return &read.Activations[i], nil
				}
			}
			return nil, nil
		})
	}
	return Validation{}, errLicenseNotFound
}

// readKey reads a key with its licenses (and the seats of instance, when
// given) in one store call; errLicenseNotFound when there is no such key
// or it holds no license.
func (s *Service) readKey(ctx context.Context, key, instance string) (store.KeyRead, error) {
	var read store.KeyRead
	var err error
	// During a master key rotation a row not yet re-sealed still holds its
	// old lookup hash: try each, as licenseKeyRef does.
	for _, hash := range s.secrets.LookupHashes([]byte(key)) {
		read, err = s.store.ReadKey(ctx, hash, instance)
		if !errors.Is(err, store.ErrNotFound) {
			break
		}
	}
	if err != nil {
		return store.KeyRead{}, notFoundAs(err, errLicenseNotFound)
	}
	if len(read.Licenses) == 0 {
		return store.KeyRead{}, errLicenseNotFound
	}
	return read, nil
}
