package keys

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of the master key in bytes.
const MasterKeySize = 32

// MasterKeyFile is the name of the generated master key in the data dir.
const MasterKeyFile = "master.key"

// ParseMasterKey decodes a base64 master key (standard or URL alphabet,
// padded or not) of exactly 32 bytes.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	key, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("master key is not valid base64")
	}
	if len(key) != MasterKeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d (generate one with: openssl rand -base64 32)", MasterKeySize, len(key))
	}
	return key, nil
}

// LoadOrCreateMasterKey reads dir/master.key, creating it with a fresh
// random key and mode 0600 when it does not exist. It refuses a file that
// others can read, as ssh does with private keys.
func LoadOrCreateMasterKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, MasterKeyFile)
	key, err := readMasterKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createMasterKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// Read back what is on disk: another process may have won the race.
	return readMasterKeyFile(path)
}

func readMasterKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

func createMasterKeyFile(path string) error {
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	// Write to a temporary name and link it into place, so that a reader
	// never sees a half-written key and two starters agree on one key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
