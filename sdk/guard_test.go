package sdk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// newTestGuard returns a guard of the fake service, not started.
func newTestGuard(t *testing.T, f *fakeService, opts ...GuardOption) *Guard {
	t.Helper()
	opts = append([]GuardOption{WithInstance(testInstance), WithIssuer(testIssuer), WithClock(f.clock)}, opts...)
	g, err := NewGuard(f.productClient(t), testProduct, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// started starts g and stops it when the test ends.
func started(t *testing.T, g *Guard) *Guard {
	t.Helper()
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g
}

func activate(t *testing.T, g *Guard) {
	t.Helper()
	act, err := g.Activate(context.Background(), testKey, "Jane's blog")
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	if !act.Created || act.Activation.Instance != "example.org" || act.License.Product != testProduct {
		t.Fatalf("activation %+v", act)
	}
	mustBeLicensed(t, g)
}

func mustBeLicensed(t *testing.T, g *Guard) *verifier.Claims {
	t.Helper()
	c, err := g.Check()
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if c.Instance != "example.org" || !c.Has("pro") {
		t.Fatalf("claims %+v", c)
	}
	return c
}

// A product restarted offline is licensed from its stored token and the
// JWKS it ships: no request at all.
func TestGuardOfflineFromEmbeddedJWKS(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	tok := f.signer.sign(claims(clk.Now().Add(-time.Hour), 10*time.Hour, "active"))
	g := newTestGuard(t, f, WithJWKS(f.jwks), WithTokenStore(NewMemoryStore(tok)))
	if _, err := g.Check(); !errors.Is(err, ErrNotLicensed) {
		t.Fatalf("Check before Load: %v, want ErrNotLicensed", err)
	}
	if err := g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustBeLicensed(t, g)
	if st := g.Status(); st.State != StateLicensed || st.Err != nil || st.State.String() != "licensed" {
		t.Fatalf("status %+v", st)
	}
	if n := f.get(func(f *fakeService) int { return f.jwksFetches + f.validations + f.activations }); n != 0 {
		t.Fatalf("%d requests for an offline check", n)
	}
}

// First run: Start fetches the JWKS, Activate stores the token, and the
// refresh happens once half the token's lifetime (less jitter) has passed.
func TestGuardActivateAndRefreshSchedule(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	store := NewMemoryStore("")
	g := started(t, newTestGuard(t, f, WithTokenStore(store)))
	waitFor(t, "the JWKS fetch", func() bool { return g.v.Keys() != nil })
	if _, err := g.Check(); !errors.Is(err, ErrNotLicensed) || g.Status().State != StateUnlicensed {
		t.Fatalf("before activation: %v", err)
	}
	activate(t, g)
	if tok, _ := store.Load(context.Background()); tok == "" {
		t.Fatal("the token was not stored")
	}
	if f.lastBody["instance"] != testInstance || f.lastBody["product"] != testProduct || f.lastBody["instance_name"] != "Jane's blog" {
		t.Fatalf("activation body %v", f.lastBody)
	}

	// ttl 10h: the refresh is due between 4h and 5h after issue.
	issued := clk.Now()
	next := g.Status().NextRefresh
	if next.Before(issued.Add(4*time.Hour)) || next.After(issued.Add(5*time.Hour)) {
		t.Fatalf("next refresh %v after issue, want 4h-5h", next.Sub(issued))
	}
	// The loop wakes hourly meanwhile, does nothing, and at a second
	// before the refresh sleeps exactly until it.
	clk.Advance(next.Sub(clk.Now()) - time.Second)
	g.poke() // see refreshed
	waitFor(t, "the loop to sleep until the refresh", func() bool { return clk.hasWaiterAt(next) })
	if n := f.get(func(f *fakeService) int { return f.validations }); n != 0 {
		t.Fatalf("%d validations before the refresh was due", n)
	}
	refreshed(t, f, g, func() { clk.Advance(time.Second) })
	if n := f.get(func(f *fakeService) int { return f.validations }); n != 1 {
		t.Fatalf("%d validations, want 1", n)
	}
	if f.lastBody["license_key"] != testKey || f.lastBody["product"] != testProduct || f.lastBody["instance"] != testInstance {
		t.Fatalf("validation body %v", f.lastBody)
	}
	st := g.Status()
	if !st.LastRefresh.Equal(clk.Now()) || st.LastError != nil || st.Claims.IssuedAt != clk.Now().Unix() {
		t.Fatalf("after refresh: %+v", st)
	}
	if d := st.NextRefresh.Sub(clk.Now()); d < 4*time.Hour || d > 5*time.Hour {
		t.Fatalf("next refresh in %v, want 4h-5h", d)
	}
	if !strings.HasPrefix(f.lastUserAgent, "licensed-go/") {
		t.Fatalf("User-Agent %q", f.lastUserAgent)
	}
}

// Through an outage the guard keeps the last good token, backs off, and
// becomes stale only when the token expires; the service's return heals it.
func TestGuardOutageToleratedUntilExpiry(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := started(t, newTestGuard(t, f, WithJWKS(f.jwks), WithLeeway(0)))
	activate(t, g)
	exp := clk.Now().Add(f.ttl)
	f.set(func(f *fakeService) { f.mode = "down" })

	var waits []time.Duration
	for i := 0; i < 6; i++ {
		next := nextRefresh(g)
		refreshed(t, f, g, func() { clk.Advance(next.Sub(clk.Now())) })
		st := g.Status()
		if !errors.Is(st.LastError, ErrUnavailable) {
			t.Fatalf("failure %d: LastError %v", i+1, st.LastError)
		}
		if clk.Now().Before(exp) {
			mustBeLicensed(t, g)
		}
		waits = append(waits, st.NextRefresh.Sub(clk.Now()))
	}
	// 30 s doubling, at least half of it, at least the Retry-After (5 s).
	for i, w := range waits {
		full := refreshBackoffMin << i
		if w < full/2 || w > full {
			t.Fatalf("wait %d is %v, want %v-%v (all: %v)", i+1, w, full/2, full, waits)
		}
	}

	// Keep failing until the token expires: then Check says stale.
	clk.Advance(exp.Sub(clk.Now()) - time.Second)
	mustBeLicensed(t, g)
	refreshed(t, f, g, func() { clk.Advance(time.Hour) })
	if _, err := g.Check(); !errors.Is(err, verifier.ErrExpired) || g.Status().State != StateStale {
		t.Fatalf("after expiry: %v, want verifier.ErrExpired", err)
	}

	f.set(func(f *fakeService) { f.mode = "" })
	next := nextRefresh(g)
	refreshed(t, f, g, func() { clk.Advance(next.Sub(clk.Now())) })
	if st := g.Status(); st.LastError != nil || st.State != StateLicensed {
		t.Fatalf("after recovery: %+v", st)
	}
}

// Answers that are not a verdict keep the token: a captive portal's page,
// an internal error, a forged or wrong-product token.
func TestGuardKeepsTokenOnBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		mode   string
		signer *signer
		want   error
	}{
		{mode: "html", want: ErrBadResponse},
		{mode: "internal", want: ErrInternal},
		{signer: newSigner(9), want: verifier.ErrUnknownKey},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			clk := newFakeClock()
			f := newFakeService(t, clk)
			g := newTestGuard(t, f, WithJWKS(f.jwks))
			activate(t, g)
			clk.Advance(time.Minute) // the JWKS fetch of an unknown kid is allowed
			f.set(func(f *fakeService) {
				f.mode = tc.mode
				if tc.signer != nil {
					f.signer = tc.signer
				}
			})
			if err := g.Refresh(context.Background()); !errors.Is(err, tc.want) {
				t.Fatalf("Refresh: %v, want %v", err, tc.want)
			}
			mustBeLicensed(t, g)
			if st := g.Status(); !errors.Is(st.LastError, tc.want) || st.NextRefresh.Sub(clk.Now()) > refreshBackoffMin {
				t.Fatalf("status %+v", st)
			}
		})
	}
}

// A refresh answering SUSPENDED or CANCELLED brings a token saying so,
// which replaces the old one; a resumed license comes back.
func TestGuardSuspendedAndCancelled(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	store := NewMemoryStore("")
	g := started(t, newTestGuard(t, f, WithJWKS(f.jwks), WithTokenStore(store)))
	activate(t, g)
	for _, step := range []struct {
		status string
		want   error
		state  State
	}{
		{"suspended", verifier.ErrLicenseSuspended, StateSuspended},
		{"active", nil, StateLicensed},
		{"cancelled", verifier.ErrLicenseCancelled, StateCancelled},
	} {
		f.set(func(f *fakeService) { f.status = step.status })
		next := nextRefresh(g)
		refreshed(t, f, g, func() { clk.Advance(next.Sub(clk.Now())) })
		c, err := g.Check()
		if !errorsIs(err, step.want) || c == nil || c.Status != step.status {
			t.Fatalf("%s: Check %v %+v, want %v", step.status, err, c, step.want)
		}
		if st := g.Status(); st.State != step.state || st.LastError != nil {
			t.Fatalf("%s: status %+v", step.status, st)
		}
		if tok, _ := store.Load(context.Background()); tok == "" || !strings.Contains(tok, ".") || tok != currentToken(g) {
			t.Fatalf("%s: the stored token is not the current one", step.status)
		}
	}
}

func errorsIs(err, target error) bool {
	if target == nil {
		return err == nil
	}
	return errors.Is(err, target)
}

// The service's verdicts without a usable token drop the guard to
// unlicensed, clear the store, and schedule a recheck (a renewal).
func TestGuardDropsToUnlicensed(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want error
	}{
		{"not_found", ErrLicenseNotFound},
		{"expired", ErrLicenseExpired},
		{"not_activated", ErrActivationNotFound},
		{"suspended_past_expiry", ErrLicenseSuspended},
		{"cancelled_past_expiry", ErrLicenseCancelled},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			clk := newFakeClock()
			f := newFakeService(t, clk)
			store := NewMemoryStore("")
			g := newTestGuard(t, f, WithJWKS(f.jwks), WithTokenStore(store))
			activate(t, g)
			f.set(func(f *fakeService) { f.mode = tc.mode })
			if err := g.Refresh(context.Background()); err != nil {
				t.Fatalf("Refresh: %v (a verdict is no error)", err)
			}
			_, err := g.Check()
			if !errors.Is(err, ErrNotLicensed) || !errors.Is(err, tc.want) {
				t.Fatalf("Check: %v, want ErrNotLicensed and %v", err, tc.want)
			}
			st := g.Status()
			if st.State != StateUnlicensed || st.NextRefresh.Sub(clk.Now()) != recheckInterval {
				t.Fatalf("status %+v", st)
			}
			if tok, _ := store.Load(context.Background()); tok != "" {
				t.Fatal("the store still holds the token")
			}
			// A renewal: the recheck brings the license back.
			f.set(func(f *fakeService) { f.mode = "" })
			if err := g.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			mustBeLicensed(t, g)
		})
	}
}

// A restart that finds a license key but no token asks at once; a guard
// without a license key cannot refresh and says why.
func TestGuardLicenseKey(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := newTestGuard(t, f, WithJWKS(f.jwks), WithLicenseKey(" "+testKey+" "))
	if err := g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := g.Status(); !st.NextRefresh.Equal(clk.Now()) {
		t.Fatalf("next refresh %v, want now", st.NextRefresh)
	}
	started(t, g)
	waitFor(t, "the refresh", func() bool { _, err := g.Check(); return err == nil })

	bare := newTestGuard(t, f, WithJWKS(f.jwks))
	if err := bare.Refresh(context.Background()); !errors.Is(err, ErrNoLicenseKey) {
		t.Fatalf("Refresh without a key: %v", err)
	}
	if st := bare.Status(); !st.NextRefresh.IsZero() || !errors.Is(st.LastError, ErrNoLicenseKey) {
		t.Fatalf("status %+v", st)
	}
	if _, err := bare.Activate(context.Background(), "LK-WRONG-KEY-0000", ""); !errors.Is(err, ErrLicenseNotFound) {
		t.Fatalf("Activate with a wrong key: %v", err)
	}
}

// Deactivate frees the seat and forgets token and key.
func TestGuardDeactivate(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	store := NewMemoryStore("")
	g := newTestGuard(t, f, WithJWKS(f.jwks), WithTokenStore(store))
	activate(t, g)
	if err := g.Deactivate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(); !errors.Is(err, ErrNotLicensed) || errors.Is(err, ErrActivationNotFound) {
		t.Fatalf("Check after Deactivate: %v", err)
	}
	deactivated := f.get(func(f *fakeService) int { return f.deactivations })
	if tok, _ := store.Load(context.Background()); tok != "" || deactivated != 1 {
		t.Fatalf("store %q, %d deactivations", tok, deactivated)
	}
	if err := g.Deactivate(context.Background()); !errors.Is(err, ErrNoLicenseKey) {
		t.Fatalf("second Deactivate: %v", err)
	}
}

// The JWKS is fetched with If-None-Match once an ETag is known; a 304
// keeps the set, and so does every bad answer.
func TestGuardJWKSConditionalAndLastGood(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := newTestGuard(t, f)
	ctx := context.Background()
	if _, err := g.Check(); !errors.Is(err, ErrNotLicensed) {
		t.Fatal(err)
	}
	if err := g.keys.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	activate(t, g)
	good := g.v.Keys()

	bad := map[string]func(f *fakeService){
		"304":      func(f *fakeService) {},
		"500":      func(f *fakeService) { f.jwksStatus = 500 },
		"not JSON": func(f *fakeService) { f.jwksBody = []byte("<html>") },
		"weak key": func(f *fakeService) {
			f.jwksBody = []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"z","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`)
		},
		"private key": func(f *fakeService) {
			f.jwksBody = []byte(strings.Replace(string(jwks(newSigner(2))), `"kty"`, `"d":"AA","kty"`, 1))
		},
		"empty set": func(f *fakeService) { f.jwksBody = []byte(`{"keys":[]}`) },
		"over 64 KiB": func(f *fakeService) {
			f.jwksBody = []byte(`{"pad":"` + strings.Repeat("x", MaxJWKSSize) + `",` + string(jwks(newSigner(2)))[1:])
		},
	}
	for _, name := range []string{"304", "500", "not JSON", "weak key", "private key", "empty set", "over 64 KiB"} {
		f.set(func(f *fakeService) { f.jwksStatus, f.jwksBody = 0, nil; bad[name](f) })
		clk.Advance(KeyFetchInterval)
		err := g.keys.refresh(ctx)
		if (name == "304") != (err == nil) {
			t.Fatalf("%s: refresh %v", name, err)
		}
		if g.v.Keys() != good {
			t.Fatalf("%s: the key set changed", name)
		}
		mustBeLicensed(t, g)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.notModified != 1 || f.ifNoneMatch[0] != "" || f.ifNoneMatch[1] == "" {
		t.Fatalf("304s %d, If-None-Match %q", f.notModified, f.ifNoneMatch)
	}
	for i, m := range f.ifNoneMatch[1:] {
		if m != f.ifNoneMatch[1] {
			t.Fatalf("fetch %d sent If-None-Match %q, want the last good set's %q", i+2, m, f.ifNoneMatch[1])
		}
	}
}

// A token of an unknown kid (key rotation) makes the loop fetch the JWKS
// once, however many checks meet it, and again at most once a minute.
func TestGuardUnknownKidRefetchRateLimited(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	old := f.signer
	g := started(t, newTestGuard(t, f, WithJWKS(jwks(old))))
	activate(t, g)
	fetches := func() int { return f.get(func(f *fakeService) int { return f.jwksFetches }) }

	// The service rotates: tokens now come from a key the guard lacks.
	rotated := newSigner(2)
	f.set(func(f *fakeService) { f.signer, f.jwks = rotated, jwks(old, rotated) })
	setToken(g, rotated.sign(claims(clk.Now(), f.ttl, "active"))) // as if refreshed meanwhile
	turn(t, clk, func() {
		for range 100 {
			if _, err := g.Check(); !errors.Is(err, verifier.ErrUnknownKey) && err != nil {
				t.Fatal(err)
			}
		}
	})
	waitFor(t, "the new key", func() bool { _, err := g.Check(); return err == nil })
	if n := fetches(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1", n)
	}

	// A kid the service does not publish either: checks within the minute
	// fetch nothing more; the next minute allows one fetch.
	stranger := newSigner(3)
	setToken(g, stranger.sign(claims(clk.Now(), f.ttl, "active")))
	for i := 0; i < 5; i++ {
		turn(t, clk, func() {
			clk.Advance(10 * time.Second)
			g.Check()
		})
	}
	if n := fetches(); n != 1 {
		t.Fatalf("%d JWKS fetches within a minute, want still 1", n)
	}
	turn(t, clk, func() { // a minute after the fetch
		clk.Advance(10 * time.Second)
		g.poke() // see refreshed
	})
	waitFor(t, "the second fetch", func() bool { return fetches() == 2 })
	turn(t, clk, func() {
		clk.Advance(time.Second)
		for range 50 {
			g.Check()
		}
	})
	if n := fetches(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2", n)
	}
	if _, err := g.Check(); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Fatalf("Check: %v", err)
	}
}

// Stop ends the loop, also in the middle of a refresh that hangs, and
// leaves no goroutine of the guard behind.
func TestGuardStopLeavesNoGoroutine(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := newTestGuard(t, f, WithJWKS(f.jwks))
	activate(t, g)
	for i := 0; i < 3; i++ {
		if err := g.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := g.Start(context.Background()); err == nil {
			t.Fatal("a second Start succeeded")
		}
		g.Stop()
		g.Stop()
	}

	f.set(func(f *fakeService) { f.mode = "hang" })
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := f.get(func(f *fakeService) int { return f.validations })
	clk.Advance(f.ttl / 2)
	g.poke()
	waitFor(t, "the hanging refresh", func() bool { return f.get(func(f *fakeService) int { return f.validations }) > before })
	stopped := make(chan struct{})
	go func() { g.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop hangs with a refresh in flight")
	}
	mustBeLicensed(t, g)
	if st := g.Status(); st.LastError != nil {
		t.Fatalf("a stop counted as a failure: %v", st.LastError)
	}

	// A context that ends stops the loop too.
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	g.Stop()
	waitFor(t, "no guard goroutine", func() bool { return !strings.Contains(goroutines(), "sdk.(*Guard)") })
}

func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// The guard persists through a FileStore across restarts.
func TestGuardFileStoreRestart(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	path := filepath.Join(t.TempDir(), "license.token")
	g := newTestGuard(t, f, WithJWKS(f.jwks), WithTokenStore(NewFileStore(path)))
	activate(t, g)
	f.srv.Close() // the product restarts offline

	again := newTestGuard(t, f, WithJWKS(f.jwks), WithTokenStore(NewFileStore(path)), WithLicenseKey(testKey))
	started(t, again)
	mustBeLicensed(t, again)
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("token file: %v %v", fi.Mode(), err)
	}
}

func TestNewGuardRefusesBadConfig(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	c := f.productClient(t)
	for name, tc := range map[string]struct {
		product string
		opts    []GuardOption
	}{
		"no product":   {"", nil},
		"bad JWKS":     {testProduct, []GuardOption{WithJWKS([]byte(`{"keys":[{"kty":"RSA"}]}`))}},
		"bad instance": {testProduct, []GuardOption{WithInstance("https://")}},
	} {
		if _, err := NewGuard(c, tc.product, tc.opts...); err == nil {
			t.Errorf("%s: NewGuard succeeded", name)
		}
	}
	if _, err := NewGuard(c, testProduct); err == nil {
		t.Fatal("a guard with neither an instance nor license tokens")
	}
	if _, err := NewGuard(c, testProduct, WithInstance(testInstance), WithPinnedJWKS(nil)); err == nil {
		t.Fatal("a pinned guard without keys")
	}
	g, err := NewGuard(c, testProduct, WithLicenseTokens())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Activate(context.Background(), testKey, ""); err == nil {
		t.Fatal("Activate without an instance succeeded")
	}
	// The default issuer is the client's base URL.
	if g.v == nil || c.BaseURL() != f.srv.URL {
		t.Fatalf("base URL %q", c.BaseURL())
	}
}

func currentToken(g *Guard) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.token
}

// Refreshes that bring tokens of an unknown kid fetch the JWKS at most
// once a minute too, however often they run.
func TestRefreshUnknownKidRateLimited(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := newTestGuard(t, f, WithJWKS(f.jwks))
	activate(t, g)
	f.set(func(f *fakeService) { f.signer = newSigner(7) }) // a key the JWKS does not list
	fetches := func() int { return f.get(func(f *fakeService) int { return f.jwksFetches }) }
	for i := 0; i < 5; i++ {
		if err := g.Refresh(context.Background()); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Fatalf("Refresh: %v", err)
		}
		clk.Advance(10 * time.Second)
	}
	if n := fetches(); n != 1 {
		t.Fatalf("%d JWKS fetches within a minute, want 1", n)
	}
	clk.Advance(10 * time.Second)
	g.Refresh(context.Background())
	if n := fetches(); n != 2 {
		t.Fatalf("%d JWKS fetches after a minute, want 2", n)
	}
	mustBeLicensed(t, g) // the old token stays
}

// An activation right after Start, while the first JWKS fetch is still in
// flight, waits for that fetch instead of failing for want of keys.
func TestActivateWaitsForTheFirstJWKSFetch(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	gate := make(chan struct{})
	f.set(func(f *fakeService) { f.jwksGate = gate })
	g := started(t, newTestGuard(t, f))
	waitFor(t, "the first fetch to start", func() bool {
		g.keys.mu.Lock()
		defer g.keys.mu.Unlock()
		return g.keys.inflight != nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := g.Activate(context.Background(), testKey, "")
		done <- err
	}()
	waitFor(t, "the activation", func() bool { return f.get(func(f *fakeService) int { return f.activations }) == 1 })
	time.Sleep(50 * time.Millisecond) // let Activate reach the key check while the fetch hangs
	close(gate)
	if err := <-done; err != nil {
		t.Fatalf("Activate: %v", err)
	}
	mustBeLicensed(t, g)
	if n := f.get(func(f *fakeService) int { return f.jwksFetches }); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1", n)
	}
}

// A stored token that is not one (a corrupted file) is invalid, and with
// a license key the guard asks the service at once.
func TestGuardReplacesGarbageToken(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := newTestGuard(t, f, WithJWKS(f.jwks), WithTokenStore(NewMemoryStore("not-a-token")), WithLicenseKey(testKey))
	if err := g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := g.Status()
	if st.State != StateInvalid || !errors.Is(st.Err, verifier.ErrMalformed) || !st.NextRefresh.Equal(clk.Now()) {
		t.Fatalf("status %+v", st)
	}
	if err := g.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustBeLicensed(t, g)
}
