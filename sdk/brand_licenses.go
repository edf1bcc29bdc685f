package sdk

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"strings"
	"time"
)

// ListRequest narrows GET /v1/licenses: every member is optional.
type ListRequest struct {
	// Product is a product slug of the API key's brand.
	Product string
	// Status is an effective status: StatusActive, StatusSuspended,
	// StatusCancelled or StatusExpired (an active license past its expiry).
	Status string
	// ExpiresBefore keeps licenses that expire before it (never a
	// perpetual one): with StatusActive, "expiring this month".
	ExpiresBefore time.Time
	ListOptions
}

// List returns one page of the API key's brand's licenses, newest first.
// ErrValidation for a product that is not the brand's or a bad status.
// Retried: it changes nothing.
func (b *BrandClient) List(ctx context.Context, in ListRequest) (*Page[License], error) {
	q := in.query()
	if in.Product != "" {
		q.Set("product", in.Product)
	}
	if in.Status != "" {
		q.Set("status", in.Status)
	}
	if !in.ExpiresBefore.IsZero() {
		q.Set("expires_before", in.ExpiresBefore.UTC().Format(time.RFC3339))
	}
	var out Page[License]
	if _, err := b.c.do(ctx, request{method: http.MethodGet, path: "/v1/licenses", query: q, retry: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAll iterates over every license List selects, page after page.
func (b *BrandClient) ListAll(ctx context.Context, in ListRequest) iter.Seq2[License, error] {
	return all(ctx, func(ctx context.Context, cursor string) (*Page[License], error) {
		in.Cursor = cursor
		return b.List(ctx, in)
	})
}

// OfflineActivationRequest names the machine to activate.
type OfflineActivationRequest struct {
	Instance     string `json:"instance"`
	InstanceName string `json:"instance_name,omitempty"`
}

// OfflineActivation is a seat taken for an offline machine and the token
// to hand over to it.
type OfflineActivation struct {
	Activation Activation `json:"activation"`
	// Token is the activation token, bound to the instance: the machine's
	// Guard takes it with Install.
	Token string `json:"token"`
	// Created is true for a new seat, false when the instance held one.
	Created bool `json:"-"`
}

// ActivateOffline takes a seat of a license of the API key's brand for a
// machine that cannot reach the service (air-gapped), so that support can
// hand its token over: the same checks and errors as the product API's
// Activate (ErrSeatLimitReached, ErrFreeLimitReached, ErrLicenseSuspended,
// ...), ErrNotFound for a license of another brand. Retried: a repeat
// confirms the seat the first took (Created false).
func (b *BrandClient) ActivateOffline(ctx context.Context, id string, in OfflineActivationRequest) (*OfflineActivation, error) {
	path, err := licensePath(id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Instance) == "" {
		return nil, errors.New("sdk: empty instance")
	}
	var out OfflineActivation
	status, err := b.c.do(ctx, request{method: http.MethodPost, path: path + "/activations", body: in, retry: true}, &out)
	if err != nil {
		return nil, err
	}
	out.Created = status == http.StatusCreated
	return &out, nil
}
