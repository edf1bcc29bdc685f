package sqldb

import (
	"context"
	"time"

	"github.com/licensedhq/licensed/store"
)

const auditCols = "id, at, actor_type, actor_id, brand_id, license_id, action, request_id, ip, data"

func auditFields(e *store.AuditEvent) []any {
	return []any{&e.ID, timeCol{&e.At}, &e.ActorType, &e.ActorID, textCol{&e.BrandID}, textCol{&e.LicenseID},
		&e.Action, &e.RequestID, &e.IP, jsonCol{&e.Data, "{}"}}
}

// AuditEvents pages by id: ids are UUIDv7, so id order is time order.
func (r queries) AuditEvents(ctx context.Context, brandID string, f store.AuditFilter) ([]store.AuditEvent, error) {
	if err := needBrand("audit events", brandID); err != nil {
		return nil, err
	}
	var w where
	w.and("brand_id = ?", brandID)
	if f.LicenseID != "" {
		w.and("license_id = ?", f.LicenseID)
	}
	if f.BeforeID != "" {
		w.and("id < ?", f.BeforeID)
	}
	q := "SELECT " + auditCols + " FROM audit_events" + w.String() + " ORDER BY id DESC" + w.limit(f.Limit)
	return list(ctx, r, "audit events", auditFields, q, w.args...)
}

func (t *tx) AppendAuditEvent(ctx context.Context, e store.AuditEvent) error {
	q := auditInsert(e)
	if err := t.insert(ctx, "append audit event", q.SQL, q.Args...); err != nil {
		return err
	}
	return t.enqueueWebhooks(ctx, e)
}

func auditInsert(e store.AuditEvent) Query {
	return Query{"INSERT INTO audit_events (" + auditCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		[]any{e.ID, ts(e.At), e.ActorType, e.ActorID, orNull(e.BrandID), orNull(e.LicenseID),
			e.Action, e.RequestID, e.IP, jsonOr(e.Data, "{}")}}
}

const idempotencyCols = "brand_id, key, request_hash, status, body, created_at"

func idempotencyFields(i *store.Idempotency) []any {
	return []any{&i.BrandID, &i.Key, &i.RequestHash, &i.Status, &i.Body, timeCol{&i.CreatedAt}}
}

func (r queries) Idempotency(ctx context.Context, brandID, key string) (store.Idempotency, error) {
	return get(ctx, r, "idempotency", idempotencyFields,
		"SELECT "+idempotencyCols+" FROM idempotency_keys WHERE brand_id = $1 AND key = $2", brandID, key)
}

func (t *tx) ClaimIdempotency(ctx context.Context, i store.Idempotency) (bool, error) {
	n, err := t.exec(ctx, "claim idempotency", "INSERT INTO idempotency_keys ("+idempotencyCols+
		") VALUES ($1, $2, $3, 0, NULL, $4) ON CONFLICT DO NOTHING",
		i.BrandID, i.Key, i.RequestHash, ts(i.CreatedAt))
	return n == 1, err
}

func (t *tx) CompleteIdempotency(ctx context.Context, brandID, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{} // NULL means "still running"
	}
	return t.change(ctx, "complete idempotency", store.ErrNotFound,
		"UPDATE idempotency_keys SET status = $1, body = $2 WHERE brand_id = $3 AND key = $4", status, body, brandID, key)
}

func (t *tx) DeleteIdempotencyBefore(ctx context.Context, before time.Time) (int64, error) {
	return t.exec(ctx, "delete idempotency", "DELETE FROM idempotency_keys WHERE created_at < $1", ts(before))
}
