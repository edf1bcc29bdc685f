package sdk

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

const (
	testIssuer   = "https://licensed.test"
	testProduct  = "acme/acme-pro"
	testInstance = "https://www.Example.org/"
	testKey      = "LK-TEST-0000-0000-0000-0000-0000-0000-7KQ2"
	testLicense  = "0194f7a2-7c4e-7b3a-9d2e-5f1a2b3c4d5e"
)

// signer is a signing key of the service, for tests.
type signer struct {
	kid  string
	priv ed25519.PrivateKey
	jwk  map[string]string
}

func newSigner(seed byte) *signer {
	priv := ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))
	x := base64.RawURLEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`)) // RFC 7638
	kid := base64.RawURLEncoding.EncodeToString(sum[:])
	return &signer{kid: kid, priv: priv, jwk: map[string]string{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}}
}

// jwks is the JWK Set of the signers.
func jwks(signers ...*signer) []byte {
	keys := make([]map[string]string, len(signers))
	for i, s := range signers {
		keys[i] = s.jwk
	}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

func (s *signer) sign(c verifier.Claims) string {
	h, _ := json.Marshal(map[string]string{"alg": "EdDSA", "typ": "license+jwt", "kid": s.kid})
	p, _ := json.Marshal(c)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(s.priv, []byte(input)))
}

// claims of an activation token issued at now, living ttl.
func claims(now time.Time, ttl time.Duration, status string) verifier.Claims {
	return verifier.Claims{
		Issuer: testIssuer, Subject: testLicense, Audience: testProduct,
		IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(ttl).Unix(),
		ID: fmt.Sprintf("jti-%d", now.UnixNano()), Status: status, Seats: 3, Entitlements: []string{"pro"},
		Instance: "example.org", ActivationID: "act-1",
	}
}

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	afters  int
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.afters++
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock and fires the waiters due; it returns how many.
func (c *fakeClock) Advance(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept, fired := c.waiters[:0], 0
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
		fired++
	}
	c.waiters = kept
	return fired
}

// Afters counts calls of After: the guard's loop calls it once per turn,
// after the turn's work, so a higher count means a turn has finished.
func (c *fakeClock) Afters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.afters
}

// waitFor polls cond for up to 5 s of real time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// turn runs fn (which should wake the guard's loop) and waits until the
// loop has finished a turn after it.
func turn(t *testing.T, clk *fakeClock, fn func()) {
	t.Helper()
	n := clk.Afters()
	fn()
	waitFor(t, "the guard's loop to finish a turn", func() bool { return clk.Afters() > n })
}

// refreshed runs fn, which should make the guard's loop validate, and
// waits until the answer has been applied: Refresh holds g.online from
// before its request until after it applied the answer. The poke covers
// a loop that read the fake clock just before fn advanced it and so
// sleeps from the new time for a wait computed from the old one.
func refreshed(t *testing.T, f *fakeService, g *Guard, fn func()) {
	t.Helper()
	n := f.get(func(f *fakeService) int { return f.validations })
	fn()
	g.poke()
	waitFor(t, "a validation", func() bool { return f.get(func(f *fakeService) int { return f.validations }) > n })
	g.online.Lock()
	g.online.Unlock()
}

// hasWaiterAt reports whether someone sleeps until exactly at.
func (c *fakeClock) hasWaiterAt(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.waiters {
		if w.at.Equal(at) {
			return true
		}
	}
	return false
}

// setToken replaces the guard's token, as if a refresh had brought it.
func setToken(g *Guard, tok string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.token = tok
}

// nextRefresh reads the schedule without Check's side effects.
func nextRefresh(g *Guard) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.nextRefresh
}

// fakeService is the licensing service as a product sees it: the JWKS
// and the product API, with switches for every way it can answer.
type fakeService struct {
	t     *testing.T
	srv   *httptest.Server
	clock *fakeClock

	mu            sync.Mutex
	signer        *signer
	jwks          []byte
	jwksStatus    int    // non-zero: answer this instead
	jwksBody      []byte // non-nil: serve this body instead
	jwksFetches   int
	notModified   int
	ifNoneMatch   []string
	status        string        // license status in tokens
	ttl           time.Duration // token lifetime
	mode          string        // "" or how to fail: see serveProduct
	validations   int
	activations   int
	deactivations int
	lastBody      map[string]string
	lastUserAgent string
	hang          chan struct{}
	jwksGate      chan struct{}          // non-nil: the JWKS answers once it is closed
	edit          func(*verifier.Claims) // non-nil: changes the claims of every token
}

func newFakeService(t *testing.T, clk *fakeClock) *fakeService {
	s := newSigner(1)
	f := &fakeService{t: t, clock: clk, signer: s, jwks: jwks(s), status: "active", ttl: 10 * time.Hour, hang: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		close(f.hang)
		f.srv.Close()
	})
	return f
}

func (f *fakeService) set(fn func(f *fakeService)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeService) get(fn func(f *fakeService) int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn(f)
}

func (f *fakeService) productClient(t *testing.T, opts ...Option) *ProductClient {
	t.Helper()
	opts = append([]Option{withSleep(func(time.Duration) {})}, opts...)
	c, err := NewProductClient(f.srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withSleep makes retries wait for nothing, recording the waits.
func withSleep(record func(time.Duration)) Option {
	return func(c *config) {
		c.sleep = func(_ context.Context, d time.Duration) error { record(d); return nil }
	}
}

func (f *fakeService) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.lastUserAgent = r.UserAgent()
	f.mu.Unlock()
	switch r.URL.Path {
	case jwksPath:
		f.serveJWKS(w, r)
	case "/v1/activate", "/v1/validate":
		f.serveProduct(w, r)
	case "/v1/deactivate":
		var in map[string]string
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		f.deactivations++
		f.lastBody = in
		f.mu.Unlock()
		if id, ok := in["activation_id"]; ok && id != "act-1" && id != "act-2" {
			problem(w, http.StatusNotFound, "activation_not_found", nil)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"deactivated": true, "seats_used": 0})
	case "/v1/activations":
		var in map[string]string
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		f.lastBody = in
		f.mu.Unlock()
		if in["license_key"] != testKey {
			problem(w, http.StatusNotFound, "license_not_found", nil)
			return
		}
		act := func(id, instance string) map[string]any {
			return map[string]any{"id": id, "license_id": testLicense, "instance": instance, "instance_name": nil,
				"created_at": "2027-01-15T08:00:00Z", "last_seen_at": "2027-01-15T08:00:00Z"}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{act("act-1", "example.org"), act("act-2", "old.example")}})
	default:
		problem(w, http.StatusNotFound, "not_found", nil)
	}
}

func (f *fakeService) serveJWKS(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	gate := f.jwksGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwksFetches++
	f.ifNoneMatch = append(f.ifNoneMatch, r.Header.Get("If-None-Match"))
	if f.jwksStatus != 0 {
		problem(w, f.jwksStatus, "internal", nil)
		return
	}
	body := f.jwks
	if f.jwksBody != nil {
		body = f.jwksBody
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		f.notModified++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(body)
}

func (f *fakeService) serveProduct(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "invalid_json", nil)
		return
	}
	f.mu.Lock()
	f.lastBody = in
	mode := f.mode
	if r.URL.Path == "/v1/validate" {
		f.validations++
	} else {
		f.activations++
	}
	hang := f.hang
	f.mu.Unlock()
	for name, v := range r.Header {
		if strings.Contains(r.URL.String()+name+strings.Join(v, ""), testKey) {
			f.t.Errorf("the license key is in the URL or the %s header", name)
		}
	}
	if in["license_key"] != testKey {
		problem(w, http.StatusNotFound, "license_not_found", nil)
		return
	}
	switch mode {
	case "down":
		w.Header().Set("Retry-After", "5")
		problem(w, http.StatusServiceUnavailable, "unavailable", nil)
	case "internal":
		problem(w, http.StatusInternalServerError, "internal", nil)
	case "html":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>Welcome to Hotel Wi-Fi</html>"))
	case "not_found":
		problem(w, http.StatusNotFound, "license_not_found", nil)
	case "hang":
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	case "expired", "not_activated", "suspended_past_expiry", "cancelled_past_expiry":
		code := map[string]string{"expired": "EXPIRED", "not_activated": "NOT_ACTIVATED",
			"suspended_past_expiry": "SUSPENDED", "cancelled_past_expiry": "CANCELLED"}[mode]
		writeJSON(w, http.StatusOK, map[string]any{"valid": false, "code": code, "licenses": []any{}})
	default:
		f.answer(w, r.URL.Path)
	}
}

func (f *fakeService) answer(w http.ResponseWriter, path string) {
	f.mu.Lock()
	c := claims(f.clock.Now(), f.ttl, f.status)
	if f.edit != nil {
		f.edit(&c)
	}
	tok := f.signer.sign(c)
	status := f.status
	f.mu.Unlock()
	lic := map[string]any{"id": testLicense, "product": testProduct, "status": status, "seats": 3, "seats_used": 1, "expires_at": nil, "entitlements": []string{"pro"}}
	if path == "/v1/activate" {
		writeJSON(w, http.StatusCreated, map[string]any{
			"activation": map[string]any{"id": "act-1", "license_id": testLicense, "instance": "example.org", "instance_name": nil,
				"created_at": "2027-01-15T08:00:00Z", "last_seen_at": "2027-01-15T08:00:00Z"},
			"license": lic, "token": tok,
		})
		return
	}
	code := map[string]string{"active": "VALID", "suspended": "SUSPENDED", "cancelled": "CANCELLED"}[status]
	writeJSON(w, http.StatusOK, map[string]any{"valid": code == "VALID", "code": code, "licenses": []any{lic}, "token": tok})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// problem writes a problem document as the service does.
func problem(w http.ResponseWriter, status int, code string, extra map[string]any) {
	p := map[string]any{"type": "urn:licensed:error:" + code, "title": http.StatusText(status), "status": status,
		"code": code, "detail": "detail of " + code, "request_id": "req-1"}
	for k, v := range extra {
		p[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Request-Id", "req-1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}
