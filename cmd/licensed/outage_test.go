package main

import (
	"net/url"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/storetest"
)

// TestPostgresOutage: with PostgreSQL unreachable the service answers 503
// with Retry-After (never a panic, never a stale "valid"), /readyz says not
// ready, and it recovers by itself when the database returns.
func TestPostgresOutage(t *testing.T) {
	env := backends[1].env(t)
	proxy := storetest.StartProxy(t, env["LICENSED_DATABASE_URL"])
	u, _ := url.Parse(proxy.URL())
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	env["LICENSED_DATABASE_URL"] = u.String()

	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 2)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
	expect(t, r, 201, "")
	key, id := r.str("license_key"), r.str("license", "id")
	validate := func() response {
		return s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"})
	}
	expect(t, validate(), 200, "")

	proxy.Cut()
	for _, r := range []response{
		validate(),
		s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "a.example"}),
		s.call(t, "GET", "/v1/licenses/"+id, rm.readKey, nil),
		s.call(t, "GET", "/readyz", "", nil),
	} {
		expect(t, r, 503, "unavailable")
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After: %s", r.raw)
		}
	}
	expect(t, s.call(t, "GET", "/healthz", "", nil), 200, "")

	proxy.Restore()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if v := validate(); v.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not recover after the database came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	expect(t, s.call(t, "GET", "/readyz", "", nil), 200, "")
	expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", rm.writeKey, nil), 200, "")
	if v := validate(); v.str("code") != "SUSPENDED" {
		t.Fatalf("after recovery: %s", v.raw)
	}
}
