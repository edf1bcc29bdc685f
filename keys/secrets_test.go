package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testSecrets(t *testing.T) *Secrets {
	t.Helper()
	master := make([]byte, MasterKeySize)
	rand.Read(master)
	s, err := NewSecrets(master)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s, other := testSecrets(t), testSecrets(t)
	ct := s.Seal([]byte("LK-SECRET"), []byte("license_key:1"))
	if bytes.Contains(ct, []byte("LK-SECRET")) {
		t.Fatal("ciphertext holds the plaintext")
	}
	if pt, err := s.Open(ct, []byte("license_key:1")); err != nil || string(pt) != "LK-SECRET" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if bytes.Equal(ct, s.Seal([]byte("LK-SECRET"), []byte("license_key:1"))) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	for name, open := range map[string]func() ([]byte, error){
		"moved to another row": func() ([]byte, error) { return s.Open(ct, []byte("license_key:2")) },
		"other master key":     func() ([]byte, error) { return other.Open(ct, []byte("license_key:1")) },
		"tampered": func() ([]byte, error) {
			c := bytes.Clone(ct)
			c[len(c)-1] ^= 1
			return s.Open(c, []byte("license_key:1"))
		},
		"truncated": func() ([]byte, error) { return s.Open(ct[:10], []byte("license_key:1")) },
	} {
		if _, err := open(); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
}

func TestLookupHash(t *testing.T) {
	s, other := testSecrets(t), testSecrets(t)
	a, b := s.LookupHash([]byte("LK-1")), s.LookupHash([]byte("LK-1"))
	if !bytes.Equal(a, b) || len(a) != 32 {
		t.Fatal("lookup hash is not stable")
	}
	if bytes.Equal(a, s.LookupHash([]byte("LK-2"))) || bytes.Equal(a, other.LookupHash([]byte("LK-1"))) {
		t.Fatal("lookup hash does not depend on both secret and master key")
	}
}

func TestParseMasterKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, 32) // encodes with + and / in std base64
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(key),
		base64.RawStdEncoding.EncodeToString(key),
		base64.URLEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		" " + base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := ParseMasterKey(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("%q: %x %v", s, got, err)
		}
	}
	for _, s := range []string{"", "c2hvcnQ=", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 33))} {
		if _, err := ParseMasterKey(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreateMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateMasterKey(dir)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("second load: %v", err)
	}
	path := filepath.Join(dir, MasterKeyFile)
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", info.Mode().Perm())
	}
	os.Chmod(path, 0o640)
	if _, err := LoadOrCreateMasterKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable key: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := LoadOrCreateMasterKey(dir); err == nil {
		t.Fatal("garbage master key accepted")
	}
}

// TestMasterKeyRace: processes starting at once agree on one key.
func TestMasterKeyRace(t *testing.T) {
	dir := t.TempDir()
	keys := make(chan []byte, 8)
	for range 8 {
		go func() {
			k, err := LoadOrCreateMasterKey(dir)
			if err != nil {
				t.Error(err)
			}
			keys <- k
		}()
	}
	first := <-keys
	for range 7 {
		if k := <-keys; !bytes.Equal(k, first) {
			t.Fatal("two starters got different master keys")
		}
	}
}
