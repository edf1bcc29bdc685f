package issuer

import (
	"context"
	"encoding/hex"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/licensedhq/licensed/store"
)

// Activated answers an activation (US3).
type Activated struct {
	Activation Activation     `json:"activation"`
	License    ProductLicense `json:"license"`
	Token      string         `json:"token"`
}

// Validation answers a validation (US4). Token is absent when none is
// issued: without a product, once the license's expiry has passed, or for
// an instance that holds no seat.
type Validation struct {
	Valid    bool             `json:"valid"`
	Code     string           `json:"code"`
	Licenses []ProductLicense `json:"licenses"`
	Token    string           `json:"token,omitempty"`
}

// Deactivated answers a deactivation (US5).
type Deactivated struct {
	Deactivated bool `json:"deactivated"`
	SeatsUsed   int  `json:"seats_used"`
}

// Validation codes.
const (
	Valid = "VALID"
	// Grace: the license expired, and its product's grace period has not
	// ended; valid, with a token carrying grace_until.
	Grace        = "GRACE"
	Expired      = "EXPIRED"
	Suspended    = "SUSPENDED"
	Cancelled    = "CANCELLED"
	NotActivated = "NOT_ACTIVATED"
)

var errLicenseNotFound = &Error{Code: CodeLicenseNotFound, Detail: "no license for this key and product"}

// RateKey is the rate-limit bucket of a license key: its lookup hash, so
// that no limiter (Redis included) ever holds a key.
func (s *Service) RateKey(licenseKey string) string {
	return hex.EncodeToString(s.secrets.LookupHash([]byte(normalizeLicenseKey(licenseKey)))[:16])
}

// licensesOf finds the key's licenses, and among them product's when
// product is given; from the cache when there is one.
func (s *Service) licensesOf(ctx context.Context, key, brand, product string) (string, []store.License, *store.License, error) {
	var keyID string
	var all []store.License
	if s.cache == nil {
		// Without a cache, one store call (one round trip on PostgreSQL).
		read, err := s.readKey(ctx, key, "")
		if err != nil {
			return "", nil, nil, err
		}
		keyID, all = read.Key.ID, read.Licenses
	} else {
		ref, err := s.licenseKeyRef(ctx, key)
		if err != nil {
			return "", nil, nil, notFoundAs(err, errLicenseNotFound)
		}
		keyID = ref.ID
		all, err = s.keyLicenses(ctx, ref)
		if err != nil || len(all) == 0 {
			return "", nil, nil, notFoundAs(orNotFound(err), errLicenseNotFound)
		}
		if all, err = s.withProductSettings(ctx, all); err != nil {
			return "", nil, nil, err
		}
	}
	if product == "" {
		return keyID, all, nil, nil
	}
	for i := range all {
		if all[i].BrandSlug == brand && all[i].ProductSlug == product {
			return keyID, all, &all[i], nil
		}
	}
	return "", nil, nil, errLicenseNotFound
}

type activateSpec struct {
	key, brand, product, instance string
}

func (in ActivateInput) check() (activateSpec, error) {
	var f fieldErrors
	var sp activateSpec
	sp.key = checkLicenseKey(&f, "license_key", in.LicenseKey)
	sp.brand, sp.product = checkProductRef(&f, "product", in.Product)
	sp.instance = checkInstance(&f, "instance", in.Instance)
	if utf8.RuneCountInString(in.InstanceName) > maxNameChars || !utf8.ValidString(in.InstanceName) {
		f.add("instance_name", "must be at most %d characters", maxNameChars)
	}
	return sp, f.err()
}

// Activate takes a seat for an instance, or confirms the seat it already
// holds (created false). The token is signed under the license's row lock,
// so no token claiming an active license is issued after a suspension or
// cancellation has committed.
func (s *Service) Activate(ctx context.Context, o Origin, in ActivateInput) (Activated, bool, error) {
	sp, err := in.check()
	if err != nil {
		return Activated{}, false, err
	}
	keyID, _, found, err := s.licensesOf(ctx, sp.key, sp.brand, sp.product)
	if err != nil {
		return Activated{}, false, err
	}
	// A snapshot that says the license cannot take a seat is answered
	// without a write; the check under the lock below is the one that counts.
	if _, err := usable(*found, s.now()); err != nil {
		return Activated{}, false, err
	}
	seat := seatRequest{
		actorType: store.ActorLicenseKey, actorID: keyID,
		raw: in.Instance, instance: sp.instance, name: in.InstanceName,
	}
	var out Activated
	var got seatResult
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		l, err := tx.LockLicense(ctx, found.BrandID, found.ID)
		if err != nil {
			return err
		}
		if got, err = s.takeSeat(ctx, tx, &l, o, seat); err != nil {
			return err
		}
		out = Activated{Activation: activationView(got.activation), License: productView(l, got.now), Token: got.token}
		return nil
	})
	if err == nil {
		s.invalidate(ctx, got.invalidates(keyID, found.ID, sp.instance)...)
	}
	return out, got.created, err
}

// Validate checks a license online (US4).
func (s *Service) Validate(ctx context.Context, in ValidateInput) (Validation, error) {
	var f fieldErrors
	key := checkLicenseKey(&f, "license_key", in.LicenseKey)
	var brand, product, instance string
	if in.Product != nil {
		brand, product = checkProductRef(&f, "product", *in.Product)
	}
	if in.Instance != nil {
		if in.Product == nil {
			f.add("instance", "needs product: an instance holds a seat of one product")
		}
		instance = checkInstance(&f, "instance", *in.Instance)
	}
	if err := f.err(); err != nil {
		return Validation{}, err
	}
	if s.cache == nil {
		return s.validateFromStore(ctx, key, brand, product, instance)
	}
	_, all, l, err := s.licensesOf(ctx, key, brand, product)
	if err != nil {
		return Validation{}, err
	}
	now := s.now().UTC()
	if l == nil {
		return validateAll(all, now), nil
	}
	return s.validateOne(ctx, *l, instance, now, func(ctx context.Context) (*store.Activation, error) {
		return s.liveActivation(ctx, l.BrandID, l.ID, instance)
	})
}

// validateAll describes the best of a key's licenses: valid before in
// grace before expired (renewable) before suspended before cancelled.
func validateAll(all []store.License, now time.Time) Validation {
	v := Validation{Code: Cancelled, Licenses: make([]ProductLicense, 0, len(all))}
	rank := map[string]int{Valid: 0, Grace: 1, Expired: 2, Suspended: 3, Cancelled: 4}
	for _, l := range all {
		v.Licenses = append(v.Licenses, productView(l, now))
		if c := statusCode(l, now); rank[c] < rank[v.Code] {
			v.Code = c
		}
	}
	v.Valid = usableCode(v.Code)
	return v
}

// usableCode: the codes that say valid: true.
func usableCode(code string) bool { return code == Valid || code == Grace }

func statusCode(l store.License, now time.Time) string {
	switch effectiveStatus(l, now) {
	case store.StatusCancelled:
		return Cancelled
	case store.StatusSuspended:
		return Suspended
	case store.StatusExpired:
		if g := graceUntil(l); g != nil && now.Before(*g) {
			return Grace
		}
		return Expired
	}
	return Valid
}

// validateOne answers for one license; seat reads the instance's live
// activation, when there is an instance.
func (s *Service) validateOne(ctx context.Context, l store.License, instance string, now time.Time,
	seat func(context.Context) (*store.Activation, error)) (Validation, error) {
	code := statusCode(l, now)
	var act *store.Activation
	if instance != "" {
		var err error
		if act, err = seat(ctx); err == nil {
			act, err = s.liveSeat(ctx, l, instance, now, act)
		}
		if err != nil {
			return Validation{}, err
		}
		// An instance without a seat is NOT_ACTIVATED while the license is
		// usable, in grace too: valid: true always comes with a token.
		if act == nil && usableCode(code) {
			code = NotActivated
		}
		if act != nil {
			s.seen(ctx, l, act, instance, now)
		}
	}
	v := Validation{Valid: usableCode(code), Code: code, Licenses: []ProductLicense{productView(l, now)}}
	if instance != "" && act == nil {
		// An instance without a seat gets nothing a verifier could accept,
		// whatever the license's status: a license token would let any
		// number of instances run on one seat.
		return v, nil
	}
	token, err := s.token(l, act, now)
	v.Token = token
	return v, err
}

// liveSeat is act, the seat instance holds as read, or nil. A seat past the product's
// activation TTL is no seat, whether or not the sweeper released it yet;
// since a cached snapshot's last_seen_at may be older than the store's,
// that is confirmed in the store before it is believed.
func (s *Service) liveSeat(ctx context.Context, l store.License, instance string, now time.Time, act *store.Activation) (*store.Activation, error) {
	if act == nil || !pastTTL(l, *act, now) {
		return act, nil
	}
	fresh, err := s.store.LiveActivation(ctx, l.BrandID, l.ID, instance)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case pastTTL(l, fresh, now):
		return nil, nil
	}
	// The snapshot was too old to believe: let the next reader fill a
	// fresh one rather than come here too.
	s.invalidate(ctx, activationCacheKey(l.ID, instance))
	return &fresh, nil
}

// pastTTL reports whether a was last seen longer ago than its product's
// activation TTL.
func pastTTL(l store.License, a store.Activation, now time.Time) bool {
	ttl := l.Policy.ActivationTTL
	return ttl > 0 && a.LastSeenAt.Before(now.Add(-ttl))
}

// seenEvery is the resolution of last_seen_at, the API's own (whole
// seconds): a product validating in a loop costs one write a second, not
// one per request.
const seenEvery = time.Second

// seen records that an activated instance checked in. It is bookkeeping:
// when the write fails (the database is away, the seat was released
// meanwhile) the validation still answers from what it read.
//
// The activation's snapshot is not invalidated for it: its last_seen_at is
// read only to tell a seat past the product's activation TTL, which
// liveSeat confirms in the store before believing it. It is invalidated
// when it is half the TTL old, so that a seat in use keeps answering from
// the snapshot; without a TTL, never. (Invalidating on every write made
// each activation's snapshot a miss every second, on every replica.)
func (s *Service) seen(ctx context.Context, l store.License, a *store.Activation, instance string, now time.Time) {
	if now.Sub(a.LastSeenAt) < seenEvery || !s.seenAt.due(a.ID, now, seenEvery) {
		return
	}
	stale := l.Policy.ActivationTTL > 0 && now.Sub(a.LastSeenAt) >= l.Policy.ActivationTTL/2
	a.LastSeenAt = now
	if err := s.store.InTx(ctx, func(tx store.Tx) error { return tx.TouchActivation(ctx, a.ID, a.InstanceName, now) }); err == nil && stale {
		s.invalidate(ctx, activationCacheKey(a.LicenseID, instance))
	}
}

// ActivationList answers POST /v1/activations.
type ActivationList struct {
	Data []Activation `json:"data"`
}

// ProductActivations lists the live activations of the license of a key and
// product, so that a customer sees where their seats are used (seat
// recovery). The license key is the credential, as for every product call.
func (s *Service) ProductActivations(ctx context.Context, in ActivationsInput) (ActivationList, error) {
	var f fieldErrors
	key := checkLicenseKey(&f, "license_key", in.LicenseKey)
	brand, product := checkProductRef(&f, "product", in.Product)
	if err := f.err(); err != nil {
		return ActivationList{}, err
	}
	_, _, found, err := s.licensesOf(ctx, key, brand, product)
	if err != nil {
		return ActivationList{}, err
	}
	list, err := s.store.LiveActivations(ctx, found.BrandID, found.ID)
	if err != nil {
		return ActivationList{}, err
	}
	out := ActivationList{Data: make([]Activation, 0, len(list))}
	for _, a := range list {
		out.Data = append(out.Data, activationView(a))
	}
	return out, nil
}

// errNoSuchActivation: the activation id names no live seat of this
// license: unknown, released, or another license's (of this brand or any
// other), all alike so that ids of others cannot be probed.
var errNoSuchActivation = Errorf(CodeActivationNotFound, "no such activation holds a seat of this license")

// Deactivate frees a seat (US5), in any license status: the seat of an
// instance, or, for a customer freeing a site they can no longer reach,
// the seat of an activation id from Activations.
func (s *Service) Deactivate(ctx context.Context, o Origin, in DeactivateInput) (Deactivated, error) {
	var f fieldErrors
	key := checkLicenseKey(&f, "license_key", in.LicenseKey)
	brand, product := checkProductRef(&f, "product", in.Product)
	var instance, activationID string
	switch {
	case (in.Instance == nil) == (in.ActivationID == nil):
		f.add("instance", "give exactly one of instance and activation_id")
	case in.Instance != nil:
		instance = checkInstance(&f, "instance", *in.Instance)
	case !validID(*in.ActivationID):
		f.add("activation_id", "must be an activation id")
	default:
		activationID = *in.ActivationID
	}
	if err := f.err(); err != nil {
		return Deactivated{}, err
	}
	keyID, _, found, err := s.licensesOf(ctx, key, brand, product)
	if err != nil {
		return Deactivated{}, err
	}
	var out Deactivated
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		l, err := tx.LockLicense(ctx, found.BrandID, found.ID)
		if err != nil {
			return err
		}
		var a store.Activation
		if activationID != "" {
			a, err = tx.ActivationByID(ctx, l.BrandID, activationID)
			if err == nil && (a.LicenseID != l.ID || a.DeactivatedAt != nil) {
				err = store.ErrNotFound
			}
			if err != nil {
				return notFoundAs(err, errNoSuchActivation)
			}
			instance = a.Instance
		} else if a, err = tx.LiveActivation(ctx, l.BrandID, l.ID, instance); err != nil {
			return notFoundAs(err, Errorf(CodeActivationNotFound, "this instance holds no seat of this license"))
		}
		ev := store.AuditEvent{ActorType: store.ActorLicenseKey, ActorID: keyID, BrandID: l.BrandID, LicenseID: l.ID, Action: ActionDeactivated}
		out = Deactivated{Deactivated: true, SeatsUsed: l.SeatsUsed}
		if !a.Free {
			out.SeatsUsed--
		}
		return s.deactivate(ctx, tx, ev, o, a, s.now().UTC())
	})
	if err == nil {
		s.invalidate(ctx, licensesCacheKey(keyID), activationCacheKey(found.ID, instance))
	}
	return out, err
}
