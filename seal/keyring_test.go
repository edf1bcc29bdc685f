package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testRing(t *testing.T, old ...[]byte) (*Keyring, []byte) {
	t.Helper()
	master := GenerateMasterKey()
	r, err := NewKeyring(master, old...)
	if err != nil {
		t.Fatal(err)
	}
	return r, master
}

func TestSealOpen(t *testing.T) {
	s, _ := testRing(t)
	other, _ := testRing(t)
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
		"header tampered": func() ([]byte, error) {
			c := bytes.Clone(ct)
			c[0] = 0x02
			return s.Open(c, []byte("license_key:1"))
		},
		"truncated": func() ([]byte, error) { return s.Open(ct[:10], []byte("license_key:1")) },
	} {
		if _, err := open(); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
}

// A value names the key it was sealed under: a wrong key is reported as
// such, with both ids.
func TestWrongKeyNamesBothKeys(t *testing.T) {
	s, master := testRing(t)
	other, _ := testRing(t)
	ct := s.Seal([]byte("x"), nil)
	id, versioned := SealedUnder(ct)
	want, _ := KeyID(master)
	if !versioned || id != want || id != s.ID() || len(id) != 8 {
		t.Fatalf("SealedUnder = %q %v, want %q", id, versioned, want)
	}
	_, err := other.Open(ct, nil)
	var wrong *WrongKeyError
	if !errors.As(err, &wrong) || wrong.SealedUnder != s.ID() || wrong.Loaded[0] != other.ID() {
		t.Fatalf("error %v, want a WrongKeyError naming %s and %s", err, s.ID(), other.ID())
	}
	if msg := err.Error(); !strings.Contains(msg, "sealed under master key "+s.ID()) || !strings.Contains(msg, "loaded master key "+other.ID()) {
		t.Errorf("message %q", msg)
	}
}

// legacySeal is how values were sealed before key ids: a bare nonce and
// AES-GCM ciphertext under the same derived key.
func legacySeal(t *testing.T, master, plaintext, aad []byte) []byte {
	t.Helper()
	k, err := hkdf.Key(sha256.New, master, nil, infoSealKey, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(k)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plaintext, aad)
}

// Rows sealed before key ids still open, under the key or as an old key of
// a ring; under no loaded key, they are reported as of an unrecorded key.
func TestLegacyValuesOpen(t *testing.T) {
	master := GenerateMasterKey()
	old := legacySeal(t, master, []byte("seed"), []byte("signing_key:k"))
	same, _ := NewKeyring(master)
	rotated, _ := testRing(t, master)
	for name, r := range map[string]*Keyring{"same key": same, "as an old key": rotated} {
		if pt, err := r.Open(old, []byte("signing_key:k")); err != nil || string(pt) != "seed" {
			t.Errorf("%s: %q %v", name, pt, err)
		}
	}
	// Legacy values whose nonce starts like a header still open: try many.
	for range 600 {
		v := legacySeal(t, master, []byte("p"), nil)
		v[0] = formatV1
		v = legacySealWithNonce(t, master, v[:nonceSize], []byte("p"))
		if pt, err := same.Open(v, nil); err != nil || string(pt) != "p" {
			t.Fatalf("a legacy value starting with the version byte: %q %v", pt, err)
		}
	}
	stranger, _ := testRing(t)
	_, err := stranger.Open(old, []byte("signing_key:k"))
	var wrong *WrongKeyError
	if !errors.Is(err, ErrDecrypt) || !errors.As(err, &wrong) || wrong.SealedUnder != "" {
		t.Fatalf("legacy value under an unloaded key: %v", err)
	}
}

func legacySealWithNonce(t *testing.T, master, nonce, plaintext []byte) []byte {
	t.Helper()
	k, _ := hkdf.Key(sha256.New, master, nil, infoSealKey, 32)
	block, _ := aes.NewCipher(k)
	aead, _ := cipher.NewGCM(block)
	return aead.Seal(bytes.Clone(nonce), nonce, plaintext, nil)
}

// During a rotation the ring seals under the new key and opens under both;
// lookup hashes are tried under both, the primary's first.
func TestRingDuringRotation(t *testing.T) {
	oldRing, oldMaster := testRing(t)
	newMaster := GenerateMasterKey()
	ring, err := NewKeyring(newMaster, oldMaster)
	if err != nil {
		t.Fatal(err)
	}
	byOld := oldRing.Seal([]byte("a"), []byte("x"))
	byNew := ring.Seal([]byte("b"), []byte("x"))
	if id, _ := SealedUnder(byNew); id != ring.ID() || ring.ID() == oldRing.ID() {
		t.Fatalf("new values sealed under %s, want the primary %s", id, ring.ID())
	}
	if !bytes.HasPrefix(byNew, ring.Prefix()) || bytes.HasPrefix(byOld, ring.Prefix()) {
		t.Fatal("Prefix does not tell the primary's values from the others")
	}
	for _, c := range []struct{ ct, want string }{{string(byOld), "a"}, {string(byNew), "b"}} {
		if pt, err := ring.Open([]byte(c.ct), []byte("x")); err != nil || string(pt) != c.want {
			t.Fatalf("open during rotation: %q %v", pt, err)
		}
	}
	if _, err := oldRing.Open(byNew, []byte("x")); !errors.Is(err, ErrDecrypt) {
		t.Fatal("the old key alone opens what the new key sealed")
	}
	hashes := ring.LookupHashes([]byte("LK-1"))
	if len(hashes) != 2 || !bytes.Equal(hashes[0], ring.LookupHash([]byte("LK-1"))) ||
		!bytes.Equal(hashes[1], oldRing.LookupHash([]byte("LK-1"))) {
		t.Fatal("lookup hashes are not the primary's then the old key's")
	}
	if ids := ring.IDs(); len(ids) != 2 || ids[1] != oldRing.ID() {
		t.Fatalf("IDs %v", ids)
	}
	dup, _ := NewKeyring(newMaster, newMaster, oldMaster)
	if len(dup.IDs()) != 2 {
		t.Fatalf("a key given twice is held twice: %v", dup.IDs())
	}
}

func TestLookupHash(t *testing.T) {
	s, _ := testRing(t)
	other, _ := testRing(t)
	a, b := s.LookupHash([]byte("LK-1")), s.LookupHash([]byte("LK-1"))
	if !bytes.Equal(a, b) || len(a) != 32 {
		t.Fatal("lookup hash is not stable")
	}
	if bytes.Equal(a, s.LookupHash([]byte("LK-2"))) || bytes.Equal(a, other.LookupHash([]byte("LK-1"))) {
		t.Fatal("lookup hash does not depend on both secret and master key")
	}
}

// TestLookupHashReusedState: the keyed HMAC states are reused between
// calls (and goroutines); every answer must still be HMAC-SHA256 under the
// HKDF-derived pepper, computed here from scratch, whatever came before it
// and whichever key of a rotation computed it.
func TestLookupHashReusedState(t *testing.T) {
	master, old := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)
	ring, err := NewKeyring(master, old)
	if err != nil {
		t.Fatal(err)
	}
	want := func(m []byte, secret string) []byte {
		pepper, err := hkdf.Key(sha256.New, m, nil, "licensed/v1/lookup-pepper", 32)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, pepper)
		mac.Write([]byte(secret))
		return mac.Sum(nil)
	}
	// Pinned: a change of derivation would orphan every stored hash.
	const pinned = "LK-PINNED"
	if got := hex.EncodeToString(ring.LookupHash([]byte(pinned))); got != hex.EncodeToString(want(master, pinned)) {
		t.Fatalf("lookup hash %s differs from HMAC-SHA256 under the pepper", got)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				// Lengths around SHA-256's block size, and an empty secret.
				secret := strings.Repeat("k", (g*37+i)%150)
				hs := ring.LookupHashes([]byte(secret))
				if len(hs) != 2 || !bytes.Equal(hs[0], want(master, secret)) || !bytes.Equal(hs[1], want(old, secret)) {
					t.Errorf("goroutine %d, secret of %d bytes: wrong lookup hashes", g, len(secret))
					return
				}
				if h := ring.LookupHash([]byte(secret)); !bytes.Equal(h, hs[0]) {
					t.Errorf("LookupHash differs from LookupHashes[0]")
					return
				}
				// The answers are the caller's own: appending to one
				// must not write into the other.
				_ = append(hs[0], 0xff)
				if !bytes.Equal(hs[1], want(old, secret)) {
					t.Errorf("the hashes share their backing array")
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkLookupHashes(b *testing.B) {
	ring, err := NewKeyring(GenerateMasterKey())
	if err != nil {
		b.Fatal(err)
	}
	key := []byte("LK-ABCD-EFGH-IJKL-MNOP-QRST-UVWX")
	b.ReportAllocs()
	for b.Loop() {
		ring.LookupHashes(key)
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
	a, b := GenerateMasterKey(), GenerateMasterKey()
	keys, err := ParseMasterKeys(EncodeMasterKey(a) + ", " + EncodeMasterKey(b) + "\n")
	if err != nil || len(keys) != 2 || !bytes.Equal(keys[0], a) || !bytes.Equal(keys[1], b) {
		t.Fatalf("ParseMasterKeys: %d %v", len(keys), err)
	}
	if keys, err := ParseMasterKeys(" "); err != nil || len(keys) != 0 {
		t.Fatalf("ParseMasterKeys of nothing: %d %v", len(keys), err)
	}
}

func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadMasterKeyFile(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	a, err := CreateMasterKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CreateMasterKeyFile(dir) // exists: kept, not replaced
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("second create replaced the key: %v", err)
	}
	path := filepath.Join(dir, MasterKeyFile)
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", info.Mode().Perm())
	}
	os.Chmod(path, 0o640)
	if _, err := ReadMasterKeyFile(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable key: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := ReadMasterKeyFile(dir); err == nil {
		t.Fatal("garbage master key accepted")
	}
}

// Replacing the key file keeps every earlier key in master.key.old, so a
// rotation on the embedded default never loses one.
func TestReplaceMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	first, err := CreateMasterKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ReplaceMasterKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	third, err := ReplaceMasterKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	current, err := ReadMasterKeyFile(dir)
	if err != nil || !bytes.Equal(current, third) || bytes.Equal(second, third) || bytes.Equal(first, second) {
		t.Fatalf("master.key after two replacements: %v", err)
	}
	old, err := ReadOldMasterKeyFile(dir)
	if err != nil || len(old) != 2 || !bytes.Equal(old[0], first) || !bytes.Equal(old[1], second) {
		t.Fatalf("master.key.old holds %d keys (%v), want the first two", len(old), err)
	}
	if info, _ := os.Stat(filepath.Join(dir, OldMasterKeyFile)); info.Mode().Perm() != 0o600 {
		t.Fatalf("master.key.old mode %v", info.Mode().Perm())
	}
	if none, err := ReadOldMasterKeyFile(t.TempDir()); err != nil || none != nil {
		t.Fatalf("no old file: %v %v", none, err)
	}
}

// TestMasterKeyRace: processes starting at once agree on one key.
func TestMasterKeyRace(t *testing.T) {
	dir := t.TempDir()
	keys := make(chan []byte, 8)
	for range 8 {
		go func() {
			k, err := CreateMasterKeyFile(dir)
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
