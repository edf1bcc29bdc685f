package verifier

import (
	"math"
	"slices"
	"time"
)

// TokenType is the typ header of every license token (RFC 8725 §3.11): no
// other JWT can pass for one.
const TokenType = "license+jwt"

// Algorithm is the only alg a license token may carry.
const Algorithm = "EdDSA"

// Status values of the status claim.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusCancelled = "cancelled"
	StatusExpired   = "expired"
)

// Claims of a license token (docs/TOKENS.md). The server marshals this very
// struct to sign tokens, so the JSON names are the contract.
type Claims struct {
	Issuer        string `json:"iss"`
	Subject       string `json:"sub"` // license id
	Audience      string `json:"aud"` // "brand/product"
	IssuedAt      int64  `json:"iat"`
	NotBefore     int64  `json:"nbf"`
	Expiry        int64  `json:"exp"`
	ID            string `json:"jti"`
	Status        string `json:"status"`
	LicenseExpiry *int64 `json:"license_exp,omitempty"`
	// GraceUntil ends the license's grace period (license_exp plus the
	// product's grace days): until then an expired license stays usable,
	// and the product should nag (InGrace).
	GraceUntil   *int64   `json:"grace_until,omitempty"`
	Seats        int      `json:"seats"`
	Entitlements []string `json:"entitlements"`
	Instance     string   `json:"instance,omitempty"`
	ActivationID string   `json:"activation_id,omitempty"`
}

// Has reports whether the license grants the entitlement.
func (c *Claims) Has(entitlement string) bool {
	return slices.Contains(c.Entitlements, entitlement)
}

// InGrace reports whether, at now, the license's expiry has passed but
// its grace period has not: Verify accepts such a token (no error) and a
// product shows a "renew now" banner. It is false for suspended and
// cancelled licenses, whose tokens are never graced, and for tokens
// without grace_until. Verify evaluates it with its own clock; pass the
// same time (Verifier.Now) to get the same answer.
func (c *Claims) InGrace(now time.Time) bool {
	return c.inGrace(now.Unix())
}

func (c *Claims) inGrace(now int64) bool {
	if c.GraceUntil == nil || now >= *c.GraceUntil {
		return false
	}
	switch c.Status {
	case StatusExpired:
		return true
	case StatusActive:
		return c.LicenseExpiry != nil && now >= *c.LicenseExpiry
	}
	return false
}

// GraceEnds returns the end of the grace period, and false when the token
// carries none.
func (c *Claims) GraceEnds() (time.Time, bool) {
	if c.GraceUntil == nil {
		return time.Time{}, false
	}
	return time.Unix(*c.GraceUntil, 0), true
}

// clone returns a deep copy, so that a caller changing what Verify returned
// cannot change what the memo holds.
func (c *Claims) clone() *Claims {
	out := *c
	out.Entitlements = slices.Clone(c.Entitlements)
	if c.LicenseExpiry != nil {
		le := *c.LicenseExpiry
		out.LicenseExpiry = &le
	}
	if c.GraceUntil != nil {
		gu := *c.GraceUntil
		out.GraceUntil = &gu
	}
	return &out
}

// present records which claims a token carried: Claims cannot tell an
// absent exp from "exp": 0.
type present uint8

const (
	hasExp present = 1 << iota
	hasIat
	hasNbf
	hasStatus
)

// parseHeader checks that the header is exactly {alg, typ, kid} with the
// only allowed values and returns the kid. Any other member (crit, b64,
// jku, jwk, x5u, x5c, zip, ...) is refused, never interpreted. The values
// stay slices of b: nothing here needs to outlive the call.
func parseHeader(b []byte) (kid []byte, err error) {
	var alg, typ []byte
	s := scanner{b: b}
	err = s.object(func(name []byte) (err error) {
		switch string(name) {
		case "alg":
			alg, err = s.strBytes()
		case "typ":
			typ, err = s.strBytes()
		case "kid":
			kid, err = s.strBytes()
		default:
			err = s.fail("header member " + quote(string(name)) + " not allowed")
		}
		return err
	})
	if err == nil {
		err = s.end()
	}
	switch {
	case err != nil:
		return nil, newError("header: "+err.Error(), ErrMalformed)
	case string(alg) != Algorithm:
		return nil, errorf(ErrMalformed, "header: alg %s not allowed", quote(string(alg)))
	case string(typ) != TokenType:
		return nil, errorf(ErrMalformed, "header: typ %s not allowed", quote(string(typ)))
	case kid == nil:
		return nil, newError("header: no kid", ErrMalformed)
	}
	return kid, nil
}

// parseClaims reads the claims strictly: known claims must have their
// documented JSON type (null is no string and no integer), unknown ones are
// kept out of Claims but must still be valid JSON without duplicates.
func parseClaims(b []byte) (*Claims, present, error) {
	c := new(Claims)
	var has present
	s := scanner{b: b}
	err := s.object(func(name []byte) (err error) {
		switch string(name) {
		case "iss":
			c.Issuer, err = s.str()
		case "sub":
			c.Subject, err = s.str()
		case "aud":
			c.Audience, err = s.str()
		case "jti":
			c.ID, err = s.str()
		case "status":
			c.Status, err = s.str()
			has |= hasStatus
		case "instance":
			c.Instance, err = s.str()
		case "activation_id":
			c.ActivationID, err = s.str()
		case "entitlements":
			c.Entitlements, err = s.strings()
		case "iat":
			c.IssuedAt, err = s.integer()
			has |= hasIat
		case "nbf":
			c.NotBefore, err = s.integer()
			has |= hasNbf
		case "exp":
			c.Expiry, err = s.integer()
			has |= hasExp
		case "license_exp":
			c.LicenseExpiry = new(int64)
			*c.LicenseExpiry, err = s.integer()
		case "grace_until":
			c.GraceUntil = new(int64)
			*c.GraceUntil, err = s.integer()
		case "seats":
			c.Seats, err = s.seats()
		default:
			err = s.value()
		}
		return err
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, 0, newError("claims: "+err.Error(), ErrMalformed)
	}
	return c, has, nil
}

// seats reads an integer that fits an int on every platform.
func (s *scanner) seats() (int, error) {
	n, err := s.integer()
	if err == nil && (n < math.MinInt32 || n > math.MaxInt32) {
		err = s.fail("seats out of range")
	}
	return int(n), err
}
