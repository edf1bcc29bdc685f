package verifier

import (
	"errors"
	"reflect"
	"testing"
)

// TestCases runs the case table (the forged-token table and more): each token gets exactly the expected error, matched with
// errors.Is, and the expected claims when Verify returns claims. Each runs
// without memo, and twice with it (the second call is a memo hit for
// authentic tokens).
func TestCases(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, 0, 1)
			c.check(t, 8, 2)
		})
	}
}

func (c tcase) check(t *testing.T, cacheSize, calls int) {
	t.Helper()
	ks, err := ParseJWKS([]byte(c.jwks))
	if err != nil {
		if !matchesExactly(err, c.want) {
			t.Fatalf("ParseJWKS: %v, want %v", err, c.want)
		}
		return
	}
	v := c.opts.verifier(ks, cacheSize)
	for i := range calls {
		got, err := v.Verify(c.token)
		if !matchesExactly(err, c.want) {
			t.Fatalf("call %d: Verify = %v, want exactly %v", i+1, err, c.want)
		}
		switch {
		case c.claims == nil && got != nil:
			t.Fatalf("call %d: claims %+v with error %v", i+1, got, err)
		case c.claims != nil && !reflect.DeepEqual(got, c.claims):
			t.Fatalf("call %d: claims\n got %+v\nwant %+v", i+1, got, c.claims)
		case got != nil && got.InGrace(v.Now()) != c.grace:
			t.Fatalf("call %d: InGrace %v, want %v", i+1, got.InGrace(v.Now()), c.grace)
		}
	}
}

// TestCasesCoverIssue checks that the table holds every case the
// contract's attack list names, so that trimming it later is noticed.
func TestCasesCoverIssue(t *testing.T) {
	have := map[string]bool{}
	for _, c := range cases() {
		have[c.name] = true
	}
	for _, name := range []string{
		"alg-none", "alg-NoNe", "alg-HS256-public-key", "kid-unknown", "tampered-payload",
		"tampered-signature", "signature-s-plus-l", "signature-63-bytes", "signature-65-bytes",
		"non-canonical-signature", "padding", "duplicate-exp", "header-crit", "header-b64",
		"header-jku", "header-jwk", "header-x5u", "header-x5c", "header-zip", "five-parts-jwe",
		"too-large", "missing-exp", "missing-iat", "missing-nbf", "expired", "nbf-future",
		"iat-future", "wrong-iss", "wrong-aud", "typ-jwt", "instance-other", "status-suspended",
		"status-cancelled", "status-expired", "license-exp-now", "identity-key-jwks",
		"ok-built-by-golang-jwt", "ok-built-by-go-jose", "size-limit", "size-limit-plus-one",
		"exp-2pow64", "exp-2pow53", "nbf-minus-2pow53", "ok-exp-max-safe-integer", "instance-license-token",
		"license-token-not-configured", "ok-license-token", "ok-grace", "grace-ended", "grace-suspended",
	} {
		if !have[name] {
			t.Errorf("case %s missing", name)
		}
	}
}

// TestNotConfigured: a Verifier without issuer, product or keys refuses
// every token instead of skipping a check.
func TestNotConfigured(t *testing.T) {
	ks := mustKeys(t)
	token := signed(baseClaims())
	for name, v := range map[string]*Verifier{
		"no issuer":   New(ks, WithProduct(testProduct), WithInstance(testInstance)),
		"no product":  New(ks, WithIssuer(testIssuer), WithInstance(testInstance)),
		"empty iss":   New(ks, WithIssuer(""), WithProduct(testProduct), WithInstance(testInstance)),
		"no instance": New(ks, WithIssuer(testIssuer), WithProduct(testProduct)),
		"no keys":     New(nil, WithIssuer(testIssuer), WithProduct(testProduct), WithInstance(testInstance)),
	} {
		if _, err := v.Verify(token); !errors.Is(err, ErrNotConfigured) {
			t.Errorf("%s: %v, want ErrNotConfigured", name, err)
		}
	}
	v := New(ks, WithAnyIssuer(), WithAnyProduct(), WithLicenseTokens(), WithClock(fixedClock(testNow)))
	other := signed(with(baseClaims(), func(c *Claims) { c.Issuer, c.Audience = "https://other", "x/y" }))
	if _, err := v.Verify(other); err != nil {
		t.Errorf("explicit opt-outs: %v", err)
	}
}

func mustKeys(t testing.TB) *KeySet {
	t.Helper()
	ks, err := ParseJWKS([]byte(jwksAB))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestZeroVerifier: a Verifier not made by New refuses everything, even
// after SetKeys, rather than skipping the issuer and audience checks.
func TestZeroVerifier(t *testing.T) {
	var v Verifier
	if v.Keys() != nil {
		t.Fatal("Keys of a zero Verifier")
	}
	v.SetKeys(mustKeys(t))
	if _, err := v.Verify(signed(baseClaims())); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("zero Verifier: %v", err)
	}
}
