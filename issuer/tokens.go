package issuer

import (
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/verifier"
)

// token signs the claims of docs/TOKENS.md for l as of now: an activation token
// when a is given, else a license token. It returns "" when no token can be
// issued because the license's expiry (or, with a grace period, the end of
// its grace) is not after now. A token signed for the same answer a moment
// ago is returned again instead (see reuse.go).
func (s *Service) token(l store.License, a *store.Activation, now time.Time) (string, error) {
	iat := now.Unix()
	exp := now.Add(l.TokenTTL).Unix()
	c := verifier.Claims{
		Issuer:       s.issuer,
		Subject:      l.ID,
		Audience:     productRef(l),
		IssuedAt:     iat,
		NotBefore:    iat,
		Status:       string(effectiveStatus(l, now)),
		Seats:        l.Seats,
		Entitlements: nonNil(l.Entitlements),
	}
	if l.ExpiresAt != nil {
		le := l.ExpiresAt.Unix()
		c.LicenseExpiry = &le
		exp = min(exp, le)
	}
	if g := graceUntil(l); g != nil {
		gu := g.Unix()
		c.GraceUntil = &gu
		exp = min(now.Add(l.TokenTTL).Unix(), gu)
	}
	if exp <= iat {
		return "", nil
	}
	c.Expiry = exp
	if a != nil {
		c.Instance, c.ActivationID = a.Instance, a.ID
	}
	kid, key, err := s.keys.Signer()
	if err != nil {
		return "", err
	}
	fp := fingerprint{
		kid: kid, audience: c.Audience, status: c.Status, instance: c.Instance,
		seats: c.Seats, tokenTTL: l.TokenTTL, version: l.Version,
	}
	if c.LicenseExpiry != nil {
		fp.licenseExpiry = *c.LicenseExpiry
	}
	if c.GraceUntil != nil {
		fp.graceUntil = *c.GraceUntil
	}
	rk := reuseKeyOf(l, a)
	if tok, ok := s.reuse.get(rk, fp, c.Entitlements, now); ok {
		return tok, nil
	}
	c.ID = newID()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, tokenClaims{c})
	t.Header = map[string]any{"alg": jwt.SigningMethodEdDSA.Alg(), "typ": verifier.TokenType, "kid": kid}
	tok, err := t.SignedString(key)
	if err != nil {
		return "", err
	}
	s.reuse.put(rk, reuseEntry{fp: fp, entitlements: slices.Clone(c.Entitlements), token: tok, signedAt: now, exp: exp})
	return tok, nil
}

// tokenClaims lets golang-jwt sign verifier.Claims, the one definition of
// the claim names that the verifier reads back.
type tokenClaims struct{ verifier.Claims }

func (c tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return numeric(c.Expiry), nil }
func (c tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return numeric(c.IssuedAt), nil }
func (c tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return numeric(c.NotBefore), nil }
func (c tokenClaims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c tokenClaims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c tokenClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings{c.Audience}, nil
}

func numeric(sec int64) *jwt.NumericDate { return jwt.NewNumericDate(time.Unix(sec, 0)) }

// graceUntil is the end of l's grace period: its expiry plus its product's
// grace days, for an active license with an expiry; nil otherwise.
// Suspended and cancelled licenses get no grace.
func graceUntil(l store.License) *time.Time {
	if l.Status != store.StatusActive || l.ExpiresAt == nil || l.Policy.GraceDays <= 0 {
		return nil
	}
	g := l.ExpiresAt.Add(time.Duration(l.Policy.GraceDays) * 24 * time.Hour)
	return &g
}
