// A Guard answers "is this product licensed here?" offline; this file holds
// its type, construction and the offline check. The refresh loop is in
// guard_refresh.go, the calls that change the seat in guard_online.go,
// options in guard_options.go and the state summary in guard_status.go.

package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// Errors of a Guard, besides the verifier's (which Check passes through).
var (
	// ErrNotLicensed: the guard holds no token: never activated here,
	// deactivated, or dropped because the service said so. In the last
	// case the error also matches the service's reason:
	// ErrLicenseNotFound (the key is unknown), ErrActivationNotFound (the
	// seat was released), ErrLicenseExpired, ErrLicenseSuspended or
	// ErrLicenseCancelled (the license's expiry has passed, so no token is
	// issued any more).
	ErrNotLicensed = errors.New("sdk: not licensed")
	// ErrNoLicenseKey: the guard cannot refresh because it does not know
	// the license key: pass WithLicenseKey, or Activate.
	ErrNoLicenseKey = errors.New("sdk: no license key")
	// ErrNoKeys: the guard has no signing keys yet: embed the JWKS with
	// WithJWKS, or Start the guard so that it fetches them.
	ErrNoKeys = errors.New("sdk: no signing keys")
)

// Guard answers "is this product licensed here?" offline, from a token it
// keeps fresh online in the background. See the package documentation.
// Safe for concurrent use; Check is cheap enough to call on every request.
type Guard struct {
	client            *ProductClient
	product, instance string
	store             TokenStore
	clock             Clock
	v                 *verifier.Verifier
	keys              *keyCache
	wake              chan struct{}

	// online serializes Refresh, Activate and Deactivate, so their
	// answers are applied (and saved) in the order they were obtained.
	online sync.Mutex

	mu          sync.Mutex
	token       string
	licenseKey  string
	loaded      bool
	dropped     error // why the guard is unlicensed, when the service said so
	wantKeys    bool  // an unknown kid was met: fetch the JWKS when allowed
	failures    int
	lastErr     error
	lastAttempt time.Time
	lastRefresh time.Time
	nextRefresh time.Time // zero: nothing to refresh

	run  sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

// NewGuard returns a guard of product ("brand/product", the token's aud)
// that talks to the service through client. It makes no network call;
// Start loads the stored token and starts refreshing it.
func NewGuard(client *ProductClient, product string, opts ...GuardOption) (*Guard, error) {
	if client == nil || product == "" {
		return nil, errors.New("sdk: NewGuard needs a client and a product")
	}
	c := guardConfig{store: NewMemoryStore(""), clock: systemClock{}, issuer: client.BaseURL()}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.instance == "" && !c.licenseTokens:
		return nil, errors.New("sdk: NewGuard needs WithInstance (this site or machine), or WithLicenseTokens for a product without seats")
	case c.pinned && c.jwks == nil:
		return nil, errors.New("sdk: WithPinnedJWKS needs a JWKS")
	}
	v, err := newGuardVerifier(c, product)
	if err != nil {
		return nil, err
	}
	g := &Guard{
		client: client, product: product, instance: c.instance, store: c.store, clock: c.clock,
		v: v, wake: make(chan struct{}, 1), licenseKey: c.licenseKey,
	}
	g.keys = &keyCache{client: client, v: v, now: c.clock.Now, pinned: c.pinned}
	return g, nil
}

func newGuardVerifier(c guardConfig, product string) (*verifier.Verifier, error) {
	var seed *verifier.KeySet
	if c.jwks != nil {
		var err error
		if seed, err = verifier.ParseJWKS(c.jwks); err != nil {
			return nil, fmt.Errorf("sdk: embedded JWKS: %w", err)
		}
	}
	opts := []verifier.Option{verifier.WithIssuer(c.issuer), verifier.WithProduct(product), verifier.WithClock(c.clock.Now)}
	if c.instance != "" {
		if _, err := verifier.NormalizeInstance(c.instance); err != nil {
			return nil, fmt.Errorf("sdk: instance: %w", err)
		}
		opts = append(opts, verifier.WithInstance(c.instance))
	}
	if c.licenseTokens {
		opts = append(opts, verifier.WithLicenseTokens())
	}
	if c.leeway != nil {
		opts = append(opts, verifier.WithLeeway(*c.leeway))
	}
	return verifier.New(seed, opts...), nil
}

// Check says, offline, whether the product is licensed here: the claims
// of the current token, or why not. Errors: ErrNotLicensed (no token), or
// the verifier's: verifier.ErrLicenseSuspended, ErrLicenseCancelled and
// ErrLicenseExpired (all matching verifier.ErrLicenseUnusable, with the
// claims), verifier.ErrExpired (the token outlived an outage), and the
// rest (forged, another product or instance, unknown key, ErrNoKeys).
// A license in its grace period is licensed (no error): InGrace, or
// Status().State == StateGrace, tells the product to show a banner.
// An unknown key or an overdue refresh wakes the background loop; Check
// itself never touches the network.
func (g *Guard) Check() (*verifier.Claims, error) {
	g.mu.Lock()
	tok, dropped := g.token, g.dropped
	overdue := !g.nextRefresh.IsZero() && !g.clock.Now().Before(g.nextRefresh)
	g.mu.Unlock()
	if overdue {
		// After a laptop's sleep the loop's timer may be late; a Check
		// at a wall-clock time past the schedule wakes it.
		g.poke()
	}
	switch {
	case tok == "" && dropped != nil:
		return nil, dropped
	case tok == "":
		return nil, ErrNotLicensed
	case g.v.Keys() == nil:
		g.needKeys()
		return nil, ErrNoKeys
	}
	claims, err := g.v.Verify(tok)
	if errors.Is(err, verifier.ErrUnknownKey) {
		g.needKeys()
	}
	return claims, err
}

// InGrace reports whether the current token is valid and its license in
// its grace period (see verifier.Claims.InGrace): licensed, but the
// product should ask the customer to renew.
func (g *Guard) InGrace() bool {
	c, err := g.Check()
	return err == nil && c.InGrace(g.clock.Now())
}

// Load reads the token from the store. Start calls it when it has not
// been called; a product that only checks (no background refresh) calls
// it itself.
func (g *Guard) Load(ctx context.Context) error {
	tok, err := g.store.Load(ctx)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.token, g.loaded = strings.TrimSpace(tok), true
	g.scheduleLocked(g.clock.Now())
	return nil
}

// Start loads the token (unless Load was called) and starts the
// background loop that refreshes it and fetches the JWKS. The loop runs
// until Stop or until ctx ends.
func (g *Guard) Start(ctx context.Context) error {
	g.run.Lock()
	defer g.run.Unlock()
	if g.done != nil {
		return errors.New("sdk: guard already started")
	}
	g.mu.Lock()
	loaded := g.loaded
	g.mu.Unlock()
	if !loaded {
		if err := g.Load(ctx); err != nil {
			return err
		}
	}
	if g.v.Keys() == nil {
		g.mu.Lock()
		g.wantKeys = true
		g.mu.Unlock()
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	g.stop, g.done = cancel, done
	go func() {
		defer close(done)
		g.loop(ctx)
	}()
	return nil
}

// Stop ends the background loop, aborting a refresh in flight, and waits
// for it. The guard keeps answering Check; Start may be called again.
func (g *Guard) Stop() {
	g.run.Lock()
	stop, done := g.stop, g.done
	g.stop, g.done = nil, nil
	g.run.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}
