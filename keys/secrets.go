package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// HKDF info strings: changing one changes every derived key, so never do.
const (
	infoSealKey = "licensed/v1/seal"
	infoPepper  = "licensed/v1/lookup-pepper"
)

// ErrDecrypt is returned when a sealed value does not open: the wrong
// master key, or a ciphertext that was tampered with or moved to another row.
var ErrDecrypt = errors.New("keys: sealed value does not open with this master key")

// Secrets seals values at rest and computes lookup hashes, all from one
// master key.
type Secrets struct {
	aead   cipher.AEAD
	pepper []byte
}

// NewSecrets derives the sub-keys from a 32-byte master key.
func NewSecrets(master []byte) (*Secrets, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("keys: master key must be %d bytes", MasterKeySize)
	}
	sealKey, err := hkdf.Key(sha256.New, master, nil, infoSealKey, 32)
	if err != nil {
		return nil, err
	}
	pepper, err := hkdf.Key(sha256.New, master, nil, infoPepper, 32)
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
	return &Secrets{aead: aead, pepper: pepper}, nil
}

// Seal encrypts plaintext with AES-256-GCM under a random nonce. aad binds
// the ciphertext to its place (e.g. the row id), so that a ciphertext copied
// into another row does not open there.
func (s *Secrets) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return s.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts what Seal produced with the same aad.
func (s *Secrets) Open(ciphertext, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(ciphertext) < n+s.aead.Overhead() {
		return nil, ErrDecrypt
	}
	plain, err := s.aead.Open(nil, ciphertext[:n], ciphertext[n:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// LookupHash is HMAC-SHA256 under the pepper: a stable index for a secret
// (a license key) that a database dump cannot reverse or brute-force
// without the master key.
func (s *Secrets) LookupHash(secret []byte) []byte {
	m := hmac.New(sha256.New, s.pepper)
	m.Write(secret)
	return m.Sum(nil)
}
