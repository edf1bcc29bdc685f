package sdk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// BrandClient calls the brand API with an API key ("lk_<prefix>_<secret>").
// It is for a brand's backend (its shop, billing, support tools), never
// for code shipped to customers. Safe for concurrent use.
type BrandClient struct {
	c *client
}

// NewBrandClient returns a client of the service at baseURL that
// authenticates with apiKey.
func NewBrandClient(baseURL, apiKey string, opts ...Option) (*BrandClient, error) {
	apiKey = strings.TrimSpace(apiKey)
	if apiKey == "" {
		return nil, errors.New("sdk: an API key is required")
	}
	c, err := newClient(baseURL, opts)
	if err != nil {
		return nil, err
	}
	c.auth = "Bearer " + apiKey
	return &BrandClient{c: c}, nil
}

// NewIdempotencyKey returns a random Idempotency-Key (128 bits).
func NewIdempotencyKey() string {
	return "sdk-" + rand.Text()
}

// ProvisionRequest is the body of POST /v1/licenses, and its
// Idempotency-Key.
type ProvisionRequest struct {
	CustomerEmail string
	// Product is a product slug of the API key's brand, e.g. "rankmath-pro".
	Product string
	// Seats: 0 takes the product's default.
	Seats int
	// ExpiresAt: zero is a perpetual license.
	ExpiresAt time.Time
	// Entitlements: nil is none.
	Entitlements []string
	// Metadata: a JSON object of at most 4 KiB; nil is {}.
	Metadata map[string]any
	// NewKey forces a new license key instead of the customer's existing
	// one at the brand.
	NewKey bool
	// IdempotencyKey makes the request safe to repeat: the service answers
	// a repeat (same key, same body) with the first answer. Empty: the SDK
	// generates one for this call (see Provisioned.IdempotencyKey). To
	// repeat a provisioning across restarts of your own process, pass a key
	// you store, such as the order id.
	IdempotencyKey string
}

func (r ProvisionRequest) body() map[string]any {
	b := map[string]any{"customer_email": r.CustomerEmail, "product": r.Product}
	if r.Seats != 0 {
		b["seats"] = r.Seats
	}
	if !r.ExpiresAt.IsZero() {
		b["expires_at"] = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if r.Entitlements != nil {
		b["entitlements"] = r.Entitlements
	}
	if r.Metadata != nil {
		b["metadata"] = r.Metadata
	}
	if r.NewKey {
		b["new_key"] = true
	}
	return b
}

// Provision creates a license (US1) and returns it with its license key.
// It always sends an Idempotency-Key, which is what makes it retryable:
// a 429, 503 or network failure is retried with the same key, so a lost
// answer never provisions twice. Errors: ErrLicenseExists (Error.LicenseID
// names the existing license), ErrIdempotencyConflict, ErrValidation
// (e.g. a product of another brand), ErrForbidden.
func (b *BrandClient) Provision(ctx context.Context, in ProvisionRequest) (*Provisioned, error) {
	key := in.IdempotencyKey
	if key == "" {
		key = NewIdempotencyKey()
	}
	r := request{
		method: http.MethodPost, path: "/v1/licenses", body: in.body(),
		header: http.Header{"Idempotency-Key": {key}}, retry: true,
	}
	var out Provisioned
	if _, err := b.c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	out.IdempotencyKey = key
	return &out, nil
}

// Get returns one license of the API key's brand. ErrNotFound for an
// unknown id or another brand's.
func (b *BrandClient) Get(ctx context.Context, id string) (*License, error) {
	return b.license(ctx, http.MethodGet, id, "", nil, true)
}

// PatchRequest changes a license; nil members are left as they are.
type PatchRequest struct {
	Seats *int
	// Entitlements replaces the list whole; an empty non-nil slice clears it.
	Entitlements []string
	// Metadata replaces the object whole; an empty non-nil map clears it.
	Metadata map[string]any
	// ExpiresAt sets the expiry, which must be in the future; a pointer to
	// the zero time makes the license perpetual (expires_at: null).
	ExpiresAt *time.Time
}

func (r PatchRequest) body() map[string]any {
	b := map[string]any{}
	if r.Seats != nil {
		b["seats"] = *r.Seats
	}
	if r.Entitlements != nil {
		b["entitlements"] = r.Entitlements
	}
	if r.Metadata != nil {
		b["metadata"] = r.Metadata
	}
	switch {
	case r.ExpiresAt == nil:
	case r.ExpiresAt.IsZero():
		b["expires_at"] = nil
	default:
		b["expires_at"] = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return b
}

// Patch changes seats, entitlements, metadata or expiry. ErrSeatsBelowUsage when
// fewer seats than in use; ErrInvalidTransition on a cancelled license.
// Not retried.
func (b *BrandClient) Patch(ctx context.Context, id string, in PatchRequest) (*License, error) {
	return b.license(ctx, http.MethodPatch, id, "", in.body(), false)
}

// RenewRequest sets a later expiry: exactly one of ExpiresAt and
// ExtendByDays (counted from the later of now and the current expiry).
type RenewRequest struct {
	ExpiresAt    time.Time
	ExtendByDays int
}

func (r RenewRequest) body() map[string]any {
	b := map[string]any{}
	if !r.ExpiresAt.IsZero() {
		b["expires_at"] = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if r.ExtendByDays != 0 {
		b["extend_by_days"] = r.ExtendByDays
	}
	return b
}

// Renew extends a license (US2). ErrInvalidTransition on a cancelled
// license, ErrValidation on a perpetual one or a bad date. Not retried:
// a repeated extend_by_days would extend twice.
func (b *BrandClient) Renew(ctx context.Context, id string, in RenewRequest) (*License, error) {
	return b.license(ctx, http.MethodPost, id, "/renew", in.body(), false)
}

// Suspend suspends an active (or expired) license; reason is optional.
// Products learn it on their next online validation. ErrInvalidTransition
// when it is already suspended or cancelled. Not retried.
func (b *BrandClient) Suspend(ctx context.Context, id, reason string) (*License, error) {
	return b.license(ctx, http.MethodPost, id, "/suspend", reasonBody(reason), false)
}

// Resume makes a suspended license active again. ErrInvalidTransition
// when it is not suspended. Not retried.
func (b *BrandClient) Resume(ctx context.Context, id string) (*License, error) {
	return b.license(ctx, http.MethodPost, id, "/resume", nil, false)
}

// Cancel ends a license for good; reason is optional.
// ErrInvalidTransition when it is already cancelled. Not retried.
func (b *BrandClient) Cancel(ctx context.Context, id, reason string) (*License, error) {
	return b.license(ctx, http.MethodPost, id, "/cancel", reasonBody(reason), false)
}

func reasonBody(reason string) any {
	if reason == "" {
		return nil
	}
	return map[string]string{"reason": reason}
}

// license makes a call answered by one License.
func (b *BrandClient) license(ctx context.Context, method, id, action string, body any, retry bool) (*License, error) {
	path, err := licensePath(id)
	if err != nil {
		return nil, err
	}
	var out License
	if _, err := b.c.do(ctx, request{method: method, path: path + action, body: body, retry: retry}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func licensePath(id string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", errors.New("sdk: empty license id")
	}
	return "/v1/licenses/" + url.PathEscape(id), nil
}

// SearchRequest is the body of POST /v1/licenses/search.
type SearchRequest struct {
	CustomerEmail string `json:"customer_email"`
	Limit         int    `json:"limit,omitempty"` // 0: the service's default (50); at most 500
	Cursor        string `json:"cursor,omitempty"`
}

// Search returns one page of the licenses of a customer (US6): of the API
// key's brand, or of every brand with the licenses:read:all scope (then
// without license keys and metadata of other brands). Retried: it
// changes nothing.
func (b *BrandClient) Search(ctx context.Context, in SearchRequest) (*Page[License], error) {
	var out Page[License]
	r := request{method: http.MethodPost, path: "/v1/licenses/search", body: in, retry: true}
	if _, err := b.c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SearchAll iterates over every license of a customer, page after page.
// An error ends the iteration after being yielded.
func (b *BrandClient) SearchAll(ctx context.Context, email string) iter.Seq2[License, error] {
	return all(ctx, func(ctx context.Context, cursor string) (*Page[License], error) {
		return b.Search(ctx, SearchRequest{CustomerEmail: email, Cursor: cursor})
	})
}

// ListOptions pages a list: Limit 0 is the service's default (50).
type ListOptions struct {
	Limit  int
	Cursor string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// Activations returns one page of the seats in use of a license.
func (b *BrandClient) Activations(ctx context.Context, id string, opts ListOptions) (*Page[Activation], error) {
	path, err := licensePath(id)
	if err != nil {
		return nil, err
	}
	var out Page[Activation]
	r := request{method: http.MethodGet, path: path + "/activations", query: opts.query(), retry: true}
	if _, err := b.c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllActivations iterates over every seat in use of a license.
func (b *BrandClient) AllActivations(ctx context.Context, id string) iter.Seq2[Activation, error] {
	return all(ctx, func(ctx context.Context, cursor string) (*Page[Activation], error) {
		return b.Activations(ctx, id, ListOptions{Cursor: cursor})
	})
}

// ReleaseActivation frees a seat from the brand's side (US5): the
// product learns it on its next validation (NOT_ACTIVATED). ErrNotFound
// for an unknown or already released activation. Not retried.
func (b *BrandClient) ReleaseActivation(ctx context.Context, id, activationID string) error {
	path, err := licensePath(id)
	if err != nil {
		return err
	}
	if strings.TrimSpace(activationID) == "" {
		return errors.New("sdk: empty activation id")
	}
	_, err = b.c.do(ctx, request{method: http.MethodDelete, path: path + "/activations/" + url.PathEscape(activationID)}, nil)
	return err
}

// AuditQuery pages the audit trail, optionally of one license.
type AuditQuery struct {
	LicenseID string
	ListOptions
}

// AuditEvents returns one page of the brand's audit trail, newest first.
func (b *BrandClient) AuditEvents(ctx context.Context, q AuditQuery) (*Page[AuditEvent], error) {
	query := q.query()
	if q.LicenseID != "" {
		query.Set("license_id", q.LicenseID)
	}
	var out Page[AuditEvent]
	r := request{method: http.MethodGet, path: "/v1/audit-events", query: query, retry: true}
	if _, err := b.c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// all turns a paged list into an iterator. A cursor that repeats (a
// service bug) ends the iteration with an error instead of looping.
func all[T any](ctx context.Context, page func(context.Context, string) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[string]bool{}
		for cursor := ""; ; {
			p, err := page(ctx, cursor)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			if seen[p.NextCursor] {
				yield(zero, fmt.Errorf("%w: cursor %q repeats", ErrBadResponse, p.NextCursor))
				return
			}
			seen[p.NextCursor], cursor = true, p.NextCursor
		}
	}
}
