package issuer

import (
	"context"
	"errors"
	"strings"

	"github.com/licensedhq/licensed/store"
)

// The admin API's reads and changes of brands and API keys. Admin keys are
// platform keys (the admin scope is refused on a brand key), so these reads
// span every brand by design.

// BrandPatchInput is the body of PATCH /v1/brands/{slug}.
type BrandPatchInput struct {
	Name *string `json:"name"`
}

// ActionBrandUpdated records a brand's change.
const ActionBrandUpdated = "brand.updated"

func brandOut(b store.Brand) Brand {
	return Brand{ID: b.ID, Slug: b.Slug, Name: b.Name, CreatedAt: formatTime(b.CreatedAt)}
}

// Brands lists every brand, oldest first (admin).
func (s *Service) Brands(ctx context.Context, p Principal, in PageInput) (Page[Brand], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Page[Brand]{}, err
	}
	var f fieldErrors
	limit := checkLimit(&f, in.Limit)
	after := decodeCursor(&f, in.Cursor)
	if err := f.err(); err != nil {
		return Page[Brand]{}, err
	}
	list, err := s.store.Brands(ctx, store.BrandFilter{AfterID: after, Limit: limit + 1})
	if err != nil {
		return Page[Brand]{}, err
	}
	return paginate(list, limit, func(b store.Brand) string { return b.ID }, func(b store.Brand) (Brand, error) {
		return brandOut(b), nil
	})
}

// GetBrand answers one brand (admin).
func (s *Service) GetBrand(ctx context.Context, p Principal, slug string) (Brand, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Brand{}, err
	}
	b, err := brandBySlug(ctx, s.store, slug)
	if err != nil {
		return Brand{}, err
	}
	return brandOut(b), nil
}

// UpdateBrand renames a brand (admin); the slug never changes, since
// products and API keys name the brand by it. {} changes nothing and
// records nothing.
func (s *Service) UpdateBrand(ctx context.Context, p Principal, o Origin, slug string, in BrandPatchInput) (Brand, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Brand{}, err
	}
	var f fieldErrors
	if in.Name != nil {
		checkName(&f, "name", *in.Name)
	}
	if err := f.err(); err != nil {
		return Brand{}, err
	}
	var b store.Brand
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if b, err = brandBySlug(ctx, tx, slug); err != nil {
			return err
		}
		name := b.Name
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		if name == b.Name {
			return nil
		}
		before := b.Name
		b.Name = name
		if err := tx.UpdateBrand(ctx, b); err != nil {
			return notFoundAs(err, Errorf(CodeNotFound, "no brand %q", slug))
		}
		return s.audit(ctx, tx, adminEvent(p, ActionBrandUpdated, b.ID), o, map[string]any{
			"brand_id": b.ID, "before": map[string]any{"name": before}, "after": map[string]any{"name": b.Name},
		})
	})
	if err != nil {
		return Brand{}, err
	}
	return brandOut(b), nil
}

// APIKey is an API key as the admin API lists it: never its secret. A key
// reads lk_<prefix>_<secret>; the prefix names it in logs and here.
type APIKey struct {
	ID         string   `json:"id"`
	Prefix     string   `json:"prefix"`
	Name       string   `json:"name"`
	Brand      *string  `json:"brand"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"created_at"`
	LastUsedAt *string  `json:"last_used_at"`
	RevokedAt  *string  `json:"revoked_at"`
}

// APIKeysInput narrows the API key list: Brand, a brand's slug, or every
// key (the platform's included) when empty.
type APIKeysInput struct {
	Brand string
	PageInput
}

// brandSlugs resolves brand ids to slugs, once each per call.
type brandSlugs struct {
	q     store.Queries
	slugs map[string]string
}

func (b *brandSlugs) slug(ctx context.Context, id *string) (*string, error) {
	if id == nil {
		return nil, nil
	}
	if s, ok := b.slugs[*id]; ok {
		return &s, nil
	}
	br, err := b.q.BrandByID(ctx, *id)
	if err != nil {
		return nil, err
	}
	if b.slugs == nil {
		b.slugs = map[string]string{}
	}
	b.slugs[*id] = br.Slug
	return &br.Slug, nil
}

func (b *brandSlugs) view(ctx context.Context, k store.APIKey) (APIKey, error) {
	slug, err := b.slug(ctx, k.BrandID)
	if err != nil {
		return APIKey{}, err
	}
	return APIKey{
		ID: k.ID, Prefix: apiKeyPrefix + k.Prefix, Name: k.Name, Brand: slug, Scopes: nonNil(k.Scopes),
		CreatedAt: formatTime(k.CreatedAt), LastUsedAt: formatTimePtr(k.LastUsedAt), RevokedAt: formatTimePtr(k.RevokedAt),
	}, nil
}

// APIKeys lists API keys, oldest first (admin): of one brand, or all.
// last_used_at is written at most once a minute per key (see
// Authenticate), so it is accurate to the minute.
func (s *Service) APIKeys(ctx context.Context, p Principal, in APIKeysInput) (Page[APIKey], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Page[APIKey]{}, err
	}
	var f fieldErrors
	limit := checkLimit(&f, in.Limit)
	after := decodeCursor(&f, in.Cursor)
	if err := f.err(); err != nil {
		return Page[APIKey]{}, err
	}
	filter := store.APIKeyFilter{All: true, AfterID: after, Limit: limit + 1}
	if in.Brand != "" {
		b, err := brandBySlug(ctx, s.store, in.Brand)
		if err != nil {
			return Page[APIKey]{}, err
		}
		filter = store.APIKeyFilter{BrandID: b.ID, AfterID: after, Limit: limit + 1}
	}
	list, err := s.store.APIKeys(ctx, filter)
	if err != nil {
		return Page[APIKey]{}, err
	}
	slugs := &brandSlugs{q: s.store}
	return paginate(list, limit, func(k store.APIKey) string { return k.ID }, func(k store.APIKey) (APIKey, error) {
		return slugs.view(ctx, k)
	})
}

// apiKeyByRef finds a key by its id, or by its prefix with or without the
// lk_ in front (what the list shows, what a log line shows). A full key
// (lk_<prefix>_<secret>) is refused: a secret never belongs in a URL.
func apiKeyByRef(ctx context.Context, q store.Queries, ref string) (store.APIKey, error) {
	notFound := Errorf(CodeNotFound, "no API key %q (give its id or its prefix)", ref)
	if validID(ref) {
		k, err := q.APIKeyByID(ctx, ref)
		return k, notFoundAs(err, notFound)
	}
	prefix := strings.TrimPrefix(ref, apiKeyPrefix)
	if prefix == "" || strings.Trim(prefix, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		return store.APIKey{}, notFound
	}
	k, err := q.APIKeyByPrefix(ctx, prefix)
	return k, notFoundAs(err, notFound)
}

// GetAPIKey answers one API key by id or prefix (admin).
func (s *Service) GetAPIKey(ctx context.Context, p Principal, ref string) (APIKey, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return APIKey{}, err
	}
	k, err := apiKeyByRef(ctx, s.store, ref)
	if err != nil {
		return APIKey{}, err
	}
	return (&brandSlugs{q: s.store}).view(ctx, k)
}

// RevokeAPIKey revokes a key, named by id or prefix, at once: the next
// request with it is 401 on every replica (keys are read from the store on
// every request, never cached). Revoking a revoked key changes nothing and
// answers it as it is.
func (s *Service) RevokeAPIKey(ctx context.Context, p Principal, o Origin, ref string) (APIKey, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return APIKey{}, err
	}
	var k store.APIKey
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if k, err = apiKeyByRef(ctx, tx, ref); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		now := s.now().UTC()
		if err := tx.RevokeAPIKey(ctx, k.ID, now); errors.Is(err, store.ErrNotFound) {
			return Errorf(CodeConflict, "the API key was revoked by someone else meanwhile")
		} else if err != nil {
			return err
		}
		k.RevokedAt = &now
		return s.audit(ctx, tx, adminEvent(p, ActionAPIKeyRevoked, deref(k.BrandID)), o, map[string]any{
			"brand_id": k.BrandID, "api_key_id": k.ID, "prefix": apiKeyPrefix + k.Prefix,
		})
	})
	if err != nil {
		return APIKey{}, err
	}
	// Authentication caches keys (apikeys.go): drop this one on every
	// replica before answering that it is revoked.
	s.invalidate(ctx, apiKeyCacheKey(k.Prefix))
	return (&brandSlugs{q: s.store}).view(ctx, k)
}
