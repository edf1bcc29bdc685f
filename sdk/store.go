package sdk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/licensedhq/licensed/verifier"
)

// TokenStore persists a Guard's current token, so that a product restarted
// offline is still licensed. Tokens are not secret (they hold no license
// key and nothing personal), but a store should still not be world
// writable: a stale token written there would pass until it expires.
// Implementations must be safe for concurrent use.
type TokenStore interface {
	// Load returns the stored token, or "" and nil when there is none.
	Load(ctx context.Context) (string, error)
	// Save replaces the stored token; "" removes it.
	Save(ctx context.Context, token string) error
}

// MemoryStore is a TokenStore in memory, for tests and for products that
// keep the token elsewhere (a WordPress option, say) and seed it here.
type MemoryStore struct {
	mu    sync.Mutex
	token string
}

// NewMemoryStore returns a MemoryStore holding token ("" for none).
func NewMemoryStore(token string) *MemoryStore { return &MemoryStore{token: token} }

// Load returns the token.
func (m *MemoryStore) Load(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token, nil
}

// Save replaces the token.
func (m *MemoryStore) Save(_ context.Context, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.token = token
	return nil
}

// FileStore is a TokenStore in one file, written atomically: a new token
// goes to a temporary file in the same directory (mode 0600), is synced,
// and is renamed over the old one, so a crash or a concurrent reader sees
// the old token or the new one, never a torn write.
type FileStore struct {
	path string
}

// NewFileStore returns a FileStore at path. The directory must exist.
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

// maxStoredToken: anything larger cannot be a token Verify accepts.
const maxStoredToken = verifier.MaxTokenSize + 2

// Load reads the token; a missing file is no token.
func (f *FileStore) Load(context.Context) (string, error) {
	file, err := os.Open(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sdk: token store: %w", err)
	}
	defer file.Close()
	b, err := readLimited(file, maxStoredToken)
	if err != nil {
		return "", fmt.Errorf("sdk: token store %s: %w", f.path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Save writes the token atomically with mode 0600; "" removes the file.
func (f *FileStore) Save(_ context.Context, token string) error {
	if token == "" {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sdk: token store: %w", err)
		}
		return nil
	}
	if err := writeAtomic(f.path, []byte(token+"\n")); err != nil {
		return fmt.Errorf("sdk: token store: %w", err)
	}
	return nil
}

// writeAtomic replaces path with data through a synced temporary file in
// the same directory (a rename is atomic only within one file system).
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp already uses 0600; Chmod says so explicitly, whatever
	// the platform's default.
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes the rename durable where the platform allows it (not on
// Windows, where a directory cannot be opened for syncing).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
