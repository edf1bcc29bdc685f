package sqldb

import (
	"context"
	"errors"
	"fmt"

	"github.com/licensedhq/licensed/store"
)

// The three statements of ReadKey each start from the lookup hash, so that
// none waits for another's answer and a Batcher sends them together. The
// key row gives the brand: licenses and activations of another brand
// under the same key id cannot exist, and are filtered out all the same.
const (
	readKeyKey      = "SELECT " + licenseKeyCols + " FROM license_keys WHERE key_hash = $1"
	readKeyLicenses = licenseSelect + " WHERE k.key_hash = $1 AND l.brand_id = k.brand_id ORDER BY l.created_at, l.id"
	readKeySeats    = `SELECT a.id, a.license_id, a.instance, a.instance_name, a.created_at, a.last_seen_at, a.deactivated_at, a.free
FROM license_keys k
JOIN licenses l ON l.license_key_id = k.id AND l.brand_id = k.brand_id
JOIN activations a ON a.license_id = l.id
WHERE k.key_hash = $1 AND a.instance = $2 AND a.deactivated_at IS NULL
ORDER BY a.created_at, a.id`
)

func (r queries) ReadKey(ctx context.Context, hash []byte, instance string) (store.KeyRead, error) {
	qs := []Query{{readKeyKey, []any{hash}}, {readKeyLicenses, []any{hash}}}
	if instance != "" {
		qs = append(qs, Query{readKeySeats, []any{hash, instance}})
	}
	var out store.KeyRead
	err := r.each(ctx, qs, func(i int, rows Rows) error {
		switch i {
		case 0:
			ks, err := collect(rows, licenseKeyFields)
			if err == nil && len(ks) == 0 {
				err = store.ErrNotFound
			}
			if err == nil {
				out.Key = ks[0]
			}
			return err
		case 1:
			var err error
			out.Licenses, err = collect(rows, licenseFields)
			return err
		default:
			var err error
			out.Activations, err = collect(rows, activationFields)
			return err
		}
	})
	if err != nil {
		return store.KeyRead{}, r.fail("read key", err)
	}
	if out.Activations == nil {
		out.Activations = []store.Activation{}
	}
	return out, nil
}

// each runs qs and hands each one's rows to fn in order: in one round trip
// when the connection batches, else one statement after the other. The
// first error ends it.
func (r queries) each(ctx context.Context, qs []Query, fn func(i int, rows Rows) error) error {
	b, ok := r.q.(Batcher)
	if !ok {
		for i, q := range qs {
			rows, err := r.q.Query(ctx, q.SQL, q.Args...)
			if err != nil {
				return err
			}
			err = fn(i, rows)
			rows.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	res := b.SendBatch(ctx, qs)
	for i := range qs {
		rows, err := res.Query()
		if err != nil {
			return errors.Join(err, res.Close())
		}
		err = fn(i, rows)
		rows.Close()
		if err != nil {
			return errors.Join(err, res.Close())
		}
	}
	return res.Close()
}

// collect scans every row, then checks the rows' error; never nil.
func collect[T any](rows Rows, f fields[T]) ([]T, error) {
	out := []T{}
	for rows.Next() {
		v, err := scanRow(rows, f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	return out, nil
}
