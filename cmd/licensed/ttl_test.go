package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestActivationTTL, with a frozen clock and a product whose activations
// expire after 10 minutes unseen: an activation past its TTL is gone at
// once (NOT_ACTIVATED; its seat taken by the next activation, which
// releases it in its own transaction), before any sweep; the sweeper
// releases the rest; the TTL's edge is exclusive; every release is one
// activation.expired event by the system, however many sweeps run.
func TestActivationTTL(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		clk := newFrozenClock()
		s := serveWithClock(t, env, clk.Now, func(m *Main) { m.activationSweep = time.Hour }) // sweeps run when this test says
		tn := policyTenant(t, env, "studio", 2, "--activation-ttl", "10m", "--free-instances", "")
		key, id := provisionFor(t, s, tn, "jane@example.com", nil)
		sweep := func(want int) {
			t.Helper()
			n, err := s.service.SweepActivations(context.Background())
			if err != nil || n != want {
				t.Fatalf("sweep released %d (%v), want %d", n, err, want)
			}
		}
		seatsUsed := func() int { return s.call(t, "GET", "/v1/licenses/"+id, tn.readKey, nil).num("seats_used") }

		expect(t, activateAs(t, s, tn, key, "machine-a"), http.StatusCreated, "")
		expect(t, activateAs(t, s, tn, key, "machine-b"), http.StatusCreated, "")
		clk.Advance(5 * time.Minute)
		if v := validateAs(t, s, tn, key, "machine-a"); v.str("code") != "VALID" { // seen: its TTL starts again
			t.Fatalf("a: %s", v.raw)
		}
		clk.Advance(5*time.Minute + time.Second) // b unseen for 10m1s, a for 5m1s

		// b is gone, before any sweep: no token, and its seat is free.
		if v := validateAs(t, s, tn, key, "machine-b"); v.str("code") != "NOT_ACTIVATED" || v.get("token") != nil {
			t.Fatalf("b past its TTL: %s", v.raw)
		}
		expect(t, activateAs(t, s, tn, key, "machine-c"), http.StatusCreated, "")
		if n := seatsUsed(); n != 2 {
			t.Fatalf("seats_used %d after c took b's seat, want 2", n)
		}
		expect(t, activateAs(t, s, tn, key, "machine-b"), http.StatusConflict, "seat_limit_reached")
		sweep(0) // b was released by c's activation already

		// Later both a and c pass their TTL; the sweeper releases them, once.
		clk.Advance(10*time.Minute + time.Second)
		sweep(2)
		sweep(0)
		if n := seatsUsed(); n != 0 {
			t.Fatalf("seats_used %d after the sweep", n)
		}
		if v := validateAs(t, s, tn, key, "machine-a"); v.str("code") != "NOT_ACTIVATED" {
			t.Fatalf("a after the sweep: %s", v.raw)
		}

		// The edge: unseen for exactly the TTL is still live; a second more is not.
		expect(t, activateAs(t, s, tn, key, "machine-d"), http.StatusCreated, "")
		clk.Advance(10 * time.Minute)
		sweep(0)
		clk.Advance(time.Second)
		sweep(1)

		// One activation.expired per activation, by the system.
		events := licenseEvents(t, s, tn, id)
		expired := map[string]int{}
		for _, e := range events {
			if e["action"] != "activation.expired" {
				continue
			}
			actor := e["actor"].(map[string]any)
			if actor["type"] != "system" || actor["id"] != "activation-ttl" {
				t.Fatalf("actor of %v", e)
			}
			expired[e["data"].(map[string]any)["instance"].(string)]++
		}
		if len(expired) != 4 || expired["machine-a"] != 1 || expired["machine-b"] != 1 || expired["machine-c"] != 1 || expired["machine-d"] != 1 {
			t.Fatalf("activation.expired events per instance: %v", expired)
		}
	})
}

// TestActivationTTLSweepReplicas: three replicas on one PostgreSQL (and
// Redis) sweep every 10 ms while 40 activations of 5 licenses pass their
// TTL: each is released exactly once, with exactly one event, and every
// replica answers NOT_ACTIVATED for them afterwards.
func TestActivationTTLSweepReplicas(t *testing.T) {
	eachReplicaShape(t, activationTTLSweepReplicas)
}

func activationTTLSweepReplicas(t *testing.T, env map[string]string) {
	clk := newFrozenClock()
	fast := func(m *Main) { m.activationSweep = 10 * time.Millisecond }
	reps := []*testServer{serveWithClock(t, env, clk.Now, fast), serveWithClock(t, env, clk.Now, fast), serveWithClock(t, env, clk.Now, fast)}
	tn := policyTenant(t, env, "studio", 8, "--activation-ttl", "1m", "--free-instances", "")
	type lic struct{ key, id string }
	var lics []lic
	for i := range 5 {
		key, id := provisionFor(t, reps[0], tn, fmt.Sprintf("u%d@example.com", i), nil)
		lics = append(lics, lic{key, id})
		for j := range 8 {
			expect(t, activateAs(t, reps[(i+j)%3], tn, key, fmt.Sprintf("m-%d-%d", i, j)), http.StatusCreated, "")
		}
	}
	clk.Advance(time.Minute + time.Second)
	deadline := time.Now().Add(60 * time.Second)
	for _, l := range lics {
		for reps[0].call(t, "GET", "/v1/licenses/"+l.id, tn.readKey, nil).num("seats_used") != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("license %s: seats not released by the sweepers", l.id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Let the sweepers run on after the last release: none may release
	// anything twice.
	time.Sleep(100 * time.Millisecond)
	var wg sync.WaitGroup
	for i, l := range lics {
		wg.Go(func() {
			ids := map[string]int{}
			for _, e := range licenseEvents(t, reps[i%3], tn, l.id) {
				if e["action"] == "activation.expired" {
					ids[e["data"].(map[string]any)["activation_id"].(string)]++
				}
			}
			if len(ids) != 8 {
				t.Errorf("license %d: %d activations expired, want 8", i, len(ids))
			}
			for a, n := range ids {
				if n != 1 {
					t.Errorf("activation %s: %d activation.expired events", a, n)
				}
			}
			for j, r := range reps {
				if v := validateAs(t, r, tn, l.key, fmt.Sprintf("m-%d-%d", i, j)); v.str("code") != "NOT_ACTIVATED" {
					t.Errorf("replica %d answers %s", j, v.raw)
				}
			}
		})
	}
	wg.Wait()
}
