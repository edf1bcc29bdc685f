package sdk

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestFileStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "license.token")
	s := NewFileStore(path)
	if tok, err := s.Load(ctx); tok != "" || err != nil {
		t.Fatalf("missing file: %q %v", tok, err)
	}
	for _, tok := range []string{"a.b.c", strings.Repeat("x", 4000) + ".y.z", "d.e.f"} {
		if err := s.Save(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Load(ctx); got != tok || err != nil {
			t.Fatalf("Load %q %v, want %q", got, err, tok)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := s.Save(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("Save(\"\") left the file: %v", err)
	}
	if err := s.Save(ctx, ""); err != nil {
		t.Fatalf("clearing twice: %v", err)
	}
}

// A file that cannot be a token is refused, not read whole.
func TestFileStoreRefusesHugeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "license.token")
	os.WriteFile(path, make([]byte, 1<<20), 0o600)
	if _, err := NewFileStore(path).Load(context.Background()); err == nil {
		t.Fatal("a 1 MiB token file was loaded")
	}
}

// A failed write leaves the old token and no temporary file.
func TestFileStoreFailedWriteKeepsOld(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := NewFileStore(filepath.Join(dir, "missing", "license.token")).Save(ctx, "a.b.c"); err == nil {
		t.Fatal("saving into a missing directory succeeded")
	}
	// The target is a non-empty directory: the rename fails.
	target := filepath.Join(dir, "license.token")
	os.MkdirAll(filepath.Join(target, "x"), 0o700)
	if err := NewFileStore(target).Save(ctx, "a.b.c"); err == nil {
		t.Fatal("renaming over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("temporary file %s left", e.Name())
		}
	}
}

// Readers racing a writer see a whole token, old or new, never a torn one.
func TestFileStoreAtomicUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	s := NewFileStore(filepath.Join(t.TempDir(), "license.token"))
	tokens := []string{strings.Repeat("a", 5000) + ".b.c", "d.e.f", strings.Repeat("g", 2000) + ".h.i"}
	valid := map[string]bool{}
	for _, tok := range tokens {
		valid[tok] = true
	}
	if err := s.Save(ctx, tokens[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			if err := s.Save(ctx, tokens[i%len(tokens)]); err != nil {
				t.Error(err)
				return
			}
		}
		close(done)
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				tok, err := s.Load(ctx)
				if err != nil || !valid[tok] {
					t.Errorf("Load %d bytes, %v: a torn or missing token", len(tok), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore("a.b.c")
	if tok, _ := m.Load(ctx); tok != "a.b.c" {
		t.Fatal(tok)
	}
	m.Save(ctx, "")
	if tok, _ := m.Load(ctx); tok != "" {
		t.Fatal(tok)
	}
}
