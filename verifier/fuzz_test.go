package verifier

import (
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzVerify feeds arbitrary strings to Verify, seeded with every vector's
// token. Invariants: no panic; an error matches exactly the sentinels of
// one kind; claims come back exactly when valid or license-unusable; the
// memo changes nothing; and nothing is accepted but a token we signed: a
// token has one spelling, so any mutation of a valid token must fail.
func FuzzVerify(f *testing.F) {
	seeds := vectorTokens(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add("a.b.c")
	f.Add("..")
	f.Add(strings.Repeat("A", MaxTokenSize+1))

	ks := mustKeys(f)
	plain := baseOpts().verifier(ks, 0)
	memoized := baseOpts().verifier(ks, 4)
	signedByUs := map[string]bool{}
	for _, s := range seeds {
		if _, err := plain.Verify(s); err == nil || errors.Is(err, ErrLicenseUnusable) {
			signedByUs[s] = true
		}
	}
	if len(signedByUs) < 10 {
		f.Fatalf("only %d valid seeds", len(signedByUs))
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := plain.Verify(token)
		if (c != nil) != (err == nil || errors.Is(err, ErrLicenseUnusable)) {
			t.Fatalf("claims %v with error %v", c, err)
		}
		if (err == nil || errors.Is(err, ErrLicenseUnusable)) && !signedByUs[token] {
			t.Fatalf("accepted a token we never signed: %q (%v)", token, err)
		}
		if err != nil && !matchesOneKind(err) {
			t.Fatalf("error %v matches no single kind", err)
		}
		for range 2 {
			c2, err2 := memoized.Verify(token)
			if !reflect.DeepEqual(c, c2) || !sameError(err, err2) {
				t.Fatalf("memo differs: %v, %v vs %v, %v", c, err, c2, err2)
			}
		}
	})
}

func matchesOneKind(err error) bool {
	for _, kind := range errorNames {
		if matchesExactly(err, kind) {
			return true
		}
	}
	return false
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// FuzzParseClaims compares the strict claims and header parsers with
// encoding/json: whatever they accept, encoding/json must accept too and
// read as the same values. (The reverse does not hold by design:
// duplicates, floats for integers, null, bad UTF-8 are refused.)
func FuzzParseClaims(f *testing.F) {
	for _, tok := range vectorTokens(f) {
		h, p, ok := strings.Cut(tok, ".")
		if !ok {
			continue
		}
		p, _, _ = strings.Cut(p, ".")
		for _, part := range []string{h, p} {
			if b, err := enc.DecodeString(part); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"exp":1,"\u0065xp":2}`))
	f.Add([]byte(`{"a":[{"b":{"c":"\ud83d\ude00"}}],"seats":-0}`))
	// The integer bound: ±(2^53-1) passes, one more does not, and 2^64
	// must not wrap to 0.
	for _, n := range []string{"9007199254740991", "-9007199254740991", "9007199254740992", "-9007199254740992",
		"18446744073709551616", "-18446744073709551616", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1e3", "1.0", "-0"} {
		f.Add([]byte(`{"exp":` + n + `}`))
		f.Add([]byte(`{"grace_until":` + n + `,"license_exp":` + n + `}`))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, has, err := parseClaims(b); err == nil {
			compareClaims(t, b, c, has)
			checkIntegerBounds(t, b, c)
		}
		if kid, err := parseHeader(b); err == nil {
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil || len(m) != 3 || m["kid"] != string(kid) || m["alg"] != Algorithm || m["typ"] != TokenType {
				t.Fatalf("header %q: we read kid %q; encoding/json %v, %v", b, kid, m, err)
			}
		}
	})
}

func compareClaims(t *testing.T, b []byte, c *Claims, has present) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("we accept %q, encoding/json does not: %v", b, err)
	}
	decode := func(name string, into any) {
		if raw, ok := m[name]; ok {
			if err := json.Unmarshal(raw, into); err != nil {
				t.Fatalf("%s: %q: %v", name, raw, err)
			}
		}
	}
	var want Claims
	for name, into := range map[string]any{
		"iss": &want.Issuer, "sub": &want.Subject, "aud": &want.Audience, "iat": &want.IssuedAt,
		"nbf": &want.NotBefore, "exp": &want.Expiry, "jti": &want.ID, "status": &want.Status,
		"license_exp": &want.LicenseExpiry, "grace_until": &want.GraceUntil, "seats": &want.Seats, "entitlements": &want.Entitlements,
		"instance": &want.Instance, "activation_id": &want.ActivationID,
	} {
		decode(name, into)
	}
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("%q:\n ours %+v\n json %+v", b, *c, want)
	}
	for bit, name := range map[present]string{hasExp: "exp", hasIat: "iat", hasNbf: "nbf", hasStatus: "status"} {
		if _, ok := m[name]; ok != (has&bit != 0) {
			t.Fatalf("%q: presence of %s", b, name)
		}
	}
}

// checkIntegerBounds: every integer claim we read is within
// ±MaxSafeInteger and is what math/big reads from the same text, so no
// value was wrapped or rounded.
func checkIntegerBounds(t *testing.T, b []byte, c *Claims) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]*int64{"exp": &c.Expiry, "iat": &c.IssuedAt, "nbf": &c.NotBefore,
		"license_exp": c.LicenseExpiry, "grace_until": c.GraceUntil} {
		raw, ok := m[name]
		if !ok {
			continue
		}
		exact, ok := new(big.Int).SetString(string(raw), 10)
		if !ok || got == nil || exact.Cmp(big.NewInt(*got)) != 0 || exact.CmpAbs(big.NewInt(MaxSafeInteger)) > 0 {
			t.Fatalf("%s: %s read as %v", name, raw, got)
		}
	}
}

// FuzzNormalizeInstance, seeded with the shared table. Invariants: no
// panic; errors are ErrInvalidInstance; a result is 1-255 bytes of valid
// UTF-8 without surrounding white space, and normalizing it again gives it
// back (idempotence); surrounding white space never matters.
func FuzzNormalizeInstance(f *testing.F) {
	for _, c := range instanceCases(f) {
		f.Add(c.Input)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeInstance(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidInstance) || out != "" {
				t.Fatalf("%q: %q, %v", s, out, err)
			}
		} else {
			if out == "" || len(out) > MaxInstanceLen || !utf8.ValidString(out) || strings.TrimSpace(out) != out {
				t.Fatalf("%q: bad result %q", s, out)
			}
			if again, err := NormalizeInstance(out); again != out || err != nil {
				t.Fatalf("%q: not idempotent: %q -> %q, %v", s, out, again, err)
			}
		}
		if out2, err2 := NormalizeInstance(" \t" + s + "\n "); out2 != out || (err2 == nil) != (err == nil) {
			t.Fatalf("%q: white space changes the result: %q, %v vs %q, %v", s, out, err, out2, err2)
		}
	})
}

// FuzzParseJWKS: no panic, and a set that parses holds only 32-byte keys
// that are not weak, under non-empty kids.
func FuzzParseJWKS(f *testing.F) {
	for _, c := range cases() {
		f.Add(c.jwks)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		ks, err := ParseJWKS([]byte(doc))
		if err != nil {
			if !errors.Is(err, ErrInvalidKeySet) || ks != nil {
				t.Fatalf("%v, %v", ks, err)
			}
			return
		}
		if ks.Len() == 0 || ks.Len() != len(ks.keys) {
			t.Fatal("empty or inconsistent set")
		}
		for kid, k := range ks.keys {
			if kid == "" || len(k) != 32 || weakKey(k) {
				t.Fatalf("kid %q key %x", kid, k)
			}
		}
		if !json.Valid([]byte(doc)) {
			t.Fatalf("accepted invalid JSON %q", doc)
		}
	})
}

// FuzzVerifySigned signs arbitrary claims bytes with a key of the set, so
// that every input gets past the signature and exercises steps 3-6, and
// compares Verify with a plain restatement of docs/TOKENS.md's rules.
func FuzzVerifySigned(f *testing.F) {
	for _, tok := range vectorTokens(f) {
		if p := strings.Split(tok, "."); len(p) == 3 {
			if b, err := enc.DecodeString(p[1]); err == nil {
				f.Add(b)
			}
		}
	}
	v := baseOpts().verifier(mustKeys(f), 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		token := signRaw(headerFor(kidA), string(b), keyA)
		c, err := v.Verify(token)
		want := ErrMalformed
		if pc, has, perr := parseClaims(b); perr == nil && len(token) <= MaxTokenSize {
			want = expectedError(pc, has)
		}
		if !matchesExactly(err, want) {
			t.Fatalf("%q: got %v, want %v", b, err, want)
		}
		if (c != nil) != (err == nil || errors.Is(err, ErrLicenseUnusable)) {
			t.Fatalf("claims %v with error %v", c, err)
		}
	})
}

// expectedError restates steps 3-6 for baseOpts (now testNow, leeway 60 s,
// instance testInstance) as plainly as possible.
func expectedError(c *Claims, has present) error {
	now, leeway := int64(testNow), int64(60)
	graced := c.GraceUntil != nil && now < *c.GraceUntil &&
		(c.Status == StatusExpired || c.Status == StatusActive && c.LicenseExpiry != nil && *c.LicenseExpiry <= now)
	switch {
	case c.Issuer != testIssuer:
		return ErrIssuer
	case c.Audience != testProduct:
		return ErrAudience
	case has&(hasExp|hasIat|hasNbf) != hasExp|hasIat|hasNbf:
		return ErrMissingClaim
	case !(now < c.Expiry+leeway) && c.Expiry < 1<<62: // no overflow
		return ErrExpired
	case !(c.NotBefore-leeway <= now) && c.NotBefore > -1<<62:
		return ErrNotYetValid
	case !(c.IssuedAt <= now+leeway):
		return ErrIssuedInFuture
	case has&hasStatus == 0:
		return ErrMissingClaim
	case graced:
	case c.Status == StatusSuspended:
		return ErrLicenseSuspended
	case c.Status == StatusCancelled:
		return ErrLicenseCancelled
	case c.Status == StatusExpired:
		return ErrLicenseExpired
	case c.Status != StatusActive:
		return ErrLicenseUnusable
	case c.LicenseExpiry != nil && *c.LicenseExpiry <= now:
		return ErrLicenseExpired
	}
	if c.Instance != testInstance {
		return ErrInstance
	}
	return nil
}
