package issuer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/local"
	"github.com/licensedhq/licensed/store/memo"
	"github.com/licensedhq/licensed/store/sqlite"
)

// benchService is a Service on a fresh SQLite store with one brand, one
// product, one license and one activation; cache may be nil.
func benchService(b *testing.B, cache store.Cache) (*Service, string) {
	b.Helper()
	return testService(b, cache, nil)
}

// testService is benchService with a clock (nil: time.Now).
func testService(b testing.TB, cache store.Cache, now func() time.Time) (*Service, string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sec, err := seal.NewKeyring(seal.GenerateMasterKey())
	if err != nil {
		b.Fatal(err)
	}
	km := keys.NewManager(st, sec)
	if err := km.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Store: st, Keys: km, Secrets: sec, Cache: cache, Issuer: "https://licensed.test", Now: now})
	if _, err := s.CreateBrand(ctx, AdminActor, Origin{}, BrandInput{Slug: "b", Name: "B"}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateProduct(ctx, AdminActor, Origin{}, "b", ProductInput{Slug: "p", Name: "P"}); err != nil {
		b.Fatal(err)
	}
	k, err := s.CreateAPIKey(ctx, AdminActor, Origin{}, APIKeyInput{Brand: ptr("b"), Name: "k", Scopes: []string{ScopeLicensesWrite}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.Authenticate(ctx, k.Key)
	if err != nil {
		b.Fatal(err)
	}
	body, _, err := s.Provision(ctx, p, Origin{}, ProvisionInput{CustomerEmail: "a@example.com", Product: "p"}, "")
	if err != nil {
		b.Fatal(err)
	}
	var out Provisioned
	json.Unmarshal(body, &out)
	if _, _, err := s.Activate(ctx, Origin{}, ActivateInput{LicenseKey: out.LicenseKey, Product: "b/p", Instance: "example.org"}); err != nil {
		b.Fatal(err)
	}
	return s, out.LicenseKey
}

func ptr[T any](v T) *T { return &v }

func benchValidate(b *testing.B, cache store.Cache, instance string) {
	s, key := benchService(b, cache)
	in := ValidateInput{LicenseKey: key, Product: ptr("b/p")}
	if instance != "" {
		in.Instance = &instance
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v, err := s.Validate(ctx, in)
		if err != nil || !v.Valid {
			b.Fatal(err, v.Code)
		}
	}
}

// The validation hot path: a license token, an activation token, each from
// the store alone and through the in-process snapshot cache.
func BenchmarkValidateLicenseStore(b *testing.B) { benchValidate(b, nil, "") }
func BenchmarkValidateLicenseCached(b *testing.B) {
	benchValidate(b, local.NewCache(), "")
}
func BenchmarkValidateActivationStore(b *testing.B) { benchValidate(b, nil, "example.org") }
func BenchmarkValidateActivationCached(b *testing.B) {
	benchValidate(b, local.NewCache(), "example.org")
}

// The same through the memo in front of the cache: what `licensed serve`
// runs on SQLite (and, with Redis behind it, on every replica).
func BenchmarkValidateLicenseMemo(b *testing.B) {
	benchValidate(b, memo.New(local.NewCache()), "")
}
func BenchmarkValidateActivationMemo(b *testing.B) {
	benchValidate(b, memo.New(local.NewCache()), "example.org")
}

// BenchmarkEd25519Sign is the floor of every validation: the signature of
// the token it issues.
func BenchmarkEd25519Sign(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := make([]byte, 600)
	for b.Loop() {
		ed25519.Sign(priv, msg)
	}
}
