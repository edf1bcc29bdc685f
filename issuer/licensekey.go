package issuer

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// Crockford's base32 alphabet: no I, L, O or U, so a key read aloud or
// copied by hand has no look-alike characters.
var keyEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// licenseKeyBytes of randomness: 160 bits, above the 128 docs/API.md requires.
const licenseKeyBytes = 20

// newLicenseKey returns a key like LK-7KQ2-M3XD-...: 32 base32 characters
// in groups of four, 42 characters in all.
func newLicenseKey() string {
	b := make([]byte, licenseKeyBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	s := keyEncoding.EncodeToString(b)
	var sb strings.Builder
	sb.WriteString("LK")
	for i := 0; i < len(s); i += 4 {
		sb.WriteByte('-')
		sb.WriteString(s[i : i+4])
	}
	return sb.String()
}

// normalizeLicenseKey is the form that is hashed for lookup: customers paste
// keys with stray spaces or in lower case, and both still find the key.
func normalizeLicenseKey(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// keyHint is "…" and the last four characters of the key.
func keyHint(key string) string {
	if len(key) < 4 {
		return "…"
	}
	return "…" + key[len(key)-4:]
}
