package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOperationalEndpoints(t *testing.T) {
	s := serve(t, backends[0].env(t))

	expect(t, s.call(t, "GET", "/healthz", "", nil), 200, "")
	expect(t, s.call(t, "GET", "/readyz", "", nil), 200, "")

	j := s.call(t, "GET", "/.well-known/jwks.json", "", nil)
	expect(t, j, 200, "")
	keys := j.get("keys").([]any)
	k := keys[0].(map[string]any)
	if len(keys) != 1 || k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" || k["kid"] == "" {
		t.Fatalf("JWKS: %s", j.raw)
	}
	if _, private := k["d"]; private {
		t.Fatal("JWKS publishes a private key")
	}
	if j.header.Get("Cache-Control") != "public, max-age=300" || j.header.Get("ETag") == "" {
		t.Fatalf("JWKS caching headers: %v", j.header)
	}
	nm := s.call(t, "GET", "/.well-known/jwks.json", "", nil, "If-None-Match", j.header.Get("ETag"))
	if nm.status != http.StatusNotModified || len(nm.raw) != 0 {
		t.Fatalf("If-None-Match: %d %q", nm.status, nm.raw)
	}

	if id := s.call(t, "GET", "/healthz", "", nil, "X-Request-Id", "abc.DEF_1-2").header.Get("X-Request-Id"); id != "abc.DEF_1-2" {
		t.Fatalf("request id not echoed: %q", id)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 129), "semi;colon"} {
		if id := s.call(t, "GET", "/healthz", "", nil, "X-Request-Id", bad).header.Get("X-Request-Id"); id == bad || id == "" {
			t.Fatalf("invalid request id %q kept as %q", bad, id)
		}
	}

	for _, method := range []string{"OPTIONS", "PUT", "DELETE"} {
		r := s.call(t, method, "/v1/licenses", "", nil)
		expect(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
		if allow := r.header.Get("Allow"); allow != "GET, HEAD, POST" {
			t.Fatalf("%s /v1/licenses: Allow %q, want GET, HEAD, POST", method, allow)
		}
	}

	m := s.call(t, "GET", "/metrics", "", nil)
	if m.status != 200 || !strings.Contains(string(m.raw), `licensed_http_requests_total{method="GET",route="/healthz",status="200"}`) ||
		strings.Contains(string(m.raw), `route="unmatched",status="200"`) {
		t.Fatalf("metrics: %d\n%.2000s", m.status, m.raw)
	}
}

// TestRateLimits: product routes per IP and per license key, brand routes
// per API key, with RateLimit-* headers and a 429 with Retry-After.
func TestRateLimits(t *testing.T) {
	env := backends[0].env(t)
	env["LICENSED_RATE_LIMITS"] = "ip=1:6,license=1:3,apikey=1:4"
	// A stopped clock: no bucket refills while the test runs, however slow.
	frozen := time.Now()
	s := serveWithClock(t, env, func() time.Time { return frozen })
	rm := newTenant(t, env, "rankmath", 1)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "a@example.com", "product": "rankmath-pro"})
	expect(t, r, 201, "")
	key := r.str("license_key")
	if r.header.Get("RateLimit-Limit") != "4" || r.header.Get("RateLimit-Remaining") != "3" {
		t.Fatalf("brand route headers: %v", r.header)
	}

	validate := func(k string) response {
		return s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": k})
	}
	for i := range 3 {
		v := validate(key)
		expect(t, v, 200, "")
		// The license bucket (3) is tighter than the IP bucket (6).
		if v.header.Get("RateLimit-Limit") != "3" || v.header.Get("RateLimit-Remaining") != itoa(2-i) {
			t.Fatalf("validation %d headers: %v", i, v.header)
		}
	}
	limited := validate(key)
	expect(t, limited, http.StatusTooManyRequests, "rate_limited")
	if ra := limited.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("429 Retry-After %q", ra)
	}
	// Another key from the same IP still passes, until the IP bucket empties.
	expect(t, validate("LK-OTHER"), 404, "license_not_found")
	expect(t, validate("LK-OTHER2"), 404, "license_not_found")
	expect(t, validate("LK-OTHER3"), http.StatusTooManyRequests, "rate_limited")

	for range 3 {
		s.call(t, "GET", "/v1/audit-events", rm.readKey, nil)
	}
	expect(t, s.call(t, "GET", "/v1/audit-events", rm.readKey, nil), 200, "")
	expect(t, s.call(t, "GET", "/v1/audit-events", rm.readKey, nil), http.StatusTooManyRequests, "rate_limited")
	// Each API key has its own bucket.
	expect(t, s.call(t, "GET", "/v1/audit-events", rm.writeKey, nil), 200, "")
}

// TestLogsHoldNoSecrets runs a journey and greps the log for every license
// key, API key and email it handled; every request is logged once.
func TestLogsHoldNoSecrets(t *testing.T) {
	env := backends[0].env(t)
	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 1)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "secret.person@example.com", "product": "rankmath-pro"})
	key := r.str("license_key")
	s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"}, "X-Request-Id", "trace-me")
	s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key + "x"})
	s.call(t, "POST", "/v1/licenses", "lk_bad_"+strings.Repeat("s", 20), map[string]any{"customer_email": "x@example.com", "product": "p"})
	time.Sleep(50 * time.Millisecond)
	logs := s.logs.String()
	for _, secret := range []string{key, key + "x", rm.writeKey, rm.readKey, "secret.person", "lk_bad_"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log holds %q:\n%s", secret, logs)
		}
	}
	if n := strings.Count(logs, `"request_id":"trace-me"`); n != 1 {
		t.Fatalf("request logged %d times:\n%s", n, logs)
	}
	for _, member := range []string{`"route":"/v1/activate"`, `"status":201`, `"duration_ms":`, `"brand":"rankmath"`} {
		if !strings.Contains(logs, member) {
			t.Fatalf("log lacks %s:\n%s", member, logs)
		}
	}
}

// TestGracefulShutdown: not ready first, in-flight requests finish.
func TestGracefulShutdown(t *testing.T) {
	env := backends[0].env(t)
	env["LICENSED_SHUTDOWN_DELAY"] = "300ms"
	s := serve(t, env)
	url := s.URL()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	time.Sleep(100 * time.Millisecond)
	res, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatalf("during the shutdown delay: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining: %d", res.StatusCode)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("still serving after Close")
	}
	s.http = nil // already closed; keep the cleanup from closing twice
	s.store = nil
}
