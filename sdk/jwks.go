package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// MaxJWKSSize caps a fetched JWKS: a key set of a few Ed25519 keys is well
// under a kilobyte, and a product must not read an endless body.
const MaxJWKSSize = 64 << 10

// KeyFetchInterval is the least time between two JWKS fetches: an unknown
// kid triggers a fetch (docs/TOKENS.md "Key rotation") at most this often, so
// that a flood of tokens signed by unknown keys cannot make a product
// hammer the service.
const KeyFetchInterval = time.Minute

const jwksPath = "/.well-known/jwks.json"

// errKeysPinned: the guard's keys are pinned (WithPinnedJWKS), so an
// unknown kid is never looked up.
var errKeysPinned = errors.New("sdk: the key set is pinned (WithPinnedJWKS): keys are never fetched")

// errKeyFetchTooSoon: a fetch was refused by KeyFetchInterval.
var errKeyFetchTooSoon = errors.New("sdk: JWKS fetched less than a minute ago")

// fetchJWKS makes one conditional GET of the JWKS. A nil body with a nil
// error means 304 Not Modified.
func (p *ProductClient) fetchJWKS(ctx context.Context, etag string) (body []byte, newETag string, err error) {
	r := request{method: http.MethodGet, path: jwksPath, header: http.Header{}}
	if etag != "" {
		r.header.Set("If-None-Match", etag)
	}
	actx, cancel := context.WithTimeout(ctx, p.c.cfg.timeout)
	defer cancel()
	req, err := p.c.newRequest(actx, r, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	res, err := p.c.cfg.httpClient.Do(req)
	if err != nil {
		return nil, "", p.c.transportError(ctx, r, err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotModified:
		return nil, etag, nil
	case res.StatusCode >= 400:
		raw, _ := readLimited(res.Body, maxProblemSize)
		return nil, "", newError(res, raw, p.c.cfg.now())
	case res.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(res.Body, maxProblemSize))
		return nil, "", fmt.Errorf("%w: JWKS answered %d", ErrBadResponse, res.StatusCode)
	}
	body, err = readLimited(res.Body, MaxJWKSSize)
	if errors.Is(err, errTooLarge) {
		return nil, "", fmt.Errorf("%w: JWKS over %d bytes", ErrBadResponse, MaxJWKSSize)
	}
	if err != nil {
		return nil, "", p.c.transportError(ctx, r, err)
	}
	return body, res.Header.Get("ETag"), nil
}

// keyCache keeps a Verifier's key set up to date from the service's JWKS:
// conditional requests with the last ETag, at most one fetch per
// KeyFetchInterval, and the last good set kept on any bad answer.
type keyCache struct {
	client *ProductClient
	v      *verifier.Verifier
	now    func() time.Time
	pinned bool // WithPinnedJWKS: never fetch

	mu       sync.Mutex
	etag     string        // of the set in v, when it was fetched
	lastTry  time.Time     // of the last fetch, good or bad
	inflight chan struct{} // closed when the fetch in flight ends
	lastErr  error         // of the last fetch
}

// nextAllowed is when refresh will next fetch.
func (k *keyCache) nextAllowed() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lastTry.IsZero() {
		return time.Time{}
	}
	return k.lastTry.Add(KeyFetchInterval)
}

// refresh fetches the JWKS and installs it in the Verifier when it parses.
// When a fetch is in flight it waits for that one and returns its result,
// so that an activation racing the first fetch at start finds the keys;
// otherwise, within KeyFetchInterval of the previous fetch, it returns
// errKeyFetchTooSoon without a request.
func (k *keyCache) refresh(ctx context.Context) error {
	if k.pinned {
		return errKeysPinned
	}
	k.mu.Lock()
	if ch := k.inflight; ch != nil {
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.lastErr
	}
	now := k.now()
	if !k.lastTry.IsZero() && now.Sub(k.lastTry) < KeyFetchInterval {
		k.mu.Unlock()
		return errKeyFetchTooSoon
	}
	done := make(chan struct{})
	k.lastTry, k.inflight = now, done
	etag := k.etag
	k.mu.Unlock()

	ks, newETag, err := k.fetch(ctx, etag)
	k.mu.Lock()
	defer k.mu.Unlock()
	if ks != nil {
		k.v.SetKeys(ks)
		k.etag = newETag
	}
	k.inflight, k.lastErr = nil, err
	close(done)
	return err
}

// fetch gets and parses the JWKS; a nil set with a nil error is 304.
func (k *keyCache) fetch(ctx context.Context, etag string) (*verifier.KeySet, string, error) {
	body, newETag, err := k.client.fetchJWKS(ctx, etag)
	if err != nil {
		return nil, "", fmt.Errorf("sdk: fetching JWKS: %w", err)
	}
	if body == nil {
		return nil, "", nil
	}
	ks, err := verifier.ParseJWKS(body)
	if err != nil {
		return nil, "", fmt.Errorf("sdk: fetched JWKS refused, keeping the last good key set: %w", err)
	}
	return ks, newETag, nil
}
