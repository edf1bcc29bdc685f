package console_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/store/storetest"
)

const wantCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// TestCookieFlags: the session cookie is HttpOnly, SameSite=Strict, Path=/,
// Secure and __Host- prefixed when the console is not plain-HTTP loopback;
// its value is sealed (the API key cannot be read from it); sign-in
// replaces the anonymous session (and its CSRF token) with a new one.
func TestCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		f := newFixture(t, backends[0].open(t, nil), options{secure: secure})
		c := f.client(t, secure)
		login := c.get("/console/login")
		anonCSRF := c.csrf
		p := c.signIn(f.acme.writeKey)
		ck := p.setCookie
		if ck == nil {
			t.Fatalf("secure=%v: sign-in set no session cookie: %v", secure, p.header["Set-Cookie"])
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" || ck.Secure != secure {
			t.Fatalf("secure=%v: cookie %s", secure, p.header.Get("Set-Cookie"))
		}
		if ck.MaxAge <= 0 || ck.MaxAge > int((15*time.Minute).Seconds()) {
			t.Fatalf("cookie Max-Age %d, want the idle timeout at most", ck.MaxAge)
		}
		if login.setCookie == nil || login.setCookie.Secure != secure {
			t.Fatalf("the sign-in page's anonymous session cookie: %v", login.header["Set-Cookie"])
		}
		if len(p.header["Set-Cookie"]) != 1 {
			t.Fatalf("sign-in sets %d cookies, want the session alone: %v", len(p.header["Set-Cookie"]), p.header["Set-Cookie"])
		}
		raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
		secret := f.acme.writeKey[strings.LastIndex(f.acme.writeKey, "_")+1:]
		if err != nil || strings.Contains(string(raw), secret) || strings.Contains(ck.Value, secret) || strings.Contains(string(raw), "lk_") {
			t.Fatalf("the cookie shows the API key: %q", raw)
		}
		home := c.get("/console")
		want(t, home, http.StatusOK, "Find a customer")
		if c.csrf == anonCSRF {
			t.Fatal("the signed-in session kept the anonymous session's CSRF token")
		}
	}
}

// TestSecurityHeaders: every console answer (pages, errors, redirects,
// the stylesheet) carries the CSP and the other headers; pages are not
// cached; no page has inline script or style.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, backends[0].open(t, nil), options{})
	c := f.client(t, false)
	check := func(what string, p page, cache string) {
		t.Helper()
		h := p.header
		if h.Get("Content-Security-Policy") != wantCSP || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != cache {
			t.Fatalf("%s: headers %v", what, h)
		}
		for _, bad := range []string{"<script", " style=", "<style", "javascript:", " onclick="} {
			if strings.Contains(strings.ToLower(p.body), bad) {
				t.Fatalf("%s: the page has %q", what, bad)
			}
		}
	}
	check("sign-in page", c.get("/console/login"), "no-store")
	check("redirect to sign-in", c.get("/console/licenses/"+f.acme.licenseID), "no-store")
	c.signIn(f.acme.writeKey)
	check("home", c.get("/console"), "no-store")
	lp := c.get("/console/licenses/" + f.acme.licenseID)
	want(t, lp, http.StatusOK, f.acme.email)
	check("license", lp, "no-store")
	check("404", c.get("/console/nope"), "no-store")
	css := c.get(strings.Split(strings.Split(lp.body, `rel="stylesheet" href="`)[1], `"`)[0])
	want(t, css, http.StatusOK, ".card")
	if css.header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("stylesheet Content-Type %q", css.header.Get("Content-Type"))
	}
	check("stylesheet", css, "public, max-age=31536000, immutable")
	if !strings.Contains(lp.body, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
		t.Fatal("no viewport meta: the console would not fit a phone")
	}
}

// TestCSRF: a form without the session's token, with a wrong one, with
// another session's, or started by another site (Sec-Fetch-Site) is
// refused with 403 and changes nothing; sign-in needs its token too.
func TestCSRF(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		other := f.client(t, false)
		other.signIn(f.acme.writeKey)
		other.get("/console")
		c := f.client(t, false)
		c.get("/console/login")
		want(t, c.post("/console/login", url.Values{"api_key": {f.acme.writeKey}, "csrf": {""}}), http.StatusForbidden, "CSRF")
		want(t, c.post("/console/login", url.Values{"api_key": {f.acme.writeKey}, "csrf": {"x" + c.csrf}}), http.StatusForbidden, "CSRF")
		c.signIn(f.acme.writeKey)
		c.get("/console")
		suspend := "/console/licenses/" + f.acme.licenseID + "/suspend"
		for name, form := range map[string]url.Values{
			"no token":              {"reason": {"x"}, "csrf": {""}},
			"wrong token":           {"reason": {"x"}, "csrf": {c.csrf[:len(c.csrf)-2] + "AA"}},
			"another session token": {"reason": {"x"}, "csrf": {other.csrf}},
		} {
			p := c.post(suspend, form)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "CSRF") {
				t.Fatalf("%s: %d %s", name, p.status, p.body)
			}
		}
		want(t, c.post(suspend, url.Values{"reason": {"x"}}, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "CSRF")
		want(t, c.post("/console/logout", url.Values{"csrf": {""}}), http.StatusForbidden, "CSRF")
		if l := f.license(t, f.acme); l.Status != "active" {
			t.Fatalf("a refused form changed the license: %s", l.Status)
		}
		// The same form with its token goes through.
		p := c.post(suspend, url.Values{"reason": {"chargeback"}}, "Sec-Fetch-Site", "same-origin")
		if p.status != http.StatusSeeOther {
			t.Fatalf("suspend with the token: %d %s", p.status, p.body)
		}
		if l := f.license(t, f.acme); l.Status != "suspended" {
			t.Fatalf("status %s after suspend", l.Status)
		}
	})
}

// TestBrandIsolation: a brand's key never sees or changes another brand's
// license, even by its id in the URL: the answer is the 404 of an unknown
// id, not a 403 that would confirm the license exists.
func TestBrandIsolation(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c := f.client(t, false)
		c.signIn(f.acme.writeKey)
		c.get("/console")
		unknown := c.get("/console/licenses/0190f5c2-7a4b-7cc3-8d5e-3a3b2c1d0e0f")
		want(t, unknown, http.StatusNotFound, "not_found")
		beta := "/console/licenses/" + f.beta.licenseID
		for name, p := range map[string]page{
			"license page": c.get(beta),
			"cancel page":  c.get(beta + "/cancel"),
			"suspend":      c.post(beta+"/suspend", url.Values{"reason": {"x"}}),
			"resume":       c.post(beta+"/resume", nil),
			"renew":        c.post(beta+"/renew", url.Values{"extend_by_days": {"30"}}),
			"cancel":       c.post(beta+"/cancel", url.Values{"confirm": {"yes"}}),
			"free a seat":  c.post(beta+"/activations/"+f.beta.activation+"/release", nil),
			"free another brand's seat through an own license": c.post(
				"/console/licenses/"+f.acme.licenseID+"/activations/"+f.beta.activation+"/release", nil),
		} {
			want(t, p, http.StatusNotFound, "not_found")
			if strings.Contains(p.body, f.beta.email) || strings.Contains(p.body, "beta") {
				t.Fatalf("%s: the 404 names the other brand's license: %s", name, p.body)
			}
		}
		l := f.license(t, f.beta)
		if l.Status != "active" || l.SeatsUsed != 1 || *l.ExpiresAt != *f.license(t, f.beta).ExpiresAt {
			t.Fatalf("another brand's key changed beta's license: %+v", l)
		}
		// Search by the other brand's customer finds nothing for a brand
		// key with licenses:read.
		res := c.post("/console/search", url.Values{"email": {f.beta.email}})
		want(t, res, http.StatusOK, "No license for this email")
		if strings.Contains(res.body, f.beta.licenseID) {
			t.Fatal("search shows another brand's license")
		}
		// Products are for admin keys: a brand key is refused, whatever
		// brand it names.
		want(t, c.get("/console/products?brand=beta"), http.StatusForbidden, "admin")
		want(t, c.get("/console/brands/acme/products/acme-pro"), http.StatusForbidden, "admin")
		if strings.Contains(c.get("/console").body, "/console/products") {
			t.Fatal("a brand key is shown the products link")
		}
	})
}

// TestSessionTampering: a cookie altered anywhere, one sealed under
// another master key, or one past its idle time or lifetime, is no
// session: back to sign-in, nothing served.
func TestSessionTampering(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st := backends[0].open(t, nil)
	f := newFixture(t, st, options{now: clock})
	c := f.client(t, false)
	c.signIn(f.acme.writeKey)
	good := c.cookie
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	for _, i := range []int{0, 3, len(raw) / 2, len(raw) - 1} {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x01
		c.cookie = base64.RawURLEncoding.EncodeToString(bad)
		p := c.get("/console/licenses/" + f.acme.licenseID)
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/console/login") || strings.Contains(p.body, f.acme.email) {
			t.Fatalf("byte %d flipped: %d %q", i, p.status, p.location())
		}
	}
	for name, v := range map[string]string{"not base64": "!!!", "empty": "", "truncated": good[:20]} {
		c.cookie = v
		if p := c.get("/console"); p.status != http.StatusSeeOther {
			t.Fatalf("%s cookie: %d", name, p.status)
		}
	}
	// A console of another deployment (another master key) seals
	// sessions this one does not open.
	f2 := newFixture(t, backends[0].open(t, nil), options{})
	c2 := f2.client(t, false)
	c2.signIn(f2.acme.writeKey)
	c.cookie = c2.cookie
	if p := c.get("/console"); p.status != http.StatusSeeOther {
		t.Fatalf("another deployment's session: %d", p.status)
	}

	// Idle expiry: 14 minutes away keep the session (and move it on), 15
	// end it.
	c.cookie = good
	advance(14 * time.Minute)
	want(t, c.get("/console"), http.StatusOK, "Find a customer")
	advance(14 * time.Minute)
	want(t, c.get("/console"), http.StatusOK, "Find a customer")
	advance(15 * time.Minute)
	p := c.get("/console")
	if p.status != http.StatusSeeOther || p.location() != "/console/login?done=expired" {
		t.Fatalf("after 15 idle minutes: %d %q", p.status, p.location())
	}
	// A form sent after the session idled out changes nothing and goes
	// to sign-in.
	c.signIn(f.acme.writeKey)
	c.get("/console")
	advance(16 * time.Minute)
	p = c.post("/console/licenses/"+f.acme.licenseID+"/suspend", url.Values{"reason": {"late"}})
	if p.status != http.StatusSeeOther || p.location() != "/console/login?done=expired" {
		t.Fatalf("a form of an expired session: %d %q", p.status, p.location())
	}
	if l := f.license(t, f.acme); l.Status != "active" {
		t.Fatalf("an expired session's form changed the license: %s", l.Status)
	}
	// A sign-in form left open past the idle time is served again, with
	// a new token, and then works.
	c.get("/console/login")
	advance(16 * time.Minute)
	want(t, c.post("/console/login", url.Values{"api_key": {f.acme.writeKey}}), http.StatusForbidden, "CSRF", `id="api_key"`)
	if p := c.post("/console/login", url.Values{"api_key": {f.acme.writeKey}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in on the form served again: %d %s", p.status, p.body)
	}

	// Lifetime: a session in use all along still ends after 8 hours.
	c.cookie = ""
	c.signIn(f.acme.writeKey)
	for i := 1; i <= 8*6; i++ {
		advance(10 * time.Minute)
		if p := c.get("/console"); p.status != http.StatusOK {
			if p.location() != "/console/login?done=expired" || i != 8*6 {
				t.Fatalf("ended after %d minutes with %d %q", i*10, p.status, p.location())
			}
			return
		}
	}
	t.Fatal("a session in use lasted past 8 hours")
}

// TestRevokedKeyEndsSession: the key is authenticated again on every
// request, so revoking it ends its sessions at the next click.
func TestRevokedKeyEndsSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c := f.client(t, false)
		c.signIn(f.acme.writeKey)
		want(t, c.get("/console/licenses/"+f.acme.licenseID), http.StatusOK, f.acme.email)
		p, err := f.svc.Authenticate(context.Background(), f.acme.writeKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RevokeAPIKey(context.Background(), issuer.AdminActor, issuer.Origin{}, p.KeyID); err != nil {
			t.Fatal(err)
		}
		kept := c.cookie
		r := c.get("/console/licenses/" + f.acme.licenseID)
		if r.status != http.StatusSeeOther || r.location() != "/console/login?done=ended" || r.setCookie == nil || r.setCookie.MaxAge >= 0 {
			t.Fatalf("after revocation: %d %q %v", r.status, r.location(), r.header["Set-Cookie"])
		}
		// The cookie replayed (kept from before) serves nothing either.
		c.cookie = kept
		want(t, c.post("/console/licenses/"+f.acme.licenseID+"/suspend", url.Values{"reason": {"x"}}), http.StatusSeeOther)
		if l := f.license(t, f.acme); l.Status != "active" {
			t.Fatalf("a revoked key's session suspended the license")
		}
		want(t, c.get("/console/login?done=ended"), http.StatusOK, "no longer valid")
	})
}

// TestSignIn: wrong keys are refused with the API's code and count as
// failed attempts of the client IP, which the API's authfail limit then
// refuses (429) before any key is checked; sign-out forgets the session.
func TestSignIn(t *testing.T) {
	f := newFixture(t, backends[0].open(t, nil), options{limits: limits(t, "authfail=1:3")})
	c := f.client(t, false)
	c.get("/console/login")
	for range 3 {
		want(t, c.post("/console/login", url.Values{"api_key": {"lk_nope_nope"}}), http.StatusUnauthorized, "unauthorized", "not valid")
	}
	p := c.post("/console/login", url.Values{"api_key": {f.acme.writeKey}})
	want(t, p, http.StatusTooManyRequests, "rate_limited")
	if p.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}

	f = newFixture(t, backends[0].open(t, nil), options{})
	c = f.client(t, false)
	c.get("/console/login")
	k, err := f.svc.CreateAPIKey(context.Background(), issuer.AdminActor, issuer.Origin{},
		issuer.APIKeyInput{Brand: ptr("acme"), Name: "writer", Scopes: []string{issuer.ScopeLicensesWrite}})
	if err != nil {
		t.Fatal(err)
	}
	want(t, c.post("/console/login", url.Values{"api_key": {k.Key}}), http.StatusForbidden, "forbidden", "licenses:read")
	c.signIn(f.acme.readKey)
	want(t, c.get("/console/login"), http.StatusSeeOther)
	c.get("/console")
	out := c.post("/console/logout", nil)
	if out.status != http.StatusSeeOther || out.location() != "/console/login?done=signed_out" || out.setCookie == nil || out.setCookie.MaxAge >= 0 {
		t.Fatalf("sign out: %d %q %v", out.status, out.location(), out.header["Set-Cookie"])
	}
	if p := c.get("/console"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/console/login") {
		t.Fatalf("after sign-out: %d", p.status)
	}
}

// TestOutage: with the database unreachable, a page is a 503 with
// Retry-After (never a 500), and the session survives it.
func TestOutage(t *testing.T) {
	var proxy *storetest.Proxy
	st := backends[1].open(t, func(u string) string {
		proxy = storetest.StartProxy(t, u)
		return proxy.URL()
	})
	f := newFixture(t, st, options{})
	c := f.client(t, false)
	c.signIn(f.acme.writeKey)
	proxy.Cut()
	p := c.get("/console/licenses/" + f.acme.licenseID)
	want(t, p, http.StatusServiceUnavailable, "unavailable", "try again")
	if p.header.Get("Retry-After") == "" || p.header.Get("Content-Security-Policy") != wantCSP {
		t.Fatalf("503 headers: %v", p.header)
	}
	want(t, c.post("/console/search", url.Values{"email": {f.acme.email}}), http.StatusServiceUnavailable, "unavailable")
	proxy.Restore()
	want(t, c.get("/console/licenses/"+f.acme.licenseID), http.StatusOK, f.acme.email)
}
