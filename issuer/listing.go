package issuer

import (
	"context"
	"errors"

	"github.com/licensedhq/licensed/store"
)

// ListLicensesInput is the query of GET /v1/licenses; "" is absent.
type ListLicensesInput struct {
	Product       string
	Status        string
	ExpiresBefore string
	PageInput
}

// ListLicenses lists the caller's brand's licenses, newest first: of one
// product, in one effective status, expiring before a time — the lists a
// brand's dashboard shows ("expiring this month"). A product slug that is
// not the brand's (unknown, or another brand's) is 422, as in provisioning.
func (s *Service) ListLicenses(ctx context.Context, p Principal, in ListLicensesInput) (Page[License], error) {
	if err := p.requireBrand(ScopeLicensesRead); err != nil {
		return Page[License]{}, err
	}
	now := s.now().UTC()
	var f fieldErrors
	flt := store.LicenseListFilter{BrandID: p.BrandID, Now: now}
	switch st := store.Status(in.Status); st {
	case "", store.StatusActive, store.StatusSuspended, store.StatusCancelled, store.StatusExpired:
		flt.Status = st
	default:
		f.add("status", "must be one of active, suspended, cancelled, expired")
	}
	if in.ExpiresBefore != "" {
		if t := parseTime(&f, "expires_before", in.ExpiresBefore); !t.IsZero() {
			flt.ExpiresBefore = &t
		}
	}
	limit := checkLimit(&f, in.Limit)
	flt.BeforeID, flt.Limit = decodeCursor(&f, in.Cursor), limit+1
	if in.Product != "" {
		pr, err := store.Product{}, store.ErrNotFound
		if slugRE.MatchString(in.Product) {
			pr, err = s.store.ProductBySlug(ctx, p.BrandID, in.Product)
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			f.add("product", "brand %q has no product %q", p.BrandSlug, in.Product)
		case err != nil:
			return Page[License]{}, err
		}
		flt.ProductID = pr.ID
	}
	if err := f.err(); err != nil {
		return Page[License]{}, err
	}
	list, err := s.store.ListLicenses(ctx, flt)
	if err != nil {
		return Page[License]{}, err
	}
	return paginate(list, limit, func(l store.License) string { return l.ID }, func(l store.License) (License, error) {
		return s.brandView(l, now, true)
	})
}
