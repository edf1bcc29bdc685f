package issuer

import (
	"context"
	"time"

	"github.com/licensedhq/licensed/store"
)

// Activation TTL. A product with activation_ttl_seconds releases every
// activation not seen (activated or validated naming it) for longer than
// that: the seat frees, and the audit trail records activation.expired
// with actor system. Past its TTL an activation is gone at once for every
// answer — a validation naming it is NOT_ACTIVATED, an activation of the
// license does not count it and releases it in its own transaction — and
// the sweeper (SweepActivations, run by every replica) releases the rest,
// so that seats_used and the activation lists catch up within a sweep.
//
// Exactly once, on every replica: each release happens under the license's
// row lock (the lock every writer of a license takes, so the sweeper never
// deadlocks with an activation) by a conditional update that ends only
// rows still live and unseen and reports what it ended; the event is
// written for what it reported, in the same transaction.

// ActionActivationExpired is the audit action of a seat released by its
// activation TTL.
const ActionActivationExpired = "activation.expired"

// SystemActivationTTL is the actor id of releases by activation TTL.
const SystemActivationTTL = "activation-ttl"

// sweepBatch is how many licenses one sweep query returns at most.
const sweepBatch = 200

// expireSeats releases the locked license's activations that are past
// their TTL, and counts them out of l.
func (s *Service) expireSeats(ctx context.Context, tx store.Tx, l *store.License, now time.Time) ([]store.Activation, error) {
	ttl := l.Policy.ActivationTTL
	if ttl <= 0 {
		return nil, nil
	}
	gone, err := tx.ExpireActivations(ctx, l.BrandID, l.ID, now.Add(-ttl), now)
	if err != nil {
		return nil, err
	}
	for _, a := range gone {
		if a.Free {
			l.FreeUsed--
		} else {
			l.SeatsUsed--
		}
		ev := store.AuditEvent{ActorType: store.ActorSystem, ActorID: SystemActivationTTL, BrandID: l.BrandID, LicenseID: l.ID, Action: ActionActivationExpired}
		if err := s.audit(ctx, tx, ev, Origin{}, map[string]any{
			"activation_id": a.ID, "instance": a.Instance, "free": a.Free,
			"last_seen_at": formatTime(a.LastSeenAt), "activation_ttl_seconds": int(ttl / time.Second), "seats_used": l.SeatsUsed,
		}); err != nil {
			return nil, err
		}
	}
	return gone, nil
}

// SweepActivations releases every activation past its product's TTL, of
// every brand, and reports how many it released. Replicas may run it at
// the same time: each activation is released, and recorded, once.
func (s *Service) SweepActivations(ctx context.Context) (int, error) {
	products, err := s.store.ProductsWithActivationTTL(ctx)
	if err != nil {
		return 0, err
	}
	released := 0
	for _, p := range products {
		n, err := s.sweepProduct(ctx, p)
		released += n
		if err != nil {
			return released, err
		}
	}
	return released, nil
}

func (s *Service) sweepProduct(ctx context.Context, p store.Product) (int, error) {
	released := 0
	after := ""
	for {
		// The cutoff of the read only picks candidates: each license's
		// transaction decides with its own clock reading, under its lock.
		refs, err := s.store.StaleActivationLicenses(ctx, p.ID, s.now().Add(-p.Policy.ActivationTTL), after, sweepBatch)
		if err != nil {
			return released, err
		}
		for _, ref := range refs {
			n, err := s.sweepLicense(ctx, ref)
			released += n
			if err != nil {
				return released, err
			}
			after = ref.ID
		}
		if len(refs) < sweepBatch {
			return released, nil
		}
	}
}

func (s *Service) sweepLicense(ctx context.Context, ref store.LicenseRef) (int, error) {
	var gone []store.Activation
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		l, err := tx.LockLicense(ctx, ref.BrandID, ref.ID)
		if err != nil {
			return err
		}
		gone, err = s.expireSeats(ctx, tx, &l, s.now().UTC())
		return err
	})
	if err != nil || len(gone) == 0 {
		return 0, err
	}
	keys := []string{licensesCacheKey(ref.LicenseKeyID)}
	for _, a := range gone {
		keys = append(keys, activationCacheKey(ref.ID, a.Instance))
	}
	s.invalidate(ctx, keys...)
	return len(gone), nil
}
