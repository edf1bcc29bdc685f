package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/storetest"
)

// backend is where an end-to-end test keeps its state.
type backend struct {
	name string
	env  func(t *testing.T) map[string]string
}

var backends = []backend{
	{"sqlite", func(t *testing.T) map[string]string {
		return map[string]string{"LICENSED_DATA_DIR": t.TempDir()}
	}},
	{"postgres", func(t *testing.T) map[string]string {
		key := make([]byte, 32)
		rand.Read(key)
		return map[string]string{
			"LICENSED_DATA_DIR":     t.TempDir(),
			"LICENSED_DATABASE_URL": storetest.PostgresURL(t),
			"LICENSED_MASTER_KEY":   base64.StdEncoding.EncodeToString(key),
		}
	}},
}

// eachBackend runs fn once per store backend.
func eachBackend(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.env(t))
		})
	}
}

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is `licensed serve` on port 0 with its log captured.
type testServer struct {
	*Main
	env  map[string]string
	logs *syncBuffer
	// url is set for a server in a process of its own (spawn).
	url string
}

// URL is where the server listens, in this process or another.
func (s *testServer) URL() string {
	if s.url != "" {
		return s.url
	}
	return s.Main.URL()
}

// serve starts the real server as a user would, on a free port, with rate
// limits off unless env sets them.
func serve(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	return serveWithClock(t, env, nil)
}

// testDBTimeout is LICENSED_DB_TIMEOUT in end-to-end servers unless a test
// sets its own: the contention tests queue 50 writers on one row (or one
// SQLite file) on a 2-core machine under the race detector, which takes
// longer than the 5 s default without anything being wrong. What the
// deadline does is shown by the outage drills (drill_test.go), with 1 s.
const testDBTimeout = "30s"

// serveWithClock is serve with the licensing clock replaced, and Main
// configured further by configure before it opens.
func serveWithClock(t *testing.T, env map[string]string, now func() time.Time, configure ...func(*Main)) *testServer {
	t.Helper()
	full := map[string]string{"LICENSED_ADDR": "127.0.0.1:0", "LICENSED_RATE_LIMITS": "off", "LICENSED_SHUTDOWN_DELAY": "0s",
		"LICENSED_DB_TIMEOUT": testDBTimeout}
	for k, v := range env {
		full[k] = v
	}
	logs := &syncBuffer{}
	m := &Main{Stdout: io.Discard, Stderr: logs, Getenv: func(k string) string { return full[k] }, now: now}
	for _, c := range configure {
		c(m)
	}
	if err := m.ParseFlags("serve", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkLogSecrets(t, logs.String())
	})
	return &testServer{Main: m, env: full, logs: logs}
}

// cli runs one licensed subcommand in-process on env's store and returns
// its stdout, stderr and error.
func cli(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
	err := m.Run(context.Background(), args)
	return out.String(), errOut.String(), err
}

// mustCLI runs a subcommand that must succeed and decodes its JSON.
func mustCLI(t *testing.T, env map[string]string, args ...string) map[string]any {
	t.Helper()
	out, errOut, err := cli(t, env, args...)
	if err != nil {
		t.Fatalf("licensed %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("licensed %s: output is not a JSON object: %q", strings.Join(args, " "), out)
	}
	return v
}

// tenant is a brand with one product (without free instances) and API
// keys for it.
type tenant struct {
	brand, product string
	writeKey       string // licenses:read, licenses:write
	readKey        string // licenses:read only
}

func newTenant(t *testing.T, env map[string]string, brand string, seats int) tenant {
	t.Helper()
	mustCLI(t, env, "brands", "create", "--slug", brand, "--name", strings.ToUpper(brand))
	// No free instances: these tenants' tests count seats on hosts such as
	// site.example, which the default free patterns would exempt.
	mustCLI(t, env, "products", "create", "--brand", brand, "--slug", brand+"-pro", "--name", "Pro",
		"--seats", itoa(seats), "--token-ttl", "24h", "--free-instances", "")
	w := mustCLI(t, env, "api-keys", "create", "--brand", brand, "--name", "backend", "--scopes", "licenses:read,licenses:write")
	r := mustCLI(t, env, "api-keys", "create", "--brand", brand, "--name", "reader", "--scopes", "licenses:read")
	return tenant{brand: brand, product: brand + "-pro", writeKey: w["key"].(string), readKey: r["key"].(string)}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// response is one HTTP exchange's outcome.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) str(path ...string) string {
	v, _ := r.get(path...).(string)
	return v
}

func (r response) num(path ...string) int {
	v, _ := r.get(path...).(float64)
	return int(v)
}

func (r response) get(path ...string) any {
	var v any = r.body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// call sends body (a value to marshal, a string sent as is, or nil) with
// the API key (or none) and decodes the answer. The exchange is checked
// against the OpenAPI document (contract_test.go).
func (s *testServer) call(t *testing.T, method, path, apiKey string, body any, header ...string) response {
	t.Helper()
	var rd io.Reader
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
		rd = bytes.NewReader(sent)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		sent = raw
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	checkContract(t, req, sent, res, raw)
	out := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	}
	return out
}

// expect fails unless the response has the status and, for errors, the
// problem code.
func expect(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if code == "" {
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("error Content-Type %q, want application/problem+json", ct)
	}
	if r.str("code") != code || r.str("type") != "urn:licensed:error:"+code || r.num("status") != status {
		t.Fatalf("problem %s, want code %s", r.raw, code)
	}
	if r.str("request_id") == "" || r.str("request_id") != r.header.Get("X-Request-Id") {
		t.Fatalf("problem request_id %q, header %q", r.str("request_id"), r.header.Get("X-Request-Id"))
	}
}

// secretsInLogs match what must never be logged: license keys, API keys
// and the tests' customer emails.
var secretsInLogs = regexp.MustCompile(`LK-[0-9A-Z]{4}-|lk_[a-z2-7]{8,}_|[A-Za-z0-9.+_-]+@example\.com`)

// checkLogSecrets runs at the end of every end-to-end test's server: its
// whole log is grepped for secrets.
func checkLogSecrets(t *testing.T, logs string) {
	if m := secretsInLogs.FindString(logs); m != "" {
		t.Errorf("the server log holds %q", m)
	}
}
