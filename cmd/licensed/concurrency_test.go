package main

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentSeats: 50 concurrent activations of distinct instances on
// a 5-seat license give exactly 5 seats and 45 seat_limit_reached — on
// PostgreSQL also when the requests are spread over two servers on one
// database (SQLite takes one server per data dir: TestSecondServe).
func TestConcurrentSeats(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		servers := []*testServer{serve(t, env)}
		if env["LICENSED_DATABASE_URL"] != "" {
			servers = append(servers, serve(t, env))
		}
		rm := newTenant(t, env, "rankmath", 5)
		r := servers[0].call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
		expect(t, r, http.StatusCreated, "")
		key, id := r.str("license_key"), r.str("license", "id")

		statuses := make([]response, 50)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = servers[i%len(servers)].call(t, "POST", "/v1/activate", "", map[string]any{
					"license_key": key, "product": "rankmath/rankmath-pro", "instance": fmt.Sprintf("site-%d.example.org", i),
				})
			}()
		}
		wg.Wait()
		created, full := 0, 0
		for _, r := range statuses {
			switch {
			case r.status == http.StatusCreated:
				created++
			case r.status == http.StatusConflict && r.str("code") == "seat_limit_reached" && r.num("seats") == 5 && r.num("seats_used") == 5:
				full++
			default:
				t.Errorf("unexpected answer %d %s", r.status, r.raw)
			}
		}
		if created != 5 || full != 45 {
			t.Fatalf("%d seats taken and %d refused, want 5 and 45", created, full)
		}
		l := servers[len(servers)-1].call(t, "GET", "/v1/licenses/"+id, rm.readKey, nil)
		if l.num("seats_used") != 5 {
			t.Fatalf("seats_used %d", l.num("seats_used"))
		}
	})
}

// TestIdempotentProvisioning: a retry replays the first response byte for
// byte, another body under the key is refused, and ten concurrent
// identical requests create one license.
func TestIdempotentProvisioning(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		body := `{"customer_email":"jane@example.com","product":"rankmath-pro","metadata":{"a":1,"b":2}}`
		reordered := "{ \"metadata\": {\"b\":2, \"a\":1},\n \"product\":\"rankmath-pro\", \"customer_email\":\"jane@example.com\"}"
		first := s.call(t, "POST", "/v1/licenses", rm.writeKey, body, "Idempotency-Key", "order-1")
		expect(t, first, http.StatusCreated, "")
		again := s.call(t, "POST", "/v1/licenses", rm.writeKey, reordered, "Idempotency-Key", "order-1")
		if again.status != http.StatusCreated || !bytes.Equal(first.raw, again.raw) {
			t.Fatalf("replay differs:\n%s\n%s", first.raw, again.raw)
		}
		other := s.call(t, "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"joe@example.com","product":"rankmath-pro"}`, "Idempotency-Key", "order-1")
		expect(t, other, http.StatusConflict, "idempotency_conflict")
		// A refused request stores nothing: the key stays free.
		bad := s.call(t, "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"joe@example.com","product":"nope"}`, "Idempotency-Key", "order-2")
		expect(t, bad, http.StatusUnprocessableEntity, "validation_failed")
		expect(t, s.call(t, "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"joe@example.com","product":"rankmath-pro"}`, "Idempotency-Key", "order-2"), http.StatusCreated, "")

		rs := make([]response, 10)
		var wg sync.WaitGroup
		for i := range rs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rs[i] = s.call(t, "POST", "/v1/licenses", rm.writeKey, `{"customer_email":"many@example.com","product":"rankmath-pro"}`, "Idempotency-Key", "order-3")
			}()
		}
		wg.Wait()
		for _, r := range rs {
			if r.status != http.StatusCreated || !bytes.Equal(r.raw, rs[0].raw) {
				t.Fatalf("concurrent duplicate answered %d %s, first %s", r.status, r.raw, rs[0].raw)
			}
		}
		found := s.call(t, "POST", "/v1/licenses/search", rm.readKey, map[string]any{"customer_email": "many@example.com"})
		if n := len(found.get("data").([]any)); n != 1 {
			t.Fatalf("%d licenses from 10 identical requests", n)
		}
		// Keys are per brand: another brand may use the same key.
		wr := newTenant(t, env, "wprocket", 1)
		expect(t, s.call(t, "POST", "/v1/licenses", wr.writeKey, `{"customer_email":"jane@example.com","product":"wprocket-pro"}`, "Idempotency-Key", "order-1"), http.StatusCreated, "")
	})
}

// TestSeatsAcrossProcesses: the seat limit holds across separate server
// processes on one PostgreSQL.
func TestSeatsAcrossProcesses(t *testing.T) {
	env := backends[1].env(t)
	procs := []*testServer{spawn(t, env), spawn(t, env), spawn(t, env)}
	rm := newTenant(t, env, "rankmath", 7)
	r := procs[0].call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
	expect(t, r, http.StatusCreated, "")
	key := r.str("license_key")
	results := make([]response, 60)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = procs[i%len(procs)].call(t, "POST", "/v1/activate", "", map[string]any{
				"license_key": key, "product": "rankmath/rankmath-pro", "instance": fmt.Sprintf("p%d.example", i),
			})
		}()
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		if r.status == http.StatusCreated {
			created++
		} else if r.str("code") != "seat_limit_reached" {
			t.Fatalf("unexpected %d %s", r.status, r.raw)
		}
	}
	if created != 7 {
		t.Fatalf("%d seats taken across processes, want 7", created)
	}
}

// TestConcurrentNewCustomer: ten concurrent provisionings of one new
// customer's license (no Idempotency-Key) create one license; the others
// wait on the customer's row and answer license_exists naming it. Then
// the same customer's license of a second product, also raced, is one
// license under the same key: one key per customer and brand.
func TestConcurrentNewCustomer(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		mustCLI(t, env, "products", "create", "--brand", "rankmath", "--slug", "rankmath-basic", "--name", "Basic", "--seats", "1")
		race := func(product string) response {
			t.Helper()
			rs := make([]response, 10)
			var wg sync.WaitGroup
			for i := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rs[i] = s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "new@example.com", "product": product})
				}()
			}
			wg.Wait()
			var created []response
			for _, r := range rs {
				if r.status == http.StatusCreated {
					created = append(created, r)
				}
			}
			if len(created) != 1 {
				t.Fatalf("%s: %d licenses created of 10 concurrent requests", product, len(created))
			}
			for _, r := range rs {
				if r.status != http.StatusCreated && (r.status != http.StatusConflict || r.str("code") != "license_exists" ||
					r.str("license_id") != created[0].str("license", "id")) {
					t.Fatalf("%s: unexpected answer %d %s", product, r.status, r.raw)
				}
			}
			return created[0]
		}
		pro, basic := race("rankmath-pro"), race("rankmath-basic")
		if pro.str("license_key") == "" || pro.str("license_key") != basic.str("license_key") {
			t.Fatalf("the customer's two licenses have keys %q and %q, want one", pro.str("license_key"), basic.str("license_key"))
		}
	})
}
