package sdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
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

// Refresh schedule (see the package documentation).
const (
	// refreshBackoffMin and refreshBackoffMax bound the wait after a
	// failed refresh; it doubles from the first to the second.
	refreshBackoffMin = 30 * time.Second
	refreshBackoffMax = time.Hour
	// minRefreshGap is the least time between two refreshes that both
	// succeeded (and at least a tenth of the token's lifetime), so that a
	// product clock far off the service's cannot make the guard refresh
	// in a loop.
	minRefreshGap = 30 * time.Second
	// recheckInterval: how often a guard that was dropped to unlicensed
	// but knows the license key asks again, so that a renewed license
	// comes back by itself.
	recheckInterval = 12 * time.Hour
	// idleWake: the loop re-evaluates at least this often.
	idleWake = time.Hour
)

// Clock is the Guard's source of time, for tests; the default is the
// system clock.
type Clock interface {
	Now() time.Time
	// After is time.After: the channel receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// GuardOption configures a Guard.
type GuardOption func(*guardConfig)

type guardConfig struct {
	instance, issuer, licenseKey string
	store                        TokenStore
	jwks                         []byte
	clock                        Clock
	leeway                       *time.Duration
}

// WithInstance binds the guard to this site URL or machine id: Activate
// takes a seat for it, refreshes ask for its activation token, and Check
// refuses tokens of other instances.
func WithInstance(instance string) GuardOption {
	return func(c *guardConfig) { c.instance = instance }
}

// WithIssuer sets the iss tokens must carry (the service's
// LICENSED_ISSUER). The default is the client's base URL.
func WithIssuer(iss string) GuardOption {
	return func(c *guardConfig) { c.issuer = iss }
}

// WithLicenseKey gives the guard the license key to refresh with. The
// guard keeps it in memory only; the product stores it where it keeps its
// settings, since it is the customer's credential.
func WithLicenseKey(key string) GuardOption {
	return func(c *guardConfig) { c.licenseKey = strings.TrimSpace(key) }
}

// WithTokenStore persists the token (default: a MemoryStore).
func WithTokenStore(s TokenStore) GuardOption {
	return func(c *guardConfig) {
		if s != nil {
			c.store = s
		}
	}
}

// WithJWKS seeds the key set with a JWKS shipped inside the product, so
// the very first Check works without a network.
func WithJWKS(jwks []byte) GuardOption {
	return func(c *guardConfig) { c.jwks = jwks }
}

// WithClock replaces the system clock, in tests.
func WithClock(clock Clock) GuardOption {
	return func(c *guardConfig) {
		if clock != nil {
			c.clock = clock
		}
	}
}

// WithLeeway sets the clock skew tolerated on the token's times (default
// verifier.DefaultLeeway).
func WithLeeway(d time.Duration) GuardOption {
	return func(c *guardConfig) { c.leeway = &d }
}

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
	v, err := newGuardVerifier(c, product)
	if err != nil {
		return nil, err
	}
	g := &Guard{
		client: client, product: product, instance: c.instance, store: c.store, clock: c.clock,
		v: v, wake: make(chan struct{}, 1), licenseKey: c.licenseKey,
	}
	g.keys = &keyCache{client: client, v: v, now: c.clock.Now}
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

func (g *Guard) loop(ctx context.Context) {
	for {
		g.step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-g.wake:
		case <-g.clock.After(g.sleepFor()):
		}
	}
}

// step does what is due: a JWKS fetch, a refresh.
func (g *Guard) step(ctx context.Context) {
	now := g.clock.Now()
	g.mu.Lock()
	keysDue := g.wantKeys && !now.Before(g.keys.nextAllowed())
	refreshDue := !g.nextRefresh.IsZero() && !now.Before(g.nextRefresh)
	g.mu.Unlock()
	if keysDue && ctx.Err() == nil {
		g.fetchKeys(ctx)
	}
	if refreshDue && ctx.Err() == nil {
		g.Refresh(ctx) // its outcome is in Status
	}
}

// sleepFor is the time until the next thing due.
func (g *Guard) sleepFor() time.Duration {
	now := g.clock.Now()
	next := now.Add(idleWake)
	g.mu.Lock()
	if !g.nextRefresh.IsZero() && g.nextRefresh.Before(next) {
		next = g.nextRefresh
	}
	if g.wantKeys {
		if t := g.keys.nextAllowed(); t.Before(next) {
			next = t
		}
	}
	g.mu.Unlock()
	return max(next.Sub(now), 0)
}

func (g *Guard) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *Guard) needKeys() {
	g.mu.Lock()
	g.wantKeys = true
	g.mu.Unlock()
	g.poke()
}

func (g *Guard) fetchKeys(ctx context.Context) {
	err := g.keys.refresh(ctx)
	if errors.Is(err, errKeyFetchTooSoon) || ctx.Err() != nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil {
		g.lastErr = err // wantKeys stays: retried after KeyFetchInterval
		return
	}
	g.wantKeys = false
}

// Refresh validates online now and applies the answer: a new token (an
// active one, or one saying suspended or cancelled) replaces the current
// one; license_not_found, an expired license or a released seat drop the
// guard to unlicensed. Any failure (network, 5xx, 429, a token that does
// not verify) keeps the current token and schedules a retry with backoff.
// It returns an error only when it got no verdict; the verdict is what
// Check says next. The background loop calls it on schedule.
func (g *Guard) Refresh(ctx context.Context) error {
	g.online.Lock()
	defer g.online.Unlock()
	g.mu.Lock()
	key := g.licenseKey
	g.lastAttempt = g.clock.Now()
	if key == "" {
		g.nextRefresh, g.lastErr = time.Time{}, ErrNoLicenseKey
	}
	g.mu.Unlock()
	if key == "" {
		return ErrNoLicenseKey
	}
	res, err := g.client.Validate(ctx, ValidateRequest{LicenseKey: key, Product: g.product, Instance: g.instance})
	switch {
	case errors.Is(err, ErrLicenseNotFound):
		return g.drop(ctx, err)
	case err != nil:
		return g.fail(ctx, err)
	}
	if reason := dropReason(res, g.instance != ""); reason != nil {
		return g.drop(ctx, reason)
	}
	if res.Token == "" {
		return g.fail(ctx, fmt.Errorf("%w: validation %s without a token", ErrBadResponse, res.Code))
	}
	if err := g.accept(ctx, res.Token); err != nil {
		return g.fail(ctx, err)
	}
	return g.install(ctx, res.Token)
}

// dropReason says why a validation leaves the product unlicensed, or nil.
func dropReason(res *Validation, bound bool) error {
	switch {
	case res.Code == NotActivated && bound:
		return fmt.Errorf("%w: the service says this instance holds no seat", ErrActivationNotFound)
	case res.Token != "":
		return nil
	case res.Code == Expired:
		return fmt.Errorf("%w: the service issues no token past the license's expiry", ErrLicenseExpired)
	case res.Code == Suspended:
		return fmt.Errorf("%w, and its expiry has passed", ErrLicenseSuspended)
	case res.Code == Cancelled:
		return fmt.Errorf("%w, and its expiry has passed", ErrLicenseCancelled)
	}
	return nil
}

// Activate takes a seat for the guard's instance with the license key
// (the product's first run), and stores the token. The guard keeps the
// key in memory for refreshes. When the activation succeeded but the
// token could not be verified or saved, both the activation and the error
// are returned.
func (g *Guard) Activate(ctx context.Context, licenseKey, instanceName string) (*Activated, error) {
	if g.instance == "" {
		return nil, errors.New("sdk: Activate needs the guard's instance (WithInstance)")
	}
	g.online.Lock()
	defer g.online.Unlock()
	act, err := g.client.Activate(ctx, ActivateRequest{
		LicenseKey: licenseKey, Product: g.product, Instance: g.instance, InstanceName: instanceName,
	})
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.licenseKey, g.lastAttempt = strings.TrimSpace(licenseKey), g.clock.Now()
	g.mu.Unlock()
	if err := g.accept(ctx, act.Token); err != nil {
		return act, g.fail(ctx, err)
	}
	return act, g.install(ctx, act.Token)
}

// Deactivate frees the instance's seat (so the customer can use it
// elsewhere), forgets the token and the license key. A seat or license
// the service no longer knows counts as freed.
func (g *Guard) Deactivate(ctx context.Context) error {
	g.online.Lock()
	defer g.online.Unlock()
	g.mu.Lock()
	key := g.licenseKey
	g.mu.Unlock()
	if key == "" {
		return ErrNoLicenseKey
	}
	_, err := g.client.Deactivate(ctx, DeactivateRequest{LicenseKey: key, Product: g.product, Instance: g.instance})
	if err != nil && !errors.Is(err, ErrActivationNotFound) && !errors.Is(err, ErrLicenseNotFound) {
		return err
	}
	g.mu.Lock()
	g.token, g.licenseKey, g.dropped, g.loaded = "", "", nil, true
	g.failures, g.lastErr, g.nextRefresh = 0, nil, time.Time{}
	g.mu.Unlock()
	return g.save(ctx, "")
}

// accept checks a token from the service: authentic, for this product
// and instance, current. A token of an unusable license (suspended,
// cancelled) is accepted: that is the news it brings. An unknown kid
// fetches the JWKS first (within KeyFetchInterval).
func (g *Guard) accept(ctx context.Context, tok string) error {
	err := g.verify(tok)
	if errors.Is(err, verifier.ErrUnknownKey) || errors.Is(err, ErrNoKeys) {
		ferr := g.keys.refresh(ctx)
		switch {
		case errors.Is(ferr, errKeyFetchTooSoon):
			g.needKeys() // the loop fetches as soon as allowed
		case ferr != nil:
			return fmt.Errorf("sdk: the service's token does not verify: %w", errors.Join(err, ferr))
		default:
			g.mu.Lock()
			g.wantKeys = false
			g.mu.Unlock()
		}
		err = g.verify(tok)
	}
	if err != nil && !errors.Is(err, verifier.ErrLicenseUnusable) {
		return fmt.Errorf("sdk: the service's token does not verify: %w", err)
	}
	return nil
}

func (g *Guard) verify(tok string) error {
	if g.v.Keys() == nil {
		return ErrNoKeys
	}
	_, err := g.v.Verify(tok)
	return err
}

// install makes an accepted token current and saves it.
func (g *Guard) install(ctx context.Context, tok string) error {
	now := g.clock.Now()
	g.mu.Lock()
	g.token, g.dropped, g.loaded = tok, nil, true // memory is now newer than the store
	g.failures, g.lastErr, g.lastRefresh = 0, nil, now
	g.scheduleLocked(now)
	g.mu.Unlock()
	g.poke() // the loop's sleep was computed for the old schedule
	return g.save(ctx, tok)
}

// drop makes the guard unlicensed for reason, the service's verdict.
func (g *Guard) drop(ctx context.Context, reason error) error {
	now := g.clock.Now()
	g.mu.Lock()
	g.token, g.dropped, g.loaded = "", fmt.Errorf("%w: %w", ErrNotLicensed, reason), true
	g.failures, g.lastErr, g.lastRefresh = 0, nil, now
	g.nextRefresh = time.Time{}
	if g.licenseKey != "" {
		g.nextRefresh = now.Add(recheckInterval)
	}
	g.mu.Unlock()
	return g.save(ctx, "")
}

// fail records a refresh that got no usable answer and schedules the
// next attempt with backoff, or after the Retry-After when longer.
func (g *Guard) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err // stopped, not failed
	}
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures++
	g.lastErr = err
	g.nextRefresh = now.Add(refreshBackoff(g.failures, err))
	return err
}

func refreshBackoff(failures int, err error) time.Duration {
	d := min(refreshBackoffMin<<min(failures-1, 16), refreshBackoffMax)
	d = d/2 + rand.N(d/2+1)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > d {
		d = min(e.RetryAfter, refreshBackoffMax)
	}
	return d
}

func (g *Guard) save(ctx context.Context, tok string) error {
	err := g.store.Save(ctx, tok)
	if err != nil {
		g.mu.Lock()
		g.lastErr = err
		g.mu.Unlock()
	}
	return err
}

// scheduleLocked sets the next refresh of the current token: once half
// its lifetime has passed, less a random tenth of it (so that products
// activated together do not refresh together), and no sooner than a
// tenth of its lifetime after the last attempt.
func (g *Guard) scheduleLocked(now time.Time) {
	switch {
	case g.licenseKey == "":
		g.nextRefresh = time.Time{}
		return
	case g.token == "":
		g.nextRefresh = now // a restart that lost its token: ask at once
		return
	}
	iat, exp, ok := tokenTimes(g.token)
	if !ok || exp <= iat {
		g.nextRefresh = now
		return
	}
	life := time.Duration(exp-iat) * time.Second
	due := time.Unix(iat, 0).Add(life/2 - rand.N(life/10+1))
	if !g.lastAttempt.IsZero() {
		if floor := g.lastAttempt.Add(max(life/10, minRefreshGap)); due.Before(floor) {
			due = floor
		}
	}
	g.nextRefresh = due
}

// tokenTimes reads iat and exp without verifying anything: they only
// schedule the refresh, and a stored token may already have expired.
func tokenTimes(tok string) (iat, exp int64, ok bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, 0, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, 0, false
	}
	var c struct {
		Iat int64 `json:"iat"`
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return 0, 0, false
	}
	return c.Iat, c.Exp, true
}

// State summarizes a guard's Check.
type State int

// States of a guard.
const (
	// StateUnlicensed: no token (ErrNotLicensed).
	StateUnlicensed State = iota
	// StateLicensed: the token verifies; the product may run.
	StateLicensed
	// StateSuspended, StateCancelled, StateExpired: an authentic token
	// says the license may not be used (StateExpired: the license's
	// expiry has passed).
	StateSuspended
	StateCancelled
	StateExpired
	// StateStale: the token itself expired: the service was unreachable
	// for longer than the token lives.
	StateStale
	// StateInvalid: the token does not verify: no keys yet, an unknown
	// key, forged, another product's or instance's, or clocks far apart.
	StateInvalid
)

func (s State) String() string {
	switch s {
	case StateUnlicensed:
		return "unlicensed"
	case StateLicensed:
		return "licensed"
	case StateSuspended:
		return "suspended"
	case StateCancelled:
		return "cancelled"
	case StateExpired:
		return "expired"
	case StateStale:
		return "stale"
	case StateInvalid:
		return "invalid"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

func stateOf(err error) State {
	switch {
	case err == nil:
		return StateLicensed
	case errors.Is(err, ErrNotLicensed):
		return StateUnlicensed
	case errors.Is(err, verifier.ErrLicenseSuspended):
		return StateSuspended
	case errors.Is(err, verifier.ErrLicenseCancelled):
		return StateCancelled
	case errors.Is(err, verifier.ErrLicenseExpired):
		return StateExpired
	case errors.Is(err, verifier.ErrExpired):
		return StateStale
	}
	return StateInvalid
}

// Status is a snapshot of a guard, for a product's license screen.
type Status struct {
	State  State
	Claims *verifier.Claims // as Check returns them
	Err    error            // Check's error
	// LastRefresh is when the service last gave a verdict.
	LastRefresh time.Time
	// LastError is the last failure to refresh, fetch the JWKS or save
	// the token; nil after a success.
	LastError error
	// NextRefresh is when the loop next validates online; zero when it
	// will not (no license key).
	NextRefresh time.Time
}

// Status returns the guard's current state.
func (g *Guard) Status() Status {
	claims, err := g.Check()
	g.mu.Lock()
	defer g.mu.Unlock()
	return Status{
		State: stateOf(err), Claims: claims, Err: err,
		LastRefresh: g.lastRefresh, LastError: g.lastErr, NextRefresh: g.nextRefresh,
	}
}
