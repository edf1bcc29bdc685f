// Package verifier checks license tokens offline.
//
// A product (a WordPress plugin, a desktop app, a CLI) gets a license token
// from the licensing service when it activates or validates, and then
// checks it on every request without a network call: the token is an
// Ed25519-signed compact JWS (docs/TOKENS.md), and this package needs nothing but
// the service's public keys (its JWKS, which the product may embed) and a
// clock. It imports only the standard library, so products can compile it
// in; the server uses the same Claims type to sign and the same
// NormalizeInstance to bind activations.
//
// # Use
//
//	keys, err := verifier.ParseJWKS(embeddedJWKS) // or a fetched, size-capped JWKS
//	v := verifier.New(keys,
//		verifier.WithIssuer("https://licenses.example.com"),
//		verifier.WithProduct("rankmath/rankmath-pro"),
//		verifier.WithInstance(siteURL), // this site or machine: required, see below
//	)
//	claims, err := v.Verify(token)
//	switch {
//	case err == nil && claims.InGrace(v.Now()): // licensed, but expired and in grace: show a "renew" banner
//	case err == nil: // licensed; claims.Entitlements says for what
//	case errors.Is(err, verifier.ErrLicenseUnusable): // suspended, cancelled or expired; claims say which
//	case errors.Is(err, verifier.ErrExpired): // refresh the token online
//	case errors.Is(err, verifier.ErrUnknownKey): // refresh JWKS (at most once a minute)
//	default: // forged, malformed, or another product's or instance's token
//	}
//
// WithIssuer and WithProduct are required: without them Verify returns
// ErrNotConfigured for every token, so a product cannot skip the audience
// check by forgetting an option (and accept a license bought for a cheaper
// product). A tool that really wants every issuer or product says so with
// WithAnyIssuer or WithAnyProduct. A nil key set, or a WithInstance value
// that NormalizeInstance refuses, also fails every Verify.
//
// # Activation tokens and license tokens
//
// A product that sells seats expects an activation token, bound to the
// site or machine that holds the seat, and says which with WithInstance:
// a token of another instance, and a license token (no instance claim,
// as /v1/validate issues when no instance is named), are ErrInstance.
// Accepting a license token there would let any number of installs share
// one seat. A product that really has no seats (a tool that only needs
// "this license exists") opts in with WithLicenseTokens. A Verifier given
// neither option refuses every token with ErrNotConfigured: the strict
// choice is the default, and the lax one must be written down.
//
// # Grace
//
// A product with a grace period gets tokens carrying grace_until (the
// license's expiry plus its grace days). While grace_until is in the
// future, a token whose license_exp has passed (status "active") or whose
// status says "expired" is accepted: Verify returns the claims and no
// error, so a product that ignores grace keeps working, and
// Claims.InGrace(v.Now()) is true, so one that cares can show a banner.
// When grace_until passes, the license is ErrLicenseExpired as without
// grace. Suspended and cancelled licenses get no grace.
//
// # What Verify checks
//
// Exactly the steps of docs/TOKENS.md, in order; each failure has its own error
// (errors.go). In short: at most MaxTokenSize bytes of the base64url
// alphabet in exactly three parts (a five-part JWE is refused before any
// decoding); strict unpadded base64url with zero trailing bits; header and
// claims are JSON objects without duplicate member names at any depth; the
// header is exactly alg "EdDSA", typ "license+jwt" and a kid in the key set,
// nothing else (no crit, jku, jwk, x5u, x5c, b64, zip is ever followed);
// claims have their documented types (exp, iat, nbf, license_exp,
// grace_until and seats are JSON integers within ±(2^53-1), never a
// fraction, an exponent or a larger value, which would otherwise be
// rounded or wrapped; null is no value of any type; unknown claims are
// allowed, nested at most 32 deep); then the Ed25519 signature, iss, aud,
// the times, the license status and grace, and the instance. A signature of other than 64 bytes is
// ErrSignature. A missing exp, iat, nbf or status is ErrMissingClaim, which
// also matches ErrMalformed; a missing iss or aud simply does not match.
//
// # Time
//
// With now from the clock (WithClock, default time.Now) and the leeway
// (WithLeeway, default 60 s), a token is current when
// nbf - leeway <= now < exp + leeway and iat <= now + leeway, compared
// exactly (claims are whole seconds, now keeps its fraction). The license
// itself is expired when license_exp <= now, with no leeway: the server
// already never issues a token that outlives its license. Time checks, the
// status and the instance are evaluated on every call, memoized or not, so
// a token cached a week ago still expires on time.
//
// # Memo
//
// Verifying a token the second time costs a map lookup: a Verifier
// remembers up to WithCacheSize (default DefaultCacheSize) tokens that
// passed the checks that do not depend on the clock (shape, header, key,
// signature, issuer, product), keyed by the exact token string. Forged or
// malformed tokens are never remembered, so they cannot evict real ones.
// SetKeys, which swaps the key set atomically (after a JWKS refresh),
// starts an empty memo with the new set. Verify returns a fresh copy of the
// claims on every call.
//
// # Keys
//
// ParseJWKS accepts only kty OKP, crv Ed25519 keys of exactly 32 bytes and
// refuses the whole set on anything else, including private members and
// weak keys. A weak key is a small-order point (for which ed25519.Verify
// accepts the forged signature R = identity, S = 0 on any message, as the
// package's tests show) or a non-canonical encoding. The standard library
// has no public Edwards25519 arithmetic to compute [8]P, so small-order keys
// are recognized by the fixed list of their encodings that libsodium uses
// (7 y values, sign bit masked, non-canonical ones included); a test derives
// the eight small-order points with math/big and checks the list covers
// every encoding of each.
//
// # Instances
//
// An activation token is bound to an instance: a site or a machine.
// NormalizeInstance, shared with the server, decides when two spellings are
// the same instance; see its documentation for the exact rules and
// testdata/instances.json for the table of cases that verifiers in other
// languages share (with testdata/vectors.json and testdata/forged.json,
// the token cases; docs/TOKENS.md describes all three). The decisions beyond docs/TOKENS.md:
//
//   - A bare site (no scheme) is host[:port][/path] whose host is a domain:
//     two or more labels, the last containing a letter, and no space, "@",
//     "?", "#" or "[" anywhere. So "Example.org/blog/" is the site
//     example.org/blog, while "localhost", "10.0.0.7", "build-agent-3" and
//     UUIDs are opaque machine ids. A machine id that looks like a domain
//     ("Host.Corp.Lan") is therefore lower-cased: the price of accepting
//     bare domains, and harmless, since the server applies the same rule.
//   - A bare site keeps its port even when it is 443: without a scheme no
//     port is the default, and this keeps normalization idempotent.
//   - Input starting with "http:" or "https:" but not "//" has a scheme and
//     no host: invalid, never a machine id.
//   - Hosts are checked: labels of a-z 0-9 - _ and non-ASCII letters, marks
//     and digits; "%"-escapes, empty labels and bad ports are invalid. A
//     URL containing a backslash is invalid: browsers (WHATWG) read it as
//     "/", RFC 3986 parsers do not, so "https://a.example\@b.example"
//     would name two different hosts.
//     IDN hosts are lower-cased by Unicode rules, never converted to or from
//     punycode (so "bücher.de" and "xn--bcher-kva.de" differ).
//   - Paths are kept byte for byte ("." segments, case, escapes) except for
//     trailing slashes.
//   - One leading "www." is dropped; a host that then still starts with
//     "www." is invalid, so that NormalizeInstance(NormalizeInstance(s)) ==
//     NormalizeInstance(s) for every s, which the fuzz target checks.
//   - Machine ids are taken as they are after trimming: 1 to 255 bytes of
//     printable UTF-8, case and inner spaces kept.
package verifier
