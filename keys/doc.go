// Package keys holds licensed's secrets: the master key and what HKDF derives
// from it (the AES-256-GCM key that encrypts secrets at rest and the pepper of
// lookup hashes), and the Ed25519 signing keys with their rotation and the
// JWKS document products verify tokens against.
//
// A database dump alone reveals no private key and no license key: both are
// stored sealed with a key that exists only in the master key.
//
// The tokens these keys sign, and how products verify them against the
// JWKS, are described in docs/TOKENS.md; the JWKS endpoint in docs/API.md.
package keys
