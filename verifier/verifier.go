package verifier

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// MaxTokenSize is the largest token Verify reads, in bytes (docs/TOKENS.md).
const MaxTokenSize = 8 << 10

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
const DefaultLeeway = 60 * time.Second

// DefaultCacheSize is how many authentic tokens a Verifier remembers.
const DefaultCacheSize = 64

// Verifier checks license tokens offline. It is safe for concurrent use;
// SetKeys may run while Verify does.
type Verifier struct {
	state    atomic.Pointer[keyState]
	issuer   string
	product  string
	instance string
	// licenseTokens: tokens without an instance claim pass step 6.
	licenseTokens bool
	leeway        time.Duration
	now           func() time.Time
	cacheSize     int
	configErr     error
	built         bool // by New: a zero Verifier must not skip the iss and aud checks
}

// keyState pairs a key set with the memo of tokens verified under it, so
// that swapping keys drops the memo in the same atomic step.
type keyState struct {
	keys *KeySet
	memo *memo
}

// Option configures a Verifier.
type Option func(*config)

type config struct {
	issuer, product, instance                         string
	anyIssuer, anyProduct, instanceSet, licenseTokens bool
	leeway                                            time.Duration
	now                                               func() time.Time
	cacheSize                                         int
}

// WithIssuer sets the iss every token must carry: the service's issuer URL.
// Required, unless WithAnyIssuer is given.
func WithIssuer(iss string) Option {
	return func(c *config) { c.issuer, c.anyIssuer = iss, false }
}

// WithAnyIssuer explicitly skips the issuer check, for a product that
// trusts every issuer whose keys it holds.
func WithAnyIssuer() Option {
	return func(c *config) { c.issuer, c.anyIssuer = "", true }
}

// WithProduct sets the aud every token must carry, "brand/product".
// Required, unless WithAnyProduct is given: without it one product would
// accept another's licenses.
func WithProduct(aud string) Option {
	return func(c *config) { c.product, c.anyProduct = aud, false }
}

// WithAnyProduct explicitly skips the audience check, for tools (support
// consoles, the server's own tests) that read tokens of every product.
func WithAnyProduct() Option {
	return func(c *config) { c.product, c.anyProduct = "", true }
}

// WithInstance makes Verify require an activation token bound to this
// instance (a site URL or machine id): a token of another instance, or a
// license token (no instance claim), is ErrInstance. The instance is
// normalized with NormalizeInstance first; if that fails, Verify returns
// ErrInvalidInstance. One of WithInstance and WithLicenseTokens is
// required.
func WithInstance(instance string) Option {
	return func(c *config) { c.instance, c.instanceSet = instance, true }
}

// WithLicenseTokens explicitly accepts license tokens: tokens without an
// instance claim, which /v1/validate issues when no instance is named.
// They prove that a license exists, not that this site or machine holds
// one of its seats, so a product that sells seats must not use this
// option (a license token would let any number of installs share one
// seat). With WithInstance too, a token that does carry an instance must
// still name that one; without it, the instance claim is not checked.
func WithLicenseTokens() Option {
	return func(c *config) { c.licenseTokens = true }
}

// WithLeeway sets the clock skew tolerated on exp, nbf and iat (default
// DefaultLeeway). A negative value counts as zero. license_exp gets none:
// it is the license's own end, not a token's.
func WithLeeway(d time.Duration) Option {
	return func(c *config) { c.leeway = max(d, 0) }
}

// WithClock replaces time.Now; nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithCacheSize sets how many authentic tokens are memoized (default
// DefaultCacheSize); 0 or less disables the memo.
func WithCacheSize(n int) Option {
	return func(c *config) { c.cacheSize = n }
}

// New returns a Verifier of tokens signed by keys. It never fails: a
// missing issuer, product, instance choice (WithInstance or
// WithLicenseTokens) or key set, or an invalid WithInstance, makes every
// Verify return ErrNotConfigured (or ErrInvalidInstance), so that a
// misconfigured product cannot quietly accept every token.
func New(keys *KeySet, opts ...Option) *Verifier {
	c := config{leeway: DefaultLeeway, now: time.Now, cacheSize: DefaultCacheSize}
	for _, o := range opts {
		o(&c)
	}
	v := &Verifier{
		issuer:        c.issuer,
		product:       c.product,
		leeway:        c.leeway,
		now:           c.now,
		cacheSize:     c.cacheSize,
		licenseTokens: c.licenseTokens,
		built:         true,
	}
	switch {
	case c.issuer == "" && !c.anyIssuer:
		v.configErr = newError("no issuer: use WithIssuer, or WithAnyIssuer", ErrNotConfigured)
	case c.product == "" && !c.anyProduct:
		v.configErr = newError("no product: use WithProduct, or WithAnyProduct", ErrNotConfigured)
	case c.instanceSet:
		v.instance, v.configErr = NormalizeInstance(c.instance)
	case !c.licenseTokens:
		v.configErr = newError("no instance: use WithInstance, or WithLicenseTokens to accept tokens bound to none", ErrNotConfigured)
	}
	v.SetKeys(keys)
	return v
}

// SetKeys replaces the key set atomically, e.g. after a JWKS refresh, and
// forgets every memoized token: each is verified again under the new set.
// nil leaves the Verifier without keys (Verify returns ErrNotConfigured).
func (v *Verifier) SetKeys(keys *KeySet) {
	v.state.Store(&keyState{keys: keys, memo: newMemo(v.cacheSize)})
}

// Now is the Verifier's clock (WithClock, default time.Now): pass it to
// Claims.InGrace to evaluate grace exactly as Verify did.
func (v *Verifier) Now() time.Time {
	if v.now == nil {
		return time.Now()
	}
	return v.now()
}

// Keys returns the current key set.
func (v *Verifier) Keys() *KeySet {
	if st := v.state.Load(); st != nil {
		return st.keys
	}
	return nil
}

// Verify checks token as docs/TOKENS.md "What a verifier checks" says, in that
// order, and returns its claims. Every failure matches one of this
// package's errors with errors.Is. For an authentic, current token of a
// license that may not be used (ErrLicenseSuspended, ErrLicenseCancelled,
// ErrLicenseExpired, all matching ErrLicenseUnusable) the claims are
// returned too; for every other error they are nil.
//
// A license past its expiry but within its grace period (grace_until in
// the future) is accepted: Verify returns the claims and no error, and
// claims.InGrace(v.Now()) is true, so a product that ignores grace keeps
// working and one that cares shows a banner.
//
// The returned Claims belong to the caller.
func (v *Verifier) Verify(token string) (*Claims, error) {
	if !v.built {
		return nil, newError("use New", ErrNotConfigured)
	}
	if v.configErr != nil {
		return nil, v.configErr
	}
	st := v.state.Load()
	if st == nil || st.keys == nil {
		return nil, newError("no key set", ErrNotConfigured)
	}
	var a *authentic
	if st.memo != nil {
		a = st.memo.get(token)
	}
	if a == nil {
		var err error
		if a, err = v.authenticate(st.keys, token); err != nil {
			return nil, err
		}
		if st.memo != nil {
			st.memo.put(token, a)
		}
	}
	return v.check(a, v.now())
}

// authenticate runs steps 1-3: shape, header, key, signature, issuer and
// audience. Its result depends only on the token, the key set and the
// configuration, never on the clock, so it may be memoized.
func (v *Verifier) authenticate(keys *KeySet, token string) (*authentic, error) {
	t, err := parse(keys, token)
	if err != nil {
		return nil, err
	}
	switch {
	case len(t.sig) != ed25519.SignatureSize:
		return nil, errorf(ErrSignature, "%d-byte signature", len(t.sig))
	case !ed25519.Verify(t.pub, t.signingInput, t.sig):
		return nil, ErrSignature
	case v.issuer != "" && t.claims.Issuer != v.issuer:
		return nil, errorf(ErrIssuer, "iss %s", quote(t.claims.Issuer))
	case v.product != "" && t.claims.Audience != v.product:
		return nil, errorf(ErrAudience, "aud %s", quote(t.claims.Audience))
	}
	return &authentic{claims: t.claims, has: t.has}, nil
}

// parsed is a token that passed step 1.
type parsed struct {
	signingInput, sig []byte
	pub               ed25519.PublicKey
	claims            *Claims
	has               present
}

// parse runs step 1: everything but the cryptography.
func parse(keys *KeySet, token string) (parsed, error) {
	tb, d1, d2, err := split(token)
	if err != nil {
		return parsed{}, err
	}
	h64, p64, s64 := tb[:d1], tb[d1+1:d2], tb[d2+1:]
	buf := make([]byte, b64.DecodedLen(len(h64))+b64.DecodedLen(len(p64))+b64.DecodedLen(len(s64)))
	header, rest, err := decode(buf, h64, "header")
	if err != nil {
		return parsed{}, err
	}
	payload, rest, err := decode(rest, p64, "payload")
	if err != nil {
		return parsed{}, err
	}
	sig, _, err := decode(rest, s64, "signature")
	if err != nil {
		return parsed{}, err
	}
	kid, err := parseHeader(header)
	if err != nil {
		return parsed{}, err
	}
	claims, has, err := parseClaims(payload)
	if err != nil {
		return parsed{}, err
	}
	pub, ok := keys.keys[string(kid)]
	if !ok {
		return parsed{}, errorf(ErrUnknownKey, "kid %s", quote(string(kid)))
	}
	return parsed{signingInput: tb[:d2], sig: sig, pub: pub, claims: claims, has: has}, nil
}

// split checks the size and the three parts before anything is decoded (a
// five-part JWE never reaches base64), and returns the token as bytes with
// the positions of its two dots. The alphabet is checked by the strict
// base64url decoder, which refuses every byte outside it except CR and LF,
// which it skips: those are refused here, so a token has one spelling.
func split(token string) (tb []byte, d1, d2 int, err error) {
	if len(token) > MaxTokenSize {
		return nil, 0, 0, errorf(ErrMalformed, "%d bytes, limit %d", len(token), MaxTokenSize)
	}
	if strings.IndexByte(token, '\r') >= 0 || strings.IndexByte(token, '\n') >= 0 {
		return nil, 0, 0, newError("line break", ErrMalformed)
	}
	if n := strings.Count(token, "."); n != 2 {
		return nil, 0, 0, errorf(ErrMalformed, "%d parts, want 3", n+1)
	}
	d1, d2 = strings.IndexByte(token, '.'), strings.LastIndexByte(token, '.')
	return []byte(token), d1, d2, nil
}

// decode decodes src into the front of dst and returns it and the rest.
func decode(dst, src []byte, part string) (out, rest []byte, err error) {
	n, err := b64.Decode(dst, src)
	if err != nil {
		return nil, nil, errorf(ErrMalformed, "%s is not strict base64url", part)
	}
	return dst[:n], dst[n:], nil
}

// check runs steps 4-6, which depend on the clock and so run on every call,
// memoized or not. Times are whole seconds; comparing the floor of
// now±leeway with an integer claim is exact, whatever the fractions.
func (v *Verifier) check(a *authentic, now time.Time) (*Claims, error) {
	c := a.claims
	for _, req := range [...]struct {
		bit  present
		name string
	}{{hasExp, "exp"}, {hasIat, "iat"}, {hasNbf, "nbf"}} {
		if a.has&req.bit == 0 {
			return nil, newError(req.name, ErrMalformed, ErrMissingClaim)
		}
	}
	early, late := now.Add(-v.leeway).Unix(), now.Add(v.leeway).Unix()
	switch {
	case early >= c.Expiry:
		return nil, errorf(ErrExpired, "exp %d, now %d, leeway %s", c.Expiry, now.Unix(), v.leeway)
	case late < c.NotBefore:
		return nil, errorf(ErrNotYetValid, "nbf %d, now %d, leeway %s", c.NotBefore, now.Unix(), v.leeway)
	case late < c.IssuedAt:
		return nil, errorf(ErrIssuedInFuture, "iat %d, now %d, leeway %s", c.IssuedAt, now.Unix(), v.leeway)
	}
	if a.has&hasStatus == 0 {
		return nil, newError("status", ErrMalformed, ErrMissingClaim)
	}
	if err := licenseUsable(c, now.Unix()); err != nil {
		return c.clone(), err
	}
	switch {
	case c.Instance == "" && !v.licenseTokens:
		return nil, newError("a license token (bound to no instance) where an activation token is required", ErrInstance)
	case c.Instance != "" && v.instance != "" && c.Instance != v.instance:
		return nil, errorf(ErrInstance, "token bound to %s", quote(c.Instance))
	}
	return c.clone(), nil
}

// licenseUsable is step 5: the token is authentic and current, but is the
// license it describes? A license in its grace period is usable.
func licenseUsable(c *Claims, now int64) error {
	if c.inGrace(now) {
		return nil
	}
	switch c.Status {
	case StatusActive:
	case StatusSuspended:
		return newError("", ErrLicenseUnusable, ErrLicenseSuspended)
	case StatusCancelled:
		return newError("", ErrLicenseUnusable, ErrLicenseCancelled)
	case StatusExpired:
		return newError("status expired", ErrLicenseUnusable, ErrLicenseExpired)
	default:
		return errorf(ErrLicenseUnusable, "unknown status %s", quote(c.Status))
	}
	if c.LicenseExpiry != nil && now >= *c.LicenseExpiry {
		return newError(fmt.Sprintf("license_exp %d, now %d", *c.LicenseExpiry, now), ErrLicenseUnusable, ErrLicenseExpired)
	}
	return nil
}
