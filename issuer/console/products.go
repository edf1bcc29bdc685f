package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licensedhq/licensed/issuer"
)

// Products and their settings are the admin API's: platform keys with the
// admin scope only (the service refuses others, and the console shows
// them no link). A brand is named by its slug.

type productsPage struct {
	Brand    string
	Products []issuer.Product
	More     bool
}

func (c *Console) products(w http.ResponseWriter, r *http.Request, req *request) {
	page := productsPage{Brand: strings.TrimSpace(r.URL.Query().Get("brand"))}
	if err := c.requireAdmin(req); err != nil {
		c.renderError(w, r, req, err)
		return
	}
	if page.Brand != "" {
		list, err := c.svc.Products(r.Context(), req.p, page.Brand, issuer.PageInput{Limit: ptr(100)})
		if err != nil {
			c.pageError(w, r, req, "Products", "products", page, err)
			return
		}
		page.Products, page.More = list.Data, list.NextCursor != nil
	}
	c.render(w, r, http.StatusOK, "products", c.view(req, "Products", page))
}

// requireAdmin refuses a key without the admin scope before any lookup,
// so that a brand key learns nothing of which brands exist.
func (c *Console) requireAdmin(req *request) error {
	if !req.p.Has(issuer.ScopeAdmin) {
		return issuer.Errorf(issuer.CodeForbidden, "products and their settings need a platform API key with the %s scope", issuer.ScopeAdmin)
	}
	return nil
}

type productPage struct {
	Product issuer.Product
	// Form is what the form shows: the product's settings, or what was
	// typed when the service refused it.
	Form productForm
}

// productForm is the settings form as typed.
type productForm struct {
	Name, DefaultSeats, TokenTTL, FreeInstances, MaxFree, GraceDays, ActivationTTL string
}

func formOf(p issuer.Product) productForm {
	return productForm{
		Name: p.Name, DefaultSeats: strconv.Itoa(p.DefaultSeats), TokenTTL: strconv.Itoa(p.TokenTTLSeconds),
		FreeInstances: strings.Join(p.FreeInstances, "\n"), MaxFree: strconv.Itoa(p.MaxFreeActivations),
		GraceDays: strconv.Itoa(p.GraceDays), ActivationTTL: strconv.Itoa(p.ActivationTTLSeconds),
	}
}

func (c *Console) productPage(w http.ResponseWriter, r *http.Request, req *request) {
	if err := c.requireAdmin(req); err != nil {
		c.renderError(w, r, req, err)
		return
	}
	p, err := c.svc.GetProduct(r.Context(), req.p, r.PathValue("brand"), r.PathValue("product"))
	if err != nil {
		c.renderError(w, r, req, err)
		return
	}
	v := c.view(req, "Product "+p.Slug, productPage{Product: p, Form: formOf(p)})
	v.Notice = notice(r)
	c.render(w, r, http.StatusOK, "product", v)
}

// updateProduct sends the settings that differ from the product's
// current ones (the admin API's PATCH): an unchanged form changes and
// records nothing.
func (c *Console) updateProduct(w http.ResponseWriter, r *http.Request, req *request) {
	if err := c.requireAdmin(req); err != nil {
		c.renderError(w, r, req, err)
		return
	}
	brand, slug := r.PathValue("brand"), r.PathValue("product")
	cur, err := c.svc.GetProduct(r.Context(), req.p, brand, slug)
	if err != nil {
		c.renderError(w, r, req, err)
		return
	}
	form := productForm{
		Name: r.PostFormValue("name"), DefaultSeats: r.PostFormValue("default_seats"), TokenTTL: r.PostFormValue("token_ttl_seconds"),
		FreeInstances: r.PostFormValue("free_instances"), MaxFree: r.PostFormValue("max_free_activations"),
		GraceDays: r.PostFormValue("grace_days"), ActivationTTL: r.PostFormValue("activation_ttl_seconds"),
	}
	in, err := form.patch(cur)
	if err == nil && in == (issuer.ProductPatchInput{}) {
		redirect(w, r, productURL(brand, slug), "unchanged")
		return
	}
	if err == nil {
		_, err = c.svc.UpdateProduct(r.Context(), req.p, req.origin, brand, slug, in)
	}
	if err == nil {
		redirect(w, r, productURL(brand, slug), "updated")
		return
	}
	c.pageError(w, r, req, "Product "+cur.Slug, "product", productPage{Product: cur, Form: form}, err)
}

func productURL(brand, product string) string {
	return Prefix + "/brands/" + brand + "/products/" + product
}

// patch is the PATCH body of what differs from cur. A number that does
// not parse is a validation failure with the API's field name.
func (f productForm) patch(cur issuer.Product) (issuer.ProductPatchInput, error) {
	var in issuer.ProductPatchInput
	var fields []issuer.FieldError
	num := func(field, s string, now int) *int {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fields = append(fields, issuer.FieldError{Field: field, Message: "must be a whole number"})
			return nil
		}
		if n == now {
			return nil
		}
		return &n
	}
	if name := strings.TrimSpace(f.Name); name != cur.Name {
		in.Name = &name
	}
	in.DefaultSeats = num("default_seats", f.DefaultSeats, cur.DefaultSeats)
	in.TokenTTLSeconds = num("token_ttl_seconds", f.TokenTTL, cur.TokenTTLSeconds)
	in.MaxFreeActivations = num("max_free_activations", f.MaxFree, cur.MaxFreeActivations)
	in.GraceDays = num("grace_days", f.GraceDays, cur.GraceDays)
	in.ActivationTTLSeconds = num("activation_ttl_seconds", f.ActivationTTL, cur.ActivationTTLSeconds)
	free := []string{}
	for _, line := range strings.FieldsFunc(f.FreeInstances, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if line = strings.TrimSpace(line); line != "" {
			free = append(free, line)
		}
	}
	if !slices.Equal(free, cur.FreeInstances) {
		in.FreeInstances = &free
	}
	if len(fields) > 0 {
		return in, &issuer.Error{Code: issuer.CodeValidationFailed, Detail: "the request has invalid fields", Fields: fields}
	}
	return in, nil
}

// Template helpers.

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// humanSeconds writes a duration in seconds as a person reads it.
func humanSeconds(n int) string {
	if n == 0 {
		return "never"
	}
	d := time.Duration(n) * time.Second
	switch {
	case d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	}
	return plural(n, "second")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func joinLines(s []string) string { return strings.Join(s, ", ") }
