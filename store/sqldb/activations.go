package sqldb

import (
	"context"
	"time"

	"github.com/licensedhq/licensed/store"
)

const activationCols = "id, license_id, instance, instance_name, created_at, last_seen_at, deactivated_at"

func activationFields(a *store.Activation) []any {
	return []any{&a.ID, &a.LicenseID, &a.Instance, &a.InstanceName,
		timeCol{&a.CreatedAt}, timeCol{&a.LastSeenAt}, nullTimeCol{&a.DeactivatedAt}}
}

func (r queries) ActivationByID(ctx context.Context, id string) (store.Activation, error) {
	return get(ctx, r, "activation by id", activationFields, "SELECT "+activationCols+" FROM activations WHERE id = $1", id)
}

func (r queries) LiveActivation(ctx context.Context, licenseID, instance string) (store.Activation, error) {
	return get(ctx, r, "live activation", activationFields, "SELECT "+activationCols+
		" FROM activations WHERE license_id = $1 AND instance = $2 AND deactivated_at IS NULL", licenseID, instance)
}

func (r queries) LiveActivations(ctx context.Context, licenseID string) ([]store.Activation, error) {
	return list(ctx, r, "live activations", activationFields, "SELECT "+activationCols+
		" FROM activations WHERE license_id = $1 AND deactivated_at IS NULL ORDER BY created_at, id", licenseID)
}

func (r queries) CountLiveActivations(ctx context.Context, licenseID string) (int, error) {
	var n int
	err := r.q.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM activations WHERE license_id = $1 AND deactivated_at IS NULL", licenseID).Scan(&n)
	return n, r.fail("count live activations", err)
}

func (t *tx) CreateActivation(ctx context.Context, a store.Activation) error {
	return t.insert(ctx, "create activation", "INSERT INTO activations ("+activationCols+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		a.ID, a.LicenseID, a.Instance, a.InstanceName, ts(a.CreatedAt), ts(a.LastSeenAt), tsOrNull(a.DeactivatedAt))
}

func (t *tx) TouchActivation(ctx context.Context, id, instanceName string, at time.Time) error {
	return t.change(ctx, "touch activation", store.ErrNotFound,
		"UPDATE activations SET instance_name = $1, last_seen_at = $2 WHERE id = $3 AND deactivated_at IS NULL",
		instanceName, ts(at), id)
}

func (t *tx) Deactivate(ctx context.Context, id string, at time.Time) error {
	return t.change(ctx, "deactivate", store.ErrNotFound,
		"UPDATE activations SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL", ts(at), id)
}
