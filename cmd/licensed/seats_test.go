package main

import (
	"net/http"
	"testing"
	"time"
)

// TestSeatRecovery: a customer lists where their seats are used
// (POST /v1/activations) and frees the seat of a site they can no longer
// reach by its activation id (POST /v1/deactivate), on every store. Another
// license's activation, of the same brand or of another, is
// activation_not_found and changes nothing; the input is exactly one of
// instance and activation_id; the deactivation is audited.
func TestSeatRecovery(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 3)
		wr := newTenant(t, env, "wprocket", 3)
		provision := func(tn tenant, email string) (id, key string) {
			r := s.call(t, "POST", "/v1/licenses", tn.writeKey, map[string]any{"customer_email": email, "product": tn.product})
			expect(t, r, http.StatusCreated, "")
			return r.str("license", "id"), r.str("license_key")
		}
		activate := func(key, product, instance string) string {
			r := s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": product, "instance": instance, "instance_name": "site " + instance})
			expect(t, r, http.StatusCreated, "")
			return r.str("activation", "id")
		}
		const rmProduct, wrProduct = "rankmath/rankmath-pro", "wprocket/wprocket-pro"
		id, key := provision(rm, "jane@example.com")
		_, otherKey := provision(rm, "john@example.com")
		_, wrKey := provision(wr, "jane@example.com")
		first := activate(key, rmProduct, "https://www.example.org/")
		second := activate(key, rmProduct, "https://old-shop.example.net")
		otherAct := activate(otherKey, rmProduct, "john.example")
		wrAct := activate(wrKey, wrProduct, "example.org")

		list := func(key, product string) response {
			return s.call(t, "POST", "/v1/activations", "", map[string]any{"license_key": key, "product": product})
		}
		r := list(" "+key+" ", rmProduct) // typed loosely, as customers do
		expect(t, r, http.StatusOK, "")
		data, _ := r.get("data").([]any)
		if len(data) != 2 {
			t.Fatalf("activations: %s", r.raw)
		}
		seen := map[string]string{}
		for _, a := range data {
			m := a.(map[string]any)
			seen[m["id"].(string)] = m["instance"].(string)
			if m["license_id"] != id || m["instance_name"] == nil {
				t.Fatalf("activation %v", m)
			}
		}
		if seen[first] != "example.org" || seen[second] != "old-shop.example.net" {
			t.Fatalf("activations %v", seen)
		}
		expect(t, list("LK-NOPE-NOPE", rmProduct), http.StatusNotFound, "license_not_found")
		expect(t, list(key, wrProduct), http.StatusNotFound, "license_not_found") // the key is rankmath's
		expect(t, list(key, ""), http.StatusUnprocessableEntity, "validation_failed")
		expect(t, s.call(t, "POST", "/v1/activations", "", map[string]any{"license_key": key, "product": rmProduct, "instance": "x"}),
			http.StatusUnprocessableEntity, "validation_failed")

		deactivate := func(body map[string]any) response { return s.call(t, "POST", "/v1/deactivate", "", body) }
		byID := func(key, product, activationID string) response {
			return deactivate(map[string]any{"license_key": key, "product": product, "activation_id": activationID})
		}
		// Another license's activation: of the same brand, of another
		// brand, unknown. None is freed.
		for _, aid := range []string{otherAct, wrAct, "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c09"} {
			expect(t, byID(key, rmProduct, aid), http.StatusNotFound, "activation_not_found")
		}
		expect(t, byID(wrKey, wrProduct, first), http.StatusNotFound, "activation_not_found")
		for _, check := range []struct {
			key, product string
			n            int
		}{{otherKey, rmProduct, 1}, {wrKey, wrProduct, 1}, {key, rmProduct, 2}} {
			if got := len(list(check.key, check.product).get("data").([]any)); got != check.n {
				t.Fatalf("a refused deactivation freed a seat: %d activations, want %d", got, check.n)
			}
		}
		// Exactly one of instance and activation_id.
		for _, body := range []map[string]any{
			{"license_key": key, "product": rmProduct},
			{"license_key": key, "product": rmProduct, "instance": "example.org", "activation_id": second},
			{"license_key": key, "product": rmProduct, "activation_id": "not-an-id"},
			{"license_key": key, "product": rmProduct, "activation_id": ""},
		} {
			expect(t, deactivate(body), http.StatusUnprocessableEntity, "validation_failed")
		}

		// Free the unreachable site's seat by its id.
		d := byID(key, rmProduct, second)
		expect(t, d, http.StatusOK, "")
		if d.get("deactivated") != true || d.num("seats_used") != 1 {
			t.Fatalf("deactivated %s", d.raw)
		}
		expect(t, byID(key, rmProduct, second), http.StatusNotFound, "activation_not_found") // already free
		if r := list(key, rmProduct); len(r.get("data").([]any)) != 1 {
			t.Fatalf("after freeing: %s", r.raw)
		}
		lic := s.call(t, "GET", "/v1/licenses/"+id, rm.readKey, nil)
		if lic.num("seats_used") != 1 {
			t.Fatalf("license after freeing: %s", lic.raw)
		}
		// The seat is reusable, and the instance path still works.
		activate(key, rmProduct, "new-shop.example.net")
		expect(t, deactivate(map[string]any{"license_key": key, "product": rmProduct, "instance": "https://example.org"}), http.StatusOK, "")

		// Audited like any deactivation: by the license key, with the
		// activation and its instance.
		ev := s.call(t, "GET", "/v1/audit-events?license_id="+id+"&limit=100", rm.readKey, nil)
		found := false
		for _, e := range ev.get("data").([]any) {
			m := e.(map[string]any)
			data, _ := m["data"].(map[string]any)
			if m["action"] == "license.deactivated" && data["activation_id"] == second {
				found = data["instance"] == "old-shop.example.net" && m["actor"].(map[string]any)["type"] == "license_key"
			}
		}
		if !found {
			t.Fatalf("no audited deactivation of %s: %s", second, ev.raw)
		}
	})
}

// TestSeatRecoveryRateLimited: the seat recovery calls draw on the
// license key's bucket like the rest of the product API.
func TestSeatRecoveryRateLimited(t *testing.T) {
	env := backends[0].env(t)
	env["LICENSED_RATE_LIMITS"] = "ip=100:100,license=1:3"
	frozen := time.Now()
	s := serveWithClock(t, env, func() time.Time { return frozen })
	rm := newTenant(t, env, "rankmath", 1)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "a@example.com", "product": "rankmath-pro"})
	expect(t, r, http.StatusCreated, "")
	key := r.str("license_key")
	body := map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"}
	expect(t, s.call(t, "POST", "/v1/activations", "", body), http.StatusOK, "")
	expect(t, s.call(t, "POST", "/v1/activations", "", body), http.StatusOK, "")
	expect(t, s.call(t, "POST", "/v1/deactivate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro",
		"activation_id": "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c09"}), http.StatusNotFound, "activation_not_found")
	limited := s.call(t, "POST", "/v1/activations", "", body)
	expect(t, limited, http.StatusTooManyRequests, "rate_limited")
	if limited.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}
