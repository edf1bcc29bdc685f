package sqldb

import (
	"context"
	"fmt"

	"github.com/licensedhq/licensed/store"
)

// Provisioning's reads and writes, each group in one batch: a new
// customer's license is then three round trips (BEGIN with the product
// and the customer; the writes with the brand's webhook endpoints;
// COMMIT) instead of one per statement.

func (t *tx) ProductAndCustomer(ctx context.Context, brandID, productSlug string, c store.Customer) (store.Product, store.Customer, error) {
	if err := needBrand("product and customer", brandID); err != nil {
		return store.Product{}, store.Customer{}, err
	}
	qs := append([]Query{{"SELECT " + productCols + " FROM products WHERE brand_id = $1 AND slug = $2", []any{brandID, productSlug}}},
		t.ensureCustomer(c)...)
	var prods []store.Product
	var custs []store.Customer
	err := t.each(ctx, qs, func(i int, rows Rows) (err error) {
		switch i {
		case 0:
			prods, err = collect(rows, productFields)
		case 2:
			custs, err = collect(rows, customerFields)
		}
		return err
	})
	if err != nil {
		return store.Product{}, store.Customer{}, t.fail("product and customer", err)
	}
	if len(prods) == 0 {
		return store.Product{}, store.Customer{}, fmt.Errorf("product by slug: %w", store.ErrNotFound)
	}
	cust, err := oneCustomer(custs)
	return prods[0], cust, err
}

func (t *tx) CreateLicenseWithEvent(ctx context.Context, key *store.LicenseKey, l store.License, e store.AuditEvent) error {
	// Each insert answers a row when it wrote one: none is a conflict,
	// ErrAlreadyExists, as from insert. A conflict on the key makes the
	// license's insert fail on its foreign key, but the key's empty answer
	// is read first and is the error reported; the caller rolls back.
	type write struct {
		op string
		q  Query
	}
	var ws []write
	if key != nil {
		ws = append(ws, write{"create license key", licenseKeyInsert(*key)})
	}
	ws = append(ws, write{"create license", licenseInsert(l)}, write{"append audit event", auditInsert(e)})
	qs := make([]Query, 0, len(ws)+1)
	for _, w := range ws {
		qs = append(qs, Query{w.q.SQL + " ON CONFLICT DO NOTHING RETURNING 1", w.q.Args})
	}
	brandID := eventBrand(e)
	if brandID != "" {
		qs = append(qs, Query{"SELECT " + endpointCols + " FROM webhook_endpoints WHERE brand_id = $1 ORDER BY id", []any{brandID}})
	}
	var eps []store.WebhookEndpoint
	op := "create license with event"
	err := t.each(ctx, qs, func(i int, rows Rows) error {
		if i == len(ws) {
			var err error
			eps, err = collect(rows, endpointFields)
			return err
		}
		op = ws[i].op
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrAlreadyExists
		}
		return nil
	})
	if err != nil {
		return t.fail(op, err)
	}
	return t.enqueueTo(ctx, e, eps)
}
