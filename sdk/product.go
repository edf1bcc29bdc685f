package sdk

import (
	"context"
	"fmt"
	"net/http"
)

// ProductClient calls the product API (activate, validate, deactivate) and
// fetches the service's JWKS. It needs no API key: the license key in the
// request body is the credential, and it never goes into a URL, a header
// or an error message. Safe for concurrent use.
type ProductClient struct {
	c *client
}

// NewProductClient returns a client of the service at baseURL, e.g.
// "https://licenses.example.com".
func NewProductClient(baseURL string, opts ...Option) (*ProductClient, error) {
	c, err := newClient(baseURL, opts)
	if err != nil {
		return nil, err
	}
	return &ProductClient{c: c}, nil
}

// BaseURL returns the service's URL, without a trailing slash.
func (p *ProductClient) BaseURL() string { return p.c.base }

// ActivateRequest is the body of POST /v1/activate.
type ActivateRequest struct {
	LicenseKey string `json:"license_key"`
	// Product is "brand/product", as in the token's aud.
	Product string `json:"product"`
	// Instance is the site URL or machine id taking the seat; the service
	// normalizes it (verifier.NormalizeInstance).
	Instance string `json:"instance"`
	// InstanceName is an optional label shown to the brand, e.g. "Jane's blog".
	InstanceName string `json:"instance_name,omitempty"`
}

// String leaves out the license key, so that logging a request cannot leak it.
func (r ActivateRequest) String() string {
	return fmt.Sprintf("activate %s on %q (license key %s)", r.Product, r.Instance, redact(r.LicenseKey))
}

// ValidateRequest is the body of POST /v1/validate. Without Product the
// answer lists every license under the key and carries no token; Instance
// needs Product.
type ValidateRequest struct {
	LicenseKey string `json:"license_key"`
	Product    string `json:"product,omitempty"`
	Instance   string `json:"instance,omitempty"`
}

// String leaves out the license key.
func (r ValidateRequest) String() string {
	return fmt.Sprintf("validate %s on %q (license key %s)", r.Product, r.Instance, redact(r.LicenseKey))
}

// DeactivateRequest is the body of POST /v1/deactivate. It names the seat
// to free by exactly one of Instance and ActivationID: the instance from
// the product itself, the activation id when a customer frees the seat of
// a site they can no longer reach (from Activations).
type DeactivateRequest struct {
	LicenseKey   string `json:"license_key"`
	Product      string `json:"product"`
	Instance     string `json:"instance,omitempty"`
	ActivationID string `json:"activation_id,omitempty"`
}

// String leaves out the license key.
func (r DeactivateRequest) String() string {
	if r.ActivationID != "" {
		return fmt.Sprintf("deactivate %s activation %s (license key %s)", r.Product, r.ActivationID, redact(r.LicenseKey))
	}
	return fmt.Sprintf("deactivate %s on %q (license key %s)", r.Product, r.Instance, redact(r.LicenseKey))
}

// ActivationsRequest is the body of POST /v1/activations.
type ActivationsRequest struct {
	LicenseKey string `json:"license_key"`
	Product    string `json:"product"`
}

// String leaves out the license key.
func (r ActivationsRequest) String() string {
	return fmt.Sprintf("activations of %s (license key %s)", r.Product, redact(r.LicenseKey))
}

// redact shows what the service shows: the last 4 characters.
func redact(key string) string {
	if len(key) < 12 {
		return "…"
	}
	return "…" + key[len(key)-4:]
}

// Activate takes a seat of the license for an instance, or confirms the
// seat it already holds (Created false). Refusals: ErrLicenseNotFound,
// ErrLicenseSuspended, ErrLicenseCancelled, ErrLicenseExpired,
// ErrSeatLimitReached (with Error.Seats and Error.SeatsUsed),
// ErrValidation. Retried on 429, 503 and network failures: activating
// twice never takes two seats.
func (p *ProductClient) Activate(ctx context.Context, in ActivateRequest) (*Activated, error) {
	var out Activated
	status, err := p.c.do(ctx, request{method: http.MethodPost, path: "/v1/activate", body: in, retry: true}, &out)
	if err != nil {
		return nil, err
	}
	out.Created = status == http.StatusCreated
	return &out, nil
}

// Validate asks whether the license is usable, and for a product gets a
// fresh token. The verdict is in Validation.Code, not in an error: a
// suspended license answers 200 with Code Suspended (and a token saying
// so). Errors: ErrLicenseNotFound for an unknown key (or no license for
// the product), ErrValidation. Retried like Activate: it changes nothing
// but the activation's last_seen_at.
func (p *ProductClient) Validate(ctx context.Context, in ValidateRequest) (*Validation, error) {
	var out Validation
	if _, err := p.c.do(ctx, request{method: http.MethodPost, path: "/v1/validate", body: in, retry: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Activations lists where the license's seats are in use (every live
// activation, oldest first), so that a customer can free one with
// Deactivate and ActivationID. Errors: ErrLicenseNotFound, ErrValidation.
// Retried like Validate: it changes nothing.
func (p *ProductClient) Activations(ctx context.Context, in ActivationsRequest) ([]Activation, error) {
	var out struct {
		Data []Activation `json:"data"`
	}
	if _, err := p.c.do(ctx, request{method: http.MethodPost, path: "/v1/activations", body: in, retry: true}, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// Deactivate frees a seat at once, in any license status: the instance's,
// or the activation's. Errors: ErrLicenseNotFound, ErrActivationNotFound
// (the instance holds no seat, or the activation is not a live one of
// this license), ErrValidation (neither or both of Instance and
// ActivationID). Not retried: a repeat after a lost answer would say
// ErrActivationNotFound.
func (p *ProductClient) Deactivate(ctx context.Context, in DeactivateRequest) (*Deactivated, error) {
	var out Deactivated
	if _, err := p.c.do(ctx, request{method: http.MethodPost, path: "/v1/deactivate", body: in}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
