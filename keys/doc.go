// Package keys is the lifecycle of the Ed25519 signing keys that sign
// license tokens: creating the first one, rotating them as compare-and-swap
// steps in the store (so that replicas doing the same at once agree on one
// outcome), and serving the active private key and the JWKS document that
// products verify tokens against.
//
// It exists apart from package seal, which holds the master key that the
// private halves are sealed under: signing keys rotate on a schedule of
// their own and are public in half, the master key is never shown and
// rotates rarely. A Manager is handed the seal.Keyring it opens keys with.
package keys
