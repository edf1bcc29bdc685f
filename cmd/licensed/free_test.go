package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestFreeInstances: staging and local sites activate without a seat, up
// to the product's cap; machine ids and other hosts take seats; the cap
// and the seat limit are reported with their numbers; a free activation
// says so everywhere it is shown.
func TestFreeInstances(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		tn := policyTenant(t, env, "wprocket", 1, "--max-free-activations", "2") // the default patterns
		key, id := provisionFor(t, s, tn, "jane@example.com", nil)

		staging := activateAs(t, s, tn, key, "https://Staging.Shop.com/")
		expect(t, staging, http.StatusCreated, "")
		if staging.get("activation", "free") != true || staging.num("license", "seats_used") != 0 {
			t.Fatalf("staging: %s", staging.raw)
		}
		local := activateAs(t, s, tn, key, "http://localhost:10003/wp")
		expect(t, local, http.StatusCreated, "")
		if local.get("activation", "free") != true || local.str("activation", "instance") != "localhost:10003/wp" {
			t.Fatalf("localhost: %s", local.raw)
		}
		// The cap: a third free site is refused, with the numbers.
		third := activateAs(t, s, tn, key, "https://shop.test")
		expect(t, third, http.StatusConflict, "free_limit_reached")
		if third.num("max_free_activations") != 2 || third.num("free_activations_used") != 2 {
			t.Fatalf("cap: %s", third.raw)
		}
		// Re-activating a free site is no new activation.
		expect(t, activateAs(t, s, tn, key, "staging.shop.com"), http.StatusOK, "")

		// The one seat is still free for the real site.
		paid := activateAs(t, s, tn, key, "https://shop.com")
		expect(t, paid, http.StatusCreated, "")
		if paid.get("activation", "free") != false || paid.num("license", "seats_used") != 1 {
			t.Fatalf("paid: %s", paid.raw)
		}
		full := activateAs(t, s, tn, key, "https://other-shop.com")
		expect(t, full, http.StatusConflict, "seat_limit_reached")
		if full.num("seats") != 1 || full.num("seats_used") != 1 {
			t.Fatalf("seat limit: %s", full.raw)
		}
		// A machine id is never free, whatever it spells.
		expect(t, activateAs(t, s, tn, key, "localhost"), http.StatusConflict, "seat_limit_reached")

		// Freeing a free activation frees a free slot, and no seat.
		d := s.call(t, "POST", "/v1/deactivate", "", map[string]any{"license_key": key, "product": tn.ref(), "instance": "localhost:10003/wp"})
		expect(t, d, http.StatusOK, "")
		if d.num("seats_used") != 1 {
			t.Fatalf("deactivate: %s", d.raw)
		}
		expect(t, activateAs(t, s, tn, key, "https://shop.test"), http.StatusCreated, "")

		// Everywhere an activation is shown, free says which is which.
		v := validateAs(t, s, tn, key, "staging.shop.com")
		if v.str("code") != "VALID" || v.str("token") == "" || v.get("licenses").([]any)[0].(map[string]any)["seats_used"] != 1.0 {
			t.Fatalf("validate a free site: %s", v.raw)
		}
		lic := s.call(t, "GET", "/v1/licenses/"+id, tn.readKey, nil)
		if lic.num("seats_used") != 1 {
			t.Fatalf("seats_used %s", lic.raw)
		}
		acts := s.call(t, "GET", "/v1/licenses/"+id+"/activations", tn.readKey, nil)
		frees := map[string]bool{}
		for _, a := range acts.get("data").([]any) {
			a := a.(map[string]any)
			frees[a["instance"].(string)] = a["free"].(bool)
		}
		if len(frees) != 3 || !frees["staging.shop.com"] || !frees["shop.test"] || frees["shop.com"] {
			t.Fatalf("activations: %s", acts.raw)
		}
		events := licenseEvents(t, s, tn, id)
		if n := countActions(events, "license.activated"); n != 4 {
			t.Fatalf("%d license.activated events, want 4", n)
		}
		if data := events[0]["data"].(map[string]any); events[0]["action"] != "license.activated" || data["free"] != true {
			t.Fatalf("last event %v", events[0])
		}

		// free_instances [] turns it off: the next staging site takes a seat.
		admin := adminKey(t, env)
		expect(t, s.call(t, "PATCH", "/v1/brands/wprocket/products/wprocket-pro", admin, map[string]any{"free_instances": []string{}}), http.StatusOK, "")
		expect(t, activateAs(t, s, tn, key, "https://staging.other.com"), http.StatusConflict, "seat_limit_reached")
	})
}

// raceFreeAndPaid: N paid and M free activations race on a license of L
// seats and a cap of F free ones, spread over the servers: exactly
// min(N, L) paid and min(M, F) free win; every other is refused with its
// own code.
func raceFreeAndPaid(t *testing.T, servers []*testServer, tn tenant, key string) {
	t.Helper()
	const paid, free, seats, freeCap = 30, 30, 4, 3
	results := make([]response, paid+free)
	var wg sync.WaitGroup
	for i := range results {
		instance := fmt.Sprintf("site-%d.example.org", i)
		if i >= paid {
			instance = fmt.Sprintf("staging.site-%d.example.org", i)
		}
		wg.Go(func() { results[i] = activateAs(t, servers[i%len(servers)], tn, key, instance) })
	}
	wg.Wait()
	won := map[bool]int{}
	for i, r := range results {
		isFree := i >= paid
		switch {
		case r.status == http.StatusCreated && r.get("activation", "free") == isFree:
			won[isFree]++
		case r.status == http.StatusConflict && !isFree && r.str("code") == "seat_limit_reached" && r.num("seats_used") == seats:
		case r.status == http.StatusConflict && isFree && r.str("code") == "free_limit_reached" && r.num("free_activations_used") == freeCap:
		default:
			t.Errorf("activation %d (free %v): %d %s", i, isFree, r.status, r.raw)
		}
	}
	if won[false] != seats || won[true] != freeCap {
		t.Fatalf("%d paid and %d free won, want %d and %d", won[false], won[true], seats, freeCap)
	}
}

// TestFreeAndPaidRace: on each store, and across three processes on
// PostgreSQL.
func TestFreeAndPaidRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		servers := []*testServer{serve(t, env)}
		if env["LICENSED_DATABASE_URL"] != "" {
			servers = append(servers, serve(t, env))
		}
		tn := policyTenant(t, env, "rankmath", 4, "--free-instances", "staging.*", "--max-free-activations", "3")
		key, _ := provisionFor(t, servers[0], tn, "jane@example.com", nil)
		raceFreeAndPaid(t, servers, tn, key)
	})
	t.Run("processes", func(t *testing.T) {
		t.Parallel()
		env := backends[1].env(t)
		procs := []*testServer{spawn(t, env), spawn(t, env), spawn(t, env)}
		tn := policyTenant(t, env, "rankmath", 4, "--free-instances", "staging.*", "--max-free-activations", "3")
		key, _ := provisionFor(t, procs[0], tn, "jane@example.com", nil)
		raceFreeAndPaid(t, procs, tn, key)
		if t.Failed() {
			for _, p := range procs {
				t.Log(p.logs.String())
			}
		}
	})
}
