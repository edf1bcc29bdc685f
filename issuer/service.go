package issuer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/issuer/webhook"
	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
)

// Service is the licensing service. It is safe for concurrent use.
type Service struct {
	store    store.Store
	keys     *keys.Manager
	secrets  *seal.Keyring
	cache    store.Cache
	issuer   string
	webhooks webhook.Policy
	now      func() time.Time
	reuse    *tokenReuse
	touched  recent // API keys' last_used_at written by this process
	seenAt   recent // activations' last_seen_at written by this process
}

// Config wires a Service; every member but Cache and Now is required.
type Config struct {
	Store store.Store
	Keys  *keys.Manager
	// Secrets seals license keys and stored answers, and computes the
	// lookup hashes of license keys.
	Secrets *seal.Keyring
	// Cache, when set, serves the product API's reads. It must be shared by
	// every replica that serves the same store (Redis), or the service must
	// be the store's only writer (the embedded SQLite default).
	Cache store.Cache
	// Issuer is the iss claim of every token.
	Issuer string
	// Webhooks checks the URLs of new webhook endpoints.
	Webhooks webhook.Policy
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// New returns a Service.
func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Service{store: c.Store, keys: c.Keys, secrets: c.Secrets, cache: c.Cache, issuer: c.Issuer, webhooks: c.Webhooks, now: c.Now, reuse: newTokenReuse()}
}

// Scopes an API key may carry.
const (
	ScopeLicensesWrite   = "licenses:write"
	ScopeLicensesRead    = "licenses:read"
	ScopeLicensesReadAll = "licenses:read:all"
	ScopeAdmin           = "admin"
)

// Scopes lists every scope, in a stable order.
var Scopes = []string{ScopeLicensesWrite, ScopeLicensesRead, ScopeLicensesReadAll, ScopeWebhooksWrite, ScopeAdmin}

// Principal is an authenticated API key.
type Principal struct {
	KeyID     string
	BrandID   string // "" for a platform key
	BrandSlug string
	Scopes    []string
}

// Has reports whether the key carries scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Platform reports whether the key belongs to no brand.
func (p Principal) Platform() bool { return p.BrandID == "" }

// require checks a scope.
func (p Principal) require(scope string) error {
	if !p.Has(scope) {
		return Errorf(CodeForbidden, "this API key lacks the %s scope", scope)
	}
	return nil
}

// requireBrand checks a scope on a brand-owned endpoint, which a platform
// key may never use: it has no brand of its own.
func (p Principal) requireBrand(scope string) error {
	if p.Platform() {
		return Errorf(CodeForbidden, "a platform API key has no brand: use a key of the license's brand")
	}
	return p.require(scope)
}

// Origin is where a request came from, as the audit trail records it.
type Origin struct {
	RequestID string
	IP        string
}

// effectiveStatus: cancelled > suspended > expired > active.
func effectiveStatus(l store.License, now time.Time) store.Status {
	if l.Status != store.StatusActive {
		return l.Status
	}
	if l.ExpiresAt != nil && !now.Before(*l.ExpiresAt) {
		return store.StatusExpired
	}
	return store.StatusActive
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// validID reports whether s is a UUID in its canonical form; ids in paths
// that are not answer 404 without touching the store.
func validID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

func (s *Service) openLicenseKey(licenseKeyID string, ciphertext []byte) (string, error) {
	b, err := s.secrets.Open(ciphertext, seal.LicenseKeyAAD(licenseKeyID))
	if err != nil {
		return "", fmt.Errorf("license key %s: %w", licenseKeyID, err)
	}
	return string(b), nil
}

// audit appends one event to the transaction.
func (s *Service) audit(ctx context.Context, tx store.Tx, e store.AuditEvent, o Origin, data any) error {
	e, err := s.event(e, o, data)
	if err != nil {
		return err
	}
	return tx.AppendAuditEvent(ctx, e)
}

// event completes e with its id, time, origin and data.
func (s *Service) event(e store.AuditEvent, o Origin, data any) (store.AuditEvent, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return store.AuditEvent{}, err
	}
	e.ID, e.At, e.RequestID, e.IP, e.Data = newID(), s.now().UTC(), o.RequestID, o.IP, b
	return e, nil
}

// Audit actions.
const (
	ActionProvisioned = "license.provisioned"
	ActionActivated   = "license.activated"
	ActionDeactivated = "license.deactivated"
	ActionRenewed     = "license.renewed"
	ActionSuspended   = "license.suspended"
	ActionResumed     = "license.resumed"
	ActionCancelled   = "license.cancelled"
	ActionUpdated     = "license.updated"
)

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }
