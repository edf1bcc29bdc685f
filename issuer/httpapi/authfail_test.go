package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/local"
)

// countingStore knows no API key and counts every lookup of one; any other
// store call would panic (the embedded interface is nil), which proves the
// refused requests reach nothing else either.
type countingStore struct {
	store.Store
	lookups atomic.Int64
}

func (c *countingStore) APIKeyByPrefix(context.Context, string) (store.APIKey, error) {
	c.lookups.Add(1)
	return store.APIKey{}, store.ErrNotFound
}

// TestAuthFailLimit: a client IP's failed API-key attempts are counted,
// and past the authfail burst its brand-API requests are refused with 429
// before any key is looked up: no store read at all.
func TestAuthFailLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := &countingStore{}
	limits, err := ParseLimits("authfail=10:20")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := New(Config{
		Service: issuer.New(issuer.Config{Store: st}), Limiter: local.NewLimiter(clock), Limits: limits,
		Logger: slog.New(slog.DiscardHandler), Registry: reg,
	})
	call := func(ip, auth string) *http.Response {
		r := httptest.NewRequest("GET", "/v1/audit-events", nil)
		r.RemoteAddr = ip + ":5000"
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Result()
	}
	wrong := func(i int) string { return "Bearer lk_guess" + strings.Repeat("x", i%7) + "_secret" }

	for i := range 20 {
		if res := call("203.0.113.7", wrong(i)); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong key %d: %d, want 401 within the burst", i+1, res.StatusCode)
		}
	}
	if n := st.lookups.Load(); n != 20 {
		t.Fatalf("%d key lookups for 20 wrong keys", n)
	}
	for i := range 30 {
		res := call("203.0.113.7", wrong(i))
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || res.Header.Get("RateLimit-Remaining") != "0" {
			t.Fatalf("attempt %d past the limit: %d %v", 21+i, res.StatusCode, res.Header)
		}
	}
	// No header at all is refused the same way, before anything else.
	if res := call("203.0.113.7", ""); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("no key past the limit: %d", res.StatusCode)
	}
	if n := st.lookups.Load(); n != 20 {
		t.Fatalf("%d key lookups: refused attempts reached the store", n)
	}
	var m dto.Metric
	if err := s.metrics.authFailures.WithLabelValues("refused").Write(&m); err != nil || m.GetCounter().GetValue() != 31 {
		got := m.GetCounter().GetValue()
		t.Fatalf("licensed_auth_failures_total{result=refused} = %v, want 31", got)
	}
	// Another address has its own budget.
	if res := call("198.51.100.4", wrong(0)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another IP: %d", res.StatusCode)
	}
	// Ten a minute: one attempt back after six seconds, then refused again.
	mu.Lock()
	now = now.Add(6 * time.Second)
	mu.Unlock()
	if res := call("203.0.113.7", wrong(1)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after a refill: %d, want 401", res.StatusCode)
	}
	if res := call("203.0.113.7", wrong(2)); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right after: %d, want 429", res.StatusCode)
	}
	if n := st.lookups.Load(); n != 22 {
		t.Fatalf("%d key lookups, want 22", n)
	}
	// The product API is not behind the gate.
	r := httptest.NewRequest("GET", "/healthz", nil)
	r.RemoteAddr = "203.0.113.7:5000"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("healthz from a refused IP: %d", w.Code)
	}
}
