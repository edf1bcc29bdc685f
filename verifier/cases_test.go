package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// The case table: every forged, malformed, expired, unusable and valid
// token the tests check. TestCases runs it directly; the vector generator
// (vectors_test.go) writes the same cases, except the huge ones, to
// testdata/vectors.json and testdata/forged.json for verifiers in other
// languages.

const (
	testIssuer  = "https://licensed.example.com"
	testProduct = "rankmath/rankmath-pro"
	testNow     = 1767225600 // 2026-01-01T00:00:00Z
	testIat     = testNow - 3600
	testExp     = testIat + 7*86400
	testLicExp  = testNow + 365*86400
)

// vopts are the verifier options of a case, as written to a vector.
type vopts struct {
	Issuer        string `json:"issuer"`
	Product       string `json:"product"`
	Instance      string `json:"instance,omitempty"`
	LicenseTokens bool   `json:"license_tokens,omitempty"`
	Now           int64  `json:"now"`
	LeewaySeconds int64  `json:"leeway_seconds"`
}

type tcase struct {
	name, desc string
	token      string
	jwks       string // default: keys A and B
	opts       vopts
	want       error   // nil: valid
	claims     *Claims // expected claims when Verify returns them
	grace      bool    // valid, and in its grace period
	noVector   bool    // too big for a file
}

// testInstance is the product's own site in most cases: the common path is
// an activation token checked against the instance it was issued for.
const testInstance = "example.org"

func baseOpts() vopts {
	return vopts{Issuer: testIssuer, Product: testProduct, Instance: testInstance, Now: testNow, LeewaySeconds: 60}
}

// licenseOpts accept license tokens (WithLicenseTokens), no instance.
func licenseOpts() vopts {
	o := baseOpts()
	o.Instance, o.LicenseTokens = "", true
	return o
}

var (
	kidA, kidB, kidC = kidOf(keyA), kidOf(keyB), kidOf(keyC)
	jwksAB           = jwksOf(jwkOf(pubOf(keyA)), jwkOf(pubOf(keyB)))
)

// baseClaims are an activation token's, for testInstance.
func baseClaims() Claims {
	le := int64(testLicExp)
	return Claims{
		Issuer: testIssuer, Subject: "0194f7a2-7c4e-7b3a-9d2e-5f1a2b3c4d5e", Audience: testProduct,
		IssuedAt: testIat, NotBefore: testIat, Expiry: testExp,
		ID: "0194f7a3-1111-7aaa-8bbb-0123456789ab", Status: StatusActive, LicenseExpiry: &le,
		Seats: 5, Entitlements: []string{"pro", "updates"},
		Instance: testInstance, ActivationID: "0194f7a3-2222-7ccc-8ddd-0123456789ab",
	}
}

// licenseClaims are a license token's: no instance.
func licenseClaims() Claims {
	c := baseClaims()
	c.Instance, c.ActivationID = "", ""
	return c
}

// signed is a token the server would issue for c, signed by key A.
func signed(c Claims) string { return signRaw(headerFor(kidA), mustJSON(c), keyA) }

func with(c Claims, edit func(*Claims)) Claims {
	c.Entitlements = append([]string(nil), c.Entitlements...)
	edit(&c)
	return c
}

// rawClaims signs claims JSON edited as text, for what Claims cannot say.
func rawClaims(edit func(string) string) string {
	return signRaw(headerFor(kidA), edit(mustJSON(baseClaims())), keyA)
}

// rawHeader signs the base claims under an arbitrary header with key A.
func rawHeader(header string) string {
	return signRaw(header, mustJSON(baseClaims()), keyA)
}

func ptr[T any](v T) *T { return &v }

func cases() []tcase {
	base := baseClaims()
	lic := licenseClaims()
	token := signed(base)
	var cs []tcase
	add := func(c tcase) {
		if c.jwks == "" {
			c.jwks = jwksAB
		}
		if c.opts == (vopts{}) {
			c.opts = baseOpts()
		}
		cs = append(cs, c)
	}
	ok := func(name, desc, token string, claims Claims) {
		add(tcase{name: name, desc: desc, token: token, claims: &claims})
	}
	bad := func(name, desc, token string, want error) {
		add(tcase{name: name, desc: desc, token: token, want: want})
	}
	at := func(now int64) vopts { o := baseOpts(); o.Now = now; return o }
	withOpts := func(edit func(*vopts)) vopts { o := baseOpts(); edit(&o); return o }

	// Valid tokens.
	ok("ok-activation-token", "an activation token as the server issues it, checked against its instance", token, base)
	add(tcase{name: "ok-activation-token-spelling", desc: "the product's instance spelled differently: normalized before comparing",
		token: token, opts: withOpts(func(o *vopts) { o.Instance = " https://WWW.Example.org:443/ " }), claims: &base})
	add(tcase{name: "ok-license-token", desc: "a license token, accepted because the options opt into license tokens",
		token: signed(lic), opts: licenseOpts(), claims: &lic})
	add(tcase{name: "ok-license-token-and-instance", desc: "license tokens opted into beside an instance: a license token passes",
		token: signed(lic), opts: withOpts(func(o *vopts) { o.LicenseTokens = true }), claims: &lic})
	add(tcase{name: "ok-activation-token-license-opts", desc: "license tokens opted into, no instance: an activation token passes too",
		token: token, opts: licenseOpts(), claims: &base})
	perpetual := with(base, func(c *Claims) { c.LicenseExpiry = nil })
	ok("ok-perpetual", "no license_exp: a perpetual license", signed(perpetual), perpetual)
	ok("ok-key-b", "signed by the second key of the set", signRaw(headerFor(kidB), mustJSON(base), keyB), base)
	ok("ok-header-reordered", "header members in another order, with white space",
		rawHeader(`{ "kid" : "`+kidA+`", "typ":"license+jwt",
 "alg":"EdDSA" }`), base)
	unknown := `,"extra":{"nested":[1,2.5e3,-0,true,false,null,{"a":"\u00e9\ud83d\ude00"}],"b":{}},"big":18446744073709551616,"z":[]}`
	ok("ok-unknown-claims", "unknown claims of every JSON type are ignored (numbers in them are not claims: no integer bound)",
		rawClaims(func(s string) string { return strings.TrimSuffix(s, "}") + unknown }), base)
	ok("ok-escaped-names", `member names with escapes match after unescaping ("\u0069ss" is iss)`,
		rawClaims(func(s string) string { return strings.Replace(s, `"iss"`, `"\u0069ss"`, 1) }), base)
	ok("ok-case-variant-member", `"ISS" is an unknown claim, not iss (encoding/json would have mixed them up)`,
		rawClaims(func(s string) string { return strings.Replace(s, `{`, `{"ISS":"https://evil.example",`, 1) }), base)
	maxExp := with(base, func(c *Claims) { c.Expiry = MaxSafeInteger })
	ok("ok-exp-max-safe-integer", "exp 2^53-1, the largest integer a claim may hold", signed(maxExp), maxExp)
	minNbf := with(base, func(c *Claims) { c.NotBefore = -MaxSafeInteger })
	ok("ok-nbf-min-safe-integer", "nbf -(2^53-1), the smallest integer a claim may hold", signed(minNbf), minNbf)
	add(tcase{name: "ok-exp-within-leeway", desc: "59 s past exp, leeway 60 s", token: token, opts: at(testExp + 59), claims: &base})
	add(tcase{name: "ok-nbf-within-leeway", desc: "nbf and iat 60 s ahead, leeway 60 s", opts: at(testIat - 60), token: token, claims: &base})
	edge := with(base, func(c *Claims) { le := int64(testNow + 1); c.LicenseExpiry = &le })
	ok("ok-license-exp-next-second", "license_exp one second after now", signed(edge), edge)
	entl := with(base, func(c *Claims) { c.Entitlements = []string{} })
	ok("ok-no-entitlements", "entitlements []", signed(entl), entl)
	machine := with(base, func(c *Claims) { c.Instance = "4c4c4544-0042-3510-8052-b4c04f4e4d32" })
	add(tcase{name: "ok-machine-instance", desc: "an opaque machine id, equal after trimming",
		token: signed(machine), opts: withOpts(func(o *vopts) { o.Instance = "\t4c4c4544-0042-3510-8052-b4c04f4e4d32\n" }), claims: &machine})
	ok("ok-built-by-golang-jwt", "signed by golang-jwt with the license header", golangJWTToken(base), base)
	ok("ok-built-by-go-jose", "signed by go-jose with the license header", goJoseToken(base), base)

	// Grace: license_exp has passed, grace_until has not.
	graced := func(status string, licExp, graceUntil int64) Claims {
		return with(base, func(c *Claims) { c.Status, c.LicenseExpiry, c.GraceUntil = status, ptr(licExp), ptr(graceUntil) })
	}
	inGrace := graced(StatusActive, testNow-86400, testNow+6*86400)
	add(tcase{name: "ok-grace", desc: "license_exp a day ago, grace_until in 6 days: usable, in grace",
		token: signed(inGrace), claims: &inGrace, grace: true})
	inGraceExpired := graced(StatusExpired, testNow-86400, testNow+6*86400)
	add(tcase{name: "ok-grace-status-expired", desc: "status expired within grace_until: usable, in grace",
		token: signed(inGraceExpired), claims: &inGraceExpired, grace: true})
	lastSecond := graced(StatusActive, testNow-86400, testNow+1)
	add(tcase{name: "ok-grace-last-second", desc: "grace_until one second after now: still in grace",
		token: signed(lastSecond), claims: &lastSecond, grace: true})
	beforeExpiry := graced(StatusActive, testNow+86400, testNow+8*86400)
	ok("ok-grace-not-started", "grace_until present but license_exp still ahead: usable, not in grace", signed(beforeExpiry), beforeExpiry)
	graceEnded := graced(StatusActive, testNow-8*86400, testNow)
	add(tcase{name: "grace-ended", desc: "grace_until = now: the grace is over (no leeway)", token: signed(graceEnded),
		want: ErrLicenseExpired, claims: &graceEnded})
	graceEndedExpired := graced(StatusExpired, testNow-8*86400, testNow-1)
	add(tcase{name: "grace-ended-status-expired", desc: "status expired, grace_until passed", token: signed(graceEndedExpired),
		want: ErrLicenseExpired, claims: &graceEndedExpired})
	graceSuspended := graced(StatusSuspended, testNow-86400, testNow+6*86400)
	add(tcase{name: "grace-suspended", desc: "a suspended license gets no grace", token: signed(graceSuspended),
		want: ErrLicenseSuspended, claims: &graceSuspended})
	graceCancelled := graced(StatusCancelled, testNow-86400, testNow+6*86400)
	add(tcase{name: "grace-cancelled", desc: "a cancelled license gets no grace", token: signed(graceCancelled),
		want: ErrLicenseCancelled, claims: &graceCancelled})

	// alg confusion and header strictness.
	noneHeader := `{"alg":"none","typ":"license+jwt","kid":"` + kidA + `"}`
	h, p, _ := parts(rawHeader(noneHeader))
	bad("alg-none", "alg none with an empty signature", h+"."+p+".", ErrMalformed)
	h, p, _ = parts(rawHeader(strings.Replace(noneHeader, "none", "NoNe", 1)))
	bad("alg-NoNe", "alg NoNe with an empty signature", h+"."+p+".", ErrMalformed)
	bad("alg-HS256-public-key", "HS256 keyed with the Ed25519 public key bytes",
		signHS256(strings.Replace(noneHeader, "none", "HS256", 1), mustJSON(base), pubOf(keyA)), ErrMalformed)
	bad("alg-HS256-jwks-x", "HS256 keyed with the JWKS x string",
		signHS256(strings.Replace(noneHeader, "none", "HS256", 1), mustJSON(base), []byte(enc.EncodeToString(pubOf(keyA)))), ErrMalformed)
	bad("alg-lowercase", "alg eddsa: the comparison is case-sensitive",
		rawHeader(`{"alg":"eddsa","typ":"license+jwt","kid":"`+kidA+`"}`), ErrMalformed)
	bad("alg-missing", "no alg", rawHeader(`{"typ":"license+jwt","kid":"`+kidA+`"}`), ErrMalformed)
	bad("alg-duplicate", "alg twice, none then EdDSA", rawHeader(`{"alg":"none","alg":"EdDSA","typ":"license+jwt","kid":"`+kidA+`"}`), ErrMalformed)
	bad("typ-jwt", "typ JWT: another kind of token", rawHeader(`{"alg":"EdDSA","typ":"JWT","kid":"`+kidA+`"}`), ErrMalformed)
	bad("typ-case", "typ License+JWT", rawHeader(`{"alg":"EdDSA","typ":"License+JWT","kid":"`+kidA+`"}`), ErrMalformed)
	bad("typ-missing", "no typ", rawHeader(`{"alg":"EdDSA","kid":"`+kidA+`"}`), ErrMalformed)
	bad("kid-missing", "no kid", rawHeader(`{"alg":"EdDSA","typ":"license+jwt"}`), ErrMalformed)
	bad("kid-number", "kid not a string", rawHeader(`{"alg":"EdDSA","typ":"license+jwt","kid":1}`), ErrMalformed)
	for _, m := range []struct{ name, member string }{
		{"crit", `"crit":["exp"]`},
		{"b64", `"b64":false`},
		{"jku", `"jku":"https://evil.example/jwks.json"`},
		{"x5u", `"x5u":"https://evil.example/cert.pem"`},
		{"x5c", `"x5c":["MIIBszCCAVmgAwIBAgIUQ"]`},
		{"zip", `"zip":"DEF"`},
		{"cty", `"cty":"JWT"`},
	} {
		bad("header-"+m.name, "header member "+m.name+" is refused, never followed",
			rawHeader(`{"alg":"EdDSA","typ":"license+jwt","kid":"`+kidA+`",`+m.member+`}`), ErrMalformed)
	}
	embedded := mustJSON(jwkOf(pubOf(keyC)))
	bad("header-jwk", "an embedded jwk of the attacker's key, signed with that key",
		signRaw(`{"alg":"EdDSA","typ":"license+jwt","kid":"`+kidA+`","jwk":`+embedded+`}`, mustJSON(base), keyC), ErrMalformed)
	bad("header-not-object", "header is a JSON array", signRaw(`["EdDSA"]`, mustJSON(base), keyA), ErrMalformed)

	// Keys and signatures.
	bad("kid-unknown", "signed by a key that is not in the set, under its own kid", signRaw(headerFor(kidC), mustJSON(base), keyC), ErrUnknownKey)
	bad("kid-of-set-wrong-key", "kid of key A, signed by key C", signRaw(headerFor(kidA), mustJSON(base), keyC), ErrSignature)
	tampered := with(base, func(c *Claims) { c.Seats = 500 })
	h, _, s := parts(token)
	bad("tampered-payload", "seats changed after signing", h+"."+enc.EncodeToString([]byte(mustJSON(tampered)))+"."+s, ErrSignature)
	flipped := signatureOf(token)
	flipped[10] ^= 1
	bad("tampered-signature", "one bit of the signature flipped", withSignature(token, flipped), ErrSignature)
	bad("signature-s-plus-l", "S + L: the same signature made non-canonical (malleability)", withSignature(token, addL(signatureOf(token))), ErrSignature)
	bad("signature-63-bytes", "signature one byte short", withSignature(token, signatureOf(token)[:63]), ErrSignature)
	bad("signature-65-bytes", "signature one byte long", withSignature(token, append(signatureOf(token), 0)), ErrSignature)
	bad("signature-empty", "empty signature part", h+"."+p+".", ErrSignature)
	bad("signature-zero", "64 zero bytes", withSignature(token, make([]byte, 64)), ErrSignature)
	idSig := append([]byte{1}, make([]byte, 63)...)
	bad("identity-signature-known-kid", "R = identity, S = 0 under a real key", withSignature(token, idSig), ErrSignature)
	identity := append([]byte{1}, make([]byte, 31)...)
	add(tcase{name: "identity-key-jwks", desc: "a JWKS with the identity point as key; the token R = identity, S = 0 would pass ed25519.Verify under it",
		jwks:  `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + enc.EncodeToString(identity) + `","kid":"weak"}]}`,
		token: withSignature(rawHeader(headerFor("weak")), idSig), want: ErrInvalidKeySet})
	bad("identity-signature-unknown-kid", "R = identity, S = 0 under the identity key's kid", withSignature(rawHeader(headerFor(thumbprint(identity))), idSig), ErrUnknownKey)

	// Encoding and shape.
	bad("empty", "the empty string", "", ErrMalformed)
	bad("two-parts", "header.payload", h+"."+p, ErrMalformed)
	bad("four-parts", "an extra part", token+".AAAA", ErrMalformed)
	bad("five-parts-jwe", "JWE-shaped: five parts", h+".AAAA.AAAA."+p+".AAAA", ErrMalformed)
	bad("padding", "base64 padding on the signature", token+"==", ErrMalformed)
	bad("padding-header", "base64 padding on the header", h+"=."+p+"."+s, ErrMalformed)
	bad("std-alphabet", "standard base64 alphabet", toStd(token), ErrMalformed)
	bad("non-canonical-signature", "the last signature character carries non-zero trailing bits", nonCanonical(token, 2), ErrMalformed)
	for i, part := range []string{"header", "payload"} {
		if p := strings.Split(token, ".")[i]; len(p)%4 >= 2 {
			bad("non-canonical-"+part, "the last "+part+" character carries non-zero trailing bits", nonCanonical(token, i), ErrMalformed)
		}
	}
	bad("newline", "a line break inside (Go's base64 would skip it)", token[:20]+"\n"+token[20:], ErrMalformed)
	bad("space", "a trailing space", token+" ", ErrMalformed)
	bad("non-ascii", "a non-ASCII character", token[:20]+"é"+token[20:], ErrMalformed)
	bad("header-not-json", "header bytes are not JSON", signRaw(`{"alg":"EdDSA",`, mustJSON(base), keyA), ErrMalformed)
	add(tcase{name: "too-large", desc: "1 MiB", token: bigToken(1 << 20), want: ErrMalformed, noVector: true})
	// Filler bytes grow the token by 4/3 each; find the largest that fits.
	f := (MaxTokenSize - len(bigToken(0))) * 3 / 4
	for len(bigToken(f+1)) <= MaxTokenSize {
		f++
	}
	ok("size-limit", itoa64(int64(len(bigToken(f))))+" bytes, the most that fit in 8 KiB", bigToken(f), base)
	bad("size-limit-plus-one", itoa64(int64(len(bigToken(f+1))))+" bytes", bigToken(f+1), ErrMalformed)

	// Claims JSON.
	dup := func(name, desc, from, to string) {
		bad(name, desc, rawClaims(func(s string) string { return strings.Replace(s, from, to, 1) }), ErrMalformed)
	}
	dup("duplicate-exp", "exp twice", `"exp":`, `"exp":1,"exp":`)
	dup("duplicate-iss", "iss twice, the second another issuer", `"iss":"`+testIssuer+`"`, `"iss":"`+testIssuer+`","iss":"https://evil.example"`)
	dup("duplicate-escaped", `"exp" and "\u0065xp"`, `"exp":`, `"\u0065xp":1,"exp":`)
	dup("duplicate-nested", "a duplicate inside an unknown claim", `"seats":`, `"x":{"a":1,"a":2},"seats":`)
	dup("exp-string", "exp as a string", `"exp":`+itoa64(testExp), `"exp":"`+itoa64(testExp)+`"`)
	dup("exp-fraction", "exp with a fraction", `"exp":`+itoa64(testExp), `"exp":`+itoa64(testExp)+`.5`)
	dup("exp-exponent", "exp in exponent form", `"exp":`+itoa64(testExp), `"exp":1.7678e9`)
	dup("exp-float-integral", "exp as 123.0", `"exp":`+itoa64(testExp), `"exp":`+itoa64(testExp)+`.0`)
	dup("exp-null", "exp null", `"exp":`+itoa64(testExp), `"exp":null`)
	dup("exp-overflow", "exp beyond int64", `"exp":`+itoa64(testExp), `"exp":9223372036854775808`)
	dup("exp-2pow64", "exp 2^64: a reader that wraps would see 0", `"exp":`+itoa64(testExp), `"exp":18446744073709551616`)
	dup("exp-2pow53", "exp 2^53, one past the largest safe integer", `"exp":`+itoa64(testExp), `"exp":9007199254740992`)
	dup("nbf-minus-2pow53", "nbf -2^53, one past the smallest safe integer", `"nbf":`+itoa64(testIat), `"nbf":-9007199254740992`)
	dup("iat-max-int64", "iat 2^63-1: within int64, beyond the safe range", `"iat":`+itoa64(testIat), `"iat":9223372036854775807`)
	dup("exp-exponent-integral", "exp 1e10: whole, still an exponent", `"exp":`+itoa64(testExp), `"exp":1e10`)
	dup("license-exp-2pow53", "license_exp 2^53", `"license_exp":`, `"license_exp":9007199254740992,"x":`)
	dup("seats-2pow64", "seats 2^64+5", `"seats":5`, `"seats":18446744073709551621`)
	dup("grace-until-fraction", "grace_until with a fraction", `"seats":5`, `"grace_until":1767225600.5,"seats":5`)
	dup("grace-until-string", "grace_until as a string", `"seats":5`, `"grace_until":"1767225600","seats":5`)
	dup("grace-until-null", "grace_until null", `"seats":5`, `"grace_until":null,"seats":5`)
	dup("exp-leading-zero", "exp 0123: not JSON", `"exp":`+itoa64(testExp), `"exp":0`+itoa64(testExp))
	dup("seats-string", "seats as a string", `"seats":5`, `"seats":"5"`)
	dup("seats-fraction", "seats 5.5", `"seats":5`, `"seats":5.5`)
	dup("entitlements-string", "entitlements a string", `"entitlements":["pro","updates"]`, `"entitlements":"pro"`)
	dup("entitlements-numbers", "entitlements with a number", `"entitlements":["pro","updates"]`, `"entitlements":["pro",1]`)
	dup("entitlements-null", "entitlements null", `"entitlements":["pro","updates"]`, `"entitlements":null`)
	dup("license-exp-null", "license_exp null", `"license_exp":`, `"license_exp":null,"x":`)
	dup("iss-number", "iss a number", `"iss":"`+testIssuer+`"`, `"iss":1`)
	dup("lone-surrogate", "a lone UTF-16 surrogate", `"jti":"`, `"jti":"\ud800`)
	dup("invalid-utf8", "invalid UTF-8 in a string", `"jti":"`, "\"jti\":\"\xff")
	dup("control-char", "a raw control character in a string", `"jti":"`, "\"jti\":\"\x01")
	dup("nul-in-string", `U+0000 escaped in a string ("\u0000")`, `"jti":"`, `"jti":"\u0000`)
	dup("nul-in-member-name", `U+0000 escaped in an unknown claim's name`, `"seats":`, `"\u0000x":1,"seats":`)
	dup("nul-inside-member-name", `U+0000 escaped inside an unknown claim's name`, `"seats":`, `"x\u0000":1,"seats":`)
	ok("ok-escaped-backslash-u0000", `"\\u0000" is a backslash and "u0000", not U+0000`,
		rawClaims(func(s string) string { return strings.Replace(s, `"seats":`, `"note":"\\u0000","seats":`, 1) }), base)
	dup("trailing-data", "data after the claims object", `"seats":5`, `"seats":5}{"a":1`)
	dup("trailing-comma", "a trailing comma", `"seats":5`, `"seats":5,`)
	bad("claims-array", "claims are a JSON array", signRaw(headerFor(kidA), `[1,2]`, keyA), ErrMalformed)
	bad("claims-empty", "empty claims part", signRaw(headerFor(kidA), ``, keyA), ErrMalformed)
	bad("claims-deep", "unknown claim nested 40 deep", signRaw(headerFor(kidA), `{"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`, keyA), ErrMalformed)
	for _, name := range []string{"exp", "iat", "nbf", "status"} {
		m := map[string]any{}
		_ = json.Unmarshal([]byte(mustJSON(base)), &m)
		delete(m, name)
		bad("missing-"+name, "no "+name, signRaw(headerFor(kidA), mustJSON(m), keyA), ErrMissingClaim)
	}

	// Issuer, audience, time.
	bad("wrong-iss", "another issuer", signed(with(base, func(c *Claims) { c.Issuer = "https://evil.example" })), ErrIssuer)
	bad("missing-iss", "no iss", signed(with(base, func(c *Claims) { c.Issuer = "" })), ErrIssuer)
	bad("wrong-aud", "another product of the same brand", signed(with(base, func(c *Claims) { c.Audience = "rankmath/rankmath-free" })), ErrAudience)
	bad("aud-case", "aud differing in case", signed(with(base, func(c *Claims) { c.Audience = "RankMath/rankmath-pro" })), ErrAudience)
	dup("aud-array", "aud as an array (RFC 7519 allows it, the contract does not)", `"aud":"`+testProduct+`"`, `"aud":["`+testProduct+`"]`)
	add(tcase{name: "expired", desc: "61 s past exp, leeway 60 s", token: token, opts: at(testExp + 60), want: ErrExpired})
	add(tcase{name: "expired-no-leeway", desc: "now = exp, leeway 0", token: token,
		opts: withOpts(func(o *vopts) { o.Now, o.LeewaySeconds = testExp, 0 }), want: ErrExpired})
	add(tcase{name: "nbf-future", desc: "nbf 61 s ahead", token: token, opts: at(testIat - 61), want: ErrNotYetValid})
	iatFuture := with(base, func(c *Claims) { c.IssuedAt = testNow + 61; c.NotBefore = testNow - 10 })
	bad("iat-future", "iat 61 s ahead, nbf past", signed(iatFuture), ErrIssuedInFuture)

	// Authentic tokens of unusable licenses.
	for _, st := range []struct {
		status string
		want   error
	}{{StatusSuspended, ErrLicenseSuspended}, {StatusCancelled, ErrLicenseCancelled}, {StatusExpired, ErrLicenseExpired}, {"revoked", ErrLicenseUnusable}} {
		c := with(base, func(c *Claims) { c.Status = st.status })
		add(tcase{name: "status-" + st.status, desc: "status " + st.status, token: signed(c), want: st.want, claims: &c})
	}
	lapsed := with(base, func(c *Claims) { c.LicenseExpiry = ptr(int64(testNow)) })
	add(tcase{name: "license-exp-now", desc: "license_exp = now: the license has ended (no leeway)", token: signed(lapsed), want: ErrLicenseExpired, claims: &lapsed})
	suspended := with(base, func(c *Claims) { c.Status = StatusSuspended })
	add(tcase{name: "status-before-instance", desc: "a suspended license's token for another instance: step 5 comes first",
		token: signed(suspended), opts: withOpts(func(o *vopts) { o.Instance = "other.example" }),
		want: ErrLicenseSuspended, claims: &suspended})

	// Instances, and license tokens where an activation is expected.
	inst := func(name, desc, token, instance string, want error) {
		add(tcase{name: name, desc: desc, token: token, want: want, opts: withOpts(func(o *vopts) { o.Instance = instance })})
	}
	inst("instance-other", "an activation token of another site", token, "https://example.com", ErrInstance)
	inst("instance-subdirectory", "another multisite sub-directory", token, "https://example.org/blog", ErrInstance)
	inst("instance-license-token", "a license token (no instance) where an activation token is required", signed(lic), "example.org", ErrInstance)
	inst("instance-machine-case", "machine ids are case-sensitive", signed(machine), "4C4C4544-0042-3510-8052-B4C04F4E4D32", ErrInstance)
	inst("instance-option-invalid", "the product's own instance is invalid", token, "https://", ErrInvalidInstance)
	add(tcase{name: "instance-other-license-opts", desc: "license tokens opted into beside an instance: an activation token of another site still fails",
		token: token, opts: withOpts(func(o *vopts) { o.Instance, o.LicenseTokens = "https://example.com", true }), want: ErrInstance})
	add(tcase{name: "license-token-not-configured", desc: "neither an instance nor license tokens opted into: the verifier refuses every token",
		token: signed(lic), opts: withOpts(func(o *vopts) { o.Instance = "" }), want: ErrNotConfigured})
	add(tcase{name: "activation-token-not-configured", desc: "neither an instance nor license tokens opted into, even for an activation token",
		token: token, opts: withOpts(func(o *vopts) { o.Instance = "" }), want: ErrNotConfigured})

	cs = append(cs, jwksCases(token)...)
	return cs
}

func jwksCases(token string) []tcase {
	pub := pubOf(keyA)
	x := enc.EncodeToString(pub)
	key := func(members string) string { return `{"keys":[{` + members + `}]}` }
	y := func(b ...byte) string { k := make([]byte, 32); copy(k, b); return enc.EncodeToString(k) }
	ff := func(first, last byte) string {
		k := bytes.Repeat([]byte{0xff}, 32)
		k[0], k[31] = first, last
		return enc.EncodeToString(k)
	}
	order8 := []byte{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05}
	okp := func(x string) string { return key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `","kid":"k"`) }
	var cs []tcase
	bad := func(name, desc, jwks string) {
		cs = append(cs, tcase{name: "jwks-" + name, desc: desc, token: token, jwks: jwks, opts: baseOpts(), want: ErrInvalidKeySet})
	}
	bad("identity", "the identity point 01 00..00", okp(y(1)))
	bad("identity-sign-bit", "the identity with the sign bit set (x = -0)", okp(enc.EncodeToString(append(append([]byte{1}, make([]byte, 30)...), 0x80))))
	bad("identity-non-canonical", "y = p + 1, a non-canonical identity", okp(ff(0xee, 0x7f)))
	bad("zero-non-canonical", "y = p, a non-canonical 0 (order 4)", okp(ff(0xed, 0x7f)))
	bad("order-2", "y = p - 1, the point of order 2", okp(ff(0xec, 0x7f)))
	bad("order-4", "y = 0, a point of order 4", okp(y(0)))
	bad("order-8", "a point of order 8", okp(enc.EncodeToString(order8)))
	bad("non-canonical", "y = p + 2 (not small-order, still non-canonical)", okp(ff(0xef, 0x7f)))
	bad("short-key", "31 bytes", okp(enc.EncodeToString(pub[:31])))
	bad("long-key", "33 bytes", okp(enc.EncodeToString(append(pub[:32:32], 0))))
	bad("rsa", "an RSA key", key(`"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r"`))
	bad("x25519", "crv X25519", key(`"kty":"OKP","crv":"X25519","x":"`+x+`","kid":"k"`))
	bad("alg-rs256", "alg RS256", key(`"kty":"OKP","crv":"Ed25519","x":"`+x+`","kid":"k","alg":"RS256"`))
	bad("use-enc", "use enc", key(`"kty":"OKP","crv":"Ed25519","x":"`+x+`","kid":"k","use":"enc"`))
	bad("private-d", "a private key member d", key(`"kty":"OKP","crv":"Ed25519","x":"`+x+`","kid":"k","d":"`+enc.EncodeToString(keyA.Seed())+`"`))
	bad("no-kid", "a key without kid", key(`"kty":"OKP","crv":"Ed25519","x":"`+x+`"`))
	bad("no-x", "a key without x", key(`"kty":"OKP","crv":"Ed25519","kid":"k"`))
	bad("x-padded", "x with base64 padding", okp(x+"="))
	bad("duplicate-kid", "two keys with one kid", `{"keys":[`+mustJSON(jwkOf(pub))+`,`+mustJSON(jwk{Kty: "OKP", Crv: "Ed25519", X: enc.EncodeToString(pubOf(keyB)), Kid: kidA})+`]}`)
	bad("duplicate-member", "x twice in one key", key(`"kty":"OKP","crv":"Ed25519","x":"`+x+`","x":"`+x+`","kid":"k"`))
	bad("duplicate-keys", "keys twice", `{"keys":[],"keys":[`+mustJSON(jwkOf(pub))+`]}`)
	bad("empty", "no keys", `{"keys":[]}`)
	bad("no-keys-member", "no keys member", `{}`)
	bad("not-json", "not JSON", `{"keys":[`)
	return cs
}

func itoa64(n int64) string { return mustJSON(n) }

// bigToken is a valid token with an unknown claim of n filler bytes.
func bigToken(n int) string {
	return rawClaims(func(s string) string {
		return strings.TrimSuffix(s, "}") + `,"pad":"` + strings.Repeat("a", max(n, 0)) + `"}`
	})
}

func toStd(token string) string {
	out := strings.NewReplacer("-", "+", "_", "/").Replace(token)
	if out == token {
		panic("token has no - or _")
	}
	return out
}

// nonCanonical sets a trailing bit in the last character of part i, which
// must have leftover bits (length % 4 of 2 or 3).
func nonCanonical(token string, i int) string {
	f := strings.Split(token, ".")
	p := f[i]
	if len(p)%4 < 2 {
		panic("part has no trailing bits")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, p[len(p)-1])
	f[i] = p[:len(p)-1] + string(alphabet[last|1])
	return strings.Join(f, ".")
}

// golangJWTToken signs c with golang-jwt, as another issuer might.
func golangJWTToken(c Claims) string {
	var m jwt.MapClaims
	d := json.NewDecoder(strings.NewReader(mustJSON(c)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		panic(err)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, m)
	t.Header["typ"] = TokenType
	t.Header["kid"] = kidA
	s, err := t.SignedString(keyA)
	if err != nil {
		panic(err)
	}
	return s
}

// goJoseToken signs c with go-jose.
func goJoseToken(c Claims) string {
	opts := (&jose.SignerOptions{}).WithType(TokenType).WithHeader("kid", kidA)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: keyA}, opts)
	if err != nil {
		panic(err)
	}
	obj, err := signer.Sign([]byte(mustJSON(c)))
	if err != nil {
		panic(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return s
}

// errorNames names every sentinel by its error class, the language-neutral
// name the vector files use (docs/TOKENS.md "Test vectors"), and is used
// to check that an error matches exactly the sentinels it should.
var errorNames = map[string]error{
	"not_configured": ErrNotConfigured, "malformed": ErrMalformed, "unknown_key": ErrUnknownKey,
	"signature": ErrSignature, "issuer": ErrIssuer, "audience": ErrAudience,
	"missing_claim": ErrMissingClaim, "expired": ErrExpired, "not_yet_valid": ErrNotYetValid,
	"issued_in_future": ErrIssuedInFuture, "license_unusable": ErrLicenseUnusable,
	"license_suspended": ErrLicenseSuspended, "license_cancelled": ErrLicenseCancelled,
	"license_expired": ErrLicenseExpired, "instance": ErrInstance,
	"invalid_instance": ErrInvalidInstance, "invalid_key_set": ErrInvalidKeySet,
}

func errorName(want error) string {
	for name, e := range errorNames {
		if e == want {
			return name
		}
	}
	panic("unnamed error " + want.Error())
}

// implied lists every sentinel an error of kind want matches.
func implied(want error) []error {
	switch want {
	case ErrMissingClaim:
		return []error{ErrMissingClaim, ErrMalformed}
	case ErrLicenseSuspended, ErrLicenseCancelled, ErrLicenseExpired:
		return []error{want, ErrLicenseUnusable}
	}
	return []error{want}
}

// matchesExactly reports whether err matches want and the sentinels it
// implies, and no other.
func matchesExactly(err, want error) bool {
	if want == nil || err == nil {
		return err == want
	}
	imp := implied(want)
	for _, e := range errorNames {
		isImplied := false
		for _, i := range imp {
			isImplied = isImplied || i == e
		}
		if errors.Is(err, e) != isImplied {
			return false
		}
	}
	return true
}

// run verifies c's token as c's options say.
func (c tcase) run(cacheSize int) (*Claims, error) {
	ks, err := ParseJWKS([]byte(c.jwks))
	if err != nil {
		return nil, err
	}
	return c.opts.verifier(ks, cacheSize).Verify(c.token)
}

func (o vopts) verifier(ks *KeySet, cacheSize int) *Verifier {
	opts := []Option{
		WithIssuer(o.Issuer), WithProduct(o.Product), WithCacheSize(cacheSize),
		WithClock(fixedClock(o.Now)), WithLeeway(time.Duration(o.LeewaySeconds) * time.Second),
	}
	if o.Instance != "" {
		opts = append(opts, WithInstance(o.Instance))
	}
	if o.LicenseTokens {
		opts = append(opts, WithLicenseTokens())
	}
	return New(ks, opts...)
}

func fixedClock(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}
