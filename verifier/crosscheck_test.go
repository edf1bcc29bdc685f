package verifier

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// libVerify checks only the signature of token with golang-jwt and go-jose,
// picking the key by kid as a product using the libraries would. The
// libraries are laxer than the contract on purpose (duplicates, crit,
// required times...), so they are compared on signatures only.
func libVerify(token string, keys map[string]ed25519.PublicKey) (jwtErr, joseErr error) {
	_, jwtErr = jwt.Parse(token, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithoutClaimsValidation())

	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return jwtErr, err
	}
	k, ok := keys[obj.Signatures[0].Header.KeyID]
	if !ok {
		return jwtErr, errors.New("unknown kid")
	}
	_, joseErr = obj.Verify(k)
	return jwtErr, joseErr
}

// TestLibrariesAgree: every token of the table that Verify accepts, both
// libraries accept; every token Verify refuses as forged (ErrSignature,
// ErrUnknownKey), both libraries refuse too. So the lean path is no laxer
// than the libraries where they are strict.
func TestLibrariesAgree(t *testing.T) {
	keys := map[string]ed25519.PublicKey{kidA: pubOf(keyA), kidB: pubOf(keyB)}
	for _, c := range cases() {
		if c.jwks != jwksAB || (c.want != nil && c.want != ErrSignature && c.want != ErrUnknownKey) {
			continue
		}
		jwtErr, joseErr := libVerify(c.token, keys)
		accept := c.want == nil
		if (jwtErr == nil) != accept || (joseErr == nil) != accept {
			t.Errorf("%s: we say %v; golang-jwt %v; go-jose %v", c.name, c.want, jwtErr, joseErr)
		}
	}
}

// TestSPlusLRefusedEverywhere: the malleated signature is refused by
// crypto/ed25519 itself (it requires S < L), which Verify relies on.
func TestSPlusLRefusedEverywhere(t *testing.T) {
	token := signed(baseClaims())
	h, p, _ := parts(token)
	sig := addL(signatureOf(token))
	if ed25519.Verify(pubOf(keyA), []byte(h+"."+p), sig) {
		t.Fatal("crypto/ed25519 accepts S+L")
	}
	if fmt.Sprintf("%x", sig[:32]) != fmt.Sprintf("%x", signatureOf(token)[:32]) {
		t.Fatal("R changed")
	}
}
