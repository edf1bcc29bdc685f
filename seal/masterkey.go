package seal

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of a master key in bytes.
const MasterKeySize = 32

// Files in the data dir, for the embedded default where no master key is
// configured: the primary key, and the old keys a rotation still reads
// (one per line), kept until the rotation is done.
const (
	MasterKeyFile    = "master.key"
	OldMasterKeyFile = "master.key.old"
)

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

// ParseMasterKeys decodes master keys separated by commas, spaces or
// newlines; empty input is no key.
func ParseMasterKeys(s string) ([][]byte, error) {
	var out [][]byte
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		k, err := ParseMasterKey(f)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", len(out)+1, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// GenerateMasterKey returns a fresh random master key.
func GenerateMasterKey() []byte {
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return key
}

// EncodeMasterKey is the base64 form master keys are written and read in.
func EncodeMasterKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// ReadMasterKeyFile reads dir/master.key; fs.ErrNotExist when there is
// none. It refuses a file that others can read, as ssh does with private
// keys.
func ReadMasterKeyFile(dir string) ([]byte, error) {
	path := filepath.Join(dir, MasterKeyFile)
	b, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// ReadOldMasterKeyFile reads the keys of dir/master.key.old; none when
// there is no such file.
func ReadOldMasterKeyFile(dir string) ([][]byte, error) {
	path := filepath.Join(dir, OldMasterKeyFile)
	b, err := readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	keys, err := ParseMasterKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

func readPrivate(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	return os.ReadFile(path)
}

// CreateMasterKeyFile writes a fresh key to dir/master.key with mode 0600
// unless the file exists, and returns the key on disk: when several
// processes start at once, they agree on one. Callers decide whether a
// new key may be made at all (see package doc: never while the store
// holds values sealed under another).
func CreateMasterKeyFile(dir string) ([]byte, error) {
	path := filepath.Join(dir, MasterKeyFile)
	if err := writeNew(path, []byte(EncodeMasterKey(GenerateMasterKey())+"\n")); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// Read back what is on disk: another process may have won the race.
	return ReadMasterKeyFile(dir)
}

// ReplaceMasterKeyFile starts a rotation on the embedded default: it
// appends the current dir/master.key to dir/master.key.old (so that what
// it sealed still opens) and then puts a fresh key in its place. The old
// key is on disk, synced, before the new one replaces it, so no crash in
// between loses a key. It returns the new key.
func ReplaceMasterKeyFile(dir string) ([]byte, error) {
	current, err := ReadMasterKeyFile(dir)
	if err != nil {
		return nil, err
	}
	oldPath := filepath.Join(dir, OldMasterKeyFile)
	old, err := readPrivate(oldPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		old = append(old, '\n')
	}
	if !containsKey(old, current) {
		old = append(old, []byte(EncodeMasterKey(current)+"\n")...)
	}
	if err := writeReplace(oldPath, old); err != nil {
		return nil, err
	}
	key := GenerateMasterKey()
	if err := writeReplace(filepath.Join(dir, MasterKeyFile), []byte(EncodeMasterKey(key)+"\n")); err != nil {
		return nil, err
	}
	return key, nil
}

func containsKey(list, key []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(list))
	for sc.Scan() {
		if k, err := ParseMasterKey(sc.Text()); err == nil && bytes.Equal(k, key) {
			return true
		}
	}
	return false
}

// writeNew creates path with content, atomically: written to a temporary
// name and linked into place, so that a reader never sees half a key, and
// linking fails (fs.ErrExist) when path exists.
func writeNew(path string, content []byte) error {
	tmp, err := writeTemp(path, content)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeReplace puts content at path atomically, replacing what was there.
func writeReplace(path string, content []byte) error {
	tmp, err := writeTemp(path, content)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func writeTemp(path string, content []byte) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-*.tmp")
	if err != nil {
		return "", err
	}
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(content)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
