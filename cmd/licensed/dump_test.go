package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/licensedhq/licensed/store/storetest"
)

// TestDumpRevealsNoSecret: what sits in the database — the SQLite files, or
// a pg_dump of the schema — holds no license key, no API key secret and no
// private signing key, in any of the encodings they travel in.
func TestDumpRevealsNoSecret(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, webhookEnv(env))
		rm := newTenant(t, env, "rankmath", 1)
		h := newHookReceiver(t)
		createHook(t, s, hookKey(t, env, "rankmath"), h, "*")
		hookSecret, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h.secret, "whsec_"))
		if err != nil {
			t.Fatal(err)
		}
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"}, "Idempotency-Key", "k1")
		expect(t, r, 201, "")
		key := r.str("license_key")
		expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"}), 201, "")
		_, priv, err := s.keys.Signer()
		if err != nil {
			t.Fatal(err)
		}
		secret := rm.writeKey[strings.LastIndex(rm.writeKey, "_")+1:]
		needles := map[string][]byte{
			"license key":         []byte(key),
			"API key secret":      []byte(secret),
			"signing seed":        priv.Seed(),
			"webhook secret":      []byte(h.secret),
			"webhook HMAC key":    hookSecret,
			"signing seed hex":    []byte(hex.EncodeToString(priv.Seed())),
			"signing seed base64": []byte(base64.RawURLEncoding.EncodeToString(priv.Seed())),
		}
		dump := s.dump(t)
		if !bytes.Contains(dump, []byte("jane@example.com")) {
			t.Fatal("the dump does not hold the data at all; the test would prove nothing")
		}
		for name, n := range needles {
			if bytes.Contains(dump, n) {
				t.Errorf("the database holds the %s in clear", name)
			}
		}
	})
}

func (s *testServer) dump(t *testing.T) []byte {
	t.Helper()
	if !s.Config.postgres() {
		var all []byte
		files, _ := filepath.Glob(filepath.Join(s.Config.DataDir, "licensed.db*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		if os.Getenv(storetest.EnvRequireServices) == "1" {
			t.Fatal("pg_dump is not installed")
		}
		t.Skip("pg_dump is not installed")
	}
	u, _ := url.Parse(s.Config.DatabaseURL)
	schema := u.Query().Get("search_path")
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command(pgDump, "--schema="+schema, "--data-only", u.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

// TestRedisHoldsNoCustomerData: what the validation path caches in Redis —
// a shared cache, often run with weaker guarantees than the database —
// holds no customer email, no license key (clear or sealed) and none of the
// brand's metadata, after every product API call has filled it.
func TestRedisHoldsNoCustomerData(t *testing.T) {
	t.Parallel()
	env := backends[1].env(t)
	url := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t, url)
	env["LICENSED_REDIS_URL"], env["LICENSED_REDIS_PREFIX"] = url, prefix
	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 1)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{
		"customer_email": "jane@example.com", "product": "rankmath-pro",
		"metadata": map[string]any{"crm_note": "vip-customer-7731"},
	}, "Idempotency-Key", "k1")
	expect(t, r, 201, "")
	key := r.str("license_key")
	body := map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"}
	expect(t, s.call(t, "POST", "/v1/activate", "", body), 201, "")
	expect(t, s.call(t, "POST", "/v1/validate", "", body), 200, "")
	expect(t, s.call(t, "POST", "/v1/activations", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"}), 200, "")

	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	var all []byte
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		// Values as Redis hands them out (DUMP would compress them).
		all = append(all, k...)
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "string":
			all = append(all, rdb.Get(ctx, k).Val()...)
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				all = append(append(all, f...), v...)
			}
		case "none": // expired since KEYS
		default:
			t.Fatalf("key %s of type %s: read it too", k, typ)
		}
	}
	if !bytes.Contains(all, []byte(`"seats"`)) && !bytes.Contains(all, []byte("Seats")) {
		t.Fatalf("Redis holds no license snapshot under %s (%d keys); the test would prove nothing", prefix, len(keys))
	}
	for name, n := range map[string]string{"customer email": "jane@example.com", "license key": key, "metadata": "vip-customer-7731"} {
		if bytes.Contains(all, []byte(n)) {
			t.Errorf("Redis holds the %s", name)
		}
	}
	// The sealed key travels base64-encoded in JSON snapshots.
	conn, err := pgx.Connect(ctx, env["LICENSED_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ct []byte
	if err := conn.QueryRow(ctx, "SELECT key_ciphertext FROM license_keys LIMIT 1").Scan(&ct); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(all, []byte(base64.StdEncoding.EncodeToString(ct))) || bytes.Contains(all, ct) {
		t.Error("Redis holds the sealed license key")
	}
}
