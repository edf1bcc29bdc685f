package sqldb

import (
	"context"
	"strings"
	"time"

	"github.com/licensedhq/licensed/store"
)

const activationCols = "id, license_id, instance, instance_name, created_at, last_seen_at, deactivated_at, free"

// activationOfBrand reads activations through their license, whose brand
// is the tenancy filter: activations have no brand of their own.
const activationOfBrand = `SELECT a.id, a.license_id, a.instance, a.instance_name, a.created_at, a.last_seen_at, a.deactivated_at, a.free
FROM activations a JOIN licenses l ON l.id = a.license_id
WHERE l.brand_id = $1 AND `

func activationFields(a *store.Activation) []any {
	return []any{&a.ID, &a.LicenseID, &a.Instance, &a.InstanceName,
		timeCol{&a.CreatedAt}, timeCol{&a.LastSeenAt}, nullTimeCol{&a.DeactivatedAt}, &a.Free}
}

func (r queries) ActivationByID(ctx context.Context, brandID, id string) (store.Activation, error) {
	if err := needBrand("activation by id", brandID); err != nil {
		return store.Activation{}, err
	}
	return get(ctx, r, "activation by id", activationFields, activationOfBrand+"a.id = $2", brandID, id)
}

func (r queries) LiveActivation(ctx context.Context, brandID, licenseID, instance string) (store.Activation, error) {
	if err := needBrand("live activation", brandID); err != nil {
		return store.Activation{}, err
	}
	return get(ctx, r, "live activation", activationFields, activationOfBrand+
		"a.license_id = $2 AND a.instance = $3 AND a.deactivated_at IS NULL", brandID, licenseID, instance)
}

func (r queries) LiveActivations(ctx context.Context, brandID, licenseID string) ([]store.Activation, error) {
	if err := needBrand("live activations", brandID); err != nil {
		return nil, err
	}
	return list(ctx, r, "live activations", activationFields, activationOfBrand+
		"a.license_id = $2 AND a.deactivated_at IS NULL ORDER BY a.created_at, a.id", brandID, licenseID)
}

func (r queries) LiveActivationsPage(ctx context.Context, brandID, licenseID, afterID string, limit int) ([]store.Activation, error) {
	if err := needBrand("live activations page", brandID); err != nil {
		return nil, err
	}
	var w where
	w.and("l.brand_id = ?", brandID)
	w.and("a.license_id = ? AND a.deactivated_at IS NULL", licenseID)
	if afterID != "" {
		w.and("a.id > ?", afterID)
	}
	return list(ctx, r, "live activations page", activationFields,
		"SELECT a."+strings.ReplaceAll(activationCols, ", ", ", a.")+" FROM activations a JOIN licenses l ON l.id = a.license_id"+
			w.String()+" ORDER BY a.id"+w.limit(limit), w.args...)
}

func (r queries) CountLiveActivations(ctx context.Context, brandID, licenseID string) (int, error) {
	if err := needBrand("count live activations", brandID); err != nil {
		return 0, err
	}
	var n int
	err := r.q.QueryRow(ctx, `SELECT COUNT(*) FROM activations a JOIN licenses l ON l.id = a.license_id
		WHERE l.brand_id = $1 AND a.license_id = $2 AND a.deactivated_at IS NULL`, brandID, licenseID).Scan(&n)
	return n, r.fail("count live activations", err)
}

func (t *tx) CreateActivation(ctx context.Context, a store.Activation) error {
	return t.insert(ctx, "create activation", "INSERT INTO activations ("+activationCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		a.ID, a.LicenseID, a.Instance, a.InstanceName, ts(a.CreatedAt), ts(a.LastSeenAt), tsOrNull(a.DeactivatedAt), a.Free)
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

// ExpireActivations is one conditional UPDATE: on PostgreSQL a row another
// transaction ended meanwhile is re-checked after that transaction commits
// and no longer matches (deactivated_at is set), so it is neither ended
// again nor reported; on SQLite write transactions do not overlap.
func (t *tx) ExpireActivations(ctx context.Context, brandID, licenseID string, seenBefore, at time.Time) ([]store.Activation, error) {
	if err := needBrand("expire activations", brandID); err != nil {
		return nil, err
	}
	return list(ctx, t.queries, "expire activations", activationFields, `UPDATE activations SET deactivated_at = $1
		WHERE license_id = $2 AND deactivated_at IS NULL AND last_seen_at < $3
		AND license_id IN (SELECT id FROM licenses WHERE brand_id = $4)
		RETURNING `+activationCols, ts(at), licenseID, ts(seenBefore), brandID)
}
