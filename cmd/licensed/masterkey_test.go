package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store/storetest"
)

// eachShape runs fn on the three deployment shapes: embedded SQLite,
// PostgreSQL, and PostgreSQL with Redis.
func eachShape(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	eachBackend(t, fn)
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		env := backends[1].env(t)
		url := storetest.RedisURL(t)
		env["LICENSED_REDIS_URL"] = url
		env["LICENSED_REDIS_PREFIX"] = storetest.RedisPrefix(t, url)
		fn(t, env)
	})
}

// stop closes a server started by serve before the test ends, so that
// another can start on the same store.
func (s *testServer) stop(t *testing.T) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.http, s.store, s.redis = nil, nil, nil // keep the cleanup from closing twice
}

// open runs `licensed serve`'s start on env and returns its error; a start
// that succeeds is stopped at once.
func tryServe(env map[string]string) error {
	full := map[string]string{"LICENSED_ADDR": "127.0.0.1:0", "LICENSED_RATE_LIMITS": "off", "LICENSED_SHUTDOWN_DELAY": "0s"}
	for k, v := range env {
		full[k] = v
	}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return full[k] }}
	if err := m.ParseFlags("serve", nil, nil); err != nil {
		return err
	}
	err := m.Open(context.Background())
	m.Close()
	return err
}

func keyIDOf(t *testing.T, base64Key string) string {
	t.Helper()
	k, err := seal.ParseMasterKey(base64Key)
	if err != nil {
		t.Fatal(err)
	}
	id, err := seal.KeyID(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestLostMasterKey: with the master key gone (the file deleted, or the
// variable unset), neither serve nor any subcommand makes a new one over
// the store's sealed secrets: each fails saying how to restore the key and
// which one, and nothing is written. With the key back, everything reads.
// A wrong key is named against the key the store was sealed under.
func TestLostMasterKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
		expect(t, r, 201, "")
		id, key := r.str("license", "id"), r.str("license_key")
		s.stop(t)

		keyFile := filepath.Join(env["LICENSED_DATA_DIR"], seal.MasterKeyFile)
		var master string
		if env["LICENSED_MASTER_KEY"] != "" {
			master = env["LICENSED_MASTER_KEY"]
			delete(env, "LICENSED_MASTER_KEY")
		} else {
			b, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			master = strings.TrimSpace(string(b))
			os.Remove(keyFile)
		}
		sealedUnder := keyIDOf(t, master)

		for _, run := range []struct {
			name string
			run  func() error
		}{
			{"serve", func() error { return tryServe(env) }},
			{"keys list", func() error { _, _, err := cli(t, env, "keys", "list"); return err }},
			{"brands create", func() error { _, _, err := cli(t, env, "brands", "create", "--slug", "x", "--name", "X"); return err }},
		} {
			err := run.run()
			if err == nil {
				t.Fatalf("%s started without the master key", run.name)
			}
			msg := err.Error()
			if env["LICENSED_DATABASE_URL"] == "" {
				for _, want := range []string{"no master key", keyFile, "master key " + sealedUnder, "will not create a new master key",
					"Restore the master key with id " + sealedUnder, "backups", "cannot be read"} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: the error lacks %q:\n%s", run.name, want, msg)
					}
				}
				if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("%s created a master key over sealed secrets", run.name)
				}
			} else if !strings.Contains(msg, "LICENSED_MASTER_KEY is required") || !strings.Contains(msg, "cannot be read") {
				t.Errorf("%s: %s", run.name, msg)
			}
		}

		// A wrong key: named, with the one the store needs.
		wrong := seal.EncodeMasterKey(seal.GenerateMasterKey())
		env["LICENSED_MASTER_KEY"] = wrong
		err := tryServe(env)
		if err == nil || !strings.Contains(err.Error(), "sealed under master key "+sealedUnder) ||
			!strings.Contains(err.Error(), "loaded master key "+keyIDOf(t, wrong)) || !strings.Contains(err.Error(), "Restore the master key") {
			t.Fatalf("serve with the wrong key: %v", err)
		}
		// master-id tells candidate keys apart without touching the store.
		out := mustCLI(t, env, "keys", "master-id")
		if out["key_id"] != keyIDOf(t, wrong) {
			t.Fatalf("master-id: %v", out)
		}

		// The key restored, all is as before.
		env["LICENSED_MASTER_KEY"] = master
		s = serve(t, env)
		got := s.call(t, "GET", "/v1/licenses/"+id, rm.readKey, nil)
		expect(t, got, 200, "")
		if got.str("license_key") != key {
			t.Fatalf("after restoring the key: %s", got.raw)
		}
	})
}

// TestLostMasterKeyBinary: the real binary exits 1 with the explanation,
// and leaves no master key behind.
func TestLostMasterKeyBinary(t *testing.T) {
	env := backends[0].env(t)
	mustCLI(t, env, "brands", "create", "--slug", "rm", "--name", "RM")
	mustCLI(t, env, "keys", "rotate") // a signing key: a sealed secret
	keyFile := filepath.Join(env["LICENSED_DATA_DIR"], seal.MasterKeyFile)
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "LICENSED_DATA_DIR="+env["LICENSED_DATA_DIR"])
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("serve without its master key: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "will not create a new master key") || !strings.Contains(string(out), "Restore the master key") {
		t.Fatalf("serve's explanation:\n%s", out)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("serve created a master key over sealed secrets")
	}
}

// TestMasterKeyRotation end to end on each shape: licenses provisioned
// (with idempotency keys) and activated under key A; the new key B made
// the primary with A kept for reading; `keys rotate-master` stopped half
// way by its limit while serve runs and reads everything; resumed to the
// end; and then, with A gone, every license key, stored answer and the
// signing key read under B alone. A is then refused, naming B.
func TestMasterKeyRotation(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		const n = 6
		s := serve(t, webhookEnv(env))
		rm := newTenant(t, env, "rankmath", 2)
		// A webhook endpoint: its signing secret is sealed too.
		hk, h := hookKey(t, env, "rankmath"), newHookReceiver(t)
		createHook(t, s, hk, h, "license.suspended")
		type lic struct{ id, key string }
		var lics []lic
		provision := func(s *testServer, i int) response {
			return s.call(t, "POST", "/v1/licenses", rm.writeKey,
				map[string]any{"customer_email": fmt.Sprintf("c%d@example.com", i), "product": "rankmath-pro"},
				"Idempotency-Key", fmt.Sprintf("order-%d", i))
		}
		for i := range n {
			r := provision(s, i)
			expect(t, r, 201, "")
			lics = append(lics, lic{r.str("license", "id"), r.str("license_key")})
			a := s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": r.str("license_key"), "product": "rankmath/rankmath-pro", "instance": "example.org"})
			expect(t, a, 201, "")
		}
		kid := kidOf(t, s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": lics[0].key, "product": "rankmath/rankmath-pro", "instance": "example.org"}).str("token"))
		s.stop(t)

		// Everything reads and answers as before, and an idempotent retry
		// replays the stored answer.
		check := func(s *testServer, when string) {
			t.Helper()
			for i, l := range lics {
				g := s.call(t, "GET", "/v1/licenses/"+l.id, rm.readKey, nil)
				if g.status != 200 || g.str("license_key") != l.key {
					t.Fatalf("%s: license %d: %d %s", when, i, g.status, g.raw)
				}
				v := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": l.key, "product": "rankmath/rankmath-pro", "instance": "example.org"})
				if v.str("code") != "VALID" || kidOf(t, v.str("token")) != kid {
					t.Fatalf("%s: validation %d: %s", when, i, v.raw)
				}
				p := provision(s, i)
				if p.status != 201 || p.str("license", "id") != l.id || p.str("license_key") != l.key {
					t.Fatalf("%s: replay %d: %d %s", when, i, p.status, p.raw)
				}
			}
		}

		oldKey := env["LICENSED_MASTER_KEY"]
		fileKeys := oldKey == ""
		keyFile := filepath.Join(env["LICENSED_DATA_DIR"], seal.MasterKeyFile)
		var newID string
		if fileKeys {
			b, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			oldKey = strings.TrimSpace(string(b))
			out := mustCLI(t, env, "keys", "new-master")
			newID = out["key_id"].(string)
			if ids := out["old_key_ids"].([]any); len(ids) != 1 || ids[0] == newID {
				t.Fatalf("new-master: %v", out)
			}
			if _, err := os.Stat(filepath.Join(env["LICENSED_DATA_DIR"], seal.OldMasterKeyFile)); err != nil {
				t.Fatal(err)
			}
		} else {
			newKey := seal.EncodeMasterKey(seal.GenerateMasterKey())
			env["LICENSED_MASTER_KEY"], env["LICENSED_MASTER_KEY_OLD"] = newKey, oldKey
			newID = keyIDOf(t, newKey)
			if _, _, err := cli(t, env, "keys", "new-master"); err == nil || !strings.Contains(err.Error(), "openssl rand") {
				t.Fatalf("new-master with a configured key: %v", err)
			}
		}
		s = serve(t, env)
		check(s, "before re-sealing")

		half := rotateMaster(t, env, "--batch", "2", "--limit", "5")
		if half.Remaining == 0 || half.Done || half.KeyID != newID || half.total() != 5 {
			t.Fatalf("the interrupted run: %+v", half)
		}
		check(s, "half way")
		// A license provisioned mid-rotation is sealed under the new key.
		r := provision(s, n)
		expect(t, r, 201, "")
		lics = append(lics, lic{r.str("license", "id"), r.str("license_key")})
		expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": r.str("license_key"), "product": "rankmath/rankmath-pro", "instance": "example.org"}), 201, "")

		rest := rotateMaster(t, env)
		if !rest.Done || rest.Remaining != 0 || rest.total() == 0 {
			t.Fatalf("the resumed run: %+v", rest)
		}
		// Signing keys (1), license keys (n), stored answers (n), the
		// webhook secret (1): every one re-sealed exactly once over the
		// two runs.
		if got := half.total() + rest.total(); got != 2+2*n {
			t.Fatalf("re-sealed %d values in all, want %d", got, 2+2*n)
		}
		check(s, "after re-sealing, still serving")
		s.stop(t)

		if fileKeys {
			if err := os.Remove(filepath.Join(env["LICENSED_DATA_DIR"], seal.OldMasterKeyFile)); err != nil {
				t.Fatal(err)
			}
		} else {
			delete(env, "LICENSED_MASTER_KEY_OLD")
		}
		s = serve(t, env)
		check(s, "under the new key alone")
		// The dispatcher signs with the secret opened under the new key.
		expect(t, s.call(t, "POST", "/v1/licenses/"+lics[0].id+"/suspend", rm.writeKey, nil), 200, "")
		eventually(t, "the suspension's webhook", func() bool { return len(h.delivered()) == 1 })
		h.checkSignatures()
		s.stop(t)

		// The retired key alone is refused, naming the new one.
		if fileKeys {
			if err := os.WriteFile(keyFile, []byte(oldKey+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			env["LICENSED_MASTER_KEY"] = oldKey
		}
		if err := tryServe(env); err == nil || !strings.Contains(err.Error(), "sealed under master key "+newID) {
			t.Fatalf("serve with the retired key: %v", err)
		}
	})
}

type rotateReport struct {
	KeyID     string         `json:"key_id"`
	Resealed  map[string]int `json:"resealed"`
	Remaining int            `json:"remaining"`
	Done      bool           `json:"done"`
}

func (r rotateReport) total() int {
	n := 0
	for _, c := range r.Resealed {
		n += c
	}
	return n
}

func rotateMaster(t *testing.T, env map[string]string, args ...string) rotateReport {
	t.Helper()
	out, errOut, err := cli(t, env, append([]string{"keys", "rotate-master"}, args...)...)
	if err != nil {
		t.Fatalf("rotate-master: %v\n%s", err, errOut)
	}
	var rep rotateReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("rotate-master output %q: %v", out, err)
	}
	return rep
}
