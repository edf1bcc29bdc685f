// The calls of a Guard that change or read the seat online: activate,
// deactivate, list and free seats; and how their tokens are installed.

package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

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
	err = g.store.Save(ctx, "")
	g.mu.Lock()
	g.token, g.licenseKey, g.dropped, g.loaded = "", "", nil, true
	g.failures, g.lastErr, g.nextRefresh = 0, err, time.Time{}
	g.mu.Unlock()
	return err
}

// Seats lists where the license's seats are in use, for a license screen
// ("used on example.org, shop.example.com"). It needs the license key
// (WithLicenseKey or Activate).
func (g *Guard) Seats(ctx context.Context) ([]Activation, error) {
	g.mu.Lock()
	key := g.licenseKey
	g.mu.Unlock()
	if key == "" {
		return nil, ErrNoLicenseKey
	}
	return g.client.Activations(ctx, ActivationsRequest{LicenseKey: key, Product: g.product})
}

// FreeSeat frees the seat of one activation of the license (from Seats),
// typically of a site the customer can no longer reach. Freeing this
// instance's own seat forgets the token, as Deactivate does, but keeps
// the license key so that the product can activate again.
func (g *Guard) FreeSeat(ctx context.Context, activationID string) error {
	g.online.Lock()
	defer g.online.Unlock()
	g.mu.Lock()
	key, tok := g.licenseKey, g.token
	g.mu.Unlock()
	if key == "" {
		return ErrNoLicenseKey
	}
	if _, err := g.client.Deactivate(ctx, DeactivateRequest{LicenseKey: key, Product: g.product, ActivationID: activationID}); err != nil {
		return err
	}
	if c, err := g.v.Verify(tok); c != nil && c.ActivationID == activationID && (err == nil || errors.Is(err, verifier.ErrLicenseUnusable)) {
		return g.drop(ctx, fmt.Errorf("%w: this instance's seat was freed", ErrActivationNotFound))
	}
	return nil
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
	// The store first: once Check reports the new state, a product (or a
	// restart) reading the store finds it too. A failed save still
	// installs the token in memory, and says why in Status.
	err := g.store.Save(ctx, tok)
	now := g.clock.Now()
	g.mu.Lock()
	g.token, g.dropped, g.loaded = tok, nil, true
	g.failures, g.lastErr, g.lastRefresh = 0, err, now
	g.scheduleLocked(now)
	g.mu.Unlock()
	g.poke() // the loop's sleep was computed for the old schedule
	return err
}

// drop makes the guard unlicensed for reason, the service's verdict; the
// store is emptied first, as in install.
func (g *Guard) drop(ctx context.Context, reason error) error {
	err := g.store.Save(ctx, "")
	now := g.clock.Now()
	g.mu.Lock()
	g.token, g.dropped, g.loaded = "", fmt.Errorf("%w: %w", ErrNotLicensed, reason), true
	g.failures, g.lastErr, g.lastRefresh = 0, err, now
	g.nextRefresh = time.Time{}
	if g.licenseKey != "" {
		g.nextRefresh = now.Add(recheckInterval)
	}
	g.mu.Unlock()
	return err
}
