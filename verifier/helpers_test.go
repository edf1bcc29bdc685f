package verifier

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
)

// Test keys come from fixed seeds, and Ed25519 signing is deterministic, so
// every token in the tests and in testdata/vectors is reproducible.
var (
	keyA = testKey("licensed/verifier test key A")
	keyB = testKey("licensed/verifier test key B")
	keyC = testKey("licensed/verifier test key C (not in the key set)")
)

func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

var enc = base64.RawURLEncoding

// thumbprint is the RFC 7638 JWK thumbprint: the kid the server uses.
func thumbprint(pub []byte) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + enc.EncodeToString(pub) + `"}`))
	return enc.EncodeToString(sum[:])
}

func kidOf(k ed25519.PrivateKey) string { return thumbprint(pubOf(k)) }

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

func jwkOf(pub []byte) jwk {
	return jwk{Kty: "OKP", Crv: "Ed25519", X: enc.EncodeToString(pub), Kid: thumbprint(pub), Alg: "EdDSA", Use: "sig"}
}

// jwksOf renders the JWKS the server would publish for these keys.
func jwksOf(keys ...jwk) string {
	b, err := json.Marshal(map[string][]jwk{"keys": keys})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// headerFor is the header the server writes.
func headerFor(kid string) string {
	return `{"alg":"EdDSA","typ":"license+jwt","kid":"` + kid + `"}`
}

// signRaw signs exactly these header and claims bytes.
func signRaw(header, claims string, key ed25519.PrivateKey) string {
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	return input + "." + enc.EncodeToString(ed25519.Sign(key, []byte(input)))
}

// signHS256 signs like an alg-confusion attacker: HMAC keyed with the
// public key bytes.
func signHS256(header, claims string, secret []byte) string {
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + enc.EncodeToString(m.Sum(nil))
}

// parts splits a token into its three base64 parts.
func parts(token string) (h, p, s string) {
	f := strings.Split(token, ".")
	return f[0], f[1], f[2]
}

// withSignature replaces a token's signature bytes.
func withSignature(token string, sig []byte) string {
	h, p, _ := parts(token)
	return h + "." + p + "." + enc.EncodeToString(sig)
}

func signatureOf(token string) []byte {
	_, _, s := parts(token)
	b, err := enc.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// groupOrder is L = 2^252 + 27742317777372353535851937790883648493.
var groupOrder, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

// addL returns sig with L added to its S half (little-endian), the classic
// malleability attempt: a different signature for the same message that a
// lax verifier (one not requiring S < L) accepts.
func addL(sig []byte) []byte {
	s := new(big.Int).SetBytes(reverse(sig[32:]))
	s.Add(s, groupOrder)
	out := append([]byte(nil), sig[:32]...)
	le := reverse(s.FillBytes(make([]byte, 32)))
	return append(out, le...)
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}
