package sdk

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// A token whose license expired but whose grace period has not ended is
// licensed (Check: no error) and reported as grace; once grace_until
// passes, the license is expired.
func TestGuardGrace(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	lexp, grace := clk.Now().Add(-24*time.Hour).Unix(), clk.Now().Add(48*time.Hour).Unix()
	f.set(func(f *fakeService) {
		f.edit = func(c *verifier.Claims) { c.LicenseExpiry, c.GraceUntil = &lexp, &grace }
	})
	g := newTestGuard(t, f, WithJWKS(f.jwks))
	activate(t, g)
	st := g.Status()
	if st.State != StateGrace || st.Err != nil || !g.InGrace() || st.State.String() != "grace" {
		t.Fatalf("in grace: %+v", st)
	}
	if ends, ok := st.Claims.GraceEnds(); !ok || ends.Unix() != grace {
		t.Fatalf("GraceEnds %v %v", ends, ok)
	}
	clk.Advance(49 * time.Hour) // past grace_until, and past the token's exp too
	if _, err := g.Check(); err == nil || g.InGrace() {
		t.Fatalf("after grace: %v", err)
	}

	// Before the license expires, grace_until changes nothing.
	clk2 := newFakeClock()
	f2 := newFakeService(t, clk2)
	later, graceLater := clk2.Now().Add(24*time.Hour).Unix(), clk2.Now().Add(96*time.Hour).Unix()
	f2.set(func(f *fakeService) {
		f.edit = func(c *verifier.Claims) { c.LicenseExpiry, c.GraceUntil = &later, &graceLater }
	})
	g2 := newTestGuard(t, f2, WithJWKS(f2.jwks))
	activate(t, g2)
	if st := g2.Status(); st.State != StateLicensed || g2.InGrace() {
		t.Fatalf("before expiry: %+v", st)
	}
}

// A guard bound to an instance refuses a license token (a seat-limit
// bypass); a guard that opted into license tokens accepts it.
func TestGuardLicenseTokens(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	f.set(func(f *fakeService) {
		f.edit = func(c *verifier.Claims) { c.Instance, c.ActivationID = "", "" }
	})
	strict := newTestGuard(t, f, WithJWKS(f.jwks), WithLicenseKey(testKey))
	if err := strict.Refresh(context.Background()); !errors.Is(err, verifier.ErrInstance) {
		t.Fatalf("instance guard refreshing into a license token: %v", err)
	}
	if _, err := strict.Check(); !errors.Is(err, ErrNotLicensed) {
		t.Fatalf("the license token was installed: %v", err)
	}

	lax, err := NewGuard(f.productClient(t), testProduct, WithIssuer(testIssuer), WithClock(clk),
		WithJWKS(f.jwks), WithLicenseKey(testKey), WithLicenseTokens())
	if err != nil {
		t.Fatal(err)
	}
	if err := lax.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, err := lax.Check(); err != nil || c.Instance != "" {
		t.Fatalf("license-token guard: %+v %v", c, err)
	}
	if f.lastBody["instance"] != "" {
		t.Fatalf("a guard without instance sent one: %v", f.lastBody)
	}
}

// A pinned key set is never fetched: not at Start, not for an unknown kid.
func TestGuardPinnedJWKS(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := started(t, newTestGuard(t, f, WithPinnedJWKS(f.jwks)))
	activate(t, g)
	f.set(func(f *fakeService) { f.signer = newSigner(8) }) // the service now signs with a key the product does not ship
	for range 3 {
		clk.Advance(2 * time.Minute)
		if err := g.Refresh(context.Background()); !errors.Is(err, verifier.ErrUnknownKey) || !errors.Is(err, errKeysPinned) {
			t.Fatalf("Refresh: %v", err)
		}
	}
	mustBeLicensed(t, g) // the old token stays
	time.Sleep(20 * time.Millisecond)
	if n := f.get(func(f *fakeService) int { return f.jwksFetches }); n != 0 {
		t.Fatalf("%d JWKS fetches with pinned keys", n)
	}
}

// Seats lists the license's activations; FreeSeat frees another site's
// seat without touching this one, and this site's own seat like
// Deactivate, keeping the license key.
func TestGuardSeats(t *testing.T) {
	clk := newFakeClock()
	f := newFakeService(t, clk)
	g := newTestGuard(t, f, WithJWKS(f.jwks))
	ctx := context.Background()
	if _, err := g.Seats(ctx); !errors.Is(err, ErrNoLicenseKey) {
		t.Fatalf("Seats without a key: %v", err)
	}
	activate(t, g)
	seats, err := g.Seats(ctx)
	if err != nil || len(seats) != 2 || seats[1].Instance != "old.example" || f.lastBody["product"] != testProduct || f.lastBody["license_key"] != testKey {
		t.Fatalf("Seats: %+v %v (body %v)", seats, err, f.lastBody)
	}
	if err := g.FreeSeat(ctx, "act-2"); err != nil {
		t.Fatal(err)
	}
	if f.lastBody["activation_id"] != "act-2" || f.lastBody["instance"] != "" {
		t.Fatalf("deactivate body %v", f.lastBody)
	}
	mustBeLicensed(t, g)
	if err := g.FreeSeat(ctx, "act-9"); !errors.Is(err, ErrActivationNotFound) {
		t.Fatalf("unknown activation: %v", err)
	}
	if err := g.FreeSeat(ctx, "act-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(); !errors.Is(err, ErrNotLicensed) || !errors.Is(err, ErrActivationNotFound) {
		t.Fatalf("after freeing its own seat: %v", err)
	}
	if _, err := g.Activate(ctx, testKey, ""); err != nil { // the seat can be taken again
		t.Fatal(err)
	}
}

// http:// is refused except to loopback, unless WithInsecureHTTP.
func TestPlainHTTPRefused(t *testing.T) {
	for _, u := range []string{"http://licenses.example.com", "http://10.0.0.7:8080", "http://localhost.example.com", "HTTP://licenses.example.com"} {
		if _, err := NewProductClient(u); err == nil {
			t.Errorf("%s accepted", u)
		}
		if _, err := NewBrandClient(u, "lk_x_y"); err == nil {
			t.Errorf("brand client: %s accepted", u)
		}
		if _, err := NewProductClient(u, WithInsecureHTTP()); err != nil {
			t.Errorf("%s with WithInsecureHTTP: %v", u, err)
		}
	}
	for _, u := range []string{"http://localhost:8080", "http://LOCALHOST", "http://127.0.0.1:1", "http://127.9.9.9", "http://[::1]:8080", "https://licenses.example.com"} {
		if _, err := NewProductClient(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
}
