package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/store"
)

const endpointCols = "id, brand_id, url, events, secret_ciphertext, created_at"

func endpointFields(e *store.WebhookEndpoint) []any {
	return []any{&e.ID, &e.BrandID, &e.URL, listCol{&e.Events}, &e.SecretCiphertext, timeCol{&e.CreatedAt}}
}

// deliveryCols are read with the deliveries table as d and the event as e.
const deliveryCols = "d.id, d.brand_id, d.endpoint_id, d.event_id, e.action, d.status, d.attempt, d.response_status, " +
	"d.last_error, d.next_attempt_at, d.created_at, d.updated_at"

const deliveryFrom = " FROM webhook_deliveries d JOIN audit_events e ON e.id = d.event_id"

func deliveryFields(d *store.WebhookDelivery) []any {
	return []any{&d.ID, &d.BrandID, &d.EndpointID, &d.EventID, &d.Type, (*string)(&d.Status), &d.Attempt, &d.ResponseStatus,
		&d.LastError, nullTimeCol{&d.NextAttemptAt}, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}}
}

func (r queries) WebhookEndpoints(ctx context.Context, brandID string) ([]store.WebhookEndpoint, error) {
	if err := needBrand("webhook endpoints", brandID); err != nil {
		return nil, err
	}
	return list(ctx, r, "webhook endpoints", endpointFields,
		"SELECT "+endpointCols+" FROM webhook_endpoints WHERE brand_id = $1 ORDER BY id", brandID)
}

func (r queries) WebhookEndpointByID(ctx context.Context, brandID, id string) (store.WebhookEndpoint, error) {
	return get(ctx, r, "webhook endpoint", endpointFields,
		"SELECT "+endpointCols+" FROM webhook_endpoints WHERE brand_id = $1 AND id = $2", brandID, id)
}

func (r queries) WebhookDeliveries(ctx context.Context, f store.WebhookDeliveryFilter) ([]store.WebhookDelivery, error) {
	if err := needBrand("webhook deliveries", f.BrandID); err != nil {
		return nil, err
	}
	var w where
	w.and("d.brand_id = ?", f.BrandID)
	w.and("d.endpoint_id = ?", f.EndpointID)
	if f.BeforeID != "" {
		w.and("d.id < ?", f.BeforeID)
	}
	q := "SELECT " + deliveryCols + deliveryFrom + w.String() + " ORDER BY d.id DESC" + w.limit(f.Limit)
	return list(ctx, r, "webhook deliveries", deliveryFields, q, w.args...)
}

func (r queries) WebhookDeliveryByID(ctx context.Context, brandID, id string) (store.WebhookDelivery, error) {
	return get(ctx, r, "webhook delivery", deliveryFields,
		"SELECT "+deliveryCols+deliveryFrom+" WHERE d.brand_id = $1 AND d.id = $2", brandID, id)
}

func (r queries) WebhookQueue(ctx context.Context) (store.WebhookQueue, error) {
	var q store.WebhookQueue
	err := r.q.QueryRow(ctx, "SELECT count(*), min(created_at) FROM webhook_deliveries WHERE status = 'pending'").
		Scan(&q.Pending, nullTimeCol{&q.OldestPending})
	return q, r.fail("webhook queue", err)
}

func (r queries) NextWebhookDue(ctx context.Context) (*time.Time, error) {
	var due *time.Time
	err := r.q.QueryRow(ctx, "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'").Scan(nullTimeCol{&due})
	return due, r.fail("next webhook due", err)
}

// enqueueWebhooks is the outbox: one pending delivery of e, due at once,
// per endpoint of its brand that wants it, in e's transaction.
func (t *tx) enqueueWebhooks(ctx context.Context, e store.AuditEvent) error {
	brandID := eventBrand(e)
	if brandID == "" {
		return nil
	}
	eps, err := t.WebhookEndpoints(ctx, brandID)
	if err != nil {
		return err
	}
	return t.enqueueTo(ctx, e, eps)
}

// eventBrand is the brand whose endpoints hear of e: its own, or the one
// it is about; none for an event of no brand.
func eventBrand(e store.AuditEvent) string {
	if e.BrandID != "" {
		return e.BrandID
	}
	return e.AboutBrandID
}

// enqueueTo queues e to each endpoint of eps that wants it.
func (t *tx) enqueueTo(ctx context.Context, e store.AuditEvent, eps []store.WebhookEndpoint) error {
	for _, ep := range eps {
		if !ep.Wants(e.Action) {
			continue
		}
		if err := t.insertDelivery(ctx, eventBrand(e), ep.ID, e.ID, e.At); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) insertDelivery(ctx context.Context, brandID, endpointID, eventID string, at time.Time) error {
	return t.insertDeliveryID(ctx, uuid.Must(uuid.NewV7()).String(), brandID, endpointID, eventID, at)
}

func (t *tx) insertDeliveryID(ctx context.Context, id, brandID, endpointID, eventID string, at time.Time) error {
	return t.insert(ctx, "queue webhook delivery",
		"INSERT INTO webhook_deliveries (id, brand_id, endpoint_id, event_id, status, next_attempt_at, created_at, updated_at) "+
			"VALUES ($1, $2, $3, $4, 'pending', $5, $5, $5)", id, brandID, endpointID, eventID, ts(at))
}

func (t *tx) CreateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	return t.insert(ctx, "create webhook endpoint", "INSERT INTO webhook_endpoints ("+endpointCols+") VALUES ($1, $2, $3, $4, $5, $6)",
		e.ID, e.BrandID, e.URL, jsonList(e.Events), e.SecretCiphertext, ts(e.CreatedAt))
}

// DeleteWebhookEndpoint deletes the deliveries itself rather than relying
// on ON DELETE CASCADE, which SQLite applies only with foreign keys on.
func (t *tx) DeleteWebhookEndpoint(ctx context.Context, brandID, id string) error {
	if _, err := t.exec(ctx, "delete webhook deliveries", "DELETE FROM webhook_deliveries WHERE brand_id = $1 AND endpoint_id = $2", brandID, id); err != nil {
		return err
	}
	return t.change(ctx, "delete webhook endpoint", store.ErrNotFound,
		"DELETE FROM webhook_endpoints WHERE brand_id = $1 AND id = $2", brandID, id)
}

func (t *tx) RedeliverWebhook(ctx context.Context, brandID, id, newID string, at time.Time) (store.WebhookDelivery, error) {
	d, err := t.WebhookDeliveryByID(ctx, brandID, id)
	if err != nil {
		return store.WebhookDelivery{}, err
	}
	if err := t.insertDeliveryID(ctx, newID, brandID, d.EndpointID, d.EventID, at); err != nil {
		return store.WebhookDelivery{}, err
	}
	return t.WebhookDeliveryByID(ctx, brandID, newID)
}

const jobCols = deliveryCols + ", w.url, w.secret_ciphertext, " +
	"e.at, e.actor_type, e.actor_id, e.brand_id, e.license_id, e.request_id, e.ip, e.data"

func jobFields(j *store.WebhookJob) []any {
	e := &j.Event
	return append(deliveryFields(&j.Delivery), &j.URL, &j.SecretCiphertext,
		timeCol{&e.At}, &e.ActorType, &e.ActorID, textCol{&e.BrandID}, textCol{&e.LicenseID},
		&e.RequestID, &e.IP, jsonCol{&e.Data, "{}"})
}

// ClaimWebhookDeliveries locks the due rows it picks, skipping those
// another replica's claim holds, then moves each to its lease end and
// counts its attempt in the same transaction: when it commits, no other
// claim sees them due until the lease runs out.
func (t *tx) ClaimWebhookDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.WebhookJob, error) {
	lock := ""
	if t.d.ForUpdate != "" {
		lock = " " + t.d.ForUpdate + " OF d SKIP LOCKED"
	}
	q := "SELECT " + jobCols + deliveryFrom + " JOIN webhook_endpoints w ON w.id = d.endpoint_id" +
		" WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at, d.id LIMIT $2" + lock
	jobs, err := list(ctx, t.queries, "claim webhook deliveries", jobFields, q, ts(now), limit)
	if err != nil {
		return nil, err
	}
	for i := range jobs {
		j := &jobs[i]
		j.Event.ID, j.Event.Action = j.Delivery.EventID, j.Delivery.Type
		j.Delivery.Attempt++
		lease := leaseUntil
		j.Delivery.NextAttemptAt, j.Delivery.UpdatedAt = &lease, now
		if _, err := t.exec(ctx, "claim webhook delivery",
			"UPDATE webhook_deliveries SET attempt = $1, next_attempt_at = $2, updated_at = $3 WHERE id = $4",
			j.Delivery.Attempt, ts(leaseUntil), ts(now), j.Delivery.ID); err != nil {
			return nil, err
		}
	}
	return jobs, nil
}

func (t *tx) CompleteWebhookDelivery(ctx context.Context, r store.WebhookResult) error {
	switch {
	case r.Status == store.DeliveryPending && r.NextAttemptAt == nil,
		r.Status != store.DeliveryPending && r.NextAttemptAt != nil:
		return fmt.Errorf("complete webhook delivery %s: a pending delivery, and only it, has a next attempt", r.ID)
	}
	n, err := t.exec(ctx, "complete webhook delivery",
		"UPDATE webhook_deliveries SET status = $1, response_status = $2, last_error = $3, next_attempt_at = $4, updated_at = $5 "+
			"WHERE id = $6 AND attempt = $7 AND status = 'pending'",
		string(r.Status), r.ResponseStatus, r.Error, tsOrNull(r.NextAttemptAt), ts(r.At), r.ID, r.Attempt)
	if err != nil || n == 1 {
		return err
	}
	var one int
	if err := t.q.QueryRow(ctx, "SELECT 1 FROM webhook_deliveries WHERE id = $1", r.ID).Scan(&one); err != nil {
		return t.fail("complete webhook delivery", err)
	}
	return fmt.Errorf("complete webhook delivery: %w", store.ErrConflict)
}
