package sqldb

import (
	"context"
	"fmt"

	"github.com/licensedhq/licensed/store"
)

// sealedColumn is where one kind of sealed value lives. brand is "" for
// tables keyed by id alone; the SELECT then reads an empty string in its
// place so that every kind scans alike.
type sealedColumn struct {
	table, brand, id, value string
	// where: rows that hold a sealed value at all (a pending idempotency
	// record holds none yet).
	where string
	// hash is the lookup hash column that is peppered by the same key.
	hash string
}

func sealedColumnOf(k store.SealedKind) (sealedColumn, error) {
	switch k {
	case store.SealedSigningKey:
		return sealedColumn{table: "signing_keys", id: "kid", value: "private_key_ciphertext"}, nil
	case store.SealedLicenseKey:
		return sealedColumn{table: "license_keys", id: "id", value: "key_ciphertext", hash: "key_hash"}, nil
	case store.SealedIdempotency:
		return sealedColumn{table: "idempotency_keys", brand: "brand_id", id: "key", value: "body",
			where: "body IS NOT NULL AND length(body) > 0"}, nil
	case store.SealedWebhookSecret:
		return sealedColumn{table: "webhook_endpoints", id: "id", value: "secret_ciphertext"}, nil
	}
	return sealedColumn{}, fmt.Errorf("sealed values: unknown kind %q", k)
}

func sealedFields(v *store.SealedValue) []any {
	return []any{textCol{&v.BrandID}, textCol{&v.ID}, &v.Ciphertext}
}

// SealedValues pages in (brand, id) order; substr and length count bytes
// of a blob on SQLite and of a bytea on PostgreSQL alike.
func (r queries) SealedValues(ctx context.Context, f store.SealedFilter) ([]store.SealedValue, error) {
	c, err := sealedColumnOf(f.Kind)
	if err != nil {
		return nil, err
	}
	brandCol := "''"
	order := c.id
	if c.brand != "" {
		brandCol, order = c.brand, c.brand+", "+c.id
	}
	var w where
	if c.where != "" {
		w.conds = append(w.conds, c.where)
	}
	switch {
	case f.Newest:
		order = descending(c)
	case c.brand != "" && f.AfterBrandID != "":
		w.and("("+c.brand+", "+c.id+") > (?, ?)", f.AfterBrandID, f.AfterID)
	case c.brand == "" && f.AfterID != "":
		w.and(c.id+" > ?", f.AfterID)
	}
	if len(f.NotPrefix) > 0 {
		w.and(fmt.Sprintf("substr(%s, 1, %d) <> ?", c.value, len(f.NotPrefix)), f.NotPrefix)
	}
	q := "SELECT " + brandCol + ", " + c.id + ", " + c.value + " FROM " + c.table + w.String() + " ORDER BY " + order + w.limit(f.Limit)
	out, err := list(ctx, r, "sealed values", sealedFields, q, w.args...)
	for i := range out {
		out[i].Kind = f.Kind
	}
	return out, err
}

func descending(c sealedColumn) string {
	if c.brand != "" {
		return c.brand + " DESC, " + c.id + " DESC"
	}
	return c.id + " DESC"
}

func (t *tx) ReSeal(ctx context.Context, v store.SealedValue, ciphertext, hash []byte) error {
	c, err := sealedColumnOf(v.Kind)
	if err != nil {
		return err
	}
	op := "reseal " + string(v.Kind)
	key, args := " WHERE "+c.id+" = $1", []any{v.ID}
	if c.brand != "" {
		key, args = " WHERE "+c.brand+" = $1 AND "+c.id+" = $2", []any{v.BrandID, v.ID}
	}
	nKey := len(args)
	args = append(args, ciphertext)
	set := fmt.Sprintf("%s = $%d", c.value, len(args))
	if c.hash != "" {
		if len(hash) == 0 {
			return fmt.Errorf("%s %s: the lookup hash must change with the key", op, v.ID)
		}
		args = append(args, hash)
		set += fmt.Sprintf(", %s = $%d", c.hash, len(args))
	}
	args = append(args, v.Ciphertext)
	n, err := t.exec(ctx, op, "UPDATE "+c.table+" SET "+set+key+fmt.Sprintf(" AND %s = $%d", c.value, len(args)), args...)
	if err != nil || n == 1 {
		return err
	}
	var one int
	if err := t.q.QueryRow(ctx, "SELECT 1 FROM "+c.table+key, args[:nKey]...).Scan(&one); err != nil {
		return t.fail(op, err) // ErrNotFound: the row is gone
	}
	return fmt.Errorf("%s: %w", op, store.ErrConflict)
}
