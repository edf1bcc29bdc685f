package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/licensedhq/licensed/issuer/webhook"
	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
)

// ScopeWebhooksWrite lets a brand key manage the brand's webhook endpoints
// and read their delivery logs.
const ScopeWebhooksWrite = "webhooks:write"

// Audit actions of webhook endpoints.
const (
	ActionWebhookCreated = "webhook.created"
	ActionWebhookDeleted = "webhook.deleted"
)

// WebhookEvents lists the event types an endpoint may subscribe to: every
// audit action that concerns a brand. "*" subscribes to all of them.
func WebhookEvents() []string {
	return []string{
		ActionProvisioned, ActionActivated, ActionDeactivated, ActionRenewed, ActionSuspended, ActionResumed,
		ActionCancelled, ActionUpdated, ActionActivationExpired, ActionBrandUpdated, ActionProductCreated, ActionProductUpdated,
		ActionAPIKeyCreated, ActionAPIKeyRevoked, ActionWebhookCreated, ActionWebhookDeleted,
	}
}

// maxWebhookEndpoints caps a brand's endpoints: each adds a query result
// row and a delivery row to every change of the brand.
const maxWebhookEndpoints = 10

// WebhookInput creates an endpoint.
type WebhookInput struct {
	// Brand is the brand's slug, for a platform admin key only.
	Brand  *string  `json:"brand"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// WebhookEndpoint is an endpoint; Secret is set only in the answer that
// creates it.
type WebhookEndpoint struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Secret    string   `json:"secret,omitempty"`
	CreatedAt string   `json:"created_at"`
}

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID             string  `json:"id"`
	EventID        string  `json:"event_id"`
	Type           string  `json:"type"`
	Attempt        int     `json:"attempt"`
	Status         string  `json:"status"`
	ResponseStatus *int    `json:"response_status"`
	Error          *string `json:"error"`
	NextAttemptAt  *string `json:"next_attempt_at"`
	CreatedAt      string  `json:"created_at"`
}

// WebhookPayload is the body of every webhook request.
type WebhookPayload struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Timestamp string     `json:"timestamp"`
	Data      AuditEvent `json:"data"`
}

// WebhookBody renders the body the dispatcher sends for an event.
func WebhookBody(e store.AuditEvent) ([]byte, error) {
	return json.Marshal(WebhookPayload{ID: e.ID, Type: e.Action, Timestamp: formatTime(e.At), Data: auditView(e)})
}

func webhookView(e store.WebhookEndpoint) WebhookEndpoint {
	return WebhookEndpoint{ID: e.ID, URL: e.URL, Events: nonNil(e.Events), CreatedAt: formatTime(e.CreatedAt)}
}

func deliveryView(d store.WebhookDelivery) WebhookDelivery {
	v := WebhookDelivery{ID: d.ID, EventID: d.EventID, Type: d.Type, Attempt: d.Attempt, Status: string(d.Status),
		Error: optional(d.LastError), NextAttemptAt: formatTimePtr(d.NextAttemptAt), CreatedAt: formatTime(d.CreatedAt)}
	if d.ResponseStatus != 0 {
		rs := d.ResponseStatus
		v.ResponseStatus = &rs
	}
	return v
}

// webhookBrand is the brand a webhook call acts on: a brand key's own
// (with webhooks:write), or the one a platform admin key names.
func (s *Service) webhookBrand(ctx context.Context, p Principal, brandSlug *string) (store.Brand, error) {
	if p.Platform() {
		if err := p.require(ScopeAdmin); err != nil {
			return store.Brand{}, err
		}
		if brandSlug == nil || *brandSlug == "" {
			return store.Brand{}, validationError("brand", "a platform key names the brand (its slug)")
		}
		b, err := s.store.BrandBySlug(ctx, *brandSlug)
		return b, notFoundAs(err, validationError("brand", "no brand %q", *brandSlug))
	}
	if err := p.require(ScopeWebhooksWrite); err != nil {
		return store.Brand{}, err
	}
	if brandSlug != nil && *brandSlug != p.BrandSlug {
		return store.Brand{}, validationError("brand", "a brand key acts on its own brand only")
	}
	return store.Brand{ID: p.BrandID, Slug: p.BrandSlug}, nil
}

func (in WebhookInput) check(ctx context.Context, policy webhook.Policy) ([]string, error) {
	var f fieldErrors
	if strings.TrimSpace(in.URL) == "" || len(in.URL) > 2048 {
		f.add("url", "an https:// URL of at most 2048 characters is required")
	} else if err := policy.CheckURL(ctx, in.URL); err != nil {
		f.add("url", "%v", err)
	}
	var events []string
	known := WebhookEvents()
	if len(in.Events) == 0 {
		f.add("events", `at least one event type, or ["*"] for all`)
	}
	for _, ev := range in.Events {
		switch {
		case ev == "*" && len(in.Events) > 1:
			f.add("events", `"*" stands alone`)
		case ev != "*" && !slices.Contains(known, ev):
			f.add("events", "unknown event type %q (known: %s)", ev, strings.Join(known, ", "))
		case !slices.Contains(events, ev):
			events = append(events, ev)
		}
	}
	return events, f.err()
}

// CreateWebhook adds an endpoint and shows its signing secret, once.
func (s *Service) CreateWebhook(ctx context.Context, p Principal, o Origin, in WebhookInput) (WebhookEndpoint, error) {
	b, err := s.webhookBrand(ctx, p, in.Brand)
	if err != nil {
		return WebhookEndpoint{}, err
	}
	events, err := in.check(ctx, s.webhooks)
	if err != nil {
		return WebhookEndpoint{}, err
	}
	secret := webhook.NewSecret()
	e := store.WebhookEndpoint{ID: newID(), BrandID: b.ID, URL: in.URL, Events: events, CreatedAt: s.now().UTC()}
	e.SecretCiphertext = s.secrets.Seal([]byte(secret), seal.WebhookSecretAAD(e.ID))
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		existing, err := tx.WebhookEndpoints(ctx, b.ID)
		if err != nil {
			return err
		}
		if len(existing) >= maxWebhookEndpoints {
			return Errorf(CodeConflict, "a brand has at most %d webhook endpoints", maxWebhookEndpoints)
		}
		if err := tx.CreateWebhookEndpoint(ctx, e); err != nil {
			return err
		}
		return s.audit(ctx, tx, adminEvent(p, ActionWebhookCreated, b.ID), o, map[string]any{
			"brand_id": b.ID, "webhook_id": e.ID, "url": e.URL, "events": events,
		})
	})
	if err != nil {
		return WebhookEndpoint{}, err
	}
	v := webhookView(e)
	v.Secret = secret
	return v, nil
}

// Webhooks lists a brand's endpoints (never their secrets).
func (s *Service) Webhooks(ctx context.Context, p Principal, brandSlug *string) ([]WebhookEndpoint, error) {
	b, err := s.webhookBrand(ctx, p, brandSlug)
	if err != nil {
		return nil, err
	}
	list, err := s.store.WebhookEndpoints(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookEndpoint, 0, len(list))
	for _, e := range list {
		out = append(out, webhookView(e))
	}
	return out, nil
}

// DeleteWebhook removes an endpoint; its pending deliveries are dropped.
func (s *Service) DeleteWebhook(ctx context.Context, p Principal, o Origin, brandSlug *string, id string) error {
	b, err := s.webhookBrand(ctx, p, brandSlug)
	if err != nil {
		return err
	}
	if !validID(id) {
		return errNotFound
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteWebhookEndpoint(ctx, b.ID, id); err != nil {
			return notFoundAs(err, errNotFound)
		}
		return s.audit(ctx, tx, adminEvent(p, ActionWebhookDeleted, b.ID), o, map[string]any{"brand_id": b.ID, "webhook_id": id})
	})
}

// WebhookDeliveries lists an endpoint's deliveries, newest first.
func (s *Service) WebhookDeliveries(ctx context.Context, p Principal, brandSlug *string, id string, in PageInput) (Page[WebhookDelivery], error) {
	b, err := s.webhookBrand(ctx, p, brandSlug)
	if err != nil {
		return Page[WebhookDelivery]{}, err
	}
	var f fieldErrors
	limit := checkLimit(&f, in.Limit)
	before := decodeCursor(&f, in.Cursor)
	if err := f.err(); err != nil {
		return Page[WebhookDelivery]{}, err
	}
	if !validID(id) {
		return Page[WebhookDelivery]{}, errNotFound
	}
	if _, err := s.store.WebhookEndpointByID(ctx, b.ID, id); err != nil {
		return Page[WebhookDelivery]{}, notFoundAs(err, errNotFound)
	}
	list, err := s.store.WebhookDeliveries(ctx, store.WebhookDeliveryFilter{BrandID: b.ID, EndpointID: id, BeforeID: before, Limit: limit + 1})
	if err != nil {
		return Page[WebhookDelivery]{}, err
	}
	return paginate(list, limit, func(d store.WebhookDelivery) string { return d.ID }, func(d store.WebhookDelivery) (WebhookDelivery, error) {
		return deliveryView(d), nil
	})
}

// Redeliver queues the event of a delivery again, as a new delivery to
// the same endpoint, due at once.
func (s *Service) Redeliver(ctx context.Context, p Principal, brandSlug *string, endpointID, deliveryID string) (WebhookDelivery, error) {
	b, err := s.webhookBrand(ctx, p, brandSlug)
	if err != nil {
		return WebhookDelivery{}, err
	}
	if !validID(endpointID) || !validID(deliveryID) {
		return WebhookDelivery{}, errNotFound
	}
	var d store.WebhookDelivery
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		old, err := tx.WebhookDeliveryByID(ctx, b.ID, deliveryID)
		if err != nil {
			return err
		}
		if old.EndpointID != endpointID {
			return store.ErrNotFound
		}
		d, err = tx.RedeliverWebhook(ctx, b.ID, deliveryID, newID(), s.now().UTC())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return WebhookDelivery{}, errNotFound
	}
	if err != nil {
		return WebhookDelivery{}, err
	}
	return deliveryView(d), nil
}
