package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

// TestBadInput sends every endpoint what a careless or hostile client
// would, and checks each gets its 4xx problem and writes nothing.
func TestBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		newTenant(t, env, "wprocket", 1)
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "keep@example.com", "product": "rankmath-pro"})
		expect(t, r, http.StatusCreated, "")
		key, id := r.str("license_key"), r.str("license", "id")
		lic := "/v1/licenses/" + id
		past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		big := `{"customer_email":"a@example.com","product":"rankmath-pro","metadata":{"x":"` + strings.Repeat("x", 70<<10) + `"}}`
		prov := func(extra string) string {
			return `{"customer_email":"bad@example.com","product":"rankmath-pro"` + extra + `}`
		}
		act := func(extra string) string {
			return `{"license_key":"` + key + `","product":"rankmath/rankmath-pro","instance":"example.org"` + extra + `}`
		}

		cases := []struct {
			name, method, path, apiKey, body string
			header                           []string
			status                           int
			code, field                      string
		}{
			{"malformed json", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":`, nil, 400, "invalid_json", ""},
			{"array body", "POST", "/v1/licenses", rm.writeKey, `[]`, nil, 400, "invalid_json", ""},
			{"string body", "POST", "/v1/licenses", rm.writeKey, `"x"`, nil, 400, "invalid_json", ""},
			{"empty body", "POST", "/v1/licenses", rm.writeKey, ``, nil, 400, "invalid_json", ""},
			{"two values", "POST", "/v1/licenses", rm.writeKey, prov("") + `{}`, nil, 400, "invalid_json", ""},
			{"email wrong type", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":5,"product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"seats wrong type", "POST", "/v1/licenses", rm.writeKey, prov(`,"seats":"5"`), nil, 422, "validation_failed", "seats"},
			{"unknown field", "POST", "/v1/licenses", rm.writeKey, prov(`,"colour":"red"`), nil, 422, "validation_failed", "colour"},
			{"missing email", "POST", "/v1/licenses", rm.writeKey, `{"product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"missing product", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"bad@example.com"}`, nil, 422, "validation_failed", "product"},
			{"email without at", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"jane.example.com","product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"email without dot", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"jane@localhost","product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"email with space", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"ja ne@example.com","product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"email two ats", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"a@b@example.com","product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"email local too long", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"` + strings.Repeat("a", 65) + `@example.com","product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"email too long", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"a@` + strings.Repeat("b", 250) + `.com","product":"rankmath-pro"}`, nil, 422, "validation_failed", "customer_email"},
			{"seats zero", "POST", "/v1/licenses", rm.writeKey, prov(`,"seats":0`), nil, 422, "validation_failed", "seats"},
			{"seats negative", "POST", "/v1/licenses", rm.writeKey, prov(`,"seats":-1`), nil, 422, "validation_failed", "seats"},
			{"seats absurd", "POST", "/v1/licenses", rm.writeKey, prov(`,"seats":100001`), nil, 422, "validation_failed", "seats"},
			{"seats overflow", "POST", "/v1/licenses", rm.writeKey, prov(`,"seats":1e30`), nil, 422, "validation_failed", "seats"},
			{"seats fraction", "POST", "/v1/licenses", rm.writeKey, prov(`,"seats":1.5`), nil, 422, "validation_failed", "seats"},
			{"past expiry", "POST", "/v1/licenses", rm.writeKey, prov(`,"expires_at":"` + past + `"`), nil, 422, "validation_failed", "expires_at"},
			{"expiry not a time", "POST", "/v1/licenses", rm.writeKey, prov(`,"expires_at":"tomorrow"`), nil, 422, "validation_failed", "expires_at"},
			{"entitlement upper case", "POST", "/v1/licenses", rm.writeKey, prov(`,"entitlements":["Pro"]`), nil, 422, "validation_failed", "entitlements"},
			{"entitlements not strings", "POST", "/v1/licenses", rm.writeKey, prov(`,"entitlements":[1]`), nil, 422, "validation_failed", "entitlements"},
			{"metadata array", "POST", "/v1/licenses", rm.writeKey, prov(`,"metadata":[]`), nil, 422, "validation_failed", "metadata"},
			{"metadata too big", "POST", "/v1/licenses", rm.writeKey, prov(`,"metadata":{"x":"` + strings.Repeat("x", 4100) + `"}`), nil, 422, "validation_failed", "metadata"},
			{"unknown product", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"bad@example.com","product":"nope"}`, nil, 422, "validation_failed", "product"},
			{"other brand's product", "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"bad@example.com","product":"wprocket-pro"}`, nil, 422, "validation_failed", "product"},
			{"oversized body", "POST", "/v1/licenses", rm.writeKey, big, nil, 413, "payload_too_large", ""},
			{"wrong content type", "POST", "/v1/licenses", rm.writeKey, prov(""), []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type", ""},
			{"no content type", "POST", "/v1/licenses", rm.writeKey, prov(""), []string{"Content-Type", ""}, 415, "unsupported_media_type", ""},
			{"idempotency key too long", "POST", "/v1/licenses", rm.writeKey, prov(""), []string{"Idempotency-Key", strings.Repeat("k", 256)}, 422, "validation_failed", "Idempotency-Key"},
			{"no api key", "POST", "/v1/licenses", "", prov(""), nil, 401, "unauthorized", ""},
			{"wrong api key", "POST", "/v1/licenses", "lk_nope_nope", prov(""), nil, 401, "unauthorized", ""},
			{"read key writes", "POST", "/v1/licenses", rm.readKey, prov(""), nil, 403, "forbidden", ""},

			{"activate missing key", "POST", "/v1/activate", "", `{"product":"rankmath/rankmath-pro","instance":"example.org"}`, nil, 422, "validation_failed", "license_key"},
			{"activate product without brand", "POST", "/v1/activate", "", `{"license_key":"` + key + `","product":"rankmath-pro","instance":"example.org"}`, nil, 422, "validation_failed", "product"},
			{"activate url without host", "POST", "/v1/activate", "", act(`,"instance":"https://"`), nil, 422, "validation_failed", "instance"},
			{"activate missing instance", "POST", "/v1/activate", "", `{"license_key":"` + key + `","product":"rankmath/rankmath-pro"}`, nil, 422, "validation_failed", "instance"},
			{"activate long name", "POST", "/v1/activate", "", act(`,"instance_name":"` + strings.Repeat("n", 201) + `"`), nil, 422, "validation_failed", "instance_name"},
			{"activate unknown field", "POST", "/v1/activate", "", act(`,"seats":2`), nil, 422, "validation_failed", "seats"},
			{"activate wrong type", "POST", "/v1/activate", "", `{"license_key":5}`, nil, 422, "validation_failed", "license_key"},
			{"activate malformed", "POST", "/v1/activate", "", `{`, nil, 400, "invalid_json", ""},
			{"activate empty", "POST", "/v1/activate", "", ``, nil, 400, "invalid_json", ""},
			{"activate wrong content type", "POST", "/v1/activate", "", act(""), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", ""},
			{"activate oversized", "POST", "/v1/activate", "", big, nil, 413, "payload_too_large", ""},
			{"activate key too long", "POST", "/v1/activate", "", `{"license_key":"` + strings.Repeat("K", 65) + `","product":"rankmath/rankmath-pro","instance":"x.org"}`, nil, 422, "validation_failed", "license_key"},
			{"validate instance without product", "POST", "/v1/validate", "", `{"license_key":"` + key + `","instance":"example.org"}`, nil, 422, "validation_failed", "instance"},
			{"validate malformed product", "POST", "/v1/validate", "", `{"license_key":"` + key + `","product":"a/b/c"}`, nil, 422, "validation_failed", "product"},
			{"deactivate missing instance", "POST", "/v1/deactivate", "", `{"license_key":"` + key + `","product":"rankmath/rankmath-pro"}`, nil, 422, "validation_failed", "instance"},
			{"deactivate nothing active", "POST", "/v1/deactivate", "", act(""), nil, 404, "activation_not_found", ""},

			{"patch seats zero", "PATCH", lic, rm.writeKey, `{"seats":0}`, nil, 422, "validation_failed", "seats"},
			{"patch seats null", "PATCH", lic, rm.writeKey, `{"seats":null}`, nil, 422, "validation_failed", "seats"},
			{"patch metadata array", "PATCH", lic, rm.writeKey, `{"metadata":[1]}`, nil, 422, "validation_failed", "metadata"},
			{"patch entitlements string", "PATCH", lic, rm.writeKey, `{"entitlements":"pro"}`, nil, 422, "validation_failed", "entitlements"},
			{"patch unknown field", "PATCH", lic, rm.writeKey, `{"status":"active"}`, nil, 422, "validation_failed", "status"},
			{"renew both", "POST", lic + "/renew", rm.writeKey, `{"extend_by_days":1,"expires_at":"2099-01-01T00:00:00Z"}`, nil, 422, "validation_failed", "expires_at"},
			{"renew neither", "POST", lic + "/renew", rm.writeKey, `{}`, nil, 422, "validation_failed", "expires_at"},
			{"renew zero days", "POST", lic + "/renew", rm.writeKey, `{"extend_by_days":0}`, nil, 422, "validation_failed", "extend_by_days"},
			{"renew too many days", "POST", lic + "/renew", rm.writeKey, `{"extend_by_days":3651}`, nil, 422, "validation_failed", "extend_by_days"},
			{"renew perpetual", "POST", lic + "/renew", rm.writeKey, `{"extend_by_days":30}`, nil, 422, "validation_failed", "expires_at"},
			{"suspend long reason", "POST", lic + "/suspend", rm.writeKey, `{"reason":"` + strings.Repeat("r", 501) + `"}`, nil, 422, "validation_failed", "reason"},
			{"cancel reason wrong type", "POST", lic + "/cancel", rm.writeKey, `{"reason":1}`, nil, 422, "validation_failed", "reason"},
			{"resume unknown body", "POST", lic + "/resume", rm.writeKey, `{"now":true}`, nil, 422, "validation_failed", "now"},
			{"search bad email", "POST", "/v1/licenses/search", rm.readKey, `{"customer_email":"nope"}`, nil, 422, "validation_failed", "customer_email"},
			{"search limit zero", "POST", "/v1/licenses/search", rm.readKey, `{"customer_email":"a@example.com","limit":0}`, nil, 422, "validation_failed", "limit"},
			{"search limit too big", "POST", "/v1/licenses/search", rm.readKey, `{"customer_email":"a@example.com","limit":501}`, nil, 422, "validation_failed", "limit"},
			{"search bad cursor", "POST", "/v1/licenses/search", rm.readKey, `{"customer_email":"a@example.com","cursor":"zzz"}`, nil, 422, "validation_failed", "cursor"},
			{"audit bad limit", "GET", "/v1/audit-events?limit=abc", rm.readKey, ``, nil, 422, "validation_failed", "limit"},
			{"audit bad license id", "GET", "/v1/audit-events?license_id=xyz", rm.readKey, ``, nil, 422, "validation_failed", "license_id"},
			{"license id not a uuid", "GET", "/v1/licenses/xyz", rm.readKey, ``, nil, 404, "not_found", ""},
			{"unknown route", "GET", "/v2/licenses", rm.readKey, ``, nil, 404, "not_found", ""},
			{"wrong method", "PUT", "/v1/licenses", rm.writeKey, prov(""), nil, 405, "method_not_allowed", ""},
			{"post on a license", "POST", lic, rm.writeKey, `{}`, nil, 405, "method_not_allowed", ""},
			{"unknown action", "POST", lic + "/explode", rm.writeKey, `{}`, nil, 404, "not_found", ""},
		}
		before := s.rowCounts(t, "rankmath")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var body any
				if c.body != "" {
					body = c.body
				}
				r := s.call(t, c.method, c.path, c.apiKey, body, c.header...)
				expect(t, r, c.status, c.code)
				if c.field != "" && !hasFieldError(r, c.field) {
					t.Fatalf("no field error for %q: %s", c.field, r.raw)
				}
				if c.status == 405 && r.header.Get("Allow") == "" {
					t.Fatal("405 without Allow")
				}
			})
		}
		if after := s.rowCounts(t, "rankmath"); after != before {
			t.Fatalf("bad requests wrote rows: before %+v, after %+v", before, after)
		}
		if got := s.call(t, "GET", lic, rm.readKey, nil); got.str("status") != "active" || got.num("seats") != 1 {
			t.Fatalf("license changed by bad requests: %s", got.raw)
		}
	})
}

func hasFieldError(r response, field string) bool {
	errs, _ := r.get("errors").([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field && m["message"] != "" {
			return true
		}
	}
	return false
}

// counts are rows a request may have written.
type counts struct {
	licenses, audit, activations int
}

// rowCounts reads what is in the store for one brand, straight from it.
func (s *testServer) rowCounts(t *testing.T, brand string) counts {
	t.Helper()
	ctx := context.Background()
	b, err := s.store.BrandBySlug(ctx, brand)
	if err != nil {
		t.Fatal(err)
	}
	events, err := s.store.AuditEvents(ctx, b.ID, store.AuditFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var c counts
	c.audit = len(events)
	seen := map[string]bool{}
	for _, e := range events {
		if e.LicenseID == "" || seen[e.LicenseID] {
			continue
		}
		seen[e.LicenseID] = true
		l, err := s.store.LicenseByID(ctx, b.ID, e.LicenseID)
		if err != nil {
			t.Fatal(err)
		}
		c.licenses++
		c.activations += l.SeatsUsed
	}
	for _, email := range []string{"bad@example.com", "a@example.com"} {
		found, err := s.store.SearchLicenses(ctx, store.LicenseFilter{Email: email, AllBrands: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		c.licenses += len(found)
	}
	return c
}
