package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Version is this SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// Defaults of the clients' options.
const (
	// DefaultTimeout bounds each attempt of a request, unless the caller's
	// context ends sooner.
	DefaultTimeout = 10 * time.Second
	// DefaultRetries is how many times a retryable request is repeated
	// after a 429, 502, 503, 504 or a network failure.
	DefaultRetries = 2
)

// Limits on what the clients read, so a broken or hostile endpoint cannot
// make a product allocate without bound.
const (
	maxResponseSize = 16 << 20 // a page of 500 licenses with 4 KiB metadata each fits
	maxProblemSize  = 64 << 10
	// maxRetryAfter: a Retry-After longer than this is not waited for;
	// the error goes back to the caller, who can schedule the retry.
	maxRetryAfter = 30 * time.Second
	// retryBase is the first backoff between attempts; it doubles.
	retryBase = 250 * time.Millisecond
)

// Option configures a ProductClient or a BrandClient.
type Option func(*config)

type config struct {
	httpClient *http.Client
	timeout    time.Duration
	userAgent  string
	retries    int
	// sleep waits between attempts; tests replace it to run fast.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
	// insecureHTTP allows http:// to a host that is not loopback.
	insecureHTTP bool
}

// WithInsecureHTTP allows a base URL of http:// to a host other than
// localhost, 127.0.0.0/8 or [::1]. Without it such a URL is refused:
// license keys (in product API bodies) and API keys (in headers) would
// cross the network in clear, and a guard would take the answer of
// anyone on the path as the service's. Loopback is allowed because the
// traffic never leaves the machine (local development, tests, a sidecar).
func WithInsecureHTTP() Option {
	return func(c *config) { c.insecureHTTP = true }
}

// loopbackHost reports whether host (without brackets or port) is
// localhost or a loopback address; names other than "localhost" are not
// resolved, since what they resolve to may change.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// WithHTTPClient makes the client send its requests with hc (for proxies,
// custom TLS roots, instrumentation). The default is a client of its own
// that follows no redirects, so that a license key in a request body is
// never re-sent to another location; hc's own redirect policy applies.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithTimeout bounds each attempt of a request (default DefaultTimeout).
// The context passed to each call bounds the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithUserAgent names the product or integration in the User-Agent, e.g.
// "rankmath-pro/2.3.1"; the SDK appends its own "licensed-go/<Version>".
func WithUserAgent(ua string) Option {
	return func(c *config) { c.userAgent = strings.TrimSpace(ua) }
}

// WithRetries sets how many times a retryable request is repeated
// (default DefaultRetries); 0 disables retries. See the package
// documentation for which requests are retryable.
func WithRetries(n int) Option {
	return func(c *config) { c.retries = max(n, 0) }
}

func newConfig(opts []Option) config {
	c := config{
		timeout: DefaultTimeout,
		retries: DefaultRetries,
		sleep:   sleepContext,
		now:     time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return c
}

func (c *config) userAgentHeader() string {
	sdk := "licensed-go/" + Version
	if c.userAgent == "" {
		return sdk
	}
	return c.userAgent + " " + sdk
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// client is the HTTP core of ProductClient and BrandClient.
type client struct {
	base string // scheme://host[:port][/prefix], without a trailing slash
	auth string // the Authorization header, "" on the product API
	cfg  config
}

func newClient(baseURL string, opts []Option) (*client, error) {
	cfg := newConfig(opts)
	u, err := url.Parse(strings.TrimSpace(baseURL))
	switch {
	case err != nil:
		return nil, fmt.Errorf("sdk: base URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return nil, errors.New("sdk: base URL must be http:// or https:// with a host")
	case u.User != nil, u.RawQuery != "", u.Fragment != "":
		// Userinfo would put a credential in every request line's log.
		return nil, errors.New("sdk: base URL must have no userinfo, query or fragment")
	case u.Scheme == "http" && !loopbackHost(u.Hostname()) && !cfg.insecureHTTP:
		return nil, errors.New("sdk: base URL must be https:// (http:// is allowed to localhost and loopback addresses, or anywhere with WithInsecureHTTP)")
	}
	return &client{base: strings.TrimRight(u.String(), "/"), cfg: cfg}, nil
}

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	body         any // marshalled to JSON; nil sends no body
	header       http.Header
	// retry marks a request that is safe to repeat: its repetition has
	// the effect and answer of one (docs/API.md).
	retry bool
}

// do sends r, retrying it when allowed, and decodes a success into out
// (which may be nil). It returns the status of the last answer.
func (c *client) do(ctx context.Context, r request, out any) (int, error) {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return 0, fmt.Errorf("sdk: encoding the %s %s body: %w", r.method, r.path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		status, err := c.once(ctx, r, body, out)
		if err == nil {
			return status, nil
		}
		wait, ok := c.retryWait(ctx, r, attempt, err)
		if !ok || c.cfg.sleep(ctx, wait) != nil {
			return status, err
		}
	}
}

// retryWait decides whether a failed attempt is repeated, and after how
// long: exponential backoff with jitter, or the Retry-After when longer.
func (c *client) retryWait(ctx context.Context, r request, attempt int, err error) (time.Duration, bool) {
	if !r.retry || attempt >= c.cfg.retries || ctx.Err() != nil {
		return 0, false
	}
	var wait time.Duration
	var e *Error
	var te *TransportError
	switch {
	case errors.As(err, &e):
		switch e.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			wait = e.RetryAfter
		default:
			return 0, false
		}
	case !errors.As(err, &te):
		return 0, false
	}
	if wait > maxRetryAfter {
		return 0, false
	}
	backoff := retryBase << attempt
	backoff = backoff/2 + rand.N(backoff/2+1)
	return max(wait, backoff), true
}

// once makes one attempt.
func (c *client) once(ctx context.Context, r request, body []byte, out any) (int, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	req, err := c.newRequest(actx, r, body)
	if err != nil {
		return 0, err
	}
	res, err := c.cfg.httpClient.Do(req)
	if err != nil {
		return 0, c.transportError(ctx, r, err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		raw, _ := readLimited(res.Body, maxProblemSize)
		return res.StatusCode, newError(res, raw, c.cfg.now())
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%w: %s %s answered %d (redirects are not followed)", ErrBadResponse, r.method, r.path, res.StatusCode)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		io.Copy(io.Discard, io.LimitReader(res.Body, maxProblemSize))
		return res.StatusCode, nil
	}
	raw, err := readLimited(res.Body, maxResponseSize)
	if errors.Is(err, errTooLarge) {
		return res.StatusCode, fmt.Errorf("%w: %s %s: body over %d bytes", ErrBadResponse, r.method, r.path, maxResponseSize)
	}
	if err != nil {
		return res.StatusCode, c.transportError(ctx, r, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return res.StatusCode, fmt.Errorf("%w: %s %s answered %d with a body that is not the API's JSON (%s)", ErrBadResponse, r.method, r.path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res.StatusCode, nil
}

func (c *client) newRequest(ctx context.Context, r request, body []byte) (*http.Request, error) {
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("sdk: %s %s: %w", r.method, r.path, err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.cfg.userAgentHeader())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	return req, nil
}

// transportError wraps a failure to get an answer; when the caller's own
// context ended, the caller's reason is returned instead, so that a
// cancellation is not mistaken for an outage.
func (c *client) transportError(ctx context.Context, r request, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("sdk: %s %s: %w", r.method, r.path, context.Cause(ctx))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the URL; Method and Path say it
	}
	return &TransportError{Method: r.method, Path: r.path, Err: err}
}

var errTooLarge = errors.New("body too large")

// readLimited reads at most limit bytes, and errTooLarge when there is more.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}
