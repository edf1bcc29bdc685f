// Package keys is the lifecycle of the Ed25519 signing keys that sign
// license tokens: creating the first one, rotating them and revoking a
// leaked one as compare-and-swap steps in the store (so that replicas doing
// the same at once agree on one outcome), and serving the active private
// key and the JWKS document that products verify tokens against.
//
// It exists apart from package seal, which holds the master key that the
// private halves are sealed under: signing keys rotate on a schedule of
// their own and are public in half, the master key is never shown and
// rotates rarely. A Manager is handed the seal.Keyring it opens keys with.
//
// The tokens these keys sign, and how products verify them against the
// JWKS, are described in docs/TOKENS.md; the JWKS endpoint in docs/API.md.
package keys
