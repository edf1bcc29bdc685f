package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/sdk"
	"github.com/licensedhq/licensed/verifier"
)

// TestSDKAgainstServer drives the real server with the Go SDK only: a
// brand provisions with BrandClient, a product's Guard activates and
// verifies offline, and each thing the brand does (suspend, resume,
// release the seat, rotate the signing key, cancel) reaches the guard on
// its next scheduled refresh. The guard and the server share one settable
// clock; every exchange is held to the OpenAPI document (contractDoer).
func TestSDKAgainstServer(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		clk := &sdkClock{clock: &clock{}}
		s := serveWithClock(t, env, clk.Now)
		rm := newTenant(t, env, "rankmath", 1) // tokens live 24h
		ctx := context.Background()
		checked := sdk.WithHTTPClient(&http.Client{Transport: contractTransport{t}})

		brand, err := sdk.NewBrandClient(s.URL(), rm.writeKey, checked)
		if err != nil {
			t.Fatal(err)
		}
		lic := sdkProvision(t, brand, clk)
		id, key := lic.License.ID, lic.LicenseKey

		// The product's first run: no JWKS shipped, so Start fetches it.
		pc, err := sdk.NewProductClient(s.URL(), sdk.WithUserAgent("rankmath-pro/test"), checked)
		if err != nil {
			t.Fatal(err)
		}
		tokenPath := filepath.Join(t.TempDir(), "rankmath-pro.token")
		g, err := sdk.NewGuard(pc, "rankmath/rankmath-pro", sdk.WithInstance("https://WWW.Example.org/"),
			sdk.WithIssuer(testIssuer), sdk.WithTokenStore(sdk.NewFileStore(tokenPath)), sdk.WithClock(clk))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer g.Stop()
		act, err := g.Activate(ctx, key, "Jane's blog")
		if err != nil {
			t.Fatalf("activate: %v", err)
		}
		if !act.Created || act.Activation.Instance != "example.org" || act.License.Product != "rankmath/rankmath-pro" {
			t.Fatalf("activation %+v", act)
		}
		c := sdkLicensed(t, g)
		checkClaims(t, c, id, 1, *lic.License.ExpiresAt)
		sdkOffline(t, s, clk, tokenPath, id)

		// Seat recovery through the SDK: the guard lists its license's seats.
		seats, err := g.Seats(ctx)
		if err != nil || len(seats) != 1 || seats[0].Instance != "example.org" || seats[0].ID != act.Activation.ID {
			t.Fatalf("seats %+v %v", seats, err)
		}
		if err := g.FreeSeat(ctx, "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c09"); !errors.Is(err, sdk.ErrActivationNotFound) {
			t.Fatalf("freeing an unknown seat: %v", err)
		}

		// One seat: another site is refused, with the numbers.
		_, err = pc.Activate(ctx, sdk.ActivateRequest{LicenseKey: key, Product: "rankmath/rankmath-pro", Instance: "other.example"})
		var apiErr *sdk.Error
		if !errors.Is(err, sdk.ErrSeatLimitReached) || !errors.As(err, &apiErr) || apiErr.Seats != 1 || apiErr.SeatsUsed != 1 || apiErr.RequestID == "" {
			t.Fatalf("second site: %v", err)
		}

		// Suspend: offline checks go on with the old token until the
		// refresh brings one saying "suspended"; resume brings it back.
		sdkMust(brand.Suspend(ctx, id, "chargeback"))(t)
		sdkLicensed(t, g)
		sdkNextRefresh(t, g, clk, func(err error) bool { return errors.Is(err, verifier.ErrLicenseSuspended) })
		sdkMust(brand.Resume(ctx, id))(t)
		sdkNextRefresh(t, g, clk, func(err error) bool { return err == nil })

		// The brand releases the seat: the guard drops to unlicensed and
		// says why; activating again takes the seat back.
		var acts []sdk.Activation
		for a, err := range brand.AllActivations(ctx, id) {
			if err != nil {
				t.Fatal(err)
			}
			acts = append(acts, a)
		}
		if len(acts) != 1 || acts[0].Instance != "example.org" || acts[0].InstanceName != "Jane's blog" {
			t.Fatalf("activations %+v", acts)
		}
		if err := brand.ReleaseActivation(ctx, id, acts[0].ID); err != nil {
			t.Fatal(err)
		}
		sdkNextRefresh(t, g, clk, func(err error) bool {
			return errors.Is(err, sdk.ErrNotLicensed) && errors.Is(err, sdk.ErrActivationNotFound)
		})
		if tok, _ := sdk.NewFileStore(tokenPath).Load(ctx); tok != "" {
			t.Fatal("the released seat's token is still stored")
		}
		if _, err := g.Activate(ctx, key, "Jane's blog"); err != nil {
			t.Fatal(err)
		}
		sdkLicensed(t, g)

		// Key rotation: tokens signed by a kid the guard has not seen make
		// it fetch the JWKS again, and it goes on verifying.
		admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)
		expect(t, s.call(t, "POST", "/v1/signing-keys/rotate", admin, nil), http.StatusCreated, "")
		clk.Advance(11 * time.Minute) // the publish delay
		s.sync(t)
		oldKid := kidOf(t, sdkToken(t, tokenPath))
		sdkNextRefresh(t, g, clk, func(err error) bool { return err == nil && kidOf(t, sdkToken(t, tokenPath)) != oldKid })

		// Cancel: the next refresh says so, and the product API refuses.
		sdkMust(brand.Cancel(ctx, id, "refund"))(t)
		sdkNextRefresh(t, g, clk, func(err error) bool { return errors.Is(err, verifier.ErrLicenseCancelled) })
		if st := g.Status(); st.State != sdk.StateCancelled || st.LastError != nil {
			t.Fatalf("status %+v", st)
		}
		_, err = pc.Activate(ctx, sdk.ActivateRequest{LicenseKey: key, Product: "rankmath/rankmath-pro", Instance: "other.example"})
		if !errors.Is(err, sdk.ErrLicenseCancelled) || !errors.Is(err, sdk.ErrForbidden) {
			t.Fatalf("activate a cancelled license: %v", err)
		}
		if _, err := brand.Renew(ctx, id, sdk.RenewRequest{ExtendByDays: 30}); !errors.Is(err, sdk.ErrInvalidTransition) {
			t.Fatalf("renew a cancelled license: %v", err)
		}
		sdkBrandReads(t, s, brand, rm, id)
	})
}

// sdkProvision provisions, replays and conflicts through BrandClient.
func sdkProvision(t *testing.T, brand *sdk.BrandClient, clk *sdkClock) *sdk.Provisioned {
	t.Helper()
	ctx := context.Background()
	req := sdk.ProvisionRequest{
		CustomerEmail: "Jane@Example.com", Product: "rankmath-pro", Seats: 1,
		ExpiresAt:    clk.Now().Add(365 * 24 * time.Hour).Truncate(time.Second),
		Entitlements: []string{"pro"}, Metadata: map[string]any{"order": "A-1"}, IdempotencyKey: "order-A-1",
	}
	p, err := brand.Provision(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if p.License.Status != sdk.StatusActive || p.License.CustomerEmail != "jane@example.com" || !strings.HasPrefix(p.LicenseKey, "LK-") ||
		p.License.LicenseKey != p.LicenseKey || !p.License.ExpiresAt.Equal(req.ExpiresAt) || string(p.License.Metadata) != `{"order":"A-1"}` {
		t.Fatalf("provisioned %+v", p)
	}
	replay, err := brand.Provision(ctx, req)
	if err != nil || replay.License.ID != p.License.ID || replay.LicenseKey != p.LicenseKey {
		t.Fatalf("replay: %v %+v", err, replay)
	}
	req.Seats = 2
	if _, err := brand.Provision(ctx, req); !errors.Is(err, sdk.ErrIdempotencyConflict) {
		t.Fatalf("same key, other body: %v", err)
	}
	req.IdempotencyKey = ""
	_, err = brand.Provision(ctx, req)
	var e *sdk.Error
	if !errors.Is(err, sdk.ErrLicenseExists) || !errors.As(err, &e) || e.LicenseID != p.License.ID {
		t.Fatalf("second license for the product: %v", err)
	}
	req.Product = "no-such-product"
	if _, err := brand.Provision(ctx, req); !errors.Is(err, sdk.ErrValidation) || !errors.As(err, &e) || e.Fields[0].Field != "product" {
		t.Fatalf("unknown product: %v", err)
	}
	return p
}

// sdkOffline: the token from the real server verifies with nothing but
// the JWKS, both in a guard that cannot reach the service and directly.
func sdkOffline(t *testing.T, s *testServer, clk *sdkClock, tokenPath, licenseID string) {
	t.Helper()
	jwks := s.call(t, "GET", "/.well-known/jwks.json", "", nil).raw
	dead, _ := sdk.NewProductClient("http://127.0.0.1:1")
	g, err := sdk.NewGuard(dead, "rankmath/rankmath-pro", sdk.WithInstance("example.org"), sdk.WithIssuer(testIssuer),
		sdk.WithJWKS(jwks), sdk.WithTokenStore(sdk.NewFileStore(tokenPath)), sdk.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := sdkLicensed(t, g); c.Subject != licenseID {
		t.Fatalf("offline claims %+v", c)
	}
	ks, _ := verifier.ParseJWKS(jwks)
	verifyToken(t, ks, sdkToken(t, tokenPath), "rankmath/rankmath-pro", "https://example.org/")
}

// sdkBrandReads: search, audit trail and the refusals of a reader key.
func sdkBrandReads(t *testing.T, s *testServer, brand *sdk.BrandClient, rm tenant, id string) {
	t.Helper()
	ctx := context.Background()
	var found []sdk.License
	for l, err := range brand.SearchAll(ctx, "JANE@example.com") {
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, l)
	}
	if len(found) != 1 || found[0].ID != id || found[0].Status != sdk.StatusCancelled {
		t.Fatalf("search %+v", found)
	}
	page, err := brand.AuditEvents(ctx, sdk.AuditQuery{LicenseID: id, ListOptions: sdk.ListOptions{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Data {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"license.provisioned", "license.activated", "license.suspended", "license.resumed", "license.deactivated", "license.cancelled"} {
		if !slices.Contains(actions, want) {
			t.Fatalf("audit trail %v lacks %s", actions, want)
		}
	}
	reader, _ := sdk.NewBrandClient(s.URL(), rm.readKey)
	if _, err := reader.Suspend(ctx, id, ""); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("suspend with a read-only key: %v", err)
	}
	if _, err := reader.Get(ctx, "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c01"); !errors.Is(err, sdk.ErrNotFound) || errors.Is(err, sdk.ErrLicenseNotFound) {
		t.Fatalf("unknown license id: %v", err)
	}
	bad, _ := sdk.NewBrandClient(s.URL(), "lk_nope_nope")
	if _, err := bad.Get(ctx, id); !errors.Is(err, sdk.ErrUnauthorized) {
		t.Fatalf("unknown API key: %v", err)
	}
	unknown, _ := sdk.NewProductClient(s.URL())
	if _, err := unknown.Validate(ctx, sdk.ValidateRequest{LicenseKey: "LK-NOPE-NOPE-NOPE-NOPE-NOPE-NOPE-NOPE-NOPE"}); !errors.Is(err, sdk.ErrLicenseNotFound) {
		t.Fatalf("unknown license key: %v", err)
	}
}

// sdkNextRefresh moves the shared clock to the guard's next refresh and
// waits until Check satisfies done. Polling Check also wakes the loop: a
// Check past the schedule does.
func sdkNextRefresh(t *testing.T, g *sdk.Guard, clk *sdkClock, done func(error) bool) {
	t.Helper()
	next := g.Status().NextRefresh
	if next.IsZero() {
		t.Fatal("no refresh scheduled")
	}
	clk.Advance(max(next.Sub(clk.Now()), 0))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := g.Check()
		if done(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the refresh: Check %v; status %+v", err, g.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sdkLicensed(t *testing.T, g *sdk.Guard) *verifier.Claims {
	t.Helper()
	c, err := g.Check()
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if c.Instance != "example.org" || !c.Has("pro") || c.Status != verifier.StatusActive {
		t.Fatalf("claims %+v", c)
	}
	return c
}

func sdkToken(t *testing.T, path string) string {
	t.Helper()
	tok, err := sdk.NewFileStore(path).Load(context.Background())
	if err != nil || tok == "" {
		t.Fatalf("stored token %q: %v", tok, err)
	}
	return tok
}

// sdkMust fails the test on a brand call's error.
func sdkMust(_ *sdk.License, err error) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sdkClock is the server's settable clock as the guard's sdk.Clock: a
// sleep of the guard ends when Advance moves the shared time past it.
type sdkClock struct {
	*clock
	mu      sync.Mutex
	waiters []sdkWaiter
}

type sdkWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *sdkClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, sdkWaiter{c.Now().Add(d), ch})
	return ch
}

func (c *sdkClock) Advance(d time.Duration) {
	c.clock.Advance(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- now
	}
	c.waiters = kept
}

// contractTransport holds the SDK's exchanges to the OpenAPI document.
type contractTransport struct{ t testing.TB }

func (c contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return contractDoer{c.t}.Do(req)
}
