package verifier

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
)

// Benchmarks of one activation token (704 bytes), all in one run so
// their ratios are comparable (docs/PERFORMANCE.md):
//
//	go test -run '^$' -bench . -benchmem -count 5 ./verifier/
//
// The library benchmarks do what a product using the library directly
// would: parse, check the signature, decode the claims, check iss, aud and
// times.

func benchToken() string { return signed(baseClaims()) }

func benchVerifier(b *testing.B, cacheSize int) *Verifier {
	return New(mustKeys(b), WithIssuer(testIssuer), WithProduct(testProduct),
		WithInstance("example.org"), WithClock(fixedClock(testNow)), WithCacheSize(cacheSize))
}

func BenchmarkVerifyFirst(b *testing.B) {
	v, token := benchVerifier(b, 0), benchToken()
	for b.Loop() {
		if _, err := v.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRepeat(b *testing.B) {
	v, token := benchVerifier(b, DefaultCacheSize), benchToken()
	if _, err := v.Verify(token); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := v.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519Raw(b *testing.B) {
	token := benchToken()
	dot := strings.LastIndexByte(token, '.')
	msg, sig, pub := []byte(token[:dot]), signatureOf(token), pubOf(keyA)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad signature")
		}
	}
}

type jwtLicenseClaims struct {
	jwt.RegisteredClaims
	Status        string   `json:"status"`
	LicenseExpiry *int64   `json:"license_exp,omitempty"`
	Seats         int      `json:"seats"`
	Entitlements  []string `json:"entitlements"`
	Instance      string   `json:"instance,omitempty"`
	ActivationID  string   `json:"activation_id,omitempty"`
}

func golangJWTVerifier(pub ed25519.PublicKey) func(string) error {
	p := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(testIssuer),
		jwt.WithAudience(testProduct), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(DefaultLeeway), jwt.WithTimeFunc(fixedClock(testNow)))
	keyFunc := func(t *jwt.Token) (any, error) { return pub, nil }
	return func(token string) error {
		_, err := p.ParseWithClaims(token, &jwtLicenseClaims{}, keyFunc)
		return err
	}
}

func BenchmarkGolangJWT(b *testing.B) {
	token, verify := benchToken(), golangJWTVerifier(pubOf(keyA))
	for b.Loop() {
		if err := verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

type joseLicenseClaims struct {
	Status        string   `json:"status"`
	LicenseExpiry *int64   `json:"license_exp,omitempty"`
	Seats         int      `json:"seats"`
	Entitlements  []string `json:"entitlements"`
	Instance      string   `json:"instance,omitempty"`
	ActivationID  string   `json:"activation_id,omitempty"`
}

func goJoseVerifier(pub ed25519.PublicKey) func(string) error {
	want := josejwt.Expected{Issuer: testIssuer, AnyAudience: josejwt.Audience{testProduct}, Time: time.Unix(testNow, 0)}
	return func(token string) error {
		t, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			return err
		}
		var std josejwt.Claims
		var lic joseLicenseClaims
		if err := t.Claims(pub, &std, &lic); err != nil {
			return err
		}
		return std.ValidateWithLeeway(want, DefaultLeeway)
	}
}

func BenchmarkGoJose(b *testing.B) {
	token, verify := benchToken(), goJoseVerifier(pubOf(keyA))
	for b.Loop() {
		if err := verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInterleaved runs first-time Verify, raw ed25519.Verify,
// golang-jwt and go-jose in turn within each iteration, timing each, and
// reports their ratios to raw Ed25519. On a shared, noisy machine the
// separate benchmarks above run seconds apart under different load; here
// every contender sees the same load, so the ratios are much steadier.
func BenchmarkInterleaved(b *testing.B) {
	token := benchToken()
	dot := strings.LastIndexByte(token, '.')
	msg, sig, pub := []byte(token[:dot]), signatureOf(token), pubOf(keyA)
	v, jwtVerify, joseVerify := benchVerifier(b, 0), golangJWTVerifier(pub), goJoseVerifier(pub)
	contenders := []func() error{
		func() error { _, err := v.Verify(token); return err },
		func() error {
			if !ed25519.Verify(pub, msg, sig) {
				return ErrSignature
			}
			return nil
		},
		func() error { return jwtVerify(token) },
		func() error { return joseVerify(token) },
	}
	var spent [4]time.Duration
	n := 0
	for b.Loop() {
		for i := range contenders {
			j := (i + n) % len(contenders) // rotate the order: no contender always runs first
			start := time.Now()
			if err := contenders[j](); err != nil {
				b.Fatal(err)
			}
			spent[j] += time.Since(start)
		}
		n++
	}
	raw := float64(spent[1])
	b.ReportMetric(float64(spent[1])/float64(n), "raw-ns/op")
	b.ReportMetric(float64(spent[0])/raw, "verify/raw")
	b.ReportMetric(float64(spent[2])/raw, "golang-jwt/raw")
	b.ReportMetric(float64(spent[3])/raw, "go-jose/raw")
}

// BenchmarkParseOnly is VerifyFirst without ed25519.Verify: the lean
// path's own cost. Being small, it is measured far more stably than the
// difference of two noisy Ed25519-bound benchmarks.
func BenchmarkParseOnly(b *testing.B) {
	ks, token := mustKeys(b), benchToken()
	for b.Loop() {
		if _, err := parse(ks, token); err != nil {
			b.Fatal(err)
		}
	}
}
