package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/issuer/webhook"
	"github.com/licensedhq/licensed/sdk/webhooks"
)

// hookReceiver is a brand's webhook endpoint on loopback: it verifies each
// request with the Go SDK and records it; answer decides its status.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    []hookRequest
	// inFlight counts requests being answered, per event id: more than
	// one at once would be one attempt sent twice concurrently.
	inFlight map[string]int
	overlaps int
	answer   func(n int, r *http.Request) int // n: this event id's request number, from 1
}

type hookRequest struct {
	id, typ string
	status  int
	err     error // of the SDK's verification
	header  http.Header
	body    []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t, inFlight: map[string]int{}, answer: func(int, *http.Request) int { return http.StatusNoContent }}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	answer := h.answer
	h.inFlight[id]++
	if h.inFlight[id] > 1 {
		h.overlaps++
	}
	n := 1
	for _, g := range h.got {
		if g.id == id {
			n++
		}
	}
	h.mu.Unlock()
	status := answer(n, r)
	h.mu.Lock()
	h.got = append(h.got, hookRequest{id: id, status: status, header: r.Header.Clone(), body: body})
	h.inFlight[id]--
	h.mu.Unlock()
	w.WriteHeader(status)
}

func (h *hookReceiver) setAnswer(fn func(n int, r *http.Request) int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answer = fn
}

// requests lists what the receiver got, each verified with the Go SDK
// (now: an endpoint's own webhook.created may arrive before the test
// holds its secret).
func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := append([]hookRequest(nil), h.got...)
	for i := range out {
		r := &out[i]
		// A frozen test clock puts the timestamp anywhere: tolerance is
		// not what these tests are about (sdk/webhooks' vectors are).
		ev, err := webhooks.Parse(h.secret, r.header, r.body, 100*365*24*time.Hour)
		if err == nil && ev.ID != r.id {
			err = errors.New("webhook-id is not the body's id")
		}
		r.typ, r.err = ev.Type, err
	}
	return out
}

// delivered lists the event ids answered 2xx, with how many times each.
func (h *hookReceiver) delivered() map[string]int {
	out := map[string]int{}
	for _, r := range h.requests() {
		if r.status >= 200 && r.status < 300 {
			out[r.id]++
		}
	}
	return out
}

// checkSignatures fails the test for any request the SDK refused.
func (h *hookReceiver) checkSignatures() {
	h.t.Helper()
	for _, r := range h.requests() {
		if r.err != nil {
			h.t.Errorf("event %s (%s): %v", r.id, r.typ, r.err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.overlaps > 0 {
		h.t.Errorf("%d requests overlapped another of the same event", h.overlaps)
	}
}

// webhookEnv allows loopback receivers.
func webhookEnv(env map[string]string) map[string]string {
	env["LICENSED_WEBHOOK_ALLOW_INSECURE"] = "1"
	return env
}

// tuned makes a test server's dispatcher poll often and time out soon.
func tuned(timeout time.Duration, schedule ...time.Duration) func(*Main) {
	return func(m *Main) {
		m.webhookTuning = func(c *webhook.Config) {
			// The lease outlives an attempt (timeout) and its recording,
			// and runs out soon after a lost result, so that a test waits
			// for a takeover in seconds, not a minute.
			c.Poll, c.Timeout, c.Lease = 10*time.Millisecond, timeout, 2*timeout
			if schedule != nil {
				c.Schedule = schedule
			}
		}
	}
}

// hookKey is a key of brand with the webhooks:write scope.
func hookKey(t *testing.T, env map[string]string, brand string) string {
	t.Helper()
	return mustCLI(t, env, "api-keys", "create", "--brand", brand, "--name", "hooks", "--scopes", "webhooks:write")["key"].(string)
}

// createHook creates an endpoint for the receiver and hands it the secret.
func createHook(t *testing.T, s *testServer, key string, h *hookReceiver, events ...string) string {
	t.Helper()
	r := s.call(t, "POST", "/v1/webhooks", key, map[string]any{"url": h.srv.URL + "/hooks", "events": events})
	expect(t, r, http.StatusCreated, "")
	h.mu.Lock()
	h.secret = r.str("secret")
	h.mu.Unlock()
	return r.str("id")
}

// deliveries is an endpoint's whole delivery log.
func deliveries(t *testing.T, s *testServer, key, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	for {
		r := s.call(t, "GET", "/v1/webhooks/"+id+"/deliveries?limit=100&cursor="+cursor, key, nil)
		expect(t, r, http.StatusOK, "")
		for _, d := range r.get("data").([]any) {
			out = append(out, d.(map[string]any))
		}
		if r.get("next_cursor") == nil {
			return out
		}
		cursor = r.str("next_cursor")
	}
}

// eventually polls cond until it holds, or fails the test after a bound
// generous enough for a loaded machine (what is waited for is a state,
// never a duration).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
