package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedhq/licensed/issuer/webhook"
)

// TestWebhooksEveryAction: every audit action of a brand (license,
// activation, the sweeper's activation.expired, an operator's product and
// API-key changes, webhook endpoints) reaches a "*" endpoint as exactly
// one delivery whose signature the Go SDK accepts; another brand's events
// and reads that change nothing send none.
func TestWebhooksEveryAction(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env = webhookEnv(env)
		clk := newFrozenClock()
		s := serveWithClock(t, env, clk.Now, tuned(5*time.Second), func(m *Main) { m.activationSweep = time.Hour })
		tn := policyTenant(t, env, "rankmath", 3, "--activation-ttl", "10m", "--free-instances", "")
		other := newTenant(t, env, "wprocket", 3)
		hk := hookKey(t, env, "rankmath")
		admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)
		h := newHookReceiver(t)
		hookID := createHook(t, s, hk, h, "*")

		key, id := provisionFor(t, s, tn, "jane@example.com", map[string]any{"expires_at": clk.Now().AddDate(1, 0, 0).Format(time.RFC3339)})
		lic := "/v1/licenses/" + id
		expect(t, activateAs(t, s, tn, key, "machine-a"), http.StatusCreated, "")
		expect(t, activateAs(t, s, tn, key, "machine-b"), http.StatusCreated, "")
		expect(t, validateAs(t, s, tn, key, "machine-a"), http.StatusOK, "") // no change, no event
		expect(t, s.call(t, "POST", "/v1/deactivate", "", map[string]any{"license_key": key, "product": tn.ref(), "instance": "machine-a"}), http.StatusOK, "")
		expect(t, s.call(t, "PATCH", lic, tn.writeKey, map[string]any{"seats": 4}), http.StatusOK, "")
		expect(t, s.call(t, "POST", lic+"/suspend", tn.writeKey, map[string]any{"reason": "chargeback"}), http.StatusOK, "")
		expect(t, s.call(t, "POST", lic+"/resume", tn.writeKey, nil), http.StatusOK, "")
		expect(t, s.call(t, "POST", lic+"/renew", tn.writeKey, map[string]any{"extend_by_days": 30}), http.StatusOK, "")
		// A claimed attempt's lease is on the injected clock too: jump
		// only with nothing in flight.
		drained(t, s, hk, hookID, 9)
		clk.Advance(11 * time.Minute) // machine-b unseen past the activation TTL
		if n, err := s.service.SweepActivations(context.Background()); err != nil || n != 1 {
			t.Fatalf("sweep released %d (%v), want 1", n, err)
		}
		expect(t, s.call(t, "POST", lic+"/cancel", tn.writeKey, nil), http.StatusOK, "")
		expect(t, s.call(t, "PATCH", "/v1/brands/rankmath/products/rankmath-pro", admin, map[string]any{"name": "Pro 2"}), http.StatusOK, "")
		k := s.call(t, "POST", "/v1/api-keys", admin, map[string]any{"brand": "rankmath", "name": "crm", "scopes": []string{"licenses:read"}})
		expect(t, k, http.StatusCreated, "")
		expect(t, s.call(t, "DELETE", "/v1/api-keys/"+k.str("id"), admin, nil), http.StatusNoContent, "")
		h2 := newHookReceiver(t) // its own secret
		second := s.call(t, "POST", "/v1/webhooks", admin, map[string]any{"brand": "rankmath", "url": h2.srv.URL, "events": []string{"license.cancelled"}})
		expect(t, second, http.StatusCreated, "")
		expect(t, s.call(t, "DELETE", "/v1/webhooks/"+second.str("id")+"?brand=rankmath", admin, nil), http.StatusNoContent, "")
		provisionFor(t, s, other, "bob@example.com", nil) // another brand's

		want := map[string]int{
			"webhook.created": 2, "license.provisioned": 1, "license.activated": 2, "license.deactivated": 1,
			"license.updated": 1, "license.suspended": 1, "license.resumed": 1, "license.renewed": 1,
			"activation.expired": 1, "license.cancelled": 1, "product.updated": 1, "api_key.created": 1,
			"api_key.revoked": 1, "webhook.deleted": 1,
		}
		total := 0
		for _, n := range want {
			total += n
		}
		eventually(t, "every event delivered", func() bool { return len(h.delivered()) >= total })
		h.checkSignatures()

		got := map[string]int{}
		for _, r := range h.requests() {
			got[r.typ]++
		}
		if !maps.Equal(got, want) {
			t.Fatalf("event types received %v, want %v", got, want)
		}
		for id, n := range h.delivered() {
			if n != 1 {
				t.Errorf("event %s delivered %d times", id, n)
			}
		}
		// Every event of the brand's audit trail is among them.
		trail := s.call(t, "GET", "/v1/audit-events?limit=100", tn.readKey, nil)
		for _, e := range trail.get("data").([]any) {
			if id := e.(map[string]any)["id"].(string); h.delivered()[id] != 1 {
				t.Errorf("audit event %s (%s) was not delivered once", id, e.(map[string]any)["action"])
			}
		}
		log := deliveries(t, s, hk, hookID)
		if len(log) != total {
			t.Fatalf("%d deliveries in the log, want %d", len(log), total)
		}
		for _, d := range log {
			if d["status"] != "delivered" || d["attempt"] != 1.0 || d["response_status"] != 204.0 || d["next_attempt_at"] != nil {
				t.Fatalf("delivery %v", d)
			}
		}
		// The endpoint list never shows the secret.
		list := s.call(t, "GET", "/v1/webhooks", hk, nil)
		expect(t, list, http.StatusOK, "")
		if strings.Contains(string(list.raw), "whsec_") || len(list.get("data").([]any)) != 1 {
			t.Fatalf("endpoint list: %s", list.raw)
		}
		metrics := s.call(t, "GET", "/metrics", "", nil)
		if !strings.Contains(string(metrics.raw), `licensed_webhook_deliveries_total{outcome="delivered"}`) {
			t.Fatal("no webhook delivery metric")
		}
	})
}

// drained waits until an endpoint's log holds n deliveries, none pending.
func drained(t *testing.T, s *testServer, key, hookID string, n int) {
	t.Helper()
	eventually(t, "the queue drained", func() bool {
		log := deliveries(t, s, key, hookID)
		for _, d := range log {
			if d["status"] == "pending" {
				return false
			}
		}
		return len(log) == n
	})
}

// waitAttempt waits until the newest delivery of an endpoint has made
// attempt k and been rescheduled at now+next (not merely claimed: a claim
// moves next_attempt_at to its lease's end).
func waitAttempt(t *testing.T, s *testServer, key, hookID string, clk *frozenClock, k int, next time.Duration) {
	t.Helper()
	want := clk.Now().Add(next).UTC().Format(time.RFC3339)
	eventually(t, "attempt "+itoa(k), func() bool {
		log := deliveries(t, s, key, hookID)
		return len(log) > 0 && log[0]["attempt"] == float64(k) && log[0]["next_attempt_at"] == want && log[0]["status"] == "pending"
	})
}

// TestWebhookRetries: a receiver that fails twice and then answers 2xx
// gets three attempts, 5 s and then 1 min apart on the injected clock, and
// the log shows them; a redelivery sends the same event (same webhook-id)
// again as a new delivery.
func TestWebhookRetries(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env = webhookEnv(env)
		clk := newFrozenClock()
		s := serveWithClock(t, env, clk.Now, tuned(5*time.Second))
		tn := newTenant(t, env, "rankmath", 3)
		hk := hookKey(t, env, "rankmath")
		h := newHookReceiver(t)
		h.setAnswer(func(n int, _ *http.Request) int {
			if n <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		hookID := createHook(t, s, hk, h, "license.suspended")
		_, id := provisionFor(t, s, tn, "jane@example.com", nil)
		expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", tn.writeKey, nil), http.StatusOK, "")

		waitAttempt(t, s, hk, hookID, clk, 1, 5*time.Second)
		if d := deliveries(t, s, hk, hookID)[0]; d["response_status"] != 500.0 || d["error"] != "HTTP 500" {
			t.Fatalf("after the first attempt: %v", d)
		}
		clk.Advance(5 * time.Second)
		waitAttempt(t, s, hk, hookID, clk, 2, time.Minute)
		clk.Advance(time.Minute)
		eventually(t, "delivered", func() bool { return deliveries(t, s, hk, hookID)[0]["status"] == "delivered" })
		log := deliveries(t, s, hk, hookID)
		d := log[0]
		if len(log) != 1 || d["attempt"] != 3.0 || d["response_status"] != 200.0 || d["error"] != nil || d["next_attempt_at"] != nil || d["type"] != "license.suspended" {
			t.Fatalf("log %v", log)
		}
		reqs := h.requests()
		if len(reqs) != 3 || reqs[0].id != reqs[2].id || reqs[0].id != d["event_id"] {
			t.Fatalf("receiver got %v", reqs)
		}
		h.checkSignatures()

		// Redelivery: a new delivery of the same event.
		path := "/v1/webhooks/" + hookID + "/deliveries/"
		r := s.call(t, "POST", path+d["id"].(string)+"/redeliver", hk, nil)
		expect(t, r, http.StatusAccepted, "")
		if r.str("event_id") != d["event_id"] || r.str("status") != "pending" || r.num("attempt") != 0 {
			t.Fatalf("redelivery %s", r.raw)
		}
		eventually(t, "redelivered", func() bool { return len(h.requests()) == 4 })
		if got := h.requests()[3]; got.id != d["event_id"] || got.status != 200 {
			t.Fatalf("redelivery sent %v", got)
		}
		eventually(t, "redelivery logged", func() bool {
			log := deliveries(t, s, hk, hookID)
			return len(log) == 2 && log[0]["status"] == "delivered" && log[0]["attempt"] == 1.0
		})
		expect(t, s.call(t, "POST", path+"01900000-0000-7000-8000-000000000000/redeliver", hk, nil), http.StatusNotFound, "not_found")
		metrics := string(s.call(t, "GET", "/metrics", "", nil).raw)
		for _, line := range []string{`licensed_webhook_deliveries_total{outcome="retry"} 2`, `licensed_webhook_deliveries_total{outcome="delivered"} 2`} {
			if !strings.Contains(metrics, line) {
				t.Errorf("metrics lack %s", line)
			}
		}
	})
}

// TestWebhookNeverAnswers: a receiver that never answers times out at
// each of the schedule's seven attempts and the delivery ends failed.
func TestWebhookNeverAnswers(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env = webhookEnv(env)
		clk := newFrozenClock()
		s := serveWithClock(t, env, clk.Now, tuned(200*time.Millisecond))
		tn := newTenant(t, env, "rankmath", 3)
		hk := hookKey(t, env, "rankmath")
		h := newHookReceiver(t)
		h.setAnswer(func(_ int, r *http.Request) int {
			<-r.Context().Done() // the dispatcher gave up
			return http.StatusOK
		})
		hookID := createHook(t, s, hk, h, "license.cancelled")
		_, id := provisionFor(t, s, tn, "jane@example.com", nil)
		expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/cancel", tn.writeKey, nil), http.StatusOK, "")

		for k, next := range webhook.DefaultSchedule() { // 5 s, 1 min, 10 min, 1 h, 6 h, 24 h

			waitAttempt(t, s, hk, hookID, clk, k+1, next)
			clk.Advance(next)
		}
		eventually(t, "failed", func() bool { return deliveries(t, s, hk, hookID)[0]["status"] == "failed" })
		d := deliveries(t, s, hk, hookID)[0]
		if d["attempt"] != 7.0 || d["next_attempt_at"] != nil || d["response_status"] != nil || !strings.HasPrefix(d["error"].(string), "timeout") {
			t.Fatalf("failed delivery %v", d)
		}
		eventually(t, "the receiver saw 7 requests", func() bool { return len(h.requests()) == 7 })
		if !strings.Contains(string(s.call(t, "GET", "/metrics", "", nil).raw), `licensed_webhook_deliveries_total{outcome="failed"} 1`) {
			t.Error("no failed delivery in the metrics")
		}
	})
}

// TestWebhookURLPolicy: without LICENSED_WEBHOOK_ALLOW_INSECURE only
// https:// to public addresses; the scope and the brand rules hold.
func TestWebhookURLPolicy(t *testing.T) {
	env := backends[0].env(t)
	s := serve(t, env)
	tn := newTenant(t, env, "rankmath", 3)
	newTenant(t, env, "wprocket", 3)
	hk := hookKey(t, env, "rankmath")
	admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)
	for _, url := range []string{"http://93.184.215.14/hook", "https://127.0.0.1/hook", "https://[::1]/hook", "https://localhost/hook",
		"https://10.0.0.8/hook", "https://169.254.169.254/latest/meta-data", "https://192.168.1.10/hook", "ftp://93.184.215.14/x"} {
		expect(t, s.call(t, "POST", "/v1/webhooks", hk, map[string]any{"url": url, "events": []string{"*"}}), 422, "validation_failed")
	}
	for _, events := range [][]string{{}, {"license.exploded"}, {"*", "license.cancelled"}} {
		expect(t, s.call(t, "POST", "/v1/webhooks", hk, map[string]any{"url": "https://93.184.215.14/hook", "events": events}), 422, "validation_failed")
	}
	ok := map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"license.cancelled"}}
	expect(t, s.call(t, "POST", "/v1/webhooks", tn.writeKey, ok), 403, "forbidden")                                                                           // no webhooks:write
	expect(t, s.call(t, "POST", "/v1/webhooks", hk, map[string]any{"brand": "wprocket", "url": ok["url"], "events": ok["events"]}), 422, "validation_failed") // not its brand
	expect(t, s.call(t, "POST", "/v1/webhooks", admin, ok), 422, "validation_failed")                                                                         // a platform key names the brand
	r := s.call(t, "POST", "/v1/webhooks", hk, ok)
	expect(t, r, 201, "")
	if !strings.HasPrefix(r.str("secret"), "whsec_") || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created: %s %v", r.raw, r.header)
	}
	list := s.call(t, "GET", "/v1/webhooks?brand=rankmath", admin, nil)
	expect(t, list, 200, "")
	if ids := list.get("data").([]any); len(ids) != 1 || ids[0].(map[string]any)["id"] != r.str("id") {
		t.Fatalf("admin list: %s", list.raw)
	}
	// The secret is sealed at rest: the database holds no whsec_.
	var n int
	if err := rawDB(t, s.store).QueryRow("SELECT count(*) FROM webhook_endpoints WHERE secret_ciphertext LIKE '%whsec%'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d plaintext secrets (%v)", n, err)
	}
	expect(t, s.call(t, "DELETE", "/v1/webhooks/"+r.str("id"), hk, nil), 204, "")
	expect(t, s.call(t, "DELETE", "/v1/webhooks/"+r.str("id"), hk, nil), 404, "not_found")
	if got := slices.Collect(maps.Keys(s.call(t, "GET", "/v1/webhooks", hk, nil).body)); len(got) != 2 {
		t.Fatalf("list members %v", got)
	}
}

// TestWebhookSlowReceiverDoesNotHoldTheAPI: with every dispatcher worker
// stuck on a receiver that does not answer, the API goes on answering
// (writes queue more events, reads and validations are served): the
// dispatcher is bounded and apart from request handling.
func TestWebhookSlowReceiverDoesNotHoldTheAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env = webhookEnv(env)
		s := serveWithClock(t, env, nil, tuned(time.Minute))
		tn := newTenant(t, env, "rankmath", 3)
		hk := hookKey(t, env, "rankmath")
		h := newHookReceiver(t)
		release := make(chan struct{})
		var stuck atomic.Int32
		h.setAnswer(func(_ int, r *http.Request) int {
			stuck.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return http.StatusOK
		})
		createHook(t, s, hk, h, "license.provisioned")
		for i := range 6 {
			provisionFor(t, s, tn, fmt.Sprintf("early%d@example.com", i), nil)
		}
		eventually(t, "every worker stuck", func() bool { return stuck.Load() == 4 })
		for i := range 20 {
			key, id := provisionFor(t, s, tn, fmt.Sprintf("late%d@example.com", i), nil)
			expect(t, s.call(t, "GET", "/v1/licenses/"+id, tn.readKey, nil), http.StatusOK, "")
			expect(t, s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": tn.ref()}), http.StatusOK, "")
		}
		if n := stuck.Load(); n != 4 {
			t.Fatalf("%d requests in flight with 4 workers", n)
		}
		close(release)
		eventually(t, "every event delivered once the receiver answers", func() bool { return len(h.delivered()) == 26 })
	})
}
