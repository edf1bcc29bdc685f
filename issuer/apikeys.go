package issuer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/licensedhq/licensed/store"
)

// API-key authentication runs on every brand API request, so what it reads
// (the key by its prefix, and its brand's slug) is cached like the product
// API's snapshots: RevokeAPIKey invalidates it on every replica at once.
// A key revoked by the admin CLI is revoked from a process that reaches
// neither this process's memory nor, unless given the Redis URL, Redis:
// the snapshot lives apiKeyTTL at most, so such a revocation holds on every
// replica within that, and through the admin API at once.
const apiKeyTTL = time.Second

func apiKeyCacheKey(prefix string) string { return "ak:" + prefix }

// apiKeyRef is what authentication needs of a key. SecretHash is the
// SHA-256 of a random secret, what the database holds too: it lets the
// cache check a bearer without the store, and reveals nothing of it.
type apiKeyRef struct {
	ID         string     `json:"id"`
	SecretHash []byte     `json:"secret_hash"`
	Scopes     []string   `json:"scopes"`
	BrandID    string     `json:"brand_id,omitempty"`
	BrandSlug  string     `json:"brand_slug,omitempty"`
	Revoked    bool       `json:"revoked,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// touchEvery limits last_used_at writes to one a minute per key.
const touchEvery = time.Minute

// Authenticate resolves a bearer API key. Unknown, malformed and revoked
// keys all answer unauthorized, alike.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	rest, ok := strings.CutPrefix(bearer, apiKeyPrefix)
	prefix, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || prefix == "" || secret == "" {
		return Principal{}, errUnauthorized
	}
	k, err := cachedRead(ctx, s.cache, apiKeyCacheKey(prefix), apiKeyTTL, func() (apiKeyRef, error) {
		return s.loadAPIKey(ctx, prefix)
	})
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errUnauthorized
	}
	if err != nil {
		return Principal{}, err
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], k.SecretHash) != 1 || k.Revoked {
		return Principal{}, errUnauthorized
	}
	s.touch(ctx, k.ID, k.LastUsedAt)
	return Principal{KeyID: k.ID, BrandID: k.BrandID, BrandSlug: k.BrandSlug, Scopes: k.Scopes}, nil
}

func (s *Service) loadAPIKey(ctx context.Context, prefix string) (apiKeyRef, error) {
	k, err := s.store.APIKeyByPrefix(ctx, prefix)
	if err != nil {
		return apiKeyRef{}, err
	}
	ref := apiKeyRef{ID: k.ID, SecretHash: k.SecretHash, Scopes: k.Scopes, Revoked: k.RevokedAt != nil, LastUsedAt: k.LastUsedAt}
	if k.BrandID != nil {
		b, err := s.store.BrandByID(ctx, *k.BrandID)
		if err != nil {
			return apiKeyRef{}, err
		}
		ref.BrandID, ref.BrandSlug = b.ID, b.Slug
	}
	return ref, nil
}

// touch records the key's use, at most once a minute; a failure to record
// it must not fail the request it authenticated. The snapshot's
// last_used_at may be older than the store's, so this process also
// remembers when it last wrote it.
func (s *Service) touch(ctx context.Context, id string, last *time.Time) {
	now := s.now()
	if last != nil && now.Sub(*last) < touchEvery {
		return
	}
	if !s.touched.due(id, now, touchEvery) {
		return
	}
	_ = s.store.InTx(ctx, func(tx store.Tx) error { return tx.TouchAPIKey(ctx, id, now.UTC()) })
}
