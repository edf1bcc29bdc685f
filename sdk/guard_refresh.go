// The background refresh of a Guard's token (package documentation,
// "Refresh schedule").

package sdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
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
	if g.keys.pinned {
		return // never fetched: the product ships its keys
	}
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
