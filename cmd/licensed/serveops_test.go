package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/licensedhq/licensed/issuer/httpapi"
	"github.com/licensedhq/licensed/verifier"
)

// TestAuthFailAcrossReplicas: failed API-key attempts are counted per
// client IP in the shared limiter, so that past the limit on one replica
// the other refuses that IP too — a valid key included — before any key is
// checked; on the embedded default the in-process limiter does the same.
func TestAuthFailAcrossReplicas(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		env := backends[0].env(t)
		env["LICENSED_RATE_LIMITS"] = "authfail=1:3"
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		authFailDrill(t, s, s, rm)
	})
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		env := redisEnv(t)
		env["LICENSED_RATE_LIMITS"] = "authfail=1:3"
		a, b := serve(t, env), serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		authFailDrill(t, a, b, rm)
	})
}

func authFailDrill(t *testing.T, a, b *testServer, rm tenant) {
	t.Helper()
	expect(t, a.call(t, "GET", "/v1/audit-events", rm.readKey, nil), http.StatusOK, "")
	for i := range 3 {
		expect(t, a.call(t, "GET", "/v1/audit-events", "lk_guess"+strconv.Itoa(i)+"_secret", nil), http.StatusUnauthorized, "unauthorized")
	}
	for _, key := range []string{"lk_guess9_secret", rm.readKey, ""} {
		r := b.call(t, "GET", "/v1/audit-events", key, nil)
		expect(t, r, http.StatusTooManyRequests, "rate_limited")
		if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 || ra > 60 {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
	}
	// The product API is not behind the gate.
	expect(t, b.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": "LK-NONE"}), http.StatusNotFound, "license_not_found")
	m := b.call(t, "GET", "/metrics", "", nil)
	if !strings.Contains(string(m.raw), `licensed_auth_failures_total{result="refused"} 3`) {
		t.Fatalf("metrics lack the refusals:\n%s", grepLines(m.raw, "auth_failures"))
	}
}

func grepLines(b []byte, needle string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, needle) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsListener: with LICENSED_METRICS_ADDR, /metrics is served
// there (GET and HEAD) and no longer on the API address.
func TestMetricsListener(t *testing.T) {
	env := backends[0].env(t)
	env["LICENSED_METRICS_ADDR"] = "127.0.0.1:0"
	s := serve(t, env)
	expect(t, s.call(t, "GET", "/healthz", "", nil), http.StatusOK, "")
	expect(t, s.call(t, "GET", "/metrics", "", nil), http.StatusNotFound, "not_found")
	res, err := http.Get(s.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `licensed_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Fatalf("metrics listener: %d\n%.1000s", res.StatusCode, body)
	}
	head, err := http.Head(s.MetricsURL() + "/metrics")
	if err != nil || head.StatusCode != 200 {
		t.Fatalf("HEAD on the metrics listener: %v %v", head, err)
	}
	head.Body.Close()
	other, err := http.Get(s.MetricsURL() + "/v1/validate")
	if err != nil {
		t.Fatal(err)
	}
	other.Body.Close()
	if other.StatusCode != http.StatusNotFound {
		t.Fatalf("the metrics listener serves the API: %d", other.StatusCode)
	}
	if !strings.Contains(s.logs.String(), `"metrics_addr":"127.0.0.1:`) {
		t.Fatalf("the start log does not name the metrics address:\n%s", s.logs.String())
	}
}

// TestIssuerDefault: on a loopback address the tokens' issuer is
// http://localhost:<port>, the URL the README uses, and the start log
// names it; the SDK's verifier configured with that URL accepts them.
func TestIssuerDefault(t *testing.T) {
	env := backends[0].env(t)
	s := serve(t, env)
	_, port, _ := net.SplitHostPort(s.ln.Addr().String())
	want := "http://localhost:" + port
	if !strings.Contains(s.logs.String(), `"issuer":"`+want+`"`) {
		t.Fatalf("the start log does not name issuer %s:\n%s", want, s.logs.String())
	}
	rm := newTenant(t, env, "rankmath", 1)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "iss@example.com", "product": "rankmath-pro"})
	a := s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": r.str("license_key"), "product": "rankmath/rankmath-pro", "instance": "example.org"})
	expect(t, a, http.StatusCreated, "")
	c, err := verifier.New(s.keySet(t), verifier.WithIssuer(want), verifier.WithProduct("rankmath/rankmath-pro"), verifier.WithInstance("example.org")).Verify(a.str("token"))
	if err != nil || c.Issuer != want {
		t.Fatalf("token under issuer %s: %+v %v", want, c, err)
	}
}

// TestIssuerRequired: on any other address serve refuses to start without
// LICENSED_ISSUER (exit 1, a message naming it), before it opens anything;
// a malformed issuer is refused too.
func TestIssuerRequired(t *testing.T) {
	for _, c := range []struct{ name, addr, issuer, want string }{
		{"all interfaces", "0.0.0.0:0", "", "LICENSED_ISSUER is required"},
		{"no host", ":0", "", "LICENSED_ISSUER is required"},
		{"not a URL", "127.0.0.1:0", "licenses.example.com", "want an absolute http:// or https:// URL"},
		{"other scheme", "127.0.0.1:0", "ftp://licenses.example.com", "want an absolute http:// or https:// URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(binary(t), "serve", "--addr", c.addr, "--issuer", c.issuer)
			cmd.Env = append(os.Environ(), "LICENSED_DATA_DIR="+dir, "LICENSED_ISSUER=")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), c.want) {
				t.Fatalf("serve --addr %s --issuer %q: %v\n%s", c.addr, c.issuer, err, out)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused start left files in the data dir: %v", entries)
			}
		})
	}
	// With it, a non-loopback address serves (checked in process: no port
	// is opened to the network for longer than the test).
	env := backends[0].env(t)
	env["LICENSED_ADDR"] = "0.0.0.0:0"
	env["LICENSED_ISSUER"] = "https://licenses.example.com"
	s := serve(t, env)
	if !strings.Contains(s.logs.String(), `"issuer":"https://licenses.example.com"`) {
		t.Fatalf("start log: %s", s.logs.String())
	}
}

// TestShutdownUnderKeepAliveLoad: clients validating over keep-alive
// connections while the server shuts down lose no request. During the
// shutdown delay every answer carries Connection: close; a client that
// gets one moves off (here: stops), as a load balancer's pool would.
func TestShutdownUnderKeepAliveLoad(t *testing.T) {
	t.Run("SIGTERM sqlite", func(t *testing.T) {
		t.Parallel()
		env := backends[0].env(t)
		env["LICENSED_SHUTDOWN_DELAY"] = "1s"
		cmd, url, done := spawnServe(t, env)
		key := provisionOne(t, &testServer{env: env, url: url}, env)
		report := keepAliveLoad(t, url, key, func() {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		})
		if err := <-done; err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
		report.check(t)
	})
	for _, b := range backends {
		t.Run("Close "+b.name, func(t *testing.T) {
			t.Parallel()
			env := b.env(t)
			env["LICENSED_SHUTDOWN_DELAY"] = "1s"
			s := serve(t, env)
			key := provisionOne(t, s, env)
			closed := make(chan error, 1)
			report := keepAliveLoad(t, s.URL(), key, func() { go func() { closed <- s.Close() }() })
			if err := <-closed; err != nil {
				t.Fatal(err)
			}
			s.http, s.store, s.lock = nil, nil, nil // closed; keep the cleanup from closing twice
			report.check(t)
		})
	}
}

func provisionOne(t *testing.T, s *testServer, env map[string]string) string {
	t.Helper()
	rm := newTenant(t, env, "rankmath", 1)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "load@example.com", "product": "rankmath-pro"})
	expect(t, r, http.StatusCreated, "")
	expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": r.str("license_key"), "product": "rankmath/rankmath-pro", "instance": "example.org"}), http.StatusCreated, "")
	return r.str("license_key")
}

type loadReport struct {
	clients                 int
	sent, failed, movedOff  atomic.Int64
	beforeStop, errExamples sync.Map
}

func (r *loadReport) check(t *testing.T) {
	t.Helper()
	t.Logf("shutdown under keep-alive load: %d requests from %d clients, %d failed, %d clients moved off on Connection: close",
		r.sent.Load(), r.clients, r.failed.Load(), r.movedOff.Load())
	if r.failed.Load() != 0 {
		r.errExamples.Range(func(k, v any) bool { t.Errorf("failed request: %v", v); return true })
		t.Fatalf("%d of %d requests failed", r.failed.Load(), r.sent.Load())
	}
	if r.movedOff.Load() != int64(r.clients) {
		t.Fatalf("%d of %d clients saw Connection: close", r.movedOff.Load(), r.clients)
	}
	if r.sent.Load() < int64(r.clients)*10 {
		t.Fatalf("only %d requests: no load to speak of", r.sent.Load())
	}
}

// keepAliveLoad runs validating clients, each with its own keep-alive
// connection, calls stop once they are all going, and returns when each has
// moved off (or given up after 30 s).
func keepAliveLoad(t *testing.T, url, key string, stop func()) *loadReport {
	t.Helper()
	r := &loadReport{clients: 6}
	body := `{"license_key":"` + key + `","product":"rankmath/rankmath-pro","instance":"example.org"}`
	var started sync.WaitGroup
	var wg sync.WaitGroup
	deadline := time.Now().Add(30 * time.Second)
	for c := range r.clients {
		started.Add(1)
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}, Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			for n := 0; time.Now().Before(deadline); n++ {
				if n == 20 {
					started.Done()
				}
				r.sent.Add(1)
				res, err := client.Post(url+"/v1/validate", "application/json", strings.NewReader(body))
				if err != nil {
					r.failed.Add(1)
					r.errExamples.Store(c, err.Error())
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					r.failed.Add(1)
					r.errExamples.Store(c, res.Status)
					return
				}
				if res.Close {
					r.movedOff.Add(1)
					if n < 20 {
						started.Done()
					}
					return
				}
			}
		})
	}
	started.Wait()
	stop()
	wg.Wait()
	return r
}

// spawnServe starts `licensed serve` as a process of its own and returns
// it, its URL and a channel that yields its exit.
func spawnServe(t *testing.T, env map[string]string) (*exec.Cmd, string, chan error) {
	t.Helper()
	full := map[string]string{"LICENSED_ADDR": "127.0.0.1:0", "LICENSED_RATE_LIMITS": "off", "LICENSED_SHUTDOWN_DELAY": "0s"}
	maps.Copy(full, env)
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = os.Environ()
	for k, v := range full {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	addr := make(chan string, 1)
	var logs bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.Write(append(sc.Bytes(), '\n'))
			mu.Unlock()
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				addr <- line.Addr
			}
		}
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		mu.Lock()
		defer mu.Unlock()
		checkLogSecrets(t, logs.String())
	})
	select {
	case a := <-addr:
		return cmd, "http://" + a, done
	case err := <-done:
		t.Fatalf("licensed serve exited: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("licensed serve did not start:\n%s", logs.String())
	}
	return nil, "", nil
}

// TestSecondServe: a second serve on the same SQLite data dir exits 1 at
// once, naming the first (pid and address); admin commands work beside
// it; once the first is killed -9, its stale lock file blocks nothing.
func TestSecondServe(t *testing.T) {
	env := backends[0].env(t)
	first, url, firstDone := spawnServe(t, env)
	addr := strings.TrimPrefix(url, "http://")

	// "At once": well within the time a start takes; the context only
	// keeps a hung second server from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, binary(t), "serve", "--addr", "127.0.0.1:0")
	second.Env = append(os.Environ(), "LICENSED_DATA_DIR="+env["LICENSED_DATA_DIR"], "LICENSED_ISSUER=")
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	msg := string(out)
	if !errors.As(err, &exit) || exit.ExitCode() != 1 ||
		!strings.Contains(msg, "pid "+strconv.Itoa(first.Process.Pid)) || !strings.Contains(msg, addr) {
		t.Fatalf("second serve: %v\n%s", err, out)
	}
	if strings.Contains(msg, `"msg":"serving"`) {
		t.Fatalf("the second serve started serving:\n%s", out)
	}

	// Admin commands, in processes of their own, work beside the server.
	cli := exec.CommandContext(ctx, binary(t), "brands", "create", "--slug", "beside", "--name", "Beside")
	cli.Env = append(os.Environ(), "LICENSED_DATA_DIR="+env["LICENSED_DATA_DIR"])
	if out, err := cli.CombinedOutput(); err != nil || !strings.Contains(string(out), `"slug": "beside"`) {
		t.Fatalf("brands create beside a running server: %v\n%s", err, out)
	}

	// kill -9 leaves the lock file behind; the kernel dropped the lock.
	first.Process.Kill()
	<-firstDone
	if _, err := os.Stat(filepath.Join(env["LICENSED_DATA_DIR"], lockFileName)); err != nil {
		t.Fatalf("no lock file after the kill: %v", err)
	}
	_, url2, _ := spawnServe(t, env)
	res, err := http.Get(url2 + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("a serve after a killed one: %v %v", res, err)
	}
	res.Body.Close()
}

// TestHEAD: every GET route of the document answers HEAD with the same
// status and headers and no body.
func TestHEAD(t *testing.T) {
	env := backends[0].env(t)
	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 1)
	admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "head@example.com", "product": "rankmath-pro"})
	id := r.str("license", "id")
	var doc map[string]any
	json.Unmarshal(httpapi.OpenAPIDocument(), &doc)
	paths := doc["paths"].(map[string]any)
	n := 0
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item := paths[path].(map[string]any)
		if item["get"] == nil {
			continue
		}
		if item["head"] == nil {
			t.Errorf("the document has no HEAD for GET %s", path)
			continue
		}
		key := ""
		if sec, _ := item["get"].(map[string]any)["security"].([]any); len(sec) > 0 {
			key = rm.readKey
			if strings.Contains(path, "signing-keys") {
				key = admin
			}
		}
		p := strings.ReplaceAll(path, "{id}", id)
		get := s.call(t, "GET", p, key, nil)
		head := s.call(t, "HEAD", p, key, nil)
		n++
		if head.status != get.status || len(head.raw) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes; GET %d", p, head.status, len(head.raw), get.status)
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "ETag", "Allow"} {
			if head.header.Get(h) != get.header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET %q", p, h, head.header.Get(h), get.header.Get(h))
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d GET routes checked", n)
	}
	// A 404 and a 401 answer HEAD like GET too.
	expect(t, s.call(t, "HEAD", "/v1/licenses/"+id, "", nil), http.StatusUnauthorized, "")
	if allow := s.call(t, "PUT", "/healthz", "", nil).header.Get("Allow"); allow != "GET, HEAD" {
		t.Fatalf("Allow of /healthz: %q", allow)
	}
}

// TestVersion: GET /version and `licensed version` describe the build;
// make build's -ldflags version shows in both.
func TestVersion(t *testing.T) {
	s := serve(t, backends[0].env(t))
	v := s.call(t, "GET", "/version", "", nil)
	expect(t, v, http.StatusOK, "")
	if v.str("go") != runtime.Version() || v.str("version") == "" {
		t.Fatalf("/version: %s", v.raw)
	}
	out, _, err := cli(t, map[string]string{}, "version")
	if err != nil {
		t.Fatal(err)
	}
	var fromCLI map[string]any
	if json.Unmarshal([]byte(out), &fromCLI) != nil || fromCLI["go"] != runtime.Version() || fromCLI["version"] != v.str("version") {
		t.Fatalf("licensed version: %s; /version %s", out, v.raw)
	}
	bin, err := exec.Command(binary(t), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	var built map[string]string
	if json.Unmarshal(bin, &built) != nil || built["version"] != testVersion || built["go"] != runtime.Version() {
		t.Fatalf("the built binary says %s, want version %s", bin, testVersion)
	}
	if _, ok := built["commit"]; !ok {
		t.Fatalf("no commit member: %s", bin)
	}
}
