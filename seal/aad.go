package seal

import "github.com/licensedhq/licensed/store"

// What each sealed column's values are bound to (the aad of Seal and
// Open): the row they belong to, so that a ciphertext copied into another
// row does not open there. One place, because rotation re-seals them all.

// SigningKeyAAD binds a signing key's private half to its kid.
func SigningKeyAAD(kid string) []byte { return []byte("signing_key:" + kid) }

// LicenseKeyAAD binds a license key's ciphertext to its row id.
func LicenseKeyAAD(id string) []byte { return []byte("license_key:" + id) }

// IdempotencyAAD binds a stored provisioning answer (it holds the license
// key) to its brand and idempotency key.
func IdempotencyAAD(brandID, key string) []byte {
	return []byte("idempotency:" + brandID + ":" + key)
}

// WebhookSecretAAD binds a webhook endpoint's signing secret to its id.
func WebhookSecretAAD(id string) []byte { return []byte("webhook_secret:" + id) }

// AAD is what the sealed value v is bound to.
func AAD(v store.SealedValue) []byte {
	switch v.Kind {
	case store.SealedSigningKey:
		return SigningKeyAAD(v.ID)
	case store.SealedLicenseKey:
		return LicenseKeyAAD(v.ID)
	case store.SealedIdempotency:
		return IdempotencyAAD(v.BrandID, v.ID)
	case store.SealedWebhookSecret:
		return WebhookSecretAAD(v.ID)
	}
	return nil
}
