// Package sdk is the Go client of the licensed service, for the two kinds
// of programs that talk to it:
//
//   - Products (WordPress plugins, desktop apps, CLIs) that a customer
//     unlocks with a license key: a [Guard] activates a seat once, then
//     answers "is this product licensed here?" offline from a signed token
//     on every request, and keeps that token fresh in the background. A
//     [ProductClient] makes the underlying calls (activate, validate,
//     deactivate) for products that want to drive them themselves.
//   - A brand's backend (shop, billing, support tools): a [BrandClient]
//     provisions licenses and manages them with an API key. An API key
//     must never ship inside a product.
//
// The package imports only the standard library and
// github.com/licensedhq/licensed/verifier, which checks tokens; products
// compile both in.
//
// # Guard: offline first
//
//	client, _ := sdk.NewProductClient("https://licenses.example.com", sdk.WithUserAgent("rankmath-pro/2.3"))
//	guard, _ := sdk.NewGuard(client, "rankmath/rankmath-pro",
//		sdk.WithInstance(siteURL),                        // this site or machine
//		sdk.WithJWKS(embeddedJWKS),                       // the service's JWKS, shipped in the product
//		sdk.WithTokenStore(sdk.NewFileStore(tokenPath)),  // survives restarts
//		sdk.WithLicenseKey(settings.LicenseKey),          // "" before the first activation
//	)
//	guard.Start(ctx)
//	defer guard.Stop()
//	if settings.LicenseKey == "" { // first run, after the customer typed the key
//		_, err := guard.Activate(ctx, typedKey, "Jane's blog")
//		// errors.Is(err, sdk.ErrSeatLimitReached), sdk.ErrLicenseNotFound, ...
//	}
//	// on every request, offline:
//	claims, err := guard.Check()
//	switch {
//	case err == nil && guard.InGrace(): // licensed, but expired and in grace: ask to renew
//	case err == nil: // licensed; claims.Has("pro") for features
//	case errors.Is(err, verifier.ErrLicenseSuspended): // the brand suspended it
//	case errors.Is(err, verifier.ErrLicenseUnusable): // cancelled or expired
//	case errors.Is(err, sdk.ErrNotLicensed): // not activated here, or the seat was released
//	default: // the token outlived an outage (verifier.ErrExpired), or does not verify
//	}
//
// The license key is the customer's credential: the guard keeps it in
// memory only, and the product stores it where it keeps its settings. The
// token is not secret (no key, nothing personal) and goes to the
// [TokenStore]: [FileStore] writes it atomically with mode 0600,
// [MemoryStore] keeps it in memory, and any other storage (a WordPress
// option, the Windows registry) implements the two methods.
//
// A guard takes a seat for one site or machine (WithInstance) and accepts
// only activation tokens bound to it: a license token (bound to no
// instance) would let any number of installs share one seat. A product
// that sells no seats says so with WithLicenseTokens; a guard with neither
// option is refused by NewGuard. Seats lists where the license's seats are
// in use and FreeSeat frees one (a site the customer can no longer reach).
//
// # Grace
//
// When the brand gives a product a grace period, a token of a license
// past its expiry but within its grace (the grace_until claim) still
// verifies: Check returns the claims and no error, so the product keeps
// running, while InGrace, and Status().State == StateGrace, tell it to
// show a "renew now" banner. After grace_until the license is expired.
//
// # Transport security
//
// A client refuses an http:// base URL unless its host is localhost or a
// loopback address: the license key and API key would otherwise cross the
// network in clear, and the answers could be anyone's. WithInsecureHTTP
// allows it anyway (a test network, a TLS-terminating sidecar on another
// host). Tokens are signed, so a forged answer cannot make a product
// licensed; a key set fetched from an impersonated service could, which is
// why a product may pin its keys with WithPinnedJWKS: no JWKS is ever
// fetched, at the price of shipping an update before a key rotation (the
// service publishes the next key ahead of use).
//
// # Refresh schedule
//
// The loop started by Start validates online (product and instance) once
// half the token's lifetime has passed, less a random tenth of it so that
// products activated together do not call together; with the service's
// default 7-day tokens, every 2.8 to 3.5 days. It never refreshes twice
// within a tenth of the lifetime (at least 30 s), so a product clock far
// off the service's cannot make it loop. A failed refresh (network,
// 5xx, 429, a token that does not verify) keeps the current token and is
// retried after 30 s, doubling up to an hour (each wait between half and
// all of that, at random), and never sooner than a Retry-After says. So the product keeps
// running from the last good token through an outage until that token
// expires.
//
// What the service answers changes the state:
//
//   - VALID: the new token replaces the old one.
//   - SUSPENDED or CANCELLED with a token: the new token, which says so,
//     replaces the old one, so Check reports verifier.ErrLicenseSuspended
//     or ErrLicenseCancelled. Refreshes go on, so a resumed license comes
//     back by itself.
//   - license_not_found, EXPIRED (no token is issued past the license's
//     expiry), NOT_ACTIVATED (the brand or the customer released the
//     seat): the guard drops the token and is unlicensed; Check returns
//     ErrNotLicensed, which also matches the reason (ErrLicenseNotFound,
//     ErrLicenseExpired, ErrActivationNotFound). It asks again every 12
//     hours while it knows the license key, so a renewal brings it back.
//
// Check is cheap (a memoized verification) and never touches the network,
// but it wakes the loop when it meets a token signed by an unknown key, or
// when the refresh is overdue by the wall clock (after a laptop slept).
// A product that cannot run a goroutine calls Load, Check, and Refresh
// when Status says NextRefresh has passed.
//
// # Keys
//
// Tokens are verified against the service's public keys (JWKS). WithJWKS
// seeds the set from bytes the product ships, so the first Check works
// without a network; without it, Start fetches the set. WithPinnedJWKS
// makes the shipped set the only one (see Transport security). The guard fetches
// GET /.well-known/jwks.json again only when it meets a kid it does not
// know (key rotation), at most once per [KeyFetchInterval] (a minute),
// with If-None-Match, reading at most [MaxJWKSSize] bytes; a bad answer
// (an error status, an oversized or invalid set) keeps the last good set.
//
// # Errors
//
// Every 4xx or 5xx answer is an [*Error] built from the problem document:
// status, code, title, detail, request id, field errors, extra members
// (seats and seats_used of seat_limit_reached, license_id of
// license_exists) and Retry-After. Check it with errors.Is against the
// sentinel of its code (ErrSeatLimitReached, ErrLicenseSuspended, ...),
// which also match the sentinel of their status class (ErrConflict,
// ErrForbidden, ...). A request that got no answer is a [*TransportError];
// it, a 502, 503 and 504 all match ErrUnavailable. A success status whose
// body is not the API's JSON (a captive portal's page) is ErrBadResponse.
// The SDK logs nothing, and no error message contains a license key or
// an API key.
//
// # Retries and timeouts
//
// Each attempt of a request is bounded by [DefaultTimeout] (WithTimeout);
// the caller's context bounds the whole call. Requests whose repetition
// has the effect and answer of one are retried up to [DefaultRetries]
// times (WithRetries) on 429, 502, 503, 504 and network failures, after
// 250 ms doubling (with jitter), or the Retry-After when longer; a
// Retry-After over 30 s is not waited for but returned. Retried: GET
// requests, Search, Activate (activating twice never takes two seats),
// Validate, and Provision. Provision always carries an Idempotency-Key:
// ProvisionRequest.IdempotencyKey, or a random one the SDK generates for
// the call and returns in Provisioned.IdempotencyKey; pass your own (an
// order id) to repeat a provisioning safely across restarts of your own
// process. Not retried, because a repeat would answer differently or act
// twice: Deactivate, Patch, Renew, Suspend, Resume, Cancel,
// ReleaseActivation.
package sdk
