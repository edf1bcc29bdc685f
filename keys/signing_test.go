package keys

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/sqlite"
	"github.com/licensedhq/licensed/store/storetest"
	"github.com/licensedhq/licensed/verifier"
)

func testSecrets(t *testing.T) *seal.Keyring {
	t.Helper()
	r, err := seal.NewKeyring(seal.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eachStore runs fn on a fresh SQLite store and a fresh PostgreSQL schema.
func eachStore(t *testing.T, fn func(t *testing.T, open func() store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "k.db")
		fn(t, func() store.Store { return mustOpen(t)(sqlite.Open(context.Background(), path)) })
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		fn(t, func() store.Store { return mustOpen(t)(postgres.Open(context.Background(), url)) })
	})
}

// mustOpen takes an Open's results, migrates and schedules the close.
func mustOpen(t *testing.T) func(store.Store, error) store.Store {
	return func(st store.Store, err error) store.Store {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

type jwks struct {
	Keys []map[string]any `json:"keys"`
}

func published(t *testing.T, m *Manager) []string {
	t.Helper()
	body, etag := m.JWKS()
	var set jwks
	if err := json.Unmarshal(body, &set); err != nil || etag == "" {
		t.Fatalf("JWKS %s: %v", body, err)
	}
	var kids []string
	for _, k := range set.Keys {
		if _, private := k["d"]; private || k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" {
			t.Fatalf("JWKS key %v", k)
		}
		kids = append(kids, k["kid"].(string))
	}
	return kids
}

// TestFirstKeyOnce: replicas starting at once on an empty store create
// exactly one active key and all sign with it.
func TestFirstKeyOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() store.Store) {
		sec := testSecrets(t)
		managers := make([]*Manager, 6)
		var wg sync.WaitGroup
		for i := range managers {
			managers[i] = NewManager(open(), sec)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := managers[i].Sync(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		kid0, key0, err := managers[0].Signer()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range managers {
			kid, _, _ := m.Signer()
			if kid != kid0 || len(published(t, m)) != 1 {
				t.Fatalf("replicas disagree: %s vs %s, %v", kid, kid0, published(t, m))
			}
		}
		if tp, _ := Thumbprint(key0.Public().(ed25519.PublicKey)); tp != kid0 {
			t.Fatalf("kid %s is not the RFC 7638 thumbprint %s", kid0, tp)
		}
		stored, _ := managers[0].store.SigningKeys(context.Background())
		if len(stored) != 1 || string(stored[0].PrivateKeyCiphertext) == string(key0.Seed()) {
			t.Fatalf("stored keys: %d", len(stored))
		}
	})
}

// TestRotation walks a key through next → active → retired → unpublished
// on an injected clock, with tokens signed before the rotation verifying
// until the old key leaves the JWKS.
func TestRotation(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() store.Store) {
		ctx := context.Background()
		st := open()
		clk := &fakeClock{t: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
		sec := testSecrets(t)
		m := NewManager(st, sec, WithClock(clk.Now), WithPublishDelay(10*time.Minute), WithRetireGrace(time.Minute))
		if err := m.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		ttl := 24 * time.Hour
		createProduct(t, st, ttl)
		oldKid, oldKey, _ := m.Signer()
		token := sign(t, oldKid, oldKey, clk.Now(), ttl)

		next, err := m.Rotate(ctx)
		if err != nil || next.State != store.KeyNext {
			t.Fatalf("rotate: %+v %v", next, err)
		}
		if again, _ := m.Rotate(ctx); again.KID != next.KID {
			t.Fatal("a second rotation made a second pending key")
		}
		m.Sync(ctx)
		if kid, _, _ := m.Signer(); kid != oldKid || len(published(t, m)) != 2 {
			t.Fatal("the next key must be published and not yet sign")
		}
		clk.Advance(9 * time.Minute)
		m.Sync(ctx)
		if kid, _, _ := m.Signer(); kid != oldKid {
			t.Fatal("promoted before the publish delay")
		}
		clk.Advance(2 * time.Minute)
		m.Sync(ctx)
		if kid, _, _ := m.Signer(); kid != next.KID {
			t.Fatal("not promoted after the publish delay")
		}
		if kids := published(t, m); len(kids) != 2 || !verifies(t, m, token, clk.Now()) {
			t.Fatalf("old key must stay published while its tokens live: %v", kids)
		}
		clk.Advance(ttl) // the old token has expired; grace remains
		m.Sync(ctx)
		if len(published(t, m)) != 2 {
			t.Fatal("old key dropped before the retire grace")
		}
		clk.Advance(2 * time.Minute)
		m.Sync(ctx)
		if kids := published(t, m); len(kids) != 1 || kids[0] != next.KID {
			t.Fatalf("old key still published after its last token expired: %v", kids)
		}
		list, _ := m.List(ctx)
		states := map[string]KeyInfo{}
		for _, k := range list {
			states[k.KID] = k
		}
		if old, cur := states[oldKid], states[next.KID]; len(list) != 2 || old.State != store.KeyRetired || old.Published ||
			old.RetiredAt == nil || cur.State != store.KeyActive || !cur.Published || cur.ActivatedAt == nil {
			t.Fatalf("keys list %+v", list)
		}
	})
}

// TestConcurrentRotation: replicas rotating and syncing at once produce
// exactly one new key and end on one active key.
func TestConcurrentRotation(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() store.Store) {
		ctx := context.Background()
		clk := &fakeClock{t: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
		sec := testSecrets(t)
		managers := make([]*Manager, 6)
		for i := range managers {
			managers[i] = NewManager(open(), sec, WithClock(clk.Now), WithPublishDelay(time.Minute))
		}
		if err := managers[0].Sync(ctx); err != nil {
			t.Fatal(err)
		}
		first, _, _ := managers[0].Signer()
		run := func(fn func(m *Manager) error) {
			var wg sync.WaitGroup
			for _, m := range managers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := fn(m); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		kids := make(chan string, len(managers))
		run(func(m *Manager) error {
			k, err := m.Rotate(ctx)
			kids <- k.KID
			return err
		})
		close(kids)
		var next string
		for k := range kids {
			if next != "" && k != next {
				t.Fatal("concurrent rotations made more than one key")
			}
			next = k
		}
		clk.Advance(2 * time.Minute)
		run(func(m *Manager) error { return m.Sync(ctx) })
		for _, m := range managers {
			if kid, _, _ := m.Signer(); kid != next || kid == first {
				t.Fatalf("replica signs with %s, want %s", kid, next)
			}
		}
		keys, _ := managers[0].store.SigningKeys(ctx)
		states := map[string]store.KeyState{}
		for _, k := range keys {
			states[k.KID] = k.State
		}
		if len(keys) != 2 || states[first] != store.KeyRetired || states[next] != store.KeyActive {
			t.Fatalf("stored keys after rotation: %+v", states)
		}
		// Each change is audited once, in its transaction: the first key,
		// the one rotation that won, the one promotion that won.
		db := managers[0].store.(interface{ DB() *sql.DB }).DB()
		for action, want := range map[string]int{ActionKeyCreated: 2, ActionKeyActivated: 1} {
			var n int
			err := db.QueryRowContext(ctx, "SELECT count(*) FROM audit_events WHERE action = $1 AND actor_type = $2", action, store.ActorSystem).Scan(&n)
			if err != nil || n != want {
				t.Fatalf("%s: %d audit events (%v), want %d", action, n, err, want)
			}
		}
	})
}

func createProduct(t *testing.T, st store.Store, ttl time.Duration) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx store.Tx) error {
		b := store.Brand{ID: "0192f000-0000-7000-8000-000000000001", Slug: "b", Name: "B", CreatedAt: time.Now()}
		if err := tx.CreateBrand(ctx, b); err != nil {
			return err
		}
		return tx.CreateProduct(ctx, store.Product{ID: "0192f000-0000-7000-8000-000000000002", BrandID: b.ID, Slug: "p", Name: "P", DefaultSeats: 1, TokenTTL: ttl, CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sign makes a license token the way the issuer does.
func sign(t *testing.T, kid string, key ed25519.PrivateKey, now time.Time, ttl time.Duration) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "https://licensed.test", "sub": "0192f000-0000-7000-8000-000000000003", "aud": "b/p",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": "0192f000-0000-7000-8000-000000000004",
		"status": "active", "seats": 1, "entitlements": []string{},
	})
	tok.Header = map[string]any{"alg": "EdDSA", "typ": verifier.TokenType, "kid": kid}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verifies checks token against the manager's published JWKS.
func verifies(t *testing.T, m *Manager, token string, now time.Time) bool {
	t.Helper()
	body, _ := m.JWKS()
	ks, err := verifier.ParseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	_, err = verifier.New(ks, verifier.WithIssuer("https://licensed.test"), verifier.WithProduct("b/p"), verifier.WithLicenseTokens(),
		verifier.WithClock(func() time.Time { return now })).Verify(token)
	return err == nil
}
