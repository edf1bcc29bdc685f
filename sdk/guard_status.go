// The state summary of a Guard, for a product's license screen.

package sdk

import (
	"errors"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

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
	// StateGrace: the license's expiry has passed but its grace period
	// has not: the product may run (Check returns no error) and should
	// ask the customer to renew. Claims.GraceEnds says until when.
	StateGrace
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
	case StateGrace:
		return "grace"
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
	state := stateOf(err)
	if state == StateLicensed && claims.InGrace(g.clock.Now()) {
		state = StateGrace
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return Status{
		State: state, Claims: claims, Err: err,
		LastRefresh: g.lastRefresh, LastError: g.lastErr, NextRefresh: g.nextRefresh,
	}
}
