package issuer

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/licensedhq/licensed/store"
)

// Product is a product as the admin API and CLI show it, with the settings
// that apply to every license of it.
type Product struct {
	ID                   string   `json:"id"`
	Brand                string   `json:"brand"`
	Slug                 string   `json:"slug"`
	Name                 string   `json:"name"`
	DefaultSeats         int      `json:"default_seats"`
	TokenTTLSeconds      int      `json:"token_ttl_seconds"`
	FreeInstances        []string `json:"free_instances"`
	MaxFreeActivations   int      `json:"max_free_activations"`
	GraceDays            int      `json:"grace_days"`
	ActivationTTLSeconds int      `json:"activation_ttl_seconds"`
	CreatedAt            string   `json:"created_at"`
}

// ProductInput creates a product of a brand; absent settings take their
// defaults.
type ProductInput struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	ProductSettings
}

// ProductSettings are the settings of a product that PATCH may change;
// nil members are absent (the decoder refuses null for them).
type ProductSettings struct {
	DefaultSeats         *int      `json:"default_seats"`
	TokenTTLSeconds      *int      `json:"token_ttl_seconds"`
	FreeInstances        *[]string `json:"free_instances"`
	MaxFreeActivations   *int      `json:"max_free_activations"`
	GraceDays            *int      `json:"grace_days"`
	ActivationTTLSeconds *int      `json:"activation_ttl_seconds"`
}

// ProductPatchInput is the body of PATCH /v1/brands/{slug}/products/{product}.
type ProductPatchInput struct {
	Name *string `json:"name"`
	ProductSettings
}

// Admin actions on products.
const (
	ActionProductCreated = "product.created"
	ActionProductUpdated = "product.updated"
)

// Bounds of product settings.
const (
	// MaxGraceDays is the longest grace period a product may give.
	MaxGraceDays = 90
	// Activation TTLs a product may choose besides 0 (never): a minute to
	// a year.
	minActivationTTL = time.Minute
	maxActivationTTL = 365 * 24 * time.Hour
)

// apply checks the settings given and sets them on p.
func (in ProductSettings) apply(f *fieldErrors, p *store.Product) {
	if in.DefaultSeats != nil {
		checkSeats(f, "default_seats", *in.DefaultSeats)
		p.DefaultSeats = *in.DefaultSeats
	}
	if in.TokenTTLSeconds != nil {
		p.TokenTTL = time.Duration(*in.TokenTTLSeconds) * time.Second
		if p.TokenTTL < minTokenTTL || p.TokenTTL > maxTokenTTL {
			f.add("token_ttl_seconds", "must be between %d and %d", int(minTokenTTL.Seconds()), int(maxTokenTTL.Seconds()))
		}
	}
	if in.FreeInstances != nil {
		p.Policy.FreeInstances = checkFreeInstances(f, "free_instances", *in.FreeInstances)
	}
	if in.MaxFreeActivations != nil {
		p.Policy.MaxFreeActivations = *in.MaxFreeActivations
		if *in.MaxFreeActivations < 1 || *in.MaxFreeActivations > maxFreeActivation {
			f.add("max_free_activations", "must be between 1 and %d (an empty free_instances turns free activations off)", maxFreeActivation)
		}
	}
	if in.GraceDays != nil {
		p.Policy.GraceDays = *in.GraceDays
		if *in.GraceDays < 0 || *in.GraceDays > MaxGraceDays {
			f.add("grace_days", "must be between 0 and %d", MaxGraceDays)
		}
	}
	if in.ActivationTTLSeconds != nil {
		ttl := time.Duration(*in.ActivationTTLSeconds) * time.Second
		p.Policy.ActivationTTL = ttl
		if ttl != 0 && (ttl < minActivationTTL || ttl > maxActivationTTL) {
			f.add("activation_ttl_seconds", "must be 0 (never) or between %d and %d", int(minActivationTTL.Seconds()), int(maxActivationTTL.Seconds()))
		}
	}
}

func (in ProductSettings) empty() bool { return in == ProductSettings{} }

func (in ProductInput) product() (store.Product, error) {
	var f fieldErrors
	checkSlug(&f, "slug", in.Slug)
	checkName(&f, "name", in.Name)
	p := store.Product{
		ID: newID(), Slug: in.Slug, Name: strings.TrimSpace(in.Name), DefaultSeats: 1, TokenTTL: DefaultTokenTTL,
		Policy: store.Policy{FreeInstances: DefaultFreeInstances(), MaxFreeActivations: DefaultMaxFree},
	}
	in.ProductSettings.apply(&f, &p)
	return p, f.err()
}

func productOut(brandSlug string, p store.Product) Product {
	return Product{
		ID: p.ID, Brand: brandSlug, Slug: p.Slug, Name: p.Name,
		DefaultSeats: p.DefaultSeats, TokenTTLSeconds: int(p.TokenTTL / time.Second),
		FreeInstances: nonNil(p.Policy.FreeInstances), MaxFreeActivations: p.Policy.MaxFreeActivations,
		GraceDays: p.Policy.GraceDays, ActivationTTLSeconds: int(p.Policy.ActivationTTL / time.Second),
		CreatedAt: formatTime(p.CreatedAt),
	}
}

// productData is what the audit trail records of a product.
func productData(p store.Product) map[string]any {
	v := productOut("", p)
	return map[string]any{
		"slug": v.Slug, "name": v.Name, "default_seats": v.DefaultSeats, "token_ttl_seconds": v.TokenTTLSeconds,
		"free_instances": v.FreeInstances, "max_free_activations": v.MaxFreeActivations,
		"grace_days": v.GraceDays, "activation_ttl_seconds": v.ActivationTTLSeconds,
	}
}

// CreateProduct adds a product to a brand.
func (s *Service) CreateProduct(ctx context.Context, p Principal, o Origin, brandSlug string, in ProductInput) (Product, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Product{}, err
	}
	pr, err := in.product()
	if err != nil {
		return Product{}, err
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		b, err := brandBySlug(ctx, tx, brandSlug)
		if err != nil {
			return err
		}
		pr.BrandID, pr.CreatedAt = b.ID, s.now().UTC()
		if err := tx.CreateProduct(ctx, pr); err != nil {
			return err
		}
		data := productData(pr)
		data["brand_id"], data["product_id"] = b.ID, pr.ID
		return s.audit(ctx, tx, adminEvent(p, ActionProductCreated, b.ID), o, data)
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return Product{}, conflictField("slug", "brand %q already has a product %q", brandSlug, in.Slug)
	}
	if err != nil {
		return Product{}, err
	}
	return productOut(brandSlug, pr), nil
}

func brandBySlug(ctx context.Context, q store.Queries, slug string) (store.Brand, error) {
	if !slugRE.MatchString(slug) {
		return store.Brand{}, Errorf(CodeNotFound, "no brand %q", slug)
	}
	b, err := q.BrandBySlug(ctx, slug)
	return b, notFoundAs(err, Errorf(CodeNotFound, "no brand %q", slug))
}

func productBySlug(ctx context.Context, q store.Queries, b store.Brand, slug string) (store.Product, error) {
	if !slugRE.MatchString(slug) {
		return store.Product{}, Errorf(CodeNotFound, "brand %q has no product %q", b.Slug, slug)
	}
	pr, err := q.ProductBySlug(ctx, b.ID, slug)
	return pr, notFoundAs(err, Errorf(CodeNotFound, "brand %q has no product %q", b.Slug, slug))
}

// GetProduct answers one product of a brand (admin).
func (s *Service) GetProduct(ctx context.Context, p Principal, brandSlug, productSlug string) (Product, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Product{}, err
	}
	b, err := brandBySlug(ctx, s.store, brandSlug)
	if err != nil {
		return Product{}, err
	}
	pr, err := productBySlug(ctx, s.store, b, productSlug)
	if err != nil {
		return Product{}, err
	}
	return productOut(b.Slug, pr), nil
}

// Products lists a brand's products, oldest first (admin).
func (s *Service) Products(ctx context.Context, p Principal, brandSlug string, in PageInput) (Page[Product], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Page[Product]{}, err
	}
	b, err := brandBySlug(ctx, s.store, brandSlug)
	if err != nil {
		return Page[Product]{}, err
	}
	var f fieldErrors
	limit := checkLimit(&f, in.Limit)
	after := decodeCursor(&f, in.Cursor)
	if err := f.err(); err != nil {
		return Page[Product]{}, err
	}
	list, err := s.store.Products(ctx, store.ProductFilter{BrandID: b.ID, AfterID: after, Limit: limit + 1})
	if err != nil {
		return Page[Product]{}, err
	}
	return paginate(list, limit, func(pr store.Product) string { return pr.ID }, func(pr store.Product) (Product, error) {
		return productOut(b.Slug, pr), nil
	})
}

// UpdateProduct changes a product's name and settings (admin). The change
// applies to the next answer for every license of the product: the
// product's cached settings are invalidated, and what a token says is
// computed when it is signed. Tokens already issued are not changed. {}
// changes nothing and records nothing.
func (s *Service) UpdateProduct(ctx context.Context, p Principal, o Origin, brandSlug, productSlug string, in ProductPatchInput) (Product, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return Product{}, err
	}
	var f fieldErrors
	if in.Name != nil {
		checkName(&f, "name", *in.Name)
	}
	var probe store.Product
	in.ProductSettings.apply(&f, &probe)
	if err := f.err(); err != nil {
		return Product{}, err
	}
	var b store.Brand
	var pr store.Product
	changed := false
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if b, err = brandBySlug(ctx, tx, brandSlug); err != nil {
			return err
		}
		if pr, err = productBySlug(ctx, tx, b, productSlug); err != nil {
			return err
		}
		if in.Name == nil && in.ProductSettings.empty() {
			return nil
		}
		before := productData(pr)
		if in.Name != nil {
			pr.Name = strings.TrimSpace(*in.Name)
		}
		in.ProductSettings.apply(&fieldErrors{}, &pr)
		if err := tx.UpdateProduct(ctx, pr); err != nil {
			return notFoundAs(err, Errorf(CodeNotFound, "brand %q has no product %q", b.Slug, productSlug))
		}
		changed = true
		return s.audit(ctx, tx, adminEvent(p, ActionProductUpdated, b.ID), o, map[string]any{
			"brand_id": b.ID, "product_id": pr.ID, "before": before, "after": productData(pr),
		})
	})
	if err != nil {
		return Product{}, err
	}
	if changed {
		s.invalidate(ctx, productCacheKey(pr.ID))
	}
	return productOut(b.Slug, pr), nil
}
