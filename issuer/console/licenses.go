package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/licensedhq/licensed/issuer"
)

// pageLimit is how many rows a list shows at once.
const pageLimit = 50

type homePage struct {
	Email   string
	Results []result
	Next    string
	// Searched is true once a search ran, to tell "no licenses" apart
	// from "no search yet".
	Searched bool
}

// result is a license found by email. Own is true for the key's own
// brand, whose licenses open; another brand's (licenses:read:all, or a
// platform key) show in the list only, as in the API.
type result struct {
	issuer.License
	Own bool
}

func (c *Console) home(w http.ResponseWriter, r *http.Request, req *request) {
	v := c.view(req, "Customers", homePage{})
	v.Notice = notice(r)
	c.render(w, r, http.StatusOK, "home", v)
}

// search looks a customer up by email (the API's search, US6). It is a
// POST so that the email stays out of URLs, browser history and proxy
// logs.
func (c *Console) search(w http.ResponseWriter, r *http.Request, req *request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	in := issuer.SearchInput{CustomerEmail: email, Limit: ptr(pageLimit)}
	if cur := r.PostFormValue("cursor"); cur != "" {
		in.Cursor = &cur
	}
	page := homePage{Email: email, Searched: true}
	res, err := c.svc.Search(r.Context(), req.p, in)
	if err != nil {
		c.pageError(w, r, req, "Customers", "home", page, err)
		return
	}
	for _, l := range res.Data {
		page.Results = append(page.Results, result{License: l, Own: !req.p.Platform() && l.Brand == req.p.BrandSlug})
	}
	if res.NextCursor != nil {
		page.Next = *res.NextCursor
	}
	c.render(w, r, http.StatusOK, "home", c.view(req, "Customers", page))
}

// pageError shows a refusal of the service on the page the form was on,
// with the API's status; outages, internal errors and not-found are pages
// of their own.
func (c *Console) pageError(w http.ResponseWriter, r *http.Request, req *request, title, name string, page any, err error) {
	switch issuer.ErrorCode(err) {
	case issuer.CodeUnavailable, issuer.CodeInternal, issuer.CodeNotFound:
		c.renderError(w, r, req, err)
		return
	}
	v := c.view(req, title, page)
	v.Error = c.errorOf(r, err)
	c.render(w, r, v.Error.Status, name, v)
}

type licensePage struct {
	License     issuer.License
	Activations []issuer.Activation
	MoreSeats   bool
	Events      []auditRow
	MoreEvents  bool
	CanWrite    bool
	// Reason keeps what was typed when the suspend form is refused.
	Reason string
}

// auditRow is an audit event with what a person reads first pulled out
// of its data.
type auditRow struct {
	issuer.AuditEvent
	You    bool
	Reason string
	Detail string
}

// loadLicense reads everything the license page shows. Another brand's
// license is not found, exactly like an unknown id (the service's own
// rule), so guessing ids tells nothing.
func (c *Console) loadLicense(r *http.Request, req *request, id string) (licensePage, error) {
	ctx := r.Context()
	l, err := c.svc.GetLicense(ctx, req.p, id)
	if err != nil {
		return licensePage{}, err
	}
	acts, err := c.svc.Activations(ctx, req.p, id, issuer.PageInput{Limit: ptr(pageLimit)})
	if err != nil {
		return licensePage{}, err
	}
	events, err := c.svc.AuditEvents(ctx, req.p, id, issuer.PageInput{Limit: ptr(pageLimit)})
	if err != nil {
		return licensePage{}, err
	}
	lp := licensePage{
		License: l, Activations: acts.Data, MoreSeats: acts.NextCursor != nil, MoreEvents: events.NextCursor != nil,
		CanWrite: req.p.Has(issuer.ScopeLicensesWrite),
	}
	for _, e := range events.Data {
		lp.Events = append(lp.Events, auditRowOf(e, req.p.KeyID))
	}
	return lp, nil
}

func auditRowOf(e issuer.AuditEvent, self string) auditRow {
	row := auditRow{AuditEvent: e, You: e.Actor.ID == self}
	var data map[string]any
	if json.Unmarshal(e.Data, &data) != nil {
		return row
	}
	row.Reason, _ = data["reason"].(string)
	var parts []string
	if inst, ok := data["instance"].(string); ok {
		parts = append(parts, "instance "+inst)
	}
	before, _ := data["before"].(map[string]any)
	after, _ := data["after"].(map[string]any)
	for _, k := range []string{"status", "expires_at", "seats"} {
		if b, a := before[k], after[k]; b != nil && a != nil && !jsonEqual(b, a) {
			parts = append(parts, k+": "+str(b)+" → "+str(a))
		}
	}
	row.Detail = strings.Join(parts, "; ")
	return row
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *Console) license(w http.ResponseWriter, r *http.Request, req *request) {
	lp, err := c.loadLicense(r, req, r.PathValue("id"))
	if err != nil {
		c.renderError(w, r, req, err)
		return
	}
	v := c.view(req, "License "+lp.License.Product, lp)
	v.Notice = notice(r)
	c.render(w, r, http.StatusOK, "license", v)
}

// cancelPage is the confirmation step of a cancellation: the license page
// links here, and only the form of this page (confirm=yes) cancels.
func (c *Console) cancelPage(w http.ResponseWriter, r *http.Request, req *request) {
	lp, err := c.loadLicense(r, req, r.PathValue("id"))
	if err != nil {
		c.renderError(w, r, req, err)
		return
	}
	c.render(w, r, http.StatusOK, "cancel", c.view(req, "Cancel license", lp))
}

var errConfirm = issuer.Errorf(issuer.CodeValidationFailed, "a cancellation must be confirmed on its own page: nothing was changed")

// lifecycle runs suspend, resume, renew or cancel with the same service
// methods as the API, then shows the license again (Post/Redirect/Get);
// a refusal shows the license page with the service's message and status.
func (c *Console) lifecycle(w http.ResponseWriter, r *http.Request, req *request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	ctx, o := r.Context(), req.origin
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	var err error
	var done string
	switch action {
	case "suspend":
		// The console asks support staff why: the audit trail is what the
		// next person on the call reads.
		if reason == "" {
			err = &issuer.Error{Code: issuer.CodeValidationFailed, Detail: "say why the license is suspended",
				Fields: []issuer.FieldError{{Field: "reason", Message: "is required in the console"}}}
			break
		}
		_, err = c.svc.Suspend(ctx, req.p, o, id, issuer.ReasonInput{Reason: reason})
		done = "suspended"
	case "resume":
		_, err = c.svc.Resume(ctx, req.p, o, id)
		done = "resumed"
	case "renew":
		_, err = c.svc.Renew(ctx, req.p, o, id, renewInput(r))
		done = "renewed"
	case "cancel":
		if r.PostFormValue("confirm") != "yes" {
			err = errConfirm
			break
		}
		_, err = c.svc.Cancel(ctx, req.p, o, id, issuer.ReasonInput{Reason: reason})
		done = "cancelled"
	default:
		c.renderError(w, r, req, issuer.Errorf(issuer.CodeNotFound, "there is no such page in the console"))
		return
	}
	c.afterChange(w, r, req, id, done, reason, err)
}

// renewInput reads the renew form: a new expiry date (the start of that
// day, UTC) when one is given, else a number of days.
func renewInput(r *http.Request) issuer.RenewInput {
	var in issuer.RenewInput
	if d := strings.TrimSpace(r.PostFormValue("expires_on")); d != "" {
		at := d + "T00:00:00Z"
		in.ExpiresAt = &at
		return in
	}
	if s := strings.TrimSpace(r.PostFormValue("extend_by_days")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1 // out of range: the service says what is allowed
		}
		in.ExtendByDays = &n
	}
	return in
}

func (c *Console) afterChange(w http.ResponseWriter, r *http.Request, req *request, id, done, reason string, err error) {
	if err == nil {
		redirect(w, r, Prefix+"/licenses/"+id, done)
		return
	}
	var e *issuer.Error
	if !errors.As(err, &e) || e.Code == issuer.CodeNotFound {
		c.renderError(w, r, req, err)
		return
	}
	lp, lerr := c.loadLicense(r, req, id)
	if lerr != nil {
		c.renderError(w, r, req, lerr)
		return
	}
	lp.Reason = reason
	c.pageError(w, r, req, "License "+lp.License.Product, "license", lp, err)
}

// release frees a seat (the brand API's DELETE of an activation).
func (c *Console) release(w http.ResponseWriter, r *http.Request, req *request) {
	id := r.PathValue("id")
	err := c.svc.ReleaseActivation(r.Context(), req.p, req.origin, id, r.PathValue("activation"))
	c.afterChange(w, r, req, id, "released", "", err)
}

func ptr[T any](v T) *T { return &v }
