package verifier_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// jwks is the service's GET /.well-known/jwks.json, embedded in the
// product at build time so that verification needs no network.
const jwks = `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"A_kYXyFZqtUUwa362LsdHWIOiblBXMXYGh5TSlrMLU0","kid":"Zhow0uELvEdQYXpV0ejzU8GA64ka40MMGDV8CxzQBvM","alg":"EdDSA","use":"sig"}]}`

// activationToken is what POST /v1/activate returned for example.org.
const activationToken = "eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urand0Iiwia2lkIjoiWmhvdzB1RUx2RWRRWVhwVjBlanpVOEdBNjRrYTQwTU1HRFY4Q3h6UUJ2TSJ9." +
	"eyJpc3MiOiJodHRwczovL2xpY2Vuc2VkLmV4YW1wbGUuY29tIiwic3ViIjoiMDE5NGY3YTItN2M0ZS03YjNhLTlkMmUtNWYxYTJiM2M0ZDVlIiwiYXVkIjoicmFua21hdGgvcmFua21hdGgtcHJvIiwiaWF0IjoxNzY3MjIyMDAwLCJuYmYiOjE3NjcyMjIwMDAsImV4cCI6MTc2NzgyNjgwMCwianRpIjoiMDE5NGY3YTMtMTExMS03YWFhLThiYmItMDEyMzQ1Njc4OWFiIiwic3RhdHVzIjoiYWN0aXZlIiwibGljZW5zZV9leHAiOjE3OTg3NjE2MDAsInNlYXRzIjo1LCJlbnRpdGxlbWVudHMiOlsicHJvIiwidXBkYXRlcyJdLCJpbnN0YW5jZSI6ImV4YW1wbGUub3JnIiwiYWN0aXZhdGlvbl9pZCI6IjAxOTRmN2EzLTIyMjItN2NjYy04ZGRkLTAxMjM0NTY3ODlhYiJ9." +
	"EFUl8sKM5zGTL6NNTF3TQOyBSxLag_kC22iGjnRUQJVkQYNzFVcIMLVAvM5yderviGOCrLI46phG9dbPvpB3Dg"

// suspendedToken is the token a validation returned after the brand
// suspended the license.
const suspendedToken = "eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urand0Iiwia2lkIjoiWmhvdzB1RUx2RWRRWVhwVjBlanpVOEdBNjRrYTQwTU1HRFY4Q3h6UUJ2TSJ9." +
	"eyJpc3MiOiJodHRwczovL2xpY2Vuc2VkLmV4YW1wbGUuY29tIiwic3ViIjoiMDE5NGY3YTItN2M0ZS03YjNhLTlkMmUtNWYxYTJiM2M0ZDVlIiwiYXVkIjoicmFua21hdGgvcmFua21hdGgtcHJvIiwiaWF0IjoxNzY3MjIyMDAwLCJuYmYiOjE3NjcyMjIwMDAsImV4cCI6MTc2NzgyNjgwMCwianRpIjoiMDE5NGY3YTMtMTExMS03YWFhLThiYmItMDEyMzQ1Njc4OWFiIiwic3RhdHVzIjoic3VzcGVuZGVkIiwibGljZW5zZV9leHAiOjE3OTg3NjE2MDAsInNlYXRzIjo1LCJlbnRpdGxlbWVudHMiOlsicHJvIiwidXBkYXRlcyJdLCJpbnN0YW5jZSI6ImV4YW1wbGUub3JnIiwiYWN0aXZhdGlvbl9pZCI6IjAxOTRmN2EzLTIyMjItN2NjYy04ZGRkLTAxMjM0NTY3ODlhYiJ9." +
	"n8L58mcARnsEMR6p14CHWrC_Xfv13J152zDOxaM5fBICoHKpiCjY3GK1jo80RW9TAghT6ThEDitRNK3U0J6lAA"

// newVerifier builds the Verifier a product keeps for its lifetime. The
// clock is fixed so that the examples' output does not change; a product
// leaves it out and gets time.Now.
func newVerifier() *verifier.Verifier {
	keys, err := verifier.ParseJWKS([]byte(jwks))
	if err != nil {
		panic(err)
	}
	return verifier.New(keys,
		verifier.WithIssuer("https://licensed.example.com"),
		verifier.WithProduct("rankmath/rankmath-pro"),
		verifier.WithInstance("https://www.example.org/"), // this site, as WordPress spells it
		verifier.WithClock(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }),
	)
}

// Offline verification of an activation token against an embedded JWKS.
func Example() {
	v := newVerifier()
	claims, err := v.Verify(activationToken)
	if err != nil {
		fmt.Println("not licensed:", err)
		return
	}
	fmt.Println("licensed for", claims.Instance)
	fmt.Println("pro features:", claims.Has("pro"))
	fmt.Println("seats:", claims.Seats)
	fmt.Println("token valid until", time.Unix(claims.Expiry, 0).UTC().Format(time.DateOnly))
	// Output:
	// licensed for example.org
	// pro features: true
	// seats: 5
	// token valid until 2026-01-07
}

// A suspended license: the token is authentic, so Verify returns its
// claims along with the error, and the product can say what happened.
func ExampleVerifier_Verify_suspended() {
	v := newVerifier()
	claims, err := v.Verify(suspendedToken)
	switch {
	case errors.Is(err, verifier.ErrLicenseSuspended):
		fmt.Printf("license %s is suspended; renew or contact support\n", claims.Subject)
	case errors.Is(err, verifier.ErrLicenseUnusable):
		fmt.Println("license not usable:", claims.Status)
	case err != nil:
		fmt.Println("invalid token:", err)
	default:
		fmt.Println("licensed")
	}
	// Output:
	// license 0194f7a2-7c4e-7b3a-9d2e-5f1a2b3c4d5e is suspended; renew or contact support
}

// Each failure has its own error: here a tampered token.
func ExampleVerifier_Verify_forged() {
	v := newVerifier()
	tampered := activationToken[:len(activationToken)-2] + "Dw"
	_, err := v.Verify(tampered)
	fmt.Println(errors.Is(err, verifier.ErrSignature), err)
	// Output:
	// true verifier: invalid signature
}

func ExampleNormalizeInstance() {
	for _, in := range []string{
		"https://WWW.Example.org/",
		"http://example.org:80",
		"Example.org/blog/",
		"https://user@example.org:8443/shop/?ref=x#top",
		"4C4C4544-0042-3510-8052-B4C04F4E4D32",
		"https://",
	} {
		out, err := verifier.NormalizeInstance(in)
		fmt.Printf("%q -> %q %v\n", in, out, err)
	}
	// Output:
	// "https://WWW.Example.org/" -> "example.org" <nil>
	// "http://example.org:80" -> "example.org" <nil>
	// "Example.org/blog/" -> "example.org/blog" <nil>
	// "https://user@example.org:8443/shop/?ref=x#top" -> "example.org:8443/shop" <nil>
	// "4C4C4544-0042-3510-8052-B4C04F4E4D32" -> "4C4C4544-0042-3510-8052-B4C04F4E4D32" <nil>
	// "https://" -> "" verifier: invalid instance: no host
}

// graceToken is a token of a license that expired a day before the
// examples' clock, with a grace period of a week.
const graceToken = "eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urand0Iiwia2lkIjoiWmhvdzB1RUx2RWRRWVhwVjBlanpVOEdBNjRrYTQwTU1HRFY4Q3h6UUJ2TSJ9." +
	"eyJpc3MiOiJodHRwczovL2xpY2Vuc2VkLmV4YW1wbGUuY29tIiwic3ViIjoiMDE5NGY3YTItN2M0ZS03YjNhLTlkMmUtNWYxYTJiM2M0ZDVlIiwiYXVkIjoicmFua21hdGgvcmFua21hdGgtcHJvIiwiaWF0IjoxNzY3MjIyMDAwLCJuYmYiOjE3NjcyMjIwMDAsImV4cCI6MTc2NzgyNjgwMCwianRpIjoiMDE5NGY3YTMtMTExMS03YWFhLThiYmItMDEyMzQ1Njc4OWFiIiwic3RhdHVzIjoiYWN0aXZlIiwibGljZW5zZV9leHAiOjE3NjcxMzkyMDAsImdyYWNlX3VudGlsIjoxNzY3NzQ0MDAwLCJzZWF0cyI6NSwiZW50aXRsZW1lbnRzIjpbInBybyIsInVwZGF0ZXMiXSwiaW5zdGFuY2UiOiJleGFtcGxlLm9yZyIsImFjdGl2YXRpb25faWQiOiIwMTk0ZjdhMy0yMjIyLTdjY2MtOGRkZC0wMTIzNDU2Nzg5YWIifQ." +
	"W3G8_T-IP7lf8WeghOctdjxRtID5rUQhngeF8htTdpvVjOEZLXVInln0_3VUX5yRMIWMgcG3zHV4C-tY36yFBg"

// A license in its grace period verifies (no error), so the product keeps
// working; InGrace tells it to ask for renewal.
func ExampleClaims_InGrace() {
	v := newVerifier()
	claims, err := v.Verify(graceToken)
	if err != nil {
		fmt.Println("not licensed:", err)
		return
	}
	if claims.InGrace(v.Now()) {
		ends, _ := claims.GraceEnds()
		fmt.Println("licensed, but expired: renew before", ends.UTC().Format(time.DateOnly))
	}
	// Output:
	// licensed, but expired: renew before 2026-01-07
}
