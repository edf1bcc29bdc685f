package main

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

const testIssuer = "https://licensed.test"

// TestLicensingJourney walks US1 → US3 → US4 → US6 over HTTP against the
// real server on each backend, verifying every token offline.
func TestLicensingJourney(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 2)
		mustCLI(t, env, "products", "create", "--brand", "rankmath", "--slug", "rankmath-agency", "--name", "Agency")
		expires := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)

		// US1: provision.
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{
			"customer_email": "  Jane+wp@Example.COM ", "product": "rankmath-pro", "seats": 3,
			"expires_at": expires.Format(time.RFC3339), "entitlements": []string{"pro"}, "metadata": map[string]any{"order": "A-1"},
		})
		expect(t, r, http.StatusCreated, "")
		key := r.str("license_key")
		id := r.str("license", "id")
		if !strings.HasPrefix(key, "LK-") || r.str("license", "license_key") != key {
			t.Fatalf("license key %q / %q", key, r.str("license", "license_key"))
		}
		if got := r.str("license", "customer_email"); got != "jane+wp@example.com" {
			t.Fatalf("email stored as %q", got)
		}
		if r.str("license", "license_key_hint") != "…"+key[len(key)-4:] || r.str("license", "status") != "active" ||
			r.num("license", "seats") != 3 || r.num("license", "seats_used") != 0 ||
			r.str("license", "expires_at") != expires.Format(time.RFC3339) || r.str("license", "product") != "rankmath-pro" ||
			r.str("license", "brand") != "rankmath" || r.str("license", "metadata", "order") != "A-1" {
			t.Fatalf("provisioned license %s", r.raw)
		}

		// One key unlocks every product of the brand; new_key forces another.
		r2 := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane+wp@example.com", "product": "rankmath-agency"})
		expect(t, r2, http.StatusCreated, "")
		if r2.str("license_key") != key || r2.get("license", "expires_at") != nil || r2.num("license", "seats") != 1 {
			t.Fatalf("second product: %s", r2.raw)
		}
		dup := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "JANE+wp@example.com", "product": "rankmath-pro"})
		expect(t, dup, http.StatusConflict, "license_exists")
		if dup.str("license_id") != id {
			t.Fatalf("license_exists names %q, want %q", dup.str("license_id"), id)
		}
		fresh := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane+wp@example.com", "product": "rankmath-pro", "new_key": true})
		expect(t, fresh, http.StatusCreated, "")
		if fresh.str("license_key") == key {
			t.Fatal("new_key reused the key")
		}

		got := s.call(t, "GET", "/v1/licenses/"+id, rm.readKey, nil)
		expect(t, got, http.StatusOK, "")
		if got.str("license_key") != key || got.str("id") != id {
			t.Fatalf("GET license: %s", got.raw)
		}

		// US3: activate, typed the way a customer might.
		ks := s.keySet(t)
		act := s.call(t, "POST", "/v1/activate", "", map[string]any{
			"license_key": " " + strings.ToLower(key) + " ", "product": "rankmath/rankmath-pro",
			"instance": "https://WWW.Example.org/", "instance_name": "Jane's blog",
		})
		expect(t, act, http.StatusCreated, "")
		if act.str("activation", "instance") != "example.org" || act.str("activation", "instance_name") != "Jane's blog" ||
			act.str("activation", "license_id") != id || act.str("license", "product") != "rankmath/rankmath-pro" ||
			act.num("license", "seats_used") != 1 || act.get("license", "customer_email") != nil {
			t.Fatalf("activation %s", act.raw)
		}
		c := verifyToken(t, ks, act.str("token"), "rankmath/rankmath-pro", "http://example.org")
		checkClaims(t, c, id, 3, expires)
		if c.Instance != "example.org" || c.ActivationID != act.str("activation", "id") || c.Expiry-c.IssuedAt != 86400 {
			t.Fatalf("activation token claims %+v", c)
		}
		again := s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"})
		expect(t, again, http.StatusOK, "")
		if again.num("license", "seats_used") != 1 || again.str("activation", "id") != act.str("activation", "id") {
			t.Fatalf("re-activation used a second seat: %s", again.raw)
		}

		// US4: validate.
		v := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "https://example.org"})
		expect(t, v, http.StatusOK, "")
		if v.get("valid") != true || v.str("code") != "VALID" {
			t.Fatalf("validate: %s", v.raw)
		}
		if c := verifyToken(t, ks, v.str("token"), "rankmath/rankmath-pro", "example.org"); c.ActivationID == "" {
			t.Fatal("validation naming an activated instance gave no activation token")
		}
		lic := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"})
		if c := verifyToken(t, ks, lic.str("token"), "rankmath/rankmath-pro", ""); c.Instance != "" || c.ActivationID != "" {
			t.Fatalf("license token carries an instance: %+v", c)
		}
		na := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "other.example"})
		if _, has := na.body["token"]; has || na.get("valid") != false || na.str("code") != "NOT_ACTIVATED" {
			t.Fatalf("unactivated instance: %s", na.raw)
		}
		all := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key})
		if _, has := all.body["token"]; has || all.str("code") != "VALID" || len(all.get("licenses").([]any)) != 2 {
			t.Fatalf("validate without product: %s", all.raw)
		}
		expect(t, s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": "LK-NOPE"}), http.StatusNotFound, "license_not_found")
		expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/other", "instance": "x.org"}), http.StatusNotFound, "license_not_found")

		// US6: search, within the brand and across brands.
		wr := newTenant(t, env, "wprocket", 1)
		all2 := mustCLI(t, env, "api-keys", "create", "--brand", "wprocket", "--name", "all", "--scopes", "licenses:read:all")
		platform := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "licenses:read:all")
		expect(t, s.call(t, "POST", "/v1/licenses", wr.writeKey, map[string]any{"customer_email": "jane+wp@example.com", "product": "wprocket-pro"}), http.StatusCreated, "")

		own := s.call(t, "POST", "/v1/licenses/search", rm.readKey, map[string]any{"customer_email": "Jane+WP@example.com"})
		expect(t, own, http.StatusOK, "")
		if n := len(own.get("data").([]any)); n != 3 {
			t.Fatalf("own-brand search found %d, want 3: %s", n, own.raw)
		}
		for _, l := range own.get("data").([]any) {
			if l.(map[string]any)["license_key"] == nil || l.(map[string]any)["brand"] != "rankmath" {
				t.Fatalf("own-brand search result %v", l)
			}
		}
		cross := s.call(t, "POST", "/v1/licenses/search", all2["key"].(string), map[string]any{"customer_email": "jane+wp@example.com"})
		checkCrossBrandSearch(t, cross, 4, "wprocket")
		checkCrossBrandSearch(t, s.call(t, "POST", "/v1/licenses/search", platform["key"].(string), map[string]any{"customer_email": "jane+wp@example.com"}), 4, "")
		page := s.call(t, "POST", "/v1/licenses/search", all2["key"].(string), map[string]any{"customer_email": "jane+wp@example.com", "limit": 3})
		next := s.call(t, "POST", "/v1/licenses/search", all2["key"].(string), map[string]any{"customer_email": "jane+wp@example.com", "limit": 3, "cursor": page.str("next_cursor")})
		if len(page.get("data").([]any)) != 3 || len(next.get("data").([]any)) != 1 || next.get("next_cursor") != nil {
			t.Fatalf("paging: %s then %s", page.raw, next.raw)
		}
		none := s.call(t, "POST", "/v1/licenses/search", rm.readKey, map[string]any{"customer_email": "nobody@example.com"})
		if none.get("data") == nil || len(none.get("data").([]any)) != 0 || none.get("next_cursor") != nil {
			t.Fatalf("unknown email: %s", none.raw)
		}
	})
}

func checkCrossBrandSearch(t *testing.T, r response, want int, ownBrand string) {
	t.Helper()
	expect(t, r, http.StatusOK, "")
	data := r.get("data").([]any)
	if len(data) != want {
		t.Fatalf("cross-brand search found %d, want %d", len(data), want)
	}
	for _, x := range data {
		l := x.(map[string]any)
		_, hasKey := l["license_key"]
		_, hasMeta := l["metadata"]
		if own := l["brand"] == ownBrand; hasKey != own || hasMeta != own || l["license_key_hint"] == nil {
			t.Fatalf("brand %v seen by %q: key %v metadata %v", l["brand"], ownBrand, hasKey, hasMeta)
		}
	}
}

func (s *testServer) keySet(t *testing.T) *verifier.KeySet {
	t.Helper()
	r := s.call(t, "GET", "/.well-known/jwks.json", "", nil)
	expect(t, r, http.StatusOK, "")
	ks, err := verifier.ParseJWKS(r.raw)
	if err != nil {
		t.Fatalf("JWKS: %v\n%s", err, r.raw)
	}
	return ks
}

func verifyToken(t *testing.T, ks *verifier.KeySet, token, product, instance string) *verifier.Claims {
	t.Helper()
	opts := []verifier.Option{verifier.WithIssuer(testIssuer), verifier.WithProduct(product)}
	if instance != "" {
		opts = append(opts, verifier.WithInstance(instance))
	} else {
		opts = append(opts, verifier.WithLicenseTokens())
	}
	c, err := verifier.New(ks, opts...).Verify(token)
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	checkTokenShape(t, token)
	return c
}

// checkTokenShape: the header holds exactly alg, typ and kid, and nothing
// personal is in the payload.
func checkTokenShape(t *testing.T, token string) {
	t.Helper()
	parts := strings.Split(token, ".")
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	for _, member := range []string{`"alg":"EdDSA"`, `"typ":"license+jwt"`, `"kid":`} {
		if !strings.Contains(string(header), member) {
			t.Fatalf("header %s lacks %s", header, member)
		}
	}
	if strings.Count(string(header), ":") != 3 {
		t.Fatalf("header has extra members: %s", header)
	}
	for _, secret := range []string{"@", "LK-", "email"} {
		if strings.Contains(string(payload), secret) {
			t.Fatalf("token payload holds %q: %s", secret, payload)
		}
	}
}

func checkClaims(t *testing.T, c *verifier.Claims, licenseID string, seats int, expires time.Time) {
	t.Helper()
	now := time.Now().Unix()
	if c.Subject != licenseID || c.Status != "active" || c.Seats != seats || !slices.Equal(c.Entitlements, []string{"pro"}) ||
		c.LicenseExpiry == nil || *c.LicenseExpiry != expires.Unix() || c.NotBefore != c.IssuedAt ||
		c.IssuedAt > now+1 || c.IssuedAt < now-60 || c.ID == "" || c.Issuer != testIssuer {
		t.Fatalf("claims %+v", c)
	}
}
