package deadline

import (
	"context"
	"time"

	"github.com/licensedhq/licensed/store"
)

// The webhook methods of store.Queries and store.Tx, forwarded under a
// deadline like the rest (methods.go).

func (r queries) WebhookEndpoints(ctx context.Context, brandID string) ([]store.WebhookEndpoint, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.WebhookEndpoint, error) { return r.q.WebhookEndpoints(ctx, brandID) })
}

func (r queries) WebhookEndpointByID(ctx context.Context, brandID, id string) (store.WebhookEndpoint, error) {
	return call(ctx, r, func(ctx context.Context) (store.WebhookEndpoint, error) {
		return r.q.WebhookEndpointByID(ctx, brandID, id)
	})
}

func (r queries) WebhookDeliveries(ctx context.Context, f store.WebhookDeliveryFilter) ([]store.WebhookDelivery, error) {
	return call(ctx, r, func(ctx context.Context) ([]store.WebhookDelivery, error) { return r.q.WebhookDeliveries(ctx, f) })
}

func (r queries) WebhookDeliveryByID(ctx context.Context, brandID, id string) (store.WebhookDelivery, error) {
	return call(ctx, r, func(ctx context.Context) (store.WebhookDelivery, error) {
		return r.q.WebhookDeliveryByID(ctx, brandID, id)
	})
}

func (r queries) WebhookQueue(ctx context.Context) (store.WebhookQueue, error) {
	return call(ctx, r, func(ctx context.Context) (store.WebhookQueue, error) { return r.q.WebhookQueue(ctx) })
}

func (r queries) NextWebhookDue(ctx context.Context) (*time.Time, error) {
	return call(ctx, r, func(ctx context.Context) (*time.Time, error) { return r.q.NextWebhookDue(ctx) })
}

func (t *boundTx) CreateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CreateWebhookEndpoint(ctx, e) })
}

func (t *boundTx) DeleteWebhookEndpoint(ctx context.Context, brandID, id string) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.DeleteWebhookEndpoint(ctx, brandID, id) })
}

func (t *boundTx) RedeliverWebhook(ctx context.Context, brandID, id, newID string, at time.Time) (store.WebhookDelivery, error) {
	return call(ctx, t.queries, func(ctx context.Context) (store.WebhookDelivery, error) {
		return t.tx.RedeliverWebhook(ctx, brandID, id, newID, at)
	})
}

func (t *boundTx) ClaimWebhookDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.WebhookJob, error) {
	return call(ctx, t.queries, func(ctx context.Context) ([]store.WebhookJob, error) {
		return t.tx.ClaimWebhookDeliveries(ctx, now, leaseUntil, limit)
	})
}

func (t *boundTx) CompleteWebhookDelivery(ctx context.Context, r store.WebhookResult) error {
	return do(ctx, t.queries, func(ctx context.Context) error { return t.tx.CompleteWebhookDelivery(ctx, r) })
}
