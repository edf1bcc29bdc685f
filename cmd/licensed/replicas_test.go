package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/storetest"
)

// redisEnv is a PostgreSQL schema and a Redis key prefix of this test's own.
func redisEnv(t *testing.T) map[string]string {
	env := backends[1].env(t)
	url := storetest.RedisURL(t)
	env["LICENSED_REDIS_URL"] = url
	env["LICENSED_REDIS_PREFIX"] = storetest.RedisPrefix(t, url)
	return env
}

// replicaShapes are the shapes several replicas run in: PostgreSQL with
// Redis (memos told through Redis pub/sub), and PostgreSQL alone (memos
// told through LISTEN/NOTIFY). The replica tests hold on both.
var replicaShapes = []backend{
	{"postgres+redis", redisEnv},
	{"postgres", backends[1].env},
}

// eachReplicaShape runs fn once per shape several replicas run in.
func eachReplicaShape(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	for _, b := range replicaShapes {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.env(t))
		})
	}
}

// TestReplicasShareRevocation: two `licensed serve` processes on one
// PostgreSQL (and one Redis); a suspension through replica A is what
// replica B answers next, although B had the license cached as valid.
func TestReplicasShareRevocation(t *testing.T) { eachReplicaShape(t, replicasShareRevocation) }

func replicasShareRevocation(t *testing.T, env map[string]string) {
	a, b := spawn(t, env), spawn(t, env)
	rm := newTenant(t, env, "rankmath", 3)
	r := a.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
	key, id := r.str("license_key"), r.str("license", "id")
	body := map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"}
	expect(t, b.call(t, "POST", "/v1/activate", "", body), 201, "")
	for range 3 { // B now serves the license from the shared cache
		if v := b.call(t, "POST", "/v1/validate", "", body); v.str("code") != "VALID" {
			t.Fatalf("before: %s", v.raw)
		}
	}
	for _, step := range []struct{ action, want string }{{"suspend", "SUSPENDED"}, {"resume", "VALID"}, {"cancel", "CANCELLED"}} {
		expect(t, a.call(t, "POST", "/v1/licenses/"+id+"/"+step.action, rm.writeKey, nil), 200, "")
		if v := b.call(t, "POST", "/v1/validate", "", body); v.str("code") != step.want {
			t.Fatalf("after %s through A, B answers %s", step.action, v.raw)
		}
	}
	expect(t, b.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "new.example"}), 403, "license_cancelled")
}

// TestReplicasUnderLoad: activations, deactivations, suspensions and
// validations spread over two replicas at once. No seat is oversubscribed,
// and no VALID is answered for a license whose suspension was acknowledged
// more than a second before the validation was sent.
func TestReplicasUnderLoad(t *testing.T) { eachReplicaShape(t, replicasUnderLoad) }

func replicasUnderLoad(t *testing.T, env map[string]string) {
	reps := []*testServer{spawn(t, env), spawn(t, env)}
	rm := newTenant(t, env, "rankmath", 3)
	type lic struct {
		key, id     string
		mu          sync.Mutex
		suspendedAt time.Time // acknowledged; zero while active
	}
	lics := make([]*lic, 6)
	for i := range lics {
		r := reps[0].call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": fmt.Sprintf("u%d@example.com", i), "product": "rankmath-pro"})
		expect(t, r, 201, "")
		lics[i] = &lic{key: r.str("license_key"), id: r.str("license", "id")}
	}
	deadline := time.Now().Add(4 * time.Second)
	var wg sync.WaitGroup
	var failures sync.Map
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(deadline) {
				l := lics[rng.IntN(len(lics))]
				rep := reps[rng.IntN(len(reps))]
				inst := fmt.Sprintf("s%d.example", rng.IntN(6))
				body := map[string]any{"license_key": l.key, "product": "rankmath/rankmath-pro", "instance": inst}
				switch op := rng.IntN(10); {
				case op < 3:
					rep.call(t, "POST", "/v1/activate", "", body)
				case op < 5:
					rep.call(t, "POST", "/v1/deactivate", "", body)
				case op == 5:
					l.mu.Lock()
					if l.suspendedAt.IsZero() {
						if r := rep.call(t, "POST", "/v1/licenses/"+l.id+"/suspend", rm.writeKey, nil); r.status == 200 {
							l.suspendedAt = time.Now()
						}
					} else if r := rep.call(t, "POST", "/v1/licenses/"+l.id+"/resume", rm.writeKey, nil); r.status == 200 {
						l.suspendedAt = time.Time{}
					}
					l.mu.Unlock()
				default:
					l.mu.Lock()
					since := l.suspendedAt
					l.mu.Unlock()
					sent := time.Now()
					v := rep.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": l.key, "product": "rankmath/rankmath-pro"})
					if !since.IsZero() && sent.Sub(since) > time.Second && v.str("code") == "VALID" {
						failures.Store(l.id, fmt.Sprintf("VALID %v after the suspension was acknowledged", sent.Sub(since)))
					}
				}
			}
		}()
	}
	wg.Wait()
	failures.Range(func(k, v any) bool { t.Errorf("license %v: %v", k, v); return true })
	for _, l := range lics {
		for _, rep := range reps {
			g := rep.call(t, "GET", "/v1/licenses/"+l.id, rm.readKey, nil)
			acts := rep.call(t, "GET", "/v1/licenses/"+l.id+"/activations", rm.readKey, nil)
			if n := len(acts.get("data").([]any)); g.num("seats_used") > 3 || n != g.num("seats_used") {
				t.Fatalf("license %s: seats_used %d, %d live activations, 3 seats", l.id, g.num("seats_used"), n)
			}
		}
	}
}

// TestSharedRateLimits: with Redis, the buckets are the replicas' together.
func TestSharedRateLimits(t *testing.T) {
	env := redisEnv(t)
	env["LICENSED_RATE_LIMITS"] = "ip=1000:1000,license=1:4"
	a, b := spawn(t, env), spawn(t, env)
	body := map[string]any{"license_key": "LK-NOT-A-KEY"}
	var last response
	for i, rep := range []*testServer{a, b, a, b} {
		last = rep.call(t, "POST", "/v1/validate", "", body)
		expect(t, last, 404, "license_not_found")
		if got := last.header.Get("RateLimit-Remaining"); got != itoa(3-i) {
			t.Fatalf("request %d: RateLimit-Remaining %s, want %d (one bucket for both replicas)", i, got, 3-i)
		}
	}
	expect(t, a.call(t, "POST", "/v1/validate", "", body), http.StatusTooManyRequests, "rate_limited")
	expect(t, b.call(t, "POST", "/v1/validate", "", body), http.StatusTooManyRequests, "rate_limited")
}

// TestRedisOutage: with Redis cut off, validation answers from the store
// (never VALID for a suspended license), rate limits fall back to the
// in-process limiter, /readyz stays ready, a log line and a metric say the
// service is degraded; when Redis returns it is used again.
func TestRedisOutage(t *testing.T) {
	env := redisEnv(t)
	proxy := storetest.StartProxy(t, env["LICENSED_REDIS_URL"])
	env["LICENSED_REDIS_URL"] = proxy.URL()
	env["LICENSED_RATE_LIMITS"] = "ip=1000:1000,license=1:20"
	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 2)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
	key, id := r.str("license_key"), r.str("license", "id")
	validate := func(k string) response {
		return s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": k, "product": "rankmath/rankmath-pro"})
	}
	if v := validate(key); v.str("code") != "VALID" {
		t.Fatalf("before: %s", v.raw)
	}

	proxy.Cut()
	expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", rm.writeKey, nil), 200, "")
	if v := validate(key); v.str("code") != "SUSPENDED" {
		t.Fatalf("Redis down, after a suspension: %s", v.raw)
	}
	expect(t, s.call(t, "GET", "/readyz", "", nil), 200, "")
	if !strings.Contains(s.logs.String(), "redis unreachable") || !strings.Contains(s.metricsText(t), "licensed_redis_up 0") {
		t.Fatalf("degradation not reported:\n%s", s.logs.String())
	}
	// The in-process fallback limits: 20 per license key, never unlimited.
	other := "LK-FALLBACK"
	for range 20 {
		expect(t, validate(other), 404, "license_not_found")
	}
	expect(t, validate(other), http.StatusTooManyRequests, "rate_limited")

	proxy.Restore()
	expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/resume", rm.writeKey, nil), 200, "")
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(s.metricsText(t), "licensed_redis_up 1") {
		if time.Now().After(deadline) {
			t.Fatal("Redis never used again after it came back")
		}
		validate("LK-PROBE-" + fmt.Sprint(time.Now().UnixNano()))
		time.Sleep(100 * time.Millisecond)
	}
	// Served from the cache again (once the lost invalidation's epoch bump
	// has landed, fills stick).
	before := hits(s.metricsText(t))
	for hits(s.metricsText(t)) <= before {
		if time.Now().After(deadline) {
			t.Fatal("the cache is not used again after Redis came back")
		}
		if v := validate(key); v.str("code") != "VALID" {
			t.Fatalf("after recovery: %s", v.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *testServer) metricsText(t *testing.T) string {
	t.Helper()
	return string(s.call(t, "GET", "/metrics", "", nil).raw)
}

// hits reads licensed_cache_lookups_total{result="hit"}.
func hits(metrics string) float64 {
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, `licensed_cache_lookups_total{result="hit"} `); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}
