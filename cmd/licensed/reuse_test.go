package main

import (
	"net/http"
	"testing"
	"time"
)

// TestTokenReuse: validating the same answer again within the reuse window
// returns the token already signed for it, byte for byte; every change of
// the answer — suspension, resumption, renewal, seats, entitlements, the
// product's grace period and token TTL, a new activation of the instance —
// makes the very next validation sign a new token. On every shape: the
// embedded store with its in-process cache, PostgreSQL alone, and
// PostgreSQL behind Redis.
func TestTokenReuse(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		tn := policyTenant(t, env, "rankmath", 3, "--free-instances", "")
		admin := adminKey(t, env)
		expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
		key, id := provisionFor(t, s, tn, "jane@example.com", map[string]any{"expires_at": expires.Format(time.RFC3339)})
		expect(t, activateAs(t, s, tn, key, "example.org"), http.StatusCreated, "")

		// seen records every token handed out, to show each change signs
		// one never handed out before.
		seen := map[string]string{}
		both := []string{"example.org", ""} // an activation token and a license token
		same := func(step string, instances ...string) {
			t.Helper()
			for _, inst := range instances {
				first := validateAs(t, s, tn, key, inst).str("token")
				again := validateAs(t, s, tn, key, inst).str("token")
				if first == "" || again != first {
					t.Fatalf("%s, instance %q: validated twice, got two tokens (%.20s…, %.20s…)", step, inst, first, again)
				}
			}
		}
		fresh := func(step string, instances ...string) {
			t.Helper()
			for _, inst := range instances {
				tok := validateAs(t, s, tn, key, inst).str("token")
				if tok == "" {
					t.Fatalf("%s, instance %q: no token", step, inst)
				}
				if prev, ok := seen[tok]; ok {
					t.Fatalf("%s, instance %q: answered with the token of %q", step, inst, prev)
				}
				seen[tok] = step
			}
			same(step, instances...)
		}

		fresh("first", both...)
		steps := []struct {
			name         string
			method, path string
			auth         string
			body         any
		}{
			{"suspended", "POST", "/v1/licenses/" + id + "/suspend", tn.writeKey, nil},
			{"resumed", "POST", "/v1/licenses/" + id + "/resume", tn.writeKey, nil},
			{"renewed", "POST", "/v1/licenses/" + id + "/renew", tn.writeKey, map[string]any{"extend_by_days": 30}},
			{"seats", "PATCH", "/v1/licenses/" + id, tn.writeKey, map[string]any{"seats": 5}},
			{"entitlements", "PATCH", "/v1/licenses/" + id, tn.writeKey, map[string]any{"entitlements": []string{"pro", "updates"}}},
			{"grace", "PATCH", "/v1/brands/rankmath/products/rankmath-pro", admin, map[string]any{"grace_days": 7}},
			{"token ttl", "PATCH", "/v1/brands/rankmath/products/rankmath-pro", admin, map[string]any{"token_ttl_seconds": 3600}},
		}
		for _, st := range steps {
			expect(t, s.call(t, st.method, st.path, st.auth, st.body), http.StatusOK, "")
			if st.name == "suspended" {
				// A suspended license gets no activation token worth
				// reusing across resumption either: checked by fresh below.
				tok := validateAs(t, s, tn, key, "example.org")
				if tok.str("code") != "SUSPENDED" {
					t.Fatalf("after suspending: %s", tok.raw)
				}
			}
			fresh(st.name, both...)
		}

		// A new seat for the same instance is a new activation id, so a new
		// activation token; the license token says nothing of seats in use.
		expect(t, s.call(t, "POST", "/v1/deactivate", "", map[string]any{"license_key": key, "product": tn.ref(), "instance": "example.org"}), http.StatusOK, "")
		if v := validateAs(t, s, tn, key, "example.org"); v.str("code") != "NOT_ACTIVATED" || v.get("token") != nil {
			t.Fatalf("after deactivating: %s", v.raw)
		}
		expect(t, activateAs(t, s, tn, key, "example.org"), http.StatusCreated, "")
		fresh("re-activated", "example.org")
		same("re-activated", "")
	})
}
