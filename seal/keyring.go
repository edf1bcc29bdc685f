package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// HKDF info strings: changing one changes every derived key, so never do.
const (
	infoSealKey = "licensed/v1/seal"
	infoPepper  = "licensed/v1/lookup-pepper"
	infoKeyID   = "licensed/v1/key-id"
)

// The sealed format: version, key id, nonce, AES-GCM ciphertext and tag.
// The header (version and key id) is authenticated with the caller's aad.
// A value without it (sealed before key ids existed) is a bare nonce and
// ciphertext.
const (
	formatV1    = 0x01
	keyIDSize   = 4
	headerSize  = 1 + keyIDSize
	nonceSize   = 12
	overhead    = 16
	minV1Length = headerSize + nonceSize + overhead
)

// ErrDecrypt is returned when a sealed value does not open: a master key
// that is not loaded, or a ciphertext that was tampered with or moved to
// another row. A *WrongKeyError says which key the value was sealed under.
var ErrDecrypt = errors.New("seal: sealed value does not open with the loaded master key")

// WrongKeyError is a value sealed under a master key that is not loaded.
// It is ErrDecrypt for errors.Is.
type WrongKeyError struct {
	// SealedUnder is the id of the value's master key; "" for a value
	// sealed before key ids existed.
	SealedUnder string
	// Loaded are the ids of the loaded keys, the primary first.
	Loaded []string
}

func (e *WrongKeyError) Error() string {
	under := "master key " + e.SealedUnder
	if e.SealedUnder == "" {
		under = "an unrecorded master key (sealed before key ids existed)"
	}
	return fmt.Sprintf("sealed under %s, loaded master key %s", under, strings.Join(e.Loaded, ", "))
}

// Is makes a WrongKeyError match ErrDecrypt.
func (e *WrongKeyError) Is(target error) bool { return target == ErrDecrypt }

// KeyID is the public fingerprint of a master key: 8 hex digits, derived
// with HKDF so that it reveals nothing of the key. Logs, errors and sealed
// values name master keys by it.
func KeyID(master []byte) (string, error) {
	k, err := newKey(master)
	if err != nil {
		return "", err
	}
	return k.idString(), nil
}

// key is one master key and what derives from it.
type key struct {
	id     [keyIDSize]byte
	aead   cipher.AEAD
	pepper []byte
	// macs are HMAC-SHA256 states keyed with pepper, reused: keying one
	// (two SHA-256 states, their pads) cost as much as hashing a license
	// key, on every validation. A state is used by one caller at a time,
	// between Get and Put, and reset before use.
	macs sync.Pool
}

func newKey(master []byte) (*key, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("seal: master key must be %d bytes", MasterKeySize)
	}
	sealKey, err := hkdf.Key(sha256.New, master, nil, infoSealKey, 32)
	if err != nil {
		return nil, err
	}
	pepper, err := hkdf.Key(sha256.New, master, nil, infoPepper, 32)
	if err != nil {
		return nil, err
	}
	id, err := hkdf.Key(sha256.New, master, nil, infoKeyID, keyIDSize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &key{aead: aead, pepper: pepper}
	k.macs.New = func() any { return hmac.New(sha256.New, pepper) }
	copy(k.id[:], id)
	return k, nil
}

func (k *key) idString() string { return hex.EncodeToString(k.id[:]) }

func (k *key) header() []byte { return append([]byte{formatV1}, k.id[:]...) }

// Keyring seals under its primary master key and opens what any of its
// keys sealed. It is safe for concurrent use.
type Keyring struct {
	keys []*key // the primary first
}

// NewKeyring returns a keyring sealing under primary and also opening what
// old sealed. Every key is 32 bytes.
func NewKeyring(primary []byte, old ...[]byte) (*Keyring, error) {
	r := &Keyring{}
	for _, m := range append([][]byte{primary}, old...) {
		k, err := newKey(m)
		if err != nil {
			return nil, err
		}
		if slicesContainID(r.keys, k.id) {
			continue // the same key given twice
		}
		r.keys = append(r.keys, k)
	}
	return r, nil
}

func slicesContainID(keys []*key, id [keyIDSize]byte) bool {
	for _, k := range keys {
		if k.id == id {
			return true
		}
	}
	return false
}

// ID is the id of the primary key.
func (r *Keyring) ID() string { return r.keys[0].idString() }

// IDs are the ids of every key, the primary first.
func (r *Keyring) IDs() []string {
	out := make([]string, len(r.keys))
	for i, k := range r.keys {
		out[i] = k.idString()
	}
	return out
}

// Prefix is how every value sealed under the primary key starts: what
// rotation leaves alone.
func (r *Keyring) Prefix() []byte { return r.keys[0].header() }

// Seal encrypts plaintext under the primary key with a random nonce. aad
// binds the ciphertext to its place (e.g. the row id), so that a ciphertext
// copied into another row does not open there.
func (r *Keyring) Seal(plaintext, aad []byte) []byte {
	k := r.keys[0]
	out := make([]byte, headerSize+nonceSize, minV1Length+len(plaintext))
	copy(out, k.header())
	nonce := out[headerSize:]
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return k.aead.Seal(out, nonce, plaintext, v1AAD(out[:headerSize], aad))
}

// v1AAD authenticates the header with the caller's aad.
func v1AAD(header, aad []byte) []byte {
	return append(bytes.Clone(header), aad...)
}

// Open decrypts what Seal produced with the same aad, under whichever
// loaded key sealed it. A value sealed under a key that is not loaded is a
// *WrongKeyError; any other failure is ErrDecrypt.
func (r *Keyring) Open(ciphertext, aad []byte) ([]byte, error) {
	id, versioned := SealedUnder(ciphertext)
	if versioned {
		for _, k := range r.keys {
			if k.idString() != id {
				continue
			}
			h := ciphertext[:headerSize]
			body := ciphertext[headerSize:]
			if plain, err := k.aead.Open(nil, body[:nonceSize], body[nonceSize:], v1AAD(h, aad)); err == nil {
				return plain, nil
			}
		}
	}
	// An unversioned value; or, once in 256 such values, one whose random
	// nonce happens to start like a header.
	for _, k := range r.keys {
		if len(ciphertext) < nonceSize+overhead {
			break
		}
		if plain, err := k.aead.Open(nil, ciphertext[:nonceSize], ciphertext[nonceSize:], aad); err == nil {
			return plain, nil
		}
	}
	switch {
	case versioned && !r.has(id):
		return nil, &WrongKeyError{SealedUnder: id, Loaded: r.IDs()}
	case !versioned && len(ciphertext) >= nonceSize+overhead:
		// Sealed before key ids: under a key that is not loaded, or
		// tampered with; the first is the likely one.
		return nil, fmt.Errorf("%w (%w)", ErrDecrypt, &WrongKeyError{Loaded: r.IDs()})
	}
	return nil, ErrDecrypt
}

func (r *Keyring) has(id string) bool {
	for _, k := range r.keys {
		if k.idString() == id {
			return true
		}
	}
	return false
}

// SealedUnder reads the id of the master key a value was sealed under from
// its header; versioned is false for a value sealed before key ids existed.
func SealedUnder(ciphertext []byte) (id string, versioned bool) {
	if len(ciphertext) < minV1Length || ciphertext[0] != formatV1 {
		return "", false
	}
	return hex.EncodeToString(ciphertext[1:headerSize]), true
}

// LookupHash is HMAC-SHA256 under the primary key's pepper: a stable index
// for a secret (a license key) that a database dump cannot reverse or
// brute-force without the master key.
func (r *Keyring) LookupHash(secret []byte) []byte { return r.keys[0].lookupHash(secret) }

// LookupHashes are the lookup hashes of secret under every key, the
// primary's first: during a rotation a stored hash may still be the old
// key's.
func (r *Keyring) LookupHashes(secret []byte) [][]byte {
	out := make([][]byte, len(r.keys))
	sums := make([]byte, 0, len(r.keys)*sha256.Size)
	for i, k := range r.keys {
		sums = k.appendLookupHash(sums, secret)
		out[i] = sums[i*sha256.Size : (i+1)*sha256.Size : (i+1)*sha256.Size]
	}
	return out
}

func (k *key) lookupHash(secret []byte) []byte {
	return k.appendLookupHash(make([]byte, 0, sha256.Size), secret)
}

// appendLookupHash appends HMAC-SHA256(pepper, secret) to dst.
func (k *key) appendLookupHash(dst, secret []byte) []byte {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(secret)
	dst = m.Sum(dst)
	k.macs.Put(m)
	return dst
}
