package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLI drives the admin subcommands on each backend: JSON on stdout,
// a clear error and a non-zero exit on every mistake.
func TestCLI(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		b := mustCLI(t, env, "brands", "create", "--slug", "rankmath", "--name", "Rank Math")
		if b["slug"] != "rankmath" || b["name"] != "Rank Math" || b["id"] == "" || b["created_at"] == "" || len(b) != 4 {
			t.Fatalf("brands create: %v", b)
		}
		p := mustCLI(t, env, "products", "create", "--brand", "rankmath", "--slug", "rankmath-pro", "--name", "Rank Math Pro")
		if p["brand"] != "rankmath" || p["default_seats"] != 1.0 || p["token_ttl_seconds"] != 604800.0 || p["max_free_activations"] != 3.0 ||
			p["grace_days"] != 0.0 || p["activation_ttl_seconds"] != 0.0 || len(p["free_instances"].([]any)) != 9 || p["created_at"] == "" || len(p) != 11 {
			t.Fatalf("products create defaults: %v", p)
		}
		p2 := mustCLI(t, env, "products", "create", "--brand", "rankmath", "--slug", "rankmath-agency", "--name", "Agency", "--seats", "25", "--token-ttl", "1h")
		if p2["default_seats"] != 25.0 || p2["token_ttl_seconds"] != 3600.0 {
			t.Fatalf("products create: %v", p2)
		}
		k := mustCLI(t, env, "api-keys", "create", "--brand", "rankmath", "--name", "backend", "--scopes", "licenses:read,licenses:write")
		if !strings.HasPrefix(k["key"].(string), "lk_") || k["brand"] != "rankmath" || len(k["scopes"].([]any)) != 2 {
			t.Fatalf("api-keys create: %v", k)
		}
		pk := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin,licenses:read:all")
		if pk["brand"] != nil {
			t.Fatalf("platform key has a brand: %v", pk)
		}
		keysOut, _, err := cli(t, env, "keys", "list")
		var list []map[string]any
		if err != nil || json.Unmarshal([]byte(keysOut), &list) != nil || len(list) != 1 || list[0]["state"] != "active" {
			t.Fatalf("keys list: %v %s", err, keysOut)
		}
		if out, _, _ := cli(t, env, "migrate"); strings.TrimSpace(out) != "{\n  \"applied\": 0\n}" {
			t.Fatalf("migrate on a migrated store: %q", out)
		}

		failures := []struct {
			args []string
			want string
		}{
			{[]string{"brands", "create", "--slug", "rankmath", "--name", "Again"}, "already exists"},
			{[]string{"brands", "create", "--slug", "Bad Slug", "--name", "x"}, "--slug"},
			{[]string{"brands", "create", "--name", "x"}, "--slug: is required"},
			{[]string{"products", "create", "--brand", "nope", "--slug", "x", "--name", "x"}, `no brand "nope"`},
			{[]string{"products", "create", "--brand", "rankmath", "--slug", "rankmath-pro", "--name", "x"}, "already has a product"},
			{[]string{"products", "create", "--brand", "rankmath", "--slug", "y", "--name", "x", "--seats", "0"}, "--seats"},
			{[]string{"products", "create", "--brand", "rankmath", "--slug", "y", "--name", "x", "--token-ttl", "soon"}, "token-ttl"},
			{[]string{"api-keys", "create", "--brand", "nope", "--name", "x", "--scopes", "licenses:read"}, `no brand "nope"`},
			{[]string{"api-keys", "create", "--brand", "rankmath", "--name", "x", "--scopes", "licenses:delete"}, `unknown scope "licenses:delete"`},
			{[]string{"api-keys", "create", "--brand", "rankmath", "--name", "x", "--scopes", "admin"}, "platform keys only"},
			{[]string{"api-keys", "create", "--name", "x", "--scopes", "admin"}, "exactly one of --brand and --platform"},
			{[]string{"brands", "delete"}, "unknown subcommand"},
			{[]string{"frobnicate"}, "unknown subcommand"},
		}
		for _, f := range failures {
			out, _, err := cli(t, env, f.args...)
			if err == nil || !strings.Contains(err.Error(), f.want) || out != "" {
				t.Errorf("licensed %s: err %v, stdout %q; want an error mentioning %q", strings.Join(f.args, " "), err, out, f.want)
			}
		}
	})
}

// TestCLIUnreachableDatabase: a clear error, promptly, not a hang.
func TestCLIUnreachableDatabase(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	env := map[string]string{
		"LICENSED_DATABASE_URL": "postgres://root@127.0.0.1:1/nope?connect_timeout=2",
		"LICENSED_MASTER_KEY":   base64.StdEncoding.EncodeToString(key),
	}
	start := time.Now()
	_, _, err := cli(t, env, "brands", "create", "--slug", "x", "--name", "x")
	if err == nil || time.Since(start) > 30*time.Second {
		t.Fatalf("unreachable database: %v after %v", err, time.Since(start))
	}
	delete(env, "LICENSED_MASTER_KEY")
	if _, _, err := cli(t, env, "keys", "list"); err == nil || !strings.Contains(err.Error(), "LICENSED_MASTER_KEY is required") {
		t.Fatalf("missing master key: %v", err)
	}
	env["LICENSED_MASTER_KEY"] = "c2hvcnQ="
	if _, _, err := cli(t, env, "keys", "list"); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("short master key: %v", err)
	}
}

// TestMasterKeyFile: generated once, mode 0600, reused, refused when others
// can read it.
func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"LICENSED_DATA_DIR": dir}
	mustCLI(t, env, "brands", "create", "--slug", "a", "--name", "A")
	path := filepath.Join(dir, "master.key")
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", err, info)
	}
	first, _ := os.ReadFile(path)
	mustCLI(t, env, "brands", "create", "--slug", "b", "--name", "B")
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Fatal("master key was regenerated")
	}
	os.Chmod(path, 0o644)
	if _, _, err := cli(t, env, "keys", "list"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable master key accepted: %v", err)
	}
}

// TestCLIWhileServing: admin commands work while serve runs on the same
// data dir, and what they create is visible to the server at once.
func TestCLIWhileServing(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "a@example.com", "product": "rankmath-pro"})
		expect(t, r, 201, "")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
