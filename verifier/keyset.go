package verifier

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"slices"
	"sort"
)

// KeySet is an immutable set of Ed25519 public keys by kid, safe to share
// between goroutines and Verifiers.
type KeySet struct {
	keys map[string]ed25519.PublicKey
	kids []string // sorted
}

// Len returns the number of keys.
func (ks *KeySet) Len() int {
	if ks == nil {
		return 0
	}
	return len(ks.kids)
}

// KIDs returns the key ids, sorted.
func (ks *KeySet) KIDs() []string {
	if ks == nil {
		return nil
	}
	return slices.Clone(ks.kids)
}

// Has reports whether the set holds a key with this kid; a product that
// meets an unknown kid re-fetches JWKS (docs/TOKENS.md "Key rotation").
func (ks *KeySet) Has(kid string) bool {
	if ks == nil {
		return false
	}
	_, ok := ks.keys[kid]
	return ok
}

// NewKeySet builds a key set from keys by kid, with the checks of
// ParseJWKS: non-empty kids, 32-byte keys, no weak keys, at least one key.
func NewKeySet(keys map[string]ed25519.PublicKey) (*KeySet, error) {
	ks := &KeySet{keys: make(map[string]ed25519.PublicKey, len(keys))}
	for kid, pub := range keys {
		if err := ks.add(kid, pub); err != nil {
			return nil, err
		}
	}
	return ks.done()
}

func (ks *KeySet) add(kid string, pub []byte) error {
	switch {
	case kid == "":
		return newError("key without kid", ErrInvalidKeySet)
	case len(pub) != ed25519.PublicKeySize:
		return errorf(ErrInvalidKeySet, "key %s: %d bytes, want %d", quote(kid), len(pub), ed25519.PublicKeySize)
	case weakKey(pub):
		return errorf(ErrInvalidKeySet, "key %s: small-order or non-canonical public key", quote(kid))
	}
	if _, dup := ks.keys[kid]; dup {
		return errorf(ErrInvalidKeySet, "duplicate kid %s", quote(kid))
	}
	ks.keys[kid] = ed25519.PublicKey(slices.Clone(pub))
	ks.kids = append(ks.kids, kid)
	return nil
}

func (ks *KeySet) done() (*KeySet, error) {
	if len(ks.kids) == 0 {
		return nil, newError("no keys", ErrInvalidKeySet)
	}
	sort.Strings(ks.kids)
	return ks, nil
}

// ParseJWKS reads a JWK Set (RFC 7517), such as the body of
// GET /.well-known/jwks.json. Every key must be kty OKP, crv Ed25519, with a
// 32-byte x, a kid, and if present alg EdDSA and use sig; a private member
// (d, or any of RSA's or a symmetric k) refuses the whole set, since a JWKS
// that leaks a private key must not be used quietly. So does anything else
// wrong: the caller keeps its last good set. Unknown members are ignored.
// The fetcher, not this function, caps the document's size.
func ParseJWKS(data []byte) (*KeySet, error) {
	ks := &KeySet{keys: map[string]ed25519.PublicKey{}}
	s := scanner{b: data}
	err := s.object(func(name []byte) error {
		if string(name) != "keys" {
			return s.value()
		}
		return s.array(func() error { return ks.parseJWK(&s) })
	})
	if err == nil {
		err = s.end()
	}
	var se *syntaxError
	if errors.As(err, &se) {
		return nil, newError(se.Error(), ErrInvalidKeySet)
	}
	if err != nil {
		return nil, err
	}
	return ks.done()
}

// privateMembers are JWK members that carry private or secret key material.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

func (ks *KeySet) parseJWK(s *scanner) error {
	var kty, crv, x, kid, alg, use string
	var hasX bool
	err := s.object(func(name []byte) (err error) {
		switch string(name) {
		case "kty":
			kty, err = s.str()
		case "crv":
			crv, err = s.str()
		case "x":
			x, err = s.str()
			hasX = true
		case "kid":
			kid, err = s.str()
		case "alg":
			alg, err = s.str()
		case "use":
			use, err = s.str()
		default:
			if slices.Contains(privateMembers, string(name)) {
				return newError("private key member "+quote(string(name)), ErrInvalidKeySet)
			}
			err = s.value()
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case kty != "OKP" || crv != "Ed25519":
		return errorf(ErrInvalidKeySet, "key %s: kty %s crv %s, want OKP Ed25519", quote(kid), quote(kty), quote(crv))
	case alg != "" && alg != Algorithm:
		return errorf(ErrInvalidKeySet, "key %s: alg %s", quote(kid), quote(alg))
	case use != "" && use != "sig":
		return errorf(ErrInvalidKeySet, "key %s: use %s", quote(kid), quote(use))
	case !hasX:
		return errorf(ErrInvalidKeySet, "key %s: no x", quote(kid))
	}
	pub, err := b64.DecodeString(x)
	if err != nil {
		return errorf(ErrInvalidKeySet, "key %s: x is not base64url", quote(kid))
	}
	return ks.add(kid, pub)
}

// b64 is the one spelling of base64url the contract allows: no padding,
// no line breaks, zero trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// smallOrderY holds the y coordinates (little-endian, sign bit cleared) of
// every point of order 1, 2, 4 or 8, in every encoding a decoder accepts:
// the canonical 0, 1, p-1 and the two order-8 y values, and the
// non-canonical p (=0) and p+1 (=1). It is the list libsodium's
// ge25519_has_small_order uses. The sign bit is masked because it only
// picks x or -x, which have the same order, and because decoders accept
// "negative zero" for x = 0. No public edwards25519 API exists in the
// standard library to compute [8]P, so the list stands in for it;
// TestSmallOrderBlocklistComplete derives all eight points with math/big
// and checks every encoding of each is here.
var smallOrderY = [...][32]byte{
	{0x00}, // y = 0: the two points of order 4
	{0x01}, // y = 1: the identity
	// y of two order-8 points (±x)
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	// y of the other two order-8 points
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	// y = p-1: the point of order 2
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	// y = p, non-canonical 0
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	// y = p+1, non-canonical 1
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
}

// weakKey reports whether pub is a small-order point (for which
// ed25519.Verify accepts forged signatures, e.g. R = identity, S = 0) or a
// non-canonical encoding (y >= p), which no honest key generator produces.
func weakKey(pub []byte) bool {
	var y [32]byte
	copy(y[:], pub)
	y[31] &= 0x7f
	for _, bad := range smallOrderY {
		if y == bad {
			return true
		}
	}
	return nonCanonicalY(&y)
}

// nonCanonicalY reports y >= p = 2^255-19 for a little-endian y < 2^255.
func nonCanonicalY(y *[32]byte) bool {
	if y[31] != 0x7f || y[0] < 0xed {
		return false
	}
	for _, b := range y[1:31] {
		if b != 0xff {
			return false
		}
	}
	return true
}
