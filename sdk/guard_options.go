// Options of a Guard.

package sdk

import (
	"strings"
	"time"
)

// Clock is the Guard's source of time, for tests; the default is the
// system clock.
type Clock interface {
	Now() time.Time
	// After is time.After: the channel receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// GuardOption configures a Guard.
type GuardOption func(*guardConfig)

type guardConfig struct {
	instance, issuer, licenseKey string
	store                        TokenStore
	jwks                         []byte
	pinned, licenseTokens        bool
	clock                        Clock
	leeway                       *time.Duration
}

// WithInstance binds the guard to this site URL or machine id: Activate
// takes a seat for it, refreshes ask for its activation token, and Check
// refuses tokens of other instances and license tokens (which are bound
// to none). A guard needs WithInstance or WithLicenseTokens.
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

// WithLicenseTokens makes a guard without an instance accept license
// tokens (tokens bound to no instance, which a validation naming no
// instance returns). Such a guard cannot Activate, and it proves only that
// the license exists, not that this install holds a seat: use it for
// products that sell no seats. See verifier.WithLicenseTokens.
func WithLicenseTokens() GuardOption {
	return func(c *guardConfig) { c.licenseTokens = true }
}

// WithJWKS seeds the key set with a JWKS shipped inside the product, so
// the very first Check works without a network. The guard still fetches
// the service's JWKS when it meets an unknown kid (key rotation).
func WithJWKS(jwks []byte) GuardOption {
	return func(c *guardConfig) { c.jwks, c.pinned = jwks, false }
}

// WithPinnedJWKS makes jwks the guard's only key set: it never fetches
// keys from the network, so a compromised or impersonated service cannot
// hand it a key of its own. The price: after a key rotation the product
// needs an update that ships the new JWKS before the service signs with
// the new key (the service publishes a next key ahead of use; ship it
// then). A token of an unknown kid stays verifier.ErrUnknownKey.
func WithPinnedJWKS(jwks []byte) GuardOption {
	return func(c *guardConfig) { c.jwks, c.pinned = jwks, true }
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
