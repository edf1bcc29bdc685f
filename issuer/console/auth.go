package console

import (
	"net/http"
	"strings"

	"github.com/licensedhq/licensed/issuer"
)

// maxForm bounds a form body: the largest form (product settings) is a
// few hundred bytes.
const maxForm = 64 << 10

// notices are the messages a redirect may ask the next page to show, by
// name: a fixed list, so that a link cannot put words on the page.
var notices = map[string]string{
	"signed_out": "You are signed out.",
	"ended":      "Your session ended: the API key is no longer valid (revoked?). Sign in again with a valid key.",
	"expired":    "Your session expired. Sign in again.",
	"suspended":  "The license is suspended.",
	"resumed":    "The license is active again.",
	"renewed":    "The license is renewed.",
	"cancelled":  "The license is cancelled.",
	"released":   "The seat is free.",
	"updated":    "The product is updated.",
	"unchanged":  "Nothing changed.",
}

func notice(r *http.Request) string { return notices[r.URL.Query().Get("done")] }

func redirect(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		path += "?done=" + done
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

type loginPage struct {
	// Insecure warns that the page came over plain HTTP while the cookie
	// is Secure: the browser would drop it, and sign-in could not work.
	Insecure bool
}

// loginPage shows the sign-in form, with an anonymous session that
// carries its CSRF token (a signed-in visitor goes to the console).
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.headers(w)
	s, ok := c.readSession(r)
	if ok && s.Key != "" {
		redirect(w, r, Prefix, "")
		return
	}
	if !ok {
		s = newSession("", c.now())
		c.writeSession(w, s)
	}
	c.renderLogin(w, r, http.StatusOK, s, nil)
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, s session, err error) {
	v := c.view(&request{sess: s}, "Sign in", loginPage{
		Insecure: c.secure && r.TLS == nil && !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
	})
	v.Notice = notice(r)
	if err != nil {
		v.Error = c.errorOf(r, err)
		status = v.Error.Status
	}
	c.render(w, r, status, "login", v)
}

// login exchanges an API key for a session. A wrong key counts against
// the client IP's failed attempts, as on the API; a key the console has
// nothing to show to (no read scope, not admin) is refused here rather
// than on every page.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	c.headers(w)
	anon, ok := c.readSession(r)
	if !ok {
		// The form idled out (or this browser keeps no cookies): there is
		// no token to check it against. Serve the form again, with a new
		// anonymous session.
		anon = newSession("", c.now())
		c.writeSession(w, anon)
		c.renderLogin(w, r, 0, anon, errCSRF)
		return
	}
	if crossSite(r) || !c.parseForm(w, r) || !csrfOK(r, anon) {
		c.renderError(w, r, nil, errCSRF)
		return
	}
	if err := c.host.AuthGate(w, r); err != nil {
		c.renderLogin(w, r, 0, anon, err)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("api_key"))
	p, err := c.svc.Authenticate(r.Context(), key)
	if issuer.ErrorCode(err) == issuer.CodeUnauthorized {
		c.host.AuthFailed(r)
		err = issuer.Errorf(issuer.CodeUnauthorized, "this API key is not valid: check it was copied whole (lk_...) and has not been revoked")
	}
	if err == nil && !p.Has(issuer.ScopeLicensesRead) && !p.Has(issuer.ScopeLicensesReadAll) && !p.Has(issuer.ScopeAdmin) {
		err = issuer.Errorf(issuer.CodeForbidden, "this API key can read nothing the console shows: it needs %s, %s or %s",
			issuer.ScopeLicensesRead, issuer.ScopeLicensesReadAll, issuer.ScopeAdmin)
	}
	if err != nil {
		c.renderLogin(w, r, 0, anon, err)
		return
	}
	// A new session, with a new CSRF token: nothing of the anonymous one
	// (which another person may have seen) carries over.
	c.writeSession(w, newSession(key, c.now()))
	redirect(w, r, Prefix, "")
}

// logout forgets the session in this browser. The cookie is stateless:
// a copy taken before (there is no way to take one but from the
// browser's disk) stays valid until it idles out; revoking the API key
// ends every session of it at once.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, req *request) {
	w.Header().Del("Set-Cookie") // the refresh signedIn may have set
	c.clearSession(w)
	redirect(w, r, Prefix+"/login", "signed_out")
}

var errCSRF = issuer.Errorf(issuer.CodeForbidden,
	"this form did not come from this console session (its CSRF token is missing or wrong, or the session ended): reload the page and try again")

func (c *Console) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm() == nil
}

type signedInFunc func(w http.ResponseWriter, r *http.Request, req *request)

// signedIn runs fn for a request of a valid session whose key still
// authenticates; POSTs must also carry the session's CSRF token. A
// missing or expired session goes to the sign-in page; a key that no
// longer authenticates (revoked) ends the session.
func (c *Console) signedIn(fn signedInFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c.headers(w)
		s, ok := c.readSession(r)
		if !ok || s.Key == "" {
			done := ""
			if _, err := r.Cookie(c.cookieName()); err == nil {
				done = "expired"
				c.clearSession(w)
			}
			// A form sent after the session ended changes nothing: to the
			// sign-in page, like any other request (303: as a GET).
			redirect(w, r, Prefix+"/login", done)
			return
		}
		p, err := c.svc.Authenticate(r.Context(), s.Key)
		if issuer.ErrorCode(err) == issuer.CodeUnauthorized {
			c.clearSession(w)
			redirect(w, r, Prefix+"/login", "ended")
			return
		}
		req := &request{p: p, sess: s, origin: c.host.Origin(r)}
		if err != nil {
			c.renderError(w, r, req, err)
			return
		}
		if r.Method == http.MethodPost && (crossSite(r) || !c.parseForm(w, r) || !csrfOK(r, s)) {
			c.renderError(w, r, req, errCSRF)
			return
		}
		c.touch(w, &req.sess)
		fn(w, r, req)
	}
}
