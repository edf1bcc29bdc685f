package issuer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"time"

	"github.com/licensedhq/licensed/store"
)

// GetLicense answers one license of the caller's brand; another brand's
// license is not found, exactly like an unknown one.
func (s *Service) GetLicense(ctx context.Context, p Principal, id string) (License, error) {
	if err := p.requireBrand(ScopeLicensesRead); err != nil {
		return License{}, err
	}
	l, err := s.ownLicense(ctx, s.store, p, id)
	if err != nil {
		return License{}, err
	}
	return s.brandView(l, s.now(), true)
}

func (s *Service) ownLicense(ctx context.Context, q store.Queries, p Principal, id string) (store.License, error) {
	if !validID(id) {
		return store.License{}, errNotFound
	}
	l, err := q.LicenseByID(ctx, p.BrandID, id)
	if err != nil {
		return store.License{}, notFoundAs(err, errNotFound)
	}
	if l.BrandID != p.BrandID {
		return store.License{}, errNotFound
	}
	return l, nil
}

// Search lists a customer's licenses (US6): of every brand with
// licenses:read:all or for a platform key, else of the caller's brand. Only
// the caller's own brand's licenses show their key and metadata.
func (s *Service) Search(ctx context.Context, p Principal, in SearchInput) (Page[License], error) {
	if !p.Has(ScopeLicensesRead) && !p.Has(ScopeLicensesReadAll) {
		return Page[License]{}, Errorf(CodeForbidden, "searching needs the %s or %s scope", ScopeLicensesRead, ScopeLicensesReadAll)
	}
	var f fieldErrors
	email := checkEmail(&f, "customer_email", in.CustomerEmail)
	limit := checkLimit(&f, in.Limit)
	var after string
	switch {
	case in.Cursor == nil:
	case *in.Cursor == "":
		f.add("cursor", "must not be empty: leave it out (or null) for the first page")
	default:
		after = decodeCursor(&f, *in.Cursor)
	}
	if err := f.err(); err != nil {
		return Page[License]{}, err
	}
	flt := store.LicenseFilter{Email: email, AfterID: after, Limit: limit + 1}
	if p.Has(ScopeLicensesReadAll) || p.Platform() {
		flt.AllBrands = true
	} else {
		flt.BrandID = p.BrandID
	}
	list, err := s.store.SearchLicenses(ctx, flt)
	if err != nil {
		return Page[License]{}, err
	}
	now := s.now()
	return paginate(list, limit, func(l store.License) string { return l.ID }, func(l store.License) (License, error) {
		return s.brandView(l, now, l.BrandID == p.BrandID)
	})
}

// paginate turns limit+1 rows into a page with a cursor after the last.
func paginate[R, V any](rows []R, limit int, id func(R) string, view func(R) (V, error)) (Page[V], error) {
	page := Page[V]{Data: make([]V, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		c := base64.RawURLEncoding.EncodeToString([]byte(id(rows[len(rows)-1])))
		page.NextCursor = &c
	}
	for _, r := range rows {
		v, err := view(r)
		if err != nil {
			return Page[V]{}, err
		}
		page.Data = append(page.Data, v)
	}
	return page, nil
}

func decodeCursor(f *fieldErrors, c string) string {
	if c == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !validID(string(b)) {
		f.add("cursor", "is not a cursor this API returned")
		return ""
	}
	return string(b)
}

// errNoChange ends a change that changes nothing: no write, no event.
var errNoChange = errors.New("no change")

// change applies one lifecycle action to a license of the caller's brand
// under its row lock, and records it with the license before and after.
func (s *Service) change(ctx context.Context, p Principal, o Origin, id, action string, extra map[string]any,
	apply func(l *store.License, now time.Time) error) (License, error) {
	if err := p.requireBrand(ScopeLicensesWrite); err != nil {
		return License{}, err
	}
	if !validID(id) {
		return License{}, errNotFound
	}
	now := s.now().UTC()
	var out store.License
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		l, err := tx.LockLicense(ctx, p.BrandID, id)
		if err != nil || l.BrandID != p.BrandID {
			return notFoundAs(orNotFound(err), errNotFound)
		}
		before := snapshot(l)
		out = l
		if err := apply(&l, now); err != nil {
			return err
		}
		l.UpdatedAt = now
		if l.Version, err = tx.UpdateLicense(ctx, l); err != nil {
			return err
		}
		out = l
		data := map[string]any{"before": before, "after": snapshot(l)}
		maps.Copy(data, extra)
		ev := store.AuditEvent{ActorType: store.ActorAPIKey, ActorID: p.KeyID, BrandID: p.BrandID, LicenseID: l.ID, Action: action}
		return s.audit(ctx, tx, ev, o, data)
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return License{}, err
	}
	if err == nil {
		s.invalidate(ctx, licensesCacheKey(out.LicenseKeyID))
	}
	return s.brandView(out, now, true)
}

// orNotFound turns "found, but another brand's" (nil) into not found.
func orNotFound(err error) error {
	if err == nil {
		return store.ErrNotFound
	}
	return err
}

func invalidTransition(action string, l store.License, now time.Time) *Error {
	return Errorf(CodeInvalidTransition, "cannot %s a license that is %s", action, effectiveStatus(l, now))
}

func reasonData(in ReasonInput) (map[string]any, error) {
	var f fieldErrors
	checkReason(&f, in.Reason)
	if in.Reason == "" {
		return nil, f.err()
	}
	return map[string]any{"reason": in.Reason}, f.err()
}

// Suspend stops an active (or expired) license until it is resumed.
func (s *Service) Suspend(ctx context.Context, p Principal, o Origin, id string, in ReasonInput) (License, error) {
	extra, err := reasonData(in)
	if err != nil {
		return License{}, err
	}
	return s.change(ctx, p, o, id, ActionSuspended, extra, func(l *store.License, now time.Time) error {
		if l.Status != store.StatusActive {
			return invalidTransition("suspend", *l, now)
		}
		l.Status = store.StatusSuspended
		return nil
	})
}

// Resume makes a suspended license active again.
func (s *Service) Resume(ctx context.Context, p Principal, o Origin, id string) (License, error) {
	return s.change(ctx, p, o, id, ActionResumed, nil, func(l *store.License, now time.Time) error {
		if l.Status != store.StatusSuspended {
			return invalidTransition("resume", *l, now)
		}
		l.Status = store.StatusActive
		return nil
	})
}

// Cancel ends a license for good.
func (s *Service) Cancel(ctx context.Context, p Principal, o Origin, id string, in ReasonInput) (License, error) {
	extra, err := reasonData(in)
	if err != nil {
		return License{}, err
	}
	return s.change(ctx, p, o, id, ActionCancelled, extra, func(l *store.License, now time.Time) error {
		if l.Status == store.StatusCancelled {
			return invalidTransition("cancel", *l, now)
		}
		l.Status = store.StatusCancelled
		return nil
	})
}

// Renew sets a later expiry on a license that is not cancelled.
func (s *Service) Renew(ctx context.Context, p Principal, o Origin, id string, in RenewInput) (License, error) {
	var f fieldErrors
	var at time.Time
	switch {
	case (in.ExpiresAt == nil) == (in.ExtendByDays == nil):
		f.add("expires_at", "give exactly one of expires_at and extend_by_days")
	case in.ExpiresAt != nil:
		at = parseTime(&f, "expires_at", *in.ExpiresAt)
	case *in.ExtendByDays < 1 || *in.ExtendByDays > maxExtendDays:
		f.add("extend_by_days", "must be between 1 and %d", maxExtendDays)
	}
	if err := f.err(); err != nil {
		return License{}, err
	}
	return s.change(ctx, p, o, id, ActionRenewed, nil, func(l *store.License, now time.Time) error {
		if l.Status == store.StatusCancelled {
			return invalidTransition("renew", *l, now)
		}
		if l.ExpiresAt == nil {
			return validationError("expires_at", "a perpetual license cannot be renewed")
		}
		if in.ExtendByDays != nil {
			from := *l.ExpiresAt
			if now.After(from) {
				from = now
			}
			at = from.Add(time.Duration(*in.ExtendByDays) * 24 * time.Hour).Truncate(time.Second)
		}
		if !at.After(*l.ExpiresAt) || !at.After(now) {
			return validationError("expires_at", "must be later than the current expiry (%s) and in the future", formatTime(*l.ExpiresAt))
		}
		l.ExpiresAt = &at
		return nil
	})
}

type patchSpec struct {
	seats        *int
	entitlements []string
	metadata     json.RawMessage
	setExpiry    bool
	expiresAt    *time.Time // with setExpiry: nil is perpetual
}

func (in PatchInput) check(now time.Time) (patchSpec, error) {
	var f fieldErrors
	var sp patchSpec
	if in.ExpiresAt.Set {
		sp.setExpiry = true
		if !in.ExpiresAt.Null {
			t := parseTime(&f, "expires_at", in.ExpiresAt.Value)
			if !t.IsZero() && !t.After(now) {
				f.add("expires_at", "must be in the future (null makes the license perpetual)")
			}
			sp.expiresAt = &t
		}
	}
	if in.Seats != nil {
		checkSeats(&f, "seats", *in.Seats)
		sp.seats = in.Seats
	}
	if in.Entitlements != nil {
		sp.entitlements = checkEntitlements(&f, "entitlements", *in.Entitlements)
	}
	if in.Metadata != nil {
		sp.metadata = checkMetadata(&f, "metadata", in.Metadata)
	}
	return sp, f.err()
}

// Patch sets seats, entitlements and metadata (each replaced whole), and
// the expiry (a time in the future, or null: perpetual).
func (s *Service) Patch(ctx context.Context, p Principal, o Origin, id string, in PatchInput) (License, error) {
	sp, err := in.check(s.now().UTC())
	if err != nil {
		return License{}, err
	}
	return s.change(ctx, p, o, id, ActionUpdated, nil, func(l *store.License, now time.Time) error {
		if l.Status == store.StatusCancelled {
			return invalidTransition("change", *l, now)
		}
		if sp.seats == nil && sp.entitlements == nil && sp.metadata == nil && !sp.setExpiry {
			return errNoChange
		}
		if sp.seats != nil && *sp.seats < l.SeatsUsed {
			return &Error{
				Code:   CodeSeatsBelowUsage,
				Detail: "release activations before lowering seats below the seats in use",
				Extra:  map[string]any{"seats": *sp.seats, "seats_used": l.SeatsUsed},
			}
		}
		if sp.seats != nil {
			l.Seats = *sp.seats
		}
		if sp.entitlements != nil {
			l.Entitlements = sp.entitlements
		}
		if sp.metadata != nil {
			l.Metadata = sp.metadata
		}
		if sp.setExpiry {
			l.ExpiresAt = sp.expiresAt
		}
		return nil
	})
}

// PageInput is a cursor and limit of a list read from a query string.
type PageInput struct {
	Cursor string
	Limit  *int
}

// Activations lists the seats in use of a license of the caller's brand.
func (s *Service) Activations(ctx context.Context, p Principal, id string, in PageInput) (Page[Activation], error) {
	if err := p.requireBrand(ScopeLicensesRead); err != nil {
		return Page[Activation]{}, err
	}
	l, err := s.ownLicense(ctx, s.store, p, id)
	if err != nil {
		return Page[Activation]{}, err
	}
	var f fieldErrors
	limit := checkLimit(&f, in.Limit)
	after := decodeCursor(&f, in.Cursor)
	if err := f.err(); err != nil {
		return Page[Activation]{}, err
	}
	list, err := s.store.LiveActivationsPage(ctx, l.BrandID, l.ID, after, limit+1)
	if err != nil {
		return Page[Activation]{}, err
	}
	return paginate(list, limit, func(a store.Activation) string { return a.ID }, func(a store.Activation) (Activation, error) {
		return activationView(a), nil
	})
}

// ReleaseActivation frees a seat from the brand side (US5).
func (s *Service) ReleaseActivation(ctx context.Context, p Principal, o Origin, licenseID, activationID string) error {
	if err := p.requireBrand(ScopeLicensesWrite); err != nil {
		return err
	}
	if !validID(licenseID) || !validID(activationID) {
		return errNotFound
	}
	now := s.now().UTC()
	var l store.License
	var a store.Activation
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		l, err = tx.LockLicense(ctx, p.BrandID, licenseID)
		if err != nil || l.BrandID != p.BrandID {
			return notFoundAs(orNotFound(err), errNotFound)
		}
		a, err = tx.ActivationByID(ctx, p.BrandID, activationID)
		if err != nil || a.LicenseID != l.ID || a.DeactivatedAt != nil {
			return notFoundAs(orNotFound(err), Errorf(CodeNotFound, "no such activation holds a seat of this license"))
		}
		ev := store.AuditEvent{ActorType: store.ActorAPIKey, ActorID: p.KeyID, BrandID: l.BrandID, LicenseID: l.ID, Action: ActionDeactivated}
		return s.deactivate(ctx, tx, ev, o, a, now)
	})
	if err == nil {
		s.invalidate(ctx, licensesCacheKey(l.LicenseKeyID), activationCacheKey(l.ID, a.Instance))
	}
	return err
}

func (s *Service) deactivate(ctx context.Context, tx store.Tx, ev store.AuditEvent, o Origin, a store.Activation, now time.Time) error {
	if err := tx.Deactivate(ctx, a.ID, now); err != nil {
		return notFoundAs(err, Errorf(CodeActivationNotFound, "this instance holds no seat"))
	}
	return s.audit(ctx, tx, ev, o, map[string]any{"activation_id": a.ID, "instance": a.Instance})
}

// AuditEvents lists the caller's brand's audit trail, newest first.
func (s *Service) AuditEvents(ctx context.Context, p Principal, licenseID string, in PageInput) (Page[AuditEvent], error) {
	if err := p.requireBrand(ScopeLicensesRead); err != nil {
		return Page[AuditEvent]{}, err
	}
	var f fieldErrors
	limit := checkLimit(&f, in.Limit)
	before := decodeCursor(&f, in.Cursor)
	if licenseID != "" && !validID(licenseID) {
		f.add("license_id", "must be a license id")
	}
	if err := f.err(); err != nil {
		return Page[AuditEvent]{}, err
	}
	list, err := s.store.AuditEvents(ctx, p.BrandID, store.AuditFilter{LicenseID: licenseID, BeforeID: before, Limit: limit + 1})
	if err != nil {
		return Page[AuditEvent]{}, err
	}
	return paginate(list, limit, func(e store.AuditEvent) string { return e.ID }, func(e store.AuditEvent) (AuditEvent, error) {
		return auditView(e), nil
	})
}
