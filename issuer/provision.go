package issuer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
)

// IdempotencyTTL is how long a provisioning response is replayed.
const IdempotencyTTL = 24 * time.Hour

// Provisioned is the answer to provisioning: the license and its key.
type Provisioned struct {
	License    License `json:"license"`
	LicenseKey string  `json:"license_key"`
}

type provisionSpec struct {
	email        string
	seats        *int
	expiresAt    *time.Time
	entitlements []string
	metadata     json.RawMessage
}

func (in ProvisionInput) check(now time.Time) (provisionSpec, error) {
	var f fieldErrors
	sp := provisionSpec{email: checkEmail(&f, "customer_email", in.CustomerEmail), seats: in.Seats}
	if in.Product == "" {
		f.add("product", "is required")
	}
	if in.Seats != nil {
		checkSeats(&f, "seats", *in.Seats)
	}
	if in.ExpiresAt != nil {
		t := parseTime(&f, "expires_at", *in.ExpiresAt)
		if !t.IsZero() && !t.After(now) {
			f.add("expires_at", "must be in the future")
		}
		sp.expiresAt = &t
	}
	sp.entitlements = checkEntitlements(&f, "entitlements", in.Entitlements)
	sp.metadata = checkMetadata(&f, "metadata", in.Metadata)
	return sp, f.err()
}

// Provision creates a license (US1) and answers the JSON body of the 201.
// With an idempotency key, a retry of the same request replays the first
// body byte for byte (replayed true), and the same key with another body is
// refused. Refusals are never stored: only a created license is.
func (s *Service) Provision(ctx context.Context, p Principal, o Origin, in ProvisionInput, idemKey string) (body []byte, replayed bool, err error) {
	if err := p.requireBrand(ScopeLicensesWrite); err != nil {
		return nil, false, err
	}
	now := s.now().UTC()
	sp, err := in.check(now)
	if err != nil {
		return nil, false, err
	}
	if idemKey != "" {
		if err := CheckIdempotencyKey(idemKey); err != nil {
			return nil, false, err
		}
	}
	var keyID string
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		var replay bool
		if idemKey != "" {
			if body, replay, err = s.claim(ctx, tx, p.BrandID, idemKey, requestHash(in), now); err != nil || replay {
				replayed = replay
				return err
			}
		}
		if body, keyID, err = s.provision(ctx, tx, p, o, in, sp, now); err != nil || idemKey == "" {
			return err
		}
		return tx.CompleteIdempotency(ctx, p.BrandID, idemKey, 201, s.secrets.Seal(body, seal.IdempotencyAAD(p.BrandID, idemKey)))
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		// Lost a race with a concurrent provisioning of the same product
		// to the same key: report the winner.
		return nil, false, s.licenseExistsAfterRace(ctx, p, in, sp)
	}
	if err != nil {
		return nil, false, err
	}
	if keyID != "" {
		s.invalidate(ctx, licensesCacheKey(keyID))
	}
	return body, replayed, nil
}

func licenseExists(id string) *Error {
	return &Error{
		Code:   CodeLicenseExists,
		Detail: "this customer's key already holds a license of this product",
		Extra:  map[string]any{"license_id": id},
	}
}

// claim takes the idempotency key or finds the earlier response. On
// PostgreSQL a concurrent request with the same key waits in ClaimIdempotency
// until the first commits or rolls back.
func (s *Service) claim(ctx context.Context, tx store.Tx, brandID, key string, hash []byte, now time.Time) ([]byte, bool, error) {
	ok, err := tx.ClaimIdempotency(ctx, store.Idempotency{BrandID: brandID, Key: key, RequestHash: hash, CreatedAt: now})
	if err != nil || ok {
		return nil, false, err
	}
	rec, err := tx.Idempotency(ctx, brandID, key)
	if err != nil {
		return nil, false, err
	}
	if !bytes.Equal(rec.RequestHash, hash) {
		return nil, false, Errorf(CodeIdempotencyConflict, "this Idempotency-Key was used with another request body")
	}
	if rec.Status == 0 {
		return nil, false, Errorf(CodeIdempotencyConflict, "a request with this Idempotency-Key is still in progress")
	}
	// The stored response holds the license key, so it is sealed like the key.
	body, err := s.secrets.Open(rec.Body, seal.IdempotencyAAD(brandID, key))
	if err != nil {
		return nil, false, fmt.Errorf("stored answer of idempotency key: %w", err)
	}
	return body, true, nil
}

// requestHash is the same for the same JSON value, whatever the member
// order or whitespace: it hashes the decoded request, re-encoded.
func requestHash(in ProvisionInput) []byte {
	var meta any
	if len(in.Metadata) > 0 {
		d := json.NewDecoder(bytes.NewReader(in.Metadata))
		d.UseNumber()
		_ = d.Decode(&meta) // validated before
	}
	b, _ := json.Marshal(struct {
		ProvisionInput
		Metadata any `json:"metadata"`
	}{in, meta})
	sum := sha256.Sum256(b)
	return sum[:]
}

// provision writes the license and answers the response body and the id
// of the license key it is under. A customer this transaction created has
// no key and no license yet, so their reads are skipped: a new customer's
// license is the product and customer batch, then the writes' batch.
func (s *Service) provision(ctx context.Context, tx store.Tx, p Principal, o Origin, in ProvisionInput, sp provisionSpec, now time.Time) ([]byte, string, error) {
	custID := newID()
	prod, cust, err := tx.ProductAndCustomer(ctx, p.BrandID, in.Product, store.Customer{ID: custID, Email: sp.email})
	if err != nil {
		return nil, "", notFoundAs(err, validationError("product", "brand %q has no product %q", p.BrandSlug, in.Product))
	}
	var lk store.LicenseKey
	var key string
	newKey := cust.ID == custID || in.NewKey
	var replaces string
	if !newKey {
		if lk, key, newKey, err = s.latestLicenseKey(ctx, tx, p.BrandID, cust.ID); err != nil {
			return nil, "", err
		}
	}
	if !newKey {
		prior, err := tx.LicenseByKeyAndProduct(ctx, p.BrandID, lk.ID, prod.ID)
		switch {
		case err == nil && prior.Status == store.StatusCancelled:
			// Re-buying after a refund: the cancelled license keeps its key
			// (and still validates CANCELLED); the new one gets a new key,
			// which becomes the customer's latest at this brand.
			replaces, newKey = prior.ID, true
		case err == nil:
			return nil, "", licenseExists(prior.ID)
		case !errors.Is(err, store.ErrNotFound):
			return nil, "", err
		}
	}
	var created *store.LicenseKey
	if newKey {
		lk, key = s.newLicenseKey(p.BrandID, cust.ID, now)
		created = &lk
	}
	l := store.License{
		ID: newID(), LicenseKeyID: lk.ID, BrandID: p.BrandID, ProductID: prod.ID,
		Status: store.StatusActive, Seats: prod.DefaultSeats, ExpiresAt: sp.expiresAt,
		Entitlements: sp.entitlements, Metadata: sp.metadata, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if sp.seats != nil {
		l.Seats = *sp.seats
	}
	l.BrandSlug, l.ProductSlug, l.TokenTTL = p.BrandSlug, prod.Slug, prod.TokenTTL
	l.CustomerEmail, l.KeyCiphertext, l.KeyHint = cust.Email, lk.Ciphertext, lk.Hint
	data := map[string]any{"after": snapshot(l)}
	if replaces != "" {
		data["replaces_cancelled"] = replaces
	}
	ev, err := s.event(store.AuditEvent{ActorType: store.ActorAPIKey, ActorID: p.KeyID, BrandID: p.BrandID, LicenseID: l.ID, Action: ActionProvisioned}, o, data)
	if err != nil {
		return nil, "", err
	}
	if err := tx.CreateLicenseWithEvent(ctx, created, l, ev); err != nil {
		return nil, "", err
	}
	view, err := s.brandView(l, now, true)
	if err != nil {
		return nil, "", err
	}
	body, err := json.Marshal(Provisioned{License: view, LicenseKey: key})
	return body, lk.ID, err
}

// latestLicenseKey is the customer's newest key at this brand, opened;
// none (fresh true) when the customer has no key there yet.
func (s *Service) latestLicenseKey(ctx context.Context, tx store.Tx, brandID, customerID string) (lk store.LicenseKey, key string, fresh bool, err error) {
	lk, err = tx.LatestLicenseKey(ctx, brandID, customerID)
	if errors.Is(err, store.ErrNotFound) {
		return store.LicenseKey{}, "", true, nil
	}
	if err != nil {
		return store.LicenseKey{}, "", false, err
	}
	key, err = s.openLicenseKey(lk.ID, lk.Ciphertext)
	return lk, key, false, err
}

// newLicenseKey makes a key and its row, sealed; the caller writes it.
func (s *Service) newLicenseKey(brandID, customerID string, now time.Time) (store.LicenseKey, string) {
	key := newLicenseKey()
	lk := store.LicenseKey{
		ID: newID(), BrandID: brandID, CustomerID: customerID,
		Hash: s.secrets.LookupHash([]byte(key)), Hint: keyHint(key), CreatedAt: now,
	}
	lk.Ciphertext = s.secrets.Seal([]byte(key), seal.LicenseKeyAAD(lk.ID))
	return lk, key
}

func (s *Service) licenseExistsAfterRace(ctx context.Context, p Principal, in ProvisionInput, sp provisionSpec) error {
	prod, err := s.store.ProductBySlug(ctx, p.BrandID, in.Product)
	if err != nil {
		return err
	}
	cust, err := s.store.CustomerByEmail(ctx, sp.email)
	if err != nil {
		return err
	}
	lk, err := s.store.LatestLicenseKey(ctx, p.BrandID, cust.ID)
	if err != nil {
		return err
	}
	l, err := s.store.LicenseByKeyAndProduct(ctx, p.BrandID, lk.ID, prod.ID)
	if err != nil {
		return err
	}
	return licenseExists(l.ID)
}

// snapshot is what the audit trail records of a license: never its key
// nor the customer's email.
func snapshot(l store.License) map[string]any {
	return map[string]any{
		"product": l.ProductSlug, "status": l.Status, "seats": l.Seats, "seats_used": l.SeatsUsed,
		"expires_at": formatTimePtr(l.ExpiresAt), "entitlements": nonNil(l.Entitlements), "metadata": l.Metadata,
	}
}

// SweepIdempotency forgets provisioning responses older than
// IdempotencyTTL; replicas run it periodically.
func (s *Service) SweepIdempotency(ctx context.Context) (int64, error) {
	var n int64
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteIdempotencyBefore(ctx, s.now().Add(-IdempotencyTTL))
		return err
	})
	return n, err
}
