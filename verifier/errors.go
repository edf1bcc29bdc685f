package verifier

import (
	"errors"
	"fmt"
)

// Errors returned by Verify, NormalizeInstance and ParseJWKS. Every failure
// wraps exactly one of the sentinels below (ErrMissingClaim and the license
// errors wrap a second, broader one, see their comments), so callers branch
// with errors.Is and never on message text.
var (
	// ErrNotConfigured: the Verifier lacks a key set, an issuer or a product
	// (see New). It is a programming error, never the token's fault.
	ErrNotConfigured = errors.New("verifier: not configured")

	// ErrMalformed: the token is not a license token: too large, bad
	// characters, not three parts, bad base64url, bad or duplicated JSON,
	// a claim of the wrong type, or a header other than exactly
	// {"alg":"EdDSA","typ":"license+jwt","kid":...}.
	ErrMalformed = errors.New("verifier: malformed token")
	// ErrUnknownKey: the header's kid is not in the key set. A product that
	// refreshes JWKS does so on this error (rate-limited), never on others.
	ErrUnknownKey = errors.New("verifier: unknown signing key")
	// ErrSignature: the Ed25519 signature does not verify (forged or
	// tampered), or it is not 64 bytes long.
	ErrSignature = errors.New("verifier: invalid signature")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = errors.New("verifier: wrong issuer")
	// ErrAudience: aud is not the configured product.
	ErrAudience = errors.New("verifier: wrong product")
	// ErrMissingClaim: exp, iat, nbf or status is absent. Errors wrapping it
	// also match ErrMalformed.
	ErrMissingClaim = errors.New("verifier: missing required claim")
	// ErrExpired: the token's exp has passed (beyond the leeway).
	ErrExpired = errors.New("verifier: token expired")
	// ErrNotYetValid: the token's nbf is in the future (beyond the leeway).
	ErrNotYetValid = errors.New("verifier: token not valid yet")
	// ErrIssuedInFuture: the token's iat is in the future (beyond the
	// leeway): the product's clock or the server's is wrong.
	ErrIssuedInFuture = errors.New("verifier: token issued in the future")

	// ErrLicenseUnusable: the token is authentic and current but the license
	// it describes may not be used. Verify returns the claims with it. It is
	// wrapped by the three errors below, and returned alone for a status
	// this package does not know.
	ErrLicenseUnusable = errors.New("verifier: license not usable")
	// ErrLicenseSuspended: status is "suspended". Also matches ErrLicenseUnusable.
	ErrLicenseSuspended = errors.New("verifier: license suspended")
	// ErrLicenseCancelled: status is "cancelled". Also matches ErrLicenseUnusable.
	ErrLicenseCancelled = errors.New("verifier: license cancelled")
	// ErrLicenseExpired: status is "expired", or license_exp has passed.
	// Also matches ErrLicenseUnusable.
	ErrLicenseExpired = errors.New("verifier: license expired")

	// ErrInstance: the token is bound to another instance than the one
	// configured with WithInstance, or to none.
	ErrInstance = errors.New("verifier: wrong instance")

	// ErrInvalidInstance: NormalizeInstance refused its input (empty, too
	// long, not printable, a URL without a host, ...).
	ErrInvalidInstance = errors.New("verifier: invalid instance")
	// ErrInvalidKeySet: ParseJWKS refused the document (not JSON, not
	// Ed25519, wrong size, small-order key, private members, ...).
	ErrInvalidKeySet = errors.New("verifier: invalid key set")
)

// detailError adds a detail to a sentinel without changing what it matches.
type detailError struct {
	kind   []error
	detail string
}

func (e *detailError) Error() string {
	if e.detail == "" {
		return e.kind[len(e.kind)-1].Error()
	}
	return e.kind[len(e.kind)-1].Error() + ": " + e.detail
}

func (e *detailError) Unwrap() []error { return e.kind }

// newError returns an error matching every kind; the message is the last
// kind's, followed by the detail.
func newError(detail string, kind ...error) error {
	return &detailError{kind: kind, detail: detail}
}

func errorf(kind error, format string, args ...any) error {
	return newError(fmt.Sprintf(format, args...), kind)
}

// quote shortens attacker-controlled text before it goes into an error
// message, so a 8 KiB header cannot become an 8 KiB log line.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
