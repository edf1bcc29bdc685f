package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/licensedhq/licensed/issuer"
)

// TestSupportFlow: look a customer up, open the license, suspend it with
// a reason (the audit trail shows it, by "you"), resume, renew, free a
// seat, cancel through its confirmation step; refusals of the service show
// its code and status on the page. Every change is made by the service as
// the API makes it: the audit events name the key.
func TestSupportFlow(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c := f.client(t, false)
		c.signIn(f.acme.writeKey)
		c.get("/console")
		res := c.post("/console/search", url.Values{"email": {f.acme.email}})
		want(t, res, http.StatusOK, "Licenses of "+f.acme.email, `href="/console/licenses/`+f.acme.licenseID+`"`, "acme-pro")
		base := "/console/licenses/" + f.acme.licenseID
		lp := c.get(base)
		want(t, lp, http.StatusOK, f.acme.email, "1 of 2 in use", "shop.acme.org", "license.provisioned", "license.activated", f.acme.licenseKey)

		// Suspend needs a reason in the console.
		want(t, c.post(base+"/suspend", url.Values{"reason": {" "}}), http.StatusUnprocessableEntity, "validation_failed", "reason")
		p := c.post(base+"/suspend", url.Values{"reason": {"chargeback opened"}})
		if p.status != http.StatusSeeOther || p.location() != base+"?done=suspended" {
			t.Fatalf("suspend: %d %q %s", p.status, p.location(), p.body)
		}
		lp = c.get(p.location())
		want(t, lp, http.StatusOK, "The license is suspended.", `id="status">suspended`, "license.suspended", "“chargeback opened” · status: active → suspended", "(you)")
		// Suspending again is the API's invalid_transition, 409, on the
		// license page.
		want(t, c.post(base+"/suspend", url.Values{"reason": {"again"}}), http.StatusConflict, "invalid_transition", "cannot suspend a license that is suspended", f.acme.email)
		want(t, c.post(base+"/resume", nil), http.StatusSeeOther)

		// Free the seat.
		want(t, c.post(base+"/activations/"+f.acme.activation+"/release", nil), http.StatusSeeOther)
		lp = c.get(base + "?done=released")
		want(t, lp, http.StatusOK, "The seat is free.", "0 of 2 in use", "No seat is in use.", "license.deactivated")
		want(t, c.post(base+"/activations/"+f.acme.activation+"/release", nil), http.StatusNotFound, "not_found")

		// Renew by days, then with a bad number of days.
		before := *f.license(t, f.acme).ExpiresAt
		want(t, c.post(base+"/renew", url.Values{"extend_by_days": {"365"}}), http.StatusSeeOther)
		after := *f.license(t, f.acme).ExpiresAt
		if after <= before {
			t.Fatalf("renewed: expiry %s, was %s", after, before)
		}
		want(t, c.get(base), http.StatusOK, after, "license.renewed", "expires_at: "+before+" → "+after)
		want(t, c.post(base+"/renew", url.Values{"extend_by_days": {"0"}}), http.StatusUnprocessableEntity, "extend_by_days")
		// A date wins over the days the form also sends.
		want(t, c.post(base+"/renew", url.Values{"extend_by_days": {"365"}, "expires_on": {"2099-01-31"}}), http.StatusSeeOther)
		if got := *f.license(t, f.acme).ExpiresAt; got != "2099-01-31T00:00:00Z" {
			t.Fatalf("renewed to a date: %s", got)
		}
		want(t, c.post(base+"/renew", url.Values{"expires_on": {"2000-01-01"}}), http.StatusUnprocessableEntity, "expires_at", "later than the current expiry")
		want(t, c.post(base+"/renew", url.Values{"expires_on": {"31/01/2099"}}), http.StatusUnprocessableEntity, "expires_at")

		// Cancel only through its confirmation page.
		want(t, c.get(base+"/cancel"), http.StatusOK, "Cancel the license for good", `name="confirm" value="yes"`)
		want(t, c.post(base+"/cancel", url.Values{"reason": {"refund"}}), http.StatusUnprocessableEntity, "confirmed")
		if l := f.license(t, f.acme); l.Status != "active" {
			t.Fatalf("an unconfirmed cancel changed the license: %s", l.Status)
		}
		want(t, c.post(base+"/cancel", url.Values{"reason": {"refund"}, "confirm": {"yes"}}), http.StatusSeeOther)
		lp = c.get(base)
		want(t, lp, http.StatusOK, `id="status">cancelled`, "license.cancelled", "“refund”")
		if strings.Contains(lp.body, `id="suspend"`) || strings.Contains(lp.body, `id="cancel-link"`) || strings.Contains(lp.body, `id="renew"`) {
			t.Fatal("a cancelled license still offers actions")
		}

		// The audit trail, as the API serves it, names the console's key.
		p0, _ := f.svc.Authenticate(context.Background(), f.acme.readKey)
		events, err := f.svc.AuditEvents(context.Background(), p0, f.acme.licenseID, issuer.PageInput{})
		if err != nil {
			t.Fatal(err)
		}
		writer, _ := f.svc.Authenticate(context.Background(), f.acme.writeKey)
		var actions []string
		for _, e := range events.Data {
			if e.Actor.ID == writer.KeyID && e.Actor.Type == "api_key" && e.RequestID != "" && e.IP == "127.0.0.1" {
				actions = append(actions, e.Action)
			}
		}
		if strings.Join(actions, ",") != "license.cancelled,license.renewed,license.renewed,license.deactivated,license.resumed,license.suspended" {
			t.Fatalf("audit events of the console's key: %v", actions)
		}

		// A read-only key sees the license and no action.
		r := f.client(t, false)
		r.signIn(f.acme.readKey)
		rp := r.get(base)
		want(t, rp, http.StatusOK, f.acme.email)
		if strings.Contains(rp.body, "/suspend") || strings.Contains(rp.body, "/release") {
			t.Fatal("a read-only key is shown actions")
		}
		want(t, r.post(base+"/resume", nil), http.StatusForbidden, "forbidden", "licenses:write")
	})
}

// TestProducts: a platform admin key lists a brand's products and changes
// their settings through the admin service methods; a bad value is the
// API's validation failure, with what was typed kept.
func TestProducts(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c := f.client(t, false)
		c.signIn(f.admin)
		home := c.get("/console")
		want(t, home, http.StatusOK, `href="/console/products"`, "Show products")
		want(t, c.get("/console/products?brand=acme"), http.StatusOK, "Products of acme", "acme-pro", "7 days", "never")
		want(t, c.get("/console/products?brand=nosuch"), http.StatusNotFound, "not_found")
		edit := "/console/brands/acme/products/acme-pro"
		want(t, c.get(edit), http.StatusOK, `name="token_ttl_seconds"`, `value="604800"`)
		form := url.Values{
			"name": {"Pro"}, "default_seats": {"3"}, "token_ttl_seconds": {"3600"}, "free_instances": {"staging.*\r\n*.test"},
			"max_free_activations": {"3"}, "grace_days": {"7"}, "activation_ttl_seconds": {"0"},
		}
		p := c.post(edit, form)
		if p.status != http.StatusSeeOther || p.location() != edit+"?done=updated" {
			t.Fatalf("update: %d %q %s", p.status, p.location(), p.body)
		}
		got, err := f.svc.GetProduct(context.Background(), issuer.AdminActor, "acme", "acme-pro")
		if err != nil {
			t.Fatal(err)
		}
		if got.DefaultSeats != 3 || got.TokenTTLSeconds != 3600 || got.GraceDays != 7 || strings.Join(got.FreeInstances, " ") != "staging.* *.test" {
			t.Fatalf("product after the form: %+v", got)
		}
		want(t, c.post(edit, form), http.StatusSeeOther)
		want(t, c.get(edit+"?done=unchanged"), http.StatusOK, "Nothing changed.")
		form.Set("grace_days", "91")
		form.Set("default_seats", "many")
		bad := c.post(edit, form)
		want(t, bad, http.StatusUnprocessableEntity, "validation_failed", "default_seats", `value="many"`)
		form.Set("default_seats", "3")
		want(t, c.post(edit, form), http.StatusUnprocessableEntity, "grace_days", "between 0 and 90")

		// A platform key searches every brand, and opens no license (as
		// in the API, licenses belong to brand keys).
		res := c.post("/console/search", url.Values{"email": {f.beta.email}})
		want(t, res, http.StatusOK, "beta-pro", "another brand")
		want(t, c.get("/console/licenses/"+f.beta.licenseID), http.StatusForbidden, "forbidden")

		// An admin-only key has products and no customer search.
		k, err := f.svc.CreateAPIKey(context.Background(), issuer.AdminActor, issuer.Origin{}, issuer.APIKeyInput{Name: "ops2", Scopes: []string{issuer.ScopeAdmin}})
		if err != nil {
			t.Fatal(err)
		}
		a := f.client(t, false)
		a.signIn(k.Key)
		if h := a.get("/console"); h.status != http.StatusOK || strings.Contains(h.body, "Find a customer") || !strings.Contains(h.body, "Show products") {
			t.Fatalf("an admin-only key's home: %d %s", h.status, h.body)
		}
		want(t, a.post("/console/search", url.Values{"email": {f.beta.email}}), http.StatusForbidden, "forbidden")
	})
}
