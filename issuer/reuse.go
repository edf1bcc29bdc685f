package issuer

import (
	"slices"
	"sync"
	"time"

	"github.com/licensedhq/licensed/store"
)

// Token reuse. A product validating in a loop asks the same question many
// times a second, and signing a fresh token for each answer was a third of
// a validation's CPU. So a validation whose answer is the one a token was
// signed for a moment ago gets that token back instead of a new signature.
//
// "The same answer" is everything a token says except when it was issued
// (iss, sub, aud, status, seats, entitlements, license expiry, grace end,
// instance, activation id), the product's token TTL, the signing key, and
// the license's row version, which every change of the license moves
// (suspension, renewal, seats, entitlements, metadata too). Any difference
// signs a new token at once; so does a new activation of the instance
// (a new activation id) and a product change that moves the grace end.
//
// "A moment" is reuseWindow: at most 1 % of the token TTL and at most a
// minute, so a reused token has at least 99 % of its lifetime left and its
// iat is never more than a minute old. The fingerprint is computed from
// what this validation read (the store, or a snapshot that every change
// invalidates), so reuse can never outlive the answer it was signed for.
const (
	reuseMaxAge = time.Minute
	// reuseMaxEntries bounds the memory of reuse: past it, entries older
	// than their window are swept, and if that is not enough, all go.
	reuseMaxEntries = 100_000
)

// reuseWindow is how long a token may be handed out again for a product
// whose tokens live ttl.
func reuseWindow(ttl time.Duration) time.Duration { return min(ttl/100, reuseMaxAge) }

type reuseKey struct{ license, activation string }

// fingerprint is what a token says, but its times and id.
type fingerprint struct {
	kid, audience, status, instance string
	seats                           int
	licenseExpiry, graceUntil       int64 // 0: none
	tokenTTL                        time.Duration
	version                         int64
}

type reuseEntry struct {
	fp           fingerprint
	entitlements []string
	token        string
	signedAt     time.Time
	exp          int64
}

// tokenReuse is the set of recently signed tokens, one per license and
// activation (or none, for license tokens). Safe for concurrent use.
type tokenReuse struct {
	mu      sync.RWMutex
	entries map[reuseKey]reuseEntry
}

func newTokenReuse() *tokenReuse {
	return &tokenReuse{entries: make(map[reuseKey]reuseEntry)}
}

// get returns the token signed for the same answer less than the reuse
// window before now, if there is one and it has not expired.
func (r *tokenReuse) get(k reuseKey, fp fingerprint, entitlements []string, now time.Time) (string, bool) {
	r.mu.RLock()
	e, ok := r.entries[k]
	r.mu.RUnlock()
	if !ok || e.fp != fp || !slices.Equal(e.entitlements, entitlements) || now.Unix() >= e.exp {
		return "", false
	}
	if age := now.Sub(e.signedAt); age < 0 || age >= reuseWindow(fp.tokenTTL) {
		return "", false
	}
	return e.token, true
}

func (r *tokenReuse) put(k reuseKey, e reuseEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.entries[k]; !ok && len(r.entries) >= reuseMaxEntries {
		for key, old := range r.entries {
			if e.signedAt.Sub(old.signedAt) >= reuseWindow(old.fp.tokenTTL) {
				delete(r.entries, key)
			}
		}
		if len(r.entries) >= reuseMaxEntries {
			clear(r.entries)
		}
	}
	r.entries[k] = e
}

func reuseKeyOf(l store.License, a *store.Activation) reuseKey {
	k := reuseKey{license: l.ID}
	if a != nil {
		k.activation = a.ID
	}
	return k
}
