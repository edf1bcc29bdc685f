package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"slices"
	"strings"

	"github.com/licensedhq/licensed/store"
)

// Brand is a brand as the admin API and CLI show it.
type Brand struct {
	ID        string `json:"id"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

// CreatedAPIKey is a new API key; Key is shown this once and never stored.
type CreatedAPIKey struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Brand  *string  `json:"brand"`
	Scopes []string `json:"scopes"`
	Key    string   `json:"key"`
}

// Admin actions, recorded like license actions.
const (
	ActionBrandCreated  = "brand.created"
	ActionAPIKeyCreated = "api_key.created"
	ActionAPIKeyRevoked = "api_key.revoked"
)

// AdminActor is the audit actor of operator commands run on the CLI.
var AdminActor = Principal{KeyID: "cli", Scopes: []string{ScopeAdmin}}

// adminEvent records an operator's change. It belongs to no brand, so that
// a brand's audit trail (GET /v1/audit-events) holds license events only, as
// docs/API.md lists them; the brand id, if any, is in the event's data.
// The brand it is about (about, "" for none) still hears of it through its
// webhooks: a brand's systems learn of changes to its own products and
// keys.
func adminEvent(p Principal, action, about string) store.AuditEvent {
	t := store.ActorAPIKey
	if p.KeyID == AdminActor.KeyID {
		t = store.ActorAdmin
	}
	return store.AuditEvent{ActorType: t, ActorID: p.KeyID, Action: action, AboutBrandID: about}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreateBrand adds a brand.
func (s *Service) CreateBrand(ctx context.Context, p Principal, o Origin, in BrandInput) (Brand, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Brand{}, err
	}
	var f fieldErrors
	checkSlug(&f, "slug", in.Slug)
	checkName(&f, "name", in.Name)
	if err := f.err(); err != nil {
		return Brand{}, err
	}
	b := store.Brand{ID: newID(), Slug: in.Slug, Name: strings.TrimSpace(in.Name), CreatedAt: s.now().UTC()}
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateBrand(ctx, b); err != nil {
			return err
		}
		return s.audit(ctx, tx, adminEvent(p, ActionBrandCreated, ""), o, map[string]any{"brand_id": b.ID, "slug": b.Slug, "name": b.Name})
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return Brand{}, conflictField("slug", "brand %q already exists", in.Slug)
	}
	if err != nil {
		return Brand{}, err
	}
	return Brand{ID: b.ID, Slug: b.Slug, Name: b.Name, CreatedAt: formatTime(b.CreatedAt)}, nil
}

// conflictField is a 409 about one field, e.g. a duplicate slug.
func conflictField(field, format string, args ...any) *Error {
	e := validationError(field, format, args...)
	e.Code, e.Detail = CodeConflict, e.Fields[0].Message
	return e
}

// apiKeyEncoding is lower-case base32: no characters that need escaping
// and none that a double-click would not select.
var apiKeyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const apiKeyPrefix = "lk_"

// CreateAPIKey makes an API key of a brand (in.Brand) or of the platform
// (in.Brand nil). The admin scope is for platform keys only, so that a brand
// can never create brands or keys for others.
func (s *Service) CreateAPIKey(ctx context.Context, p Principal, o Origin, in APIKeyInput) (CreatedAPIKey, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return CreatedAPIKey{}, err
	}
	scopes, err := in.check()
	if err != nil {
		return CreatedAPIKey{}, err
	}
	prefix, secret := randomToken(10), randomToken(32)
	sum := sha256.Sum256([]byte(secret))
	k := store.APIKey{
		ID: newID(), Name: strings.TrimSpace(in.Name), Prefix: prefix, SecretHash: sum[:],
		Scopes: scopes, CreatedAt: s.now().UTC(),
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if in.Brand != nil {
			b, err := tx.BrandBySlug(ctx, *in.Brand)
			if err != nil {
				return notFoundAs(err, validationError("brand", "no brand %q", *in.Brand))
			}
			k.BrandID = &b.ID
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, adminEvent(p, ActionAPIKeyCreated, deref(k.BrandID)), o, map[string]any{
			"brand_id": k.BrandID, "api_key_id": k.ID, "name": k.Name, "scopes": k.Scopes,
		})
	})
	if err != nil {
		return CreatedAPIKey{}, err
	}
	return CreatedAPIKey{
		ID: k.ID, Name: k.Name, Brand: in.Brand, Scopes: scopes,
		Key: apiKeyPrefix + prefix + "_" + secret,
	}, nil
}

func (in APIKeyInput) check() ([]string, error) {
	var f fieldErrors
	checkName(&f, "name", in.Name)
	if len(in.Scopes) == 0 {
		f.add("scopes", "at least one of %s is required", strings.Join(Scopes, ", "))
	}
	var scopes []string
	for _, sc := range in.Scopes {
		switch {
		case !slices.Contains(Scopes, sc):
			f.add("scopes", "unknown scope %q (known: %s)", sc, strings.Join(Scopes, ", "))
		case sc == ScopeAdmin && in.Brand != nil:
			f.add("scopes", "the admin scope is for platform keys only")
		case !slices.Contains(scopes, sc):
			scopes = append(scopes, sc)
		}
	}
	return scopes, f.err()
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return apiKeyEncoding.EncodeToString(b)
}

var errUnauthorized = &Error{Code: CodeUnauthorized, Detail: "a valid API key is required: Authorization: Bearer lk_..."}
