package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// TestGracePeriod walks a license of a product with 3 grace days past its
// expiry with a frozen clock: GRACE (valid, a token carrying grace_until
// that the verifier accepts and reports as grace) until the second before
// grace ends, EXPIRED from that second on; during grace the seats it has
// are confirmed and a new instance is license_expired.
func TestGracePeriod(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		clk := newFrozenClock()
		s := serveWithClock(t, env, clk.Now)
		tn := policyTenant(t, env, "rankmath", 3, "--grace-days", "3", "--free-instances", "")
		expires := clk.Now().Add(time.Hour)
		graceEnd := expires.Add(3 * 24 * time.Hour)
		key, id := provisionFor(t, s, tn, "jane@example.com", map[string]any{"expires_at": expires.Format(time.RFC3339)})
		expect(t, activateAs(t, s, tn, key, "example.org"), http.StatusCreated, "")
		ks := s.keySet(t)

		// Before expiry the token already says when grace would end, and
		// its exp is the token TTL's, not capped at the license's expiry.
		c := verifyToken(t, ks, validateAs(t, s, tn, key, "example.org").str("token"), tn.ref(), "example.org")
		if c.GraceUntil == nil || *c.GraceUntil != graceEnd.Unix() || c.Expiry != clk.Now().Add(24*time.Hour).Unix() || c.Status != "active" {
			t.Fatalf("before expiry: %+v", c)
		}

		graced := func(instance string, wantExp time.Time) {
			t.Helper()
			v := validateAs(t, s, tn, key, instance)
			if v.str("code") != "GRACE" || v.get("valid") != true {
				t.Fatalf("in grace: %s", v.raw)
			}
			if st := v.get("licenses").([]any)[0].(map[string]any)["status"]; st != "expired" {
				t.Fatalf("status in grace %v", st)
			}
			opts := []verifier.Option{verifier.WithIssuer(testIssuer), verifier.WithProduct(tn.ref()), verifier.WithClock(clk.Now), verifier.WithLeeway(0)}
			if instance != "" {
				opts = append(opts, verifier.WithInstance(instance))
			} else {
				opts = append(opts, verifier.WithLicenseTokens())
			}
			c, err := verifier.New(ks, opts...).Verify(v.str("token"))
			if err != nil || !c.InGrace(clk.Now()) || c.Status != "expired" || *c.GraceUntil != graceEnd.Unix() ||
				*c.LicenseExpiry != expires.Unix() || c.Expiry != wantExp.Unix() {
				t.Fatalf("grace token: %v %+v", err, c)
			}
		}

		// An hour past expiry: grace.
		clk.Set(expires.Add(time.Hour))
		graced("example.org", clk.Now().Add(24*time.Hour))
		graced("", clk.Now().Add(24*time.Hour))
		all := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key})
		if all.str("code") != "GRACE" || all.get("valid") != true || all.get("token") != nil {
			t.Fatalf("validate without product: %s", all.raw)
		}
		// An instance without a seat is NOT_ACTIVATED, without a token.
		na := validateAs(t, s, tn, key, "other.example.org")
		if na.str("code") != "NOT_ACTIVATED" || na.get("valid") != false || na.get("token") != nil {
			t.Fatalf("unseated instance in grace: %s", na.raw)
		}
		// The seat it has is confirmed; a new one is refused, from either side.
		again := activateAs(t, s, tn, key, "example.org")
		expect(t, again, http.StatusOK, "")
		if c := verifyGraced(t, ks, clk, again.str("token"), tn); *c.GraceUntil != graceEnd.Unix() {
			t.Fatalf("re-activation token %+v", c)
		}
		expect(t, activateAs(t, s, tn, key, "new.example.org"), http.StatusForbidden, "license_expired")
		expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/activations", tn.writeKey, map[string]any{"instance": "machine-1"}), http.StatusForbidden, "license_expired")
		if l := s.call(t, "GET", "/v1/licenses/"+id, tn.readKey, nil); l.str("status") != "expired" {
			t.Fatalf("license in grace: %s", l.raw)
		}

		// The last second of grace: the token ends with grace.
		clk.Set(graceEnd.Add(-time.Second))
		graced("example.org", graceEnd)
		// Grace over: EXPIRED, no token, no seat confirmed.
		clk.Set(graceEnd)
		v := validateAs(t, s, tn, key, "example.org")
		if v.str("code") != "EXPIRED" || v.get("valid") != false || v.get("token") != nil {
			t.Fatalf("after grace: %s", v.raw)
		}
		expect(t, activateAs(t, s, tn, key, "example.org"), http.StatusForbidden, "license_expired")
		if v, _ := verifier.New(ks, verifier.WithIssuer(testIssuer), verifier.WithProduct(tn.ref()), verifier.WithInstance("example.org"),
			verifier.WithClock(clk.Now), verifier.WithLeeway(0)).Verify(again.str("token")); v != nil {
			t.Fatal("a grace token still verifies after grace")
		}

		// A suspended license gets no grace.
		key2, id2 := provisionFor(t, s, tn, "joe@example.com", map[string]any{"expires_at": clk.Now().Add(time.Hour).Format(time.RFC3339)})
		expect(t, s.call(t, "POST", "/v1/licenses/"+id2+"/suspend", tn.writeKey, nil), http.StatusOK, "")
		clk.Advance(2 * time.Hour)
		if v := validateAs(t, s, tn, key2, ""); v.str("code") != "SUSPENDED" || v.get("token") != nil {
			t.Fatalf("suspended past expiry: %s", v.raw)
		}
	})
}

func verifyGraced(t *testing.T, ks *verifier.KeySet, clk *frozenClock, token string, tn tenant) *verifier.Claims {
	t.Helper()
	c, err := verifier.New(ks, verifier.WithIssuer(testIssuer), verifier.WithProduct(tn.ref()), verifier.WithInstance("example.org"),
		verifier.WithClock(clk.Now)).Verify(token)
	if err != nil || !c.InGrace(clk.Now()) {
		t.Fatalf("graced token: %v", err)
	}
	return c
}
