package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/store"
)

// ActionKeyRevoked is the audit action of a revocation.
const ActionKeyRevoked = "signing_key.revoked"

// Errors of Revoke.
var (
	// ErrUnknownKey: no signing key has that kid.
	ErrUnknownKey = errors.New("keys: no signing key with that kid")
	// ErrOnlyActiveKey: the key to revoke is the active one and no next key
	// is published to take over; revoking it would leave nothing to sign
	// with. Rotate first.
	ErrOnlyActiveKey = errors.New("keys: the active signing key cannot be revoked before a rotation publishes its successor")
)

// Actor is who asked for a change, as the audit trail records it.
type Actor struct {
	Type, ID, RequestID, IP string
}

// Revoked is the outcome of Revoke.
type Revoked struct {
	// Key is the revoked key as it now is.
	Key KeyInfo `json:"key"`
	// Active is the key that signs from now on; when the revoked key was
	// the active one, it is the next key, promoted early.
	Active *KeyInfo `json:"active"`
	// AlreadyRevoked: the key was revoked before; nothing changed.
	AlreadyRevoked bool `json:"already_revoked"`
}

// Revoke withdraws a signing key at once, whatever its state: it is never
// published again, so tokens it signed stop verifying as soon as products
// refresh their JWKS. A next key simply stops being a pending rotation. The
// active key can only be revoked while a next key is published: the next
// key then starts signing in the same transaction, before its publish delay
// has passed (products that do not know it yet refetch the JWKS when they
// meet its kid). Every move is compare-and-swap, like a rotation: of two
// revocations racing, one wins and the other finds the key moved
// (store.ErrConflict, or AlreadyRevoked when it looks again). The JWKS of
// this Manager is rebuilt before Revoke returns; other replicas drop the
// key at their next Sync.
func (m *Manager) Revoke(ctx context.Context, kid string, by Actor) (Revoked, error) {
	keys, err := m.store.SigningKeys(ctx)
	if err != nil {
		return Revoked{}, err
	}
	var k *store.SigningKey
	for i := range keys {
		if keys[i].KID == kid {
			k = &keys[i]
		}
	}
	if k == nil {
		return Revoked{}, ErrUnknownKey
	}
	out := Revoked{AlreadyRevoked: k.State == store.KeyRevoked}
	if !out.AlreadyRevoked {
		next := find(keys, store.KeyNext)
		if k.State == store.KeyActive && next == nil {
			return Revoked{}, ErrOnlyActiveKey
		}
		now := m.now()
		err = m.store.InTx(ctx, func(tx store.Tx) error {
			if err := tx.SetSigningKeyState(ctx, kid, k.State, store.KeyRevoked, now); err != nil {
				return err
			}
			data := map[string]any{"kid": kid, "state_before": k.State}
			if k.State == store.KeyActive {
				if err := tx.SetSigningKeyState(ctx, next.KID, store.KeyNext, store.KeyActive, now); err != nil {
					return err
				}
				data["activated_kid"] = next.KID
			}
			b, err := json.Marshal(data)
			if err != nil {
				return err
			}
			return tx.AppendAuditEvent(ctx, store.AuditEvent{
				ID: uuid.Must(uuid.NewV7()).String(), At: now.UTC(), ActorType: by.Type, ActorID: by.ID,
				Action: ActionKeyRevoked, RequestID: by.RequestID, IP: by.IP, Data: b,
			})
		})
		if err != nil {
			return Revoked{}, fmt.Errorf("revoke signing key %s: %w", kid, err)
		}
	}
	// Reload at once: this replica stops publishing (and signing with) the
	// key before the answer goes out.
	if keys, err = m.store.SigningKeys(ctx); err != nil {
		return Revoked{}, err
	}
	if err := m.load(ctx, keys); err != nil {
		return Revoked{}, err
	}
	maxTTL, err := m.store.MaxTokenTTL(ctx)
	if err != nil {
		return Revoked{}, err
	}
	for _, x := range keys {
		switch {
		case x.KID == kid:
			out.Key = m.info(x, maxTTL)
		case x.State == store.KeyActive:
			a := m.info(x, maxTTL)
			out.Active = &a
		}
	}
	return out, nil
}
