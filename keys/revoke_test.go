package keys

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

var testActor = Actor{Type: store.ActorAdmin, ID: "cli", RequestID: "r1", IP: "local"}

// TestRevoke: a retired key, then the active one (with a next key to take
// over) leave the JWKS at once; tokens they signed stop verifying; the only
// active key cannot be revoked; every revocation is audited.
func TestRevoke(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() store.Store) {
		ctx := context.Background()
		st := open()
		clk := &fakeClock{t: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
		m := NewManager(st, testSecrets(t), WithClock(clk.Now), WithPublishDelay(10*time.Minute))
		if err := m.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		ttl := 24 * time.Hour
		createProduct(t, st, ttl)
		first, firstKey, _ := m.Signer()
		token := sign(t, first, firstKey, clk.Now(), ttl)

		if _, err := m.Revoke(ctx, first, testActor); !errors.Is(err, ErrOnlyActiveKey) {
			t.Fatalf("revoking the only active key: %v", err)
		}
		if _, err := m.Revoke(ctx, "no-such-kid", testActor); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("unknown kid: %v", err)
		}

		// Rotate fully: first is retired and still published.
		second, _ := m.Rotate(ctx)
		clk.Advance(11 * time.Minute)
		m.Sync(ctx)
		if !slices.Contains(published(t, m), first) || !verifies(t, m, token, clk.Now()) {
			t.Fatal("a retired key stays published while its tokens live")
		}
		got, err := m.Revoke(ctx, first, testActor)
		if err != nil || got.Key.State != store.KeyRevoked || got.Key.Published || got.Key.RevokedAt == nil ||
			got.Active == nil || got.Active.KID != second.KID || got.AlreadyRevoked {
			t.Fatalf("revoke retired: %+v %v", got, err)
		}
		if slices.Contains(published(t, m), first) || verifies(t, m, token, clk.Now()) {
			t.Fatal("a revoked key must leave the JWKS at once")
		}
		if again, err := m.Revoke(ctx, first, testActor); err != nil || !again.AlreadyRevoked {
			t.Fatalf("revoking twice: %+v %v", again, err)
		}

		// The active key, with a rotation pending: the next key signs at once.
		third, _ := m.Rotate(ctx)
		got, err = m.Revoke(ctx, second.KID, testActor)
		if err != nil || got.Active == nil || got.Active.KID != third.KID {
			t.Fatalf("revoke active: %+v %v", got, err)
		}
		if kid, _, _ := m.Signer(); kid != third.KID {
			t.Fatalf("signer after revoking the active key: %s, want %s", kid, third.KID)
		}
		if kids := published(t, m); !slices.Equal(kids, []string{third.KID}) {
			t.Fatalf("JWKS after revocations: %v", kids)
		}
		// Another replica drops it at its next Sync.
		other := NewManager(st, m.secrets, WithClock(clk.Now))
		if err := other.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if kids := published(t, other); !slices.Equal(kids, []string{third.KID}) {
			t.Fatalf("JWKS of another replica: %v", kids)
		}

		raw, err := st.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range raw {
			if k.KID != third.KID && (k.State != store.KeyRevoked || k.RevokedAt == nil) {
				t.Fatalf("stored key %s: %s", k.KID, k.State)
			}
		}
	})
}

// TestConcurrentRevoke: replicas revoking the active key at once promote
// the next key exactly once; each call either wins, finds it revoked, or
// reports the lost race; the store ends with one active key.
func TestConcurrentRevoke(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() store.Store) {
		ctx := context.Background()
		sec := testSecrets(t)
		m0 := NewManager(open(), sec)
		if err := m0.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		active, _, _ := m0.Signer()
		next, err := m0.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 6 {
			m := NewManager(open(), sec)
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := m.Revoke(ctx, active, testActor)
				switch {
				case errors.Is(err, store.ErrConflict):
				case err != nil:
					t.Error(err)
				case !got.AlreadyRevoked:
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		keys, err := m0.store.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]store.KeyState{}
		for _, k := range keys {
			states[k.KID] = k.State
		}
		if won != 1 || states[active] != store.KeyRevoked || states[next.KID] != store.KeyActive || len(keys) != 2 {
			t.Fatalf("won %d, states %v", won, states)
		}
	})
}
