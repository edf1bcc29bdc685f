package issuer

import (
	"context"
	"errors"
	"time"

	"github.com/licensedhq/licensed/store"
)

// Taking a seat: the one code path of activation, from the product API
// (Activate) and from the brand API (ActivateOffline), under the license's
// row lock.

// usable refuses licenses that cannot take a seat, in docs/API.md's order.
// A license in grace can still confirm a seat it has (graced true), but
// not take a new one.
func usable(l store.License, now time.Time) (graced bool, err error) {
	switch statusCode(l, now) {
	case Cancelled:
		return false, Errorf(CodeLicenseCancelled, "this license was cancelled")
	case Suspended:
		return false, Errorf(CodeLicenseSuspended, "this license is suspended")
	case Expired:
		return false, errLicenseExpired(l)
	case Grace:
		return true, nil
	}
	return false, nil
}

func errLicenseExpired(l store.License) error {
	return Errorf(CodeLicenseExpired, "this license expired on %s", formatTime(*l.ExpiresAt))
}

// seatRequest is one activation, from the product API (actor: the license
// key) or the brand API (offline activation; actor: the API key).
type seatRequest struct {
	actorType, actorID string
	// raw is the instance as given (it says whether the instance is a
	// site, which decides whether it may be free), instance normalized.
	raw, instance, name string
}

// seatResult is what takeSeat did.
type seatResult struct {
	activation store.Activation
	created    bool
	token      string
	now        time.Time
	// expired are the seats released on the way because their activation
	// TTL had passed.
	expired []store.Activation
}

// invalidates lists the cache keys the activation changed.
func (r seatResult) invalidates(keyID, licenseID, instance string) []string {
	keys := []string{licensesCacheKey(keyID), activationCacheKey(licenseID, instance)}
	for _, a := range r.expired {
		keys = append(keys, activationCacheKey(licenseID, a.Instance))
	}
	return keys
}

// takeSeat is activation under the license's row lock (l is the locked
// license, updated with the seats it counts): the checks of docs/API.md in
// their order, then the seat — a free one for a free instance.
func (s *Service) takeSeat(ctx context.Context, tx store.Tx, l *store.License, o Origin, in seatRequest) (seatResult, error) {
	now := s.now().UTC()
	r := seatResult{now: now}
	graced, err := usable(*l, now)
	if err != nil {
		return r, err
	}
	// Seats whose activation TTL has passed are gone for this answer,
	// whether or not the sweeper got to them yet.
	if r.expired, err = s.expireSeats(ctx, tx, l, now); err != nil {
		return r, err
	}
	a, err := tx.LiveActivation(ctx, l.BrandID, l.ID, in.instance)
	switch {
	case err == nil:
		r.activation, err = s.reactivate(ctx, tx, a, in.name, now)
	case !errors.Is(err, store.ErrNotFound):
	case graced:
		// In grace a license keeps its seats, and takes no new one.
		err = errLicenseExpired(*l)
	default:
		r.activation, err = s.newActivation(ctx, tx, l, in, o, now)
		r.created = err == nil
	}
	if err != nil {
		return r, err
	}
	r.token, err = s.token(*l, &r.activation, now)
	return r, err
}

func (s *Service) reactivate(ctx context.Context, tx store.Tx, a store.Activation, name string, now time.Time) (store.Activation, error) {
	if name != "" {
		a.InstanceName = name
	}
	a.LastSeenAt = now
	return a, tx.TouchActivation(ctx, a.ID, a.InstanceName, now)
}

func (s *Service) newActivation(ctx context.Context, tx store.Tx, l *store.License, in seatRequest, o Origin, now time.Time) (store.Activation, error) {
	free := freeInstance(l.Policy.FreeInstances, in.raw)
	switch {
	case free && l.FreeUsed >= l.Policy.MaxFreeActivations:
		return store.Activation{}, &Error{
			Code:   CodeFreeLimitReached,
			Detail: "this license has as many free (staging or local) activations as its product allows: deactivate one first",
			Extra:  map[string]any{"max_free_activations": l.Policy.MaxFreeActivations, "free_activations_used": l.FreeUsed},
		}
	case !free && l.SeatsUsed >= l.Seats:
		return store.Activation{}, &Error{
			Code:   CodeSeatLimitReached,
			Detail: "every seat of this license is in use: deactivate another instance first",
			Extra:  map[string]any{"seats": l.Seats, "seats_used": l.SeatsUsed},
		}
	}
	a := store.Activation{ID: newID(), LicenseID: l.ID, Instance: in.instance, InstanceName: in.name, CreatedAt: now, LastSeenAt: now, Free: free}
	if err := tx.CreateActivation(ctx, a); err != nil {
		return store.Activation{}, err
	}
	if free {
		l.FreeUsed++
	} else {
		l.SeatsUsed++
	}
	ev := store.AuditEvent{ActorType: in.actorType, ActorID: in.actorID, BrandID: l.BrandID, LicenseID: l.ID, Action: ActionActivated}
	data := map[string]any{"activation_id": a.ID, "instance": a.Instance, "seats_used": l.SeatsUsed}
	if free {
		data["free"] = true
	}
	return a, s.audit(ctx, tx, ev, o, data)
}
