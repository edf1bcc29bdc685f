package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestNotActivatedGetsNoToken: an instance that holds no seat gets no
// token, whatever the license's status; a seated one and a validation
// without instance still do.
func TestNotActivatedGetsNoToken(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "seat@example.com", "product": "rankmath-pro"})
		expect(t, r, http.StatusCreated, "")
		key, id := r.str("license_key"), r.str("license", "id")
		expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"}), http.StatusCreated, "")
		validate := func(instance string) response {
			body := map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"}
			if instance != "" {
				body["instance"] = instance
			}
			v := s.call(t, "POST", "/v1/validate", "", body)
			expect(t, v, http.StatusOK, "")
			return v
		}
		check := func(instance, code string, token bool) {
			t.Helper()
			v := validate(instance)
			_, has := v.body["token"]
			if v.str("code") != code || has != token {
				t.Fatalf("validate %q: %s, want code %s with token %v", instance, v.raw, code, token)
			}
			if token && strings.Count(v.str("token"), ".") != 2 {
				t.Fatalf("validate %q: token %q is no JWS", instance, v.str("token"))
			}
		}
		check("other.example", "NOT_ACTIVATED", false)
		check("example.org", "VALID", true)
		check("", "VALID", true)
		expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", rm.writeKey, nil), http.StatusOK, "")
		check("other.example", "SUSPENDED", false)
		check("example.org", "SUSPENDED", true)
	})
}

// TestRebuyAfterRefund: a cancelled license is replaced under a new key,
// which later purchases reuse; the cancelled one keeps its key and still
// answers CANCELLED; a license that is not cancelled stays 409.
func TestRebuyAfterRefund(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		mustCLI(t, env, "products", "create", "--brand", "rankmath", "--slug", "rankmath-agency", "--name", "Agency")
		provision := func(product string, extra ...string) response {
			body := map[string]any{"customer_email": "refund@example.com", "product": product}
			if len(extra) > 0 {
				body["new_key"] = true
			}
			return s.call(t, "POST", "/v1/licenses", rm.writeKey, body)
		}
		validate := func(key string) string {
			v := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"})
			expect(t, v, http.StatusOK, "")
			return v.str("code")
		}
		first := provision("rankmath-pro")
		expect(t, first, http.StatusCreated, "")
		k1, id1 := first.str("license_key"), first.str("license", "id")
		expect(t, provision("rankmath-pro"), http.StatusConflict, "license_exists")
		expect(t, s.call(t, "POST", "/v1/licenses/"+id1+"/cancel", rm.writeKey, map[string]any{"reason": "refund"}), http.StatusOK, "")

		again := provision("rankmath-pro")
		expect(t, again, http.StatusCreated, "")
		k2, id2 := again.str("license_key"), again.str("license", "id")
		if k2 == "" || k2 == k1 || id2 == id1 || again.str("license", "status") != "active" {
			t.Fatalf("re-buy: %s (first key %s)", again.raw, k1)
		}
		if got := validate(k1); got != "CANCELLED" {
			t.Fatalf("the refunded key validates %s, want CANCELLED", got)
		}
		if got := validate(k2); got != "VALID" {
			t.Fatalf("the new key validates %s, want VALID", got)
		}
		old := s.call(t, "GET", "/v1/licenses/"+id1, rm.readKey, nil)
		if old.str("status") != "cancelled" || old.str("license_key") != k1 {
			t.Fatalf("the cancelled license changed: %s", old.raw)
		}
		// The new key is the customer's latest: the next purchase reuses it.
		agency := provision("rankmath-agency")
		expect(t, agency, http.StatusCreated, "")
		if agency.str("license_key") != k2 {
			t.Fatalf("a later purchase got key %s, want the re-buy's %s", agency.str("license_key"), k2)
		}
		// Not cancelled (suspended here) is still a conflict naming it.
		expect(t, s.call(t, "POST", "/v1/licenses/"+id2+"/suspend", rm.writeKey, nil), http.StatusOK, "")
		c := provision("rankmath-pro")
		expect(t, c, http.StatusConflict, "license_exists")
		if c.str("license_id") != id2 {
			t.Fatalf("license_exists names %s, want %s", c.str("license_id"), id2)
		}
		// new_key always makes a fresh key, conflict or not.
		fresh := provision("rankmath-pro", "new_key")
		expect(t, fresh, http.StatusCreated, "")
		if k := fresh.str("license_key"); k == k1 || k == k2 {
			t.Fatalf("new_key reused a key")
		}
		events := s.call(t, "GET", "/v1/audit-events?license_id="+id2, rm.readKey, nil)
		if !strings.Contains(string(events.raw), `"replaces_cancelled":"`+id1+`"`) {
			t.Fatalf("the re-buy's audit event does not name the license it replaces: %s", events.raw)
		}
	})
}

// TestIdempotentReplayHeader: a replay says so; a first answer does not.
func TestIdempotentReplayHeader(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		body := map[string]any{"customer_email": "replay@example.com", "product": "rankmath-pro", "metadata": map[string]any{"a": 1, "b": 2}}
		first := s.call(t, "POST", "/v1/licenses", rm.writeKey, body, "Idempotency-Key", "order-1")
		expect(t, first, http.StatusCreated, "")
		if _, ok := first.header["Idempotent-Replayed"]; ok {
			t.Fatalf("a first answer carries Idempotent-Replayed: %v", first.header)
		}
		// The same JSON value, other member order and spacing.
		replay := s.call(t, "POST", "/v1/licenses", rm.writeKey,
			`{ "metadata": {"b":2,"a":1}, "product":"rankmath-pro", "customer_email":"replay@example.com" }`, "Idempotency-Key", "order-1")
		expect(t, replay, http.StatusCreated, "")
		if replay.header.Get("Idempotent-Replayed") != "true" || string(replay.raw) != string(first.raw) {
			t.Fatalf("replay: %v %s", replay.header, replay.raw)
		}
		other := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "replay@example.com", "product": "rankmath-pro", "seats": 2},
			"Idempotency-Key", "order-1")
		expect(t, other, http.StatusConflict, "idempotency_conflict")
		if _, ok := other.header["Idempotent-Replayed"]; ok {
			t.Fatal("a conflict carries Idempotent-Replayed")
		}
	})
}
