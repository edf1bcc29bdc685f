package issuer

import (
	"context"
	"unicode/utf8"

	"github.com/licensedhq/licensed/store"
)

// OfflineActivationInput is the body of POST /v1/licenses/{id}/activations.
type OfflineActivationInput struct {
	Instance     string `json:"instance"`
	InstanceName string `json:"instance_name"`
}

// OfflineActivation answers an offline activation: the seat and the token
// the brand hands over to the machine.
type OfflineActivation struct {
	Activation Activation `json:"activation"`
	Token      string     `json:"token"`
}

// ActivateOffline takes a seat of a license of the caller's brand for an
// instance that cannot reach the service (an air-gapped machine): support
// staff activate it and hand its token over. It is /v1/activate from the
// brand side — the same checks and errors, in the same order, under the
// same lock — recorded with the API key as actor. created is false when
// the instance already held a seat.
func (s *Service) ActivateOffline(ctx context.Context, p Principal, o Origin, licenseID string, in OfflineActivationInput) (OfflineActivation, bool, error) {
	if err := p.requireBrand(ScopeLicensesWrite); err != nil {
		return OfflineActivation{}, false, err
	}
	if !validID(licenseID) {
		return OfflineActivation{}, false, errNotFound
	}
	var f fieldErrors
	instance := checkInstance(&f, "instance", in.Instance)
	if utf8.RuneCountInString(in.InstanceName) > maxNameChars || !utf8.ValidString(in.InstanceName) {
		f.add("instance_name", "must be at most %d characters", maxNameChars)
	}
	if err := f.err(); err != nil {
		return OfflineActivation{}, false, err
	}
	seat := seatRequest{actorType: store.ActorAPIKey, actorID: p.KeyID, raw: in.Instance, instance: instance, name: in.InstanceName}
	var out OfflineActivation
	var got seatResult
	var keyID string
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		l, err := tx.LockLicense(ctx, p.BrandID, licenseID)
		if err != nil || l.BrandID != p.BrandID {
			return notFoundAs(orNotFound(err), errNotFound)
		}
		keyID = l.LicenseKeyID
		if got, err = s.takeSeat(ctx, tx, &l, o, seat); err != nil {
			return err
		}
		out = OfflineActivation{Activation: activationView(got.activation), Token: got.token}
		return nil
	})
	if err == nil {
		s.invalidate(ctx, got.invalidates(keyID, licenseID, instance)...)
	}
	return out, got.created, err
}
