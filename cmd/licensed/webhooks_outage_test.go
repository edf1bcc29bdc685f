package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhookReplicasExactlyOnce: three servers on one PostgreSQL
// database dispatch together; each of N events, whose first attempt the
// receiver fails, gets exactly two attempts, never two at once, and one
// 2xx.
func TestWebhookReplicasExactlyOnce(t *testing.T) {
	const n = 30
	env := webhookEnv(backends[1].env(t))
	var servers []*testServer
	for range 3 {
		servers = append(servers, serveWithClock(t, env, nil, tuned(5*time.Second, 10*time.Millisecond)))
	}
	tn := newTenant(t, env, "rankmath", 3)
	hk := hookKey(t, env, "rankmath")
	h := newHookReceiver(t)
	h.setAnswer(func(k int, _ *http.Request) int {
		if k == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	hookID := createHook(t, servers[0], hk, h, "license.provisioned")
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := servers[i%len(servers)]
			r := s.call(t, "POST", "/v1/licenses", tn.writeKey, map[string]any{"customer_email": fmt.Sprintf("c%d@example.com", i), "product": tn.product})
			if r.status != http.StatusCreated {
				t.Errorf("provision %d: %s", i, r.raw)
			}
		})
	}
	wg.Wait()
	eventually(t, "every event delivered", func() bool { return len(h.delivered()) == n })
	drained(t, servers[1], hk, hookID, n)
	h.checkSignatures()
	perEvent := map[string]int{}
	for _, r := range h.requests() {
		perEvent[r.id]++
	}
	for id, k := range perEvent {
		if k != 2 || h.delivered()[id] != 1 {
			t.Errorf("event %s: %d requests, %d answered 2xx; want 2 and 1", id, k, h.delivered()[id])
		}
	}
	for _, d := range deliveries(t, servers[2], hk, hookID) {
		if d["status"] != "delivered" || d["attempt"] != 2.0 {
			t.Errorf("delivery %v", d)
		}
	}
}

// TestWebhookRolledBackChangeSendsNothing: the connection dies inside a
// suspension's transaction, after the license and its audit event were
// written, as the outbox row goes in: PostgreSQL rolls all of it back,
// the API answers 503, and nothing is ever sent. The retried suspension
// commits and sends exactly its one event.
func TestWebhookRolledBackChangeSendsNothing(t *testing.T) {
	env := webhookEnv(backends[1].env(t))
	proxy := behindProxy(t, env)
	s := serveWithClock(t, env, nil, tuned(5*time.Second))
	tn := newTenant(t, env, "rankmath", 3)
	hk := hookKey(t, env, "rankmath")
	h := newHookReceiver(t)
	hookID := createHook(t, s, hk, h, "license.suspended")
	_, id := provisionFor(t, s, tn, "jane@example.com", nil)

	cut := proxy.CutAt([]byte("INSERT INTO webhook_deliveries"))
	expectOutage(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", tn.writeKey, map[string]any{"reason": "doomed"}))
	select {
	case <-cut:
	default:
		t.Fatal("the drill did not happen: no connection was cut at the outbox insert")
	}
	if st := s.call(t, "GET", "/v1/licenses/"+id, tn.readKey, nil).str("status"); st != "active" {
		t.Fatalf("status %q after the rolled-back suspension", st)
	}
	if log := deliveries(t, s, hk, hookID); len(log) != 0 {
		t.Fatalf("a rolled-back change queued %v", log)
	}

	expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", tn.writeKey, map[string]any{"reason": "real"}), http.StatusOK, "")
	eventually(t, "the committed suspension delivered", func() bool { return len(h.delivered()) == 1 })
	drained(t, s, hk, hookID, 1)
	trail := s.call(t, "GET", "/v1/audit-events?license_id="+id, tn.readKey, nil)
	suspended := ""
	for _, e := range trail.get("data").([]any) {
		if e.(map[string]any)["action"] == "license.suspended" {
			if suspended != "" {
				t.Fatalf("two suspensions in the trail: %s", trail.raw)
			}
			suspended = e.(map[string]any)["id"].(string)
		}
	}
	if reqs := h.requests(); len(reqs) != 1 || reqs[0].id != suspended || reqs[0].typ != "license.suspended" {
		t.Fatalf("receiver got %v, want the one suspension %s", reqs, suspended)
	}
	h.checkSignatures()
}

// TestWebhookOutages: the receiver is down (503) and then PostgreSQL is
// cut off; the dispatcher keeps going through both, and once both are back
// every event is delivered exactly once, nothing lost.
func TestWebhookOutages(t *testing.T) {
	const n = 10
	env := webhookEnv(backends[1].env(t))
	proxy := behindProxy(t, env)
	schedule := make([]time.Duration, 500) // never failed within the test
	for i := range schedule {
		schedule[i] = 20 * time.Millisecond
	}
	s := serveWithClock(t, env, nil, tuned(2*time.Second, schedule...))
	tn := newTenant(t, env, "rankmath", 3)
	hk := hookKey(t, env, "rankmath")
	h := newHookReceiver(t)
	h.setAnswer(func(int, *http.Request) int { return http.StatusServiceUnavailable })
	hookID := createHook(t, s, hk, h, "license.provisioned")
	for i := range n {
		provisionFor(t, s, tn, fmt.Sprintf("c%d@example.com", i), nil)
	}
	eventually(t, "every event tried against the receiver's outage", func() bool {
		seen := map[string]bool{}
		for _, r := range h.requests() {
			seen[r.id] = true
		}
		return len(seen) == n
	})

	proxy.Cut()
	eventually(t, "the dispatcher to meet the database outage", func() bool {
		return strings.Contains(s.logs.String(), "webhooks: claiming deliveries failed")
	})
	h.setAnswer(func(int, *http.Request) int { return http.StatusOK }) // the receiver is back first
	proxy.Restore()

	eventually(t, "every event delivered", func() bool { return len(h.delivered()) == n })
	drained(t, s, hk, hookID, n)
	h.checkSignatures()
	for id, k := range h.delivered() {
		if k != 1 {
			t.Errorf("event %s answered 2xx %d times", id, k)
		}
	}
	for _, d := range deliveries(t, s, hk, hookID) {
		if d["status"] != "delivered" || d["attempt"].(float64) < 2 {
			t.Errorf("delivery %v", d)
		}
	}
}
