package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/store"
)

// SigningKeys lists the signing keys (admin).
func (s *Service) SigningKeys(ctx context.Context, p Principal) ([]keys.KeyInfo, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	return s.keys.List(ctx)
}

// RotateSigningKey publishes a new signing key that starts signing after
// the publish delay (admin).
func (s *Service) RotateSigningKey(ctx context.Context, p Principal) (keys.KeyInfo, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return keys.KeyInfo{}, err
	}
	return s.keys.Rotate(ctx)
}

// RevokedSigningKey answers a revocation: the key, the key that signs now,
// and in words what stops verifying.
type RevokedSigningKey struct {
	keys.Revoked
	Warning string `json:"warning"`
}

// JWKSMaxAge is how long products may cache the JWKS (its Cache-Control
// max-age): the longest a revoked key can still verify at a product that
// does not refetch on its own.
const JWKSMaxAge = 300 * time.Second

// RevokeSigningKey withdraws a signing key from the JWKS at once (admin):
// see keys.Manager.Revoke. The active key is refused (409) unless a
// rotation has published its successor, which then signs at once.
func (s *Service) RevokeSigningKey(ctx context.Context, p Principal, o Origin, kid string) (RevokedSigningKey, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return RevokedSigningKey{}, err
	}
	by := keys.Actor{Type: store.ActorAPIKey, ID: p.KeyID, RequestID: o.RequestID, IP: o.IP}
	if p.KeyID == AdminActor.KeyID {
		by.Type = store.ActorAdmin
	}
	r, err := s.keys.Revoke(ctx, kid, by)
	switch {
	case errors.Is(err, keys.ErrUnknownKey):
		return RevokedSigningKey{}, Errorf(CodeNotFound, "no signing key %q", kid)
	case errors.Is(err, keys.ErrOnlyActiveKey):
		return RevokedSigningKey{}, Errorf(CodeConflict,
			"%s is the active signing key and no successor is published: rotate first (POST /v1/signing-keys/rotate, or licensed keys rotate), then revoke it", kid)
	case errors.Is(err, store.ErrConflict):
		return RevokedSigningKey{}, Errorf(CodeConflict, "signing key %s changed state meanwhile (a rotation or another revocation); list the keys and try again", kid)
	case err != nil:
		return RevokedSigningKey{}, err
	}
	return RevokedSigningKey{Revoked: r, Warning: revocationWarning(r)}, nil
}

func revocationWarning(r keys.Revoked) string {
	w := fmt.Sprintf("Tokens signed by %s stop verifying offline: it is withdrawn from the JWKS "+
		"(at once on the replica that answered an API revocation, within %d s on every running replica), "+
		"and products drop it when they next fetch the JWKS (cached up to %d s). "+
		"A product holding such a token needs a fresh one: its next validate call returns one signed by the active key.",
		r.Key.KID, int(KeySyncEvery.Seconds()), int(JWKSMaxAge.Seconds()))
	if r.AlreadyRevoked {
		return "Already revoked; nothing changed. " + w
	}
	if r.Active != nil {
		w += " " + r.Active.KID + " signs new tokens."
	}
	return w
}

// KeySyncEvery is how often `licensed serve` reloads the signing keys
// (cmd/licensed uses it): the longest another replica keeps
// publishing a revoked key.
const KeySyncEvery = 30 * time.Second
