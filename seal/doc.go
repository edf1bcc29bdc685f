// Package seal is everything in licensed that depends on the master key:
// reading and creating it, sealing secrets at rest under it (AES-256-GCM
// under an HKDF-derived key), the peppered lookup hashes of license keys,
// and the operations over every sealed column of the store: the start-up
// check that the loaded key opens what the store holds, and re-sealing
// under a new master key.
//
// It exists apart from package keys (signing keys and their JWKS) because
// the master key has a lifecycle of its own — backup, restore, rotation —
// and losing it is the one mistake licensed cannot recover from: without
// it no signing key and no license key in the store can be read. Keeping
// every use of it here is what lets rotation find every sealed value.
//
// A sealed value carries the id of the master key it was sealed under (a
// short fingerprint, see KeyID), so that a wrong key is reported as "sealed
// under key X, loaded key Y" rather than as a generic failure, and so that
// rotation can tell what still needs re-sealing. Values sealed before key
// ids existed carry none and still open.
//
// A Keyring holds one primary master key, which seals, and any number of
// old ones, which only open: during a rotation every replica holds both,
// so that a value sealed under either reads everywhere.
package seal
