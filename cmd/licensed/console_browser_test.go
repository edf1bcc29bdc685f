package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleInBrowser drives the web console in headless Chromium against
// the real server, as a support person on a "my license stopped working"
// call would: sign in with the brand's API key, look the customer up,
// open the license, suspend it with a reason and read the audit event,
// free a seat, renew, and sign out; a form stripped of its CSRF token is
// refused, another brand's license id in the URL is a 404, and the
// license page fits a phone screen. Screenshots of each step are saved in
// $LICENSED_TEST_ARTIFACTS/console (default: licensed-test-artifacts under
// the system's temporary directory), which the test logs.
func TestConsoleInBrowser(t *testing.T) {
	var missing []string
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath)
	}
	requireServices(t, "the console browser test", missing)
	env := backends[0].env(t)
	s := serve(t, env)
	acme := newTenant(t, env, "acme", 2)
	beta := newTenant(t, env, "beta", 1)
	exp := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	r := s.call(t, "POST", "/v1/licenses", acme.writeKey, map[string]any{
		"customer_email": "jane@example.com", "product": "acme-pro", "expires_at": exp.Format(time.RFC3339),
	})
	expect(t, r, http.StatusCreated, "")
	licenseID, key := r.str("license", "id"), r.str("license_key")
	for _, site := range []string{"shop.example.org", "blog.example.org"} {
		expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "acme/acme-pro", "instance": site}), http.StatusCreated, "")
	}
	r = s.call(t, "POST", "/v1/licenses", beta.writeKey, map[string]any{"customer_email": "bob@example.com", "product": "beta-pro"})
	expect(t, r, http.StatusCreated, "")
	betaLicense := r.str("license", "id")

	p := openBrowser(t, "console")
	ctx, shot, run := p.ctx, p.shot, p.run
	// waitFor polls a JavaScript condition until it holds: across the
	// navigation a form submission starts, when evaluating may fail.
	waitFor := func(what, cond string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
				`(() => { try { return document.readyState === "complete" && !!(`+cond+`) } catch (e) { return false } })()`))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				shot("failed-" + strings.ReplaceAll(what, " ", "-"))
				t.Fatalf("%s: %s never held (last error %v)", what, cond, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	text := p.text
	base := s.URL() + "/console"
	licensePath := "/console/licenses/" + licenseID

	// Any console page sends a signed-out browser to the sign-in form.
	run("open the console", chromedp.Navigate(base+"/licenses/"+licenseID), chromedp.WaitVisible(chromedp.CSS("#api_key")))
	waitFor("sign-in page", `location.pathname === "/console/login"`)
	// The stylesheet loads under the Content-Security-Policy.
	waitFor("stylesheet applied", `getComputedStyle(document.body).backgroundColor === "rgb(245, 246, 248)"`)
	shot("01-sign-in")
	run("sign in",
		chromedp.SendKeys(chromedp.CSS("#api_key"), acme.writeKey),
		chromedp.Click(chromedp.CSS("#sign-in")),
	)
	waitFor("signed in", `document.querySelector("#email") !== null`)

	run("look up the customer",
		chromedp.SendKeys(chromedp.CSS("#email"), "jane@example.com"),
		chromedp.Click(chromedp.CSS("#search")),
	)
	waitFor("search results", `document.querySelector("a.license-link") !== null`)
	if got := text("table.list tbody tr"); !strings.Contains(got, "acme-pro") || !strings.Contains(got, "2 / 2") {
		t.Fatalf("search result %q", got)
	}
	shot("02-customer-lookup")

	run("open the license", chromedp.Click(chromedp.CSS("a.license-link")))
	waitFor("license page", `location.pathname === "`+licensePath+`" && document.querySelector("#status") !== null`)
	if got := text("#status"); got != "active" {
		t.Fatalf("status %q", got)
	}
	if got := text("#seats"); got != "2 of 2 in use" {
		t.Fatalf("seats %q", got)
	}
	shot("03-license")

	run("suspend with a reason",
		chromedp.SendKeys(chromedp.CSS("#reason"), "chargeback opened"),
		chromedp.Click(chromedp.CSS("#suspend")),
	)
	waitFor("suspended", `location.search === "?done=suspended"`)
	if got := text("#status"); got != "suspended" {
		t.Fatalf("status after suspend %q", got)
	}
	if got := text("#audit tbody tr"); !strings.Contains(got, "license.suspended") || !strings.Contains(got, "chargeback opened") || !strings.Contains(got, "(you)") {
		t.Fatalf("newest audit event %q", got)
	}
	shot("04-suspended-audit-event")
	ev := s.call(t, "GET", "/v1/audit-events?license_id="+licenseID, acme.readKey, nil)
	first, _ := ev.get("data").([]any)
	if len(first) == 0 || first[0].(map[string]any)["action"] != "license.suspended" ||
		first[0].(map[string]any)["data"].(map[string]any)["reason"] != "chargeback opened" {
		t.Fatalf("the API's audit trail after the console's suspend: %s", ev.raw)
	}

	run("free a seat", chromedp.Click(chromedp.CSS("#activations button.release")))
	waitFor("seat freed", `location.search === "?done=released"`)
	if got := text("#seats"); got != "1 of 2 in use" {
		t.Fatalf("seats after freeing one %q", got)
	}
	shot("05-seat-freed")

	run("renew",
		chromedp.SetValue(chromedp.CSS("#extend_by_days"), "30"),
		chromedp.Click(chromedp.CSS("#renew")),
	)
	waitFor("renewed", `location.search === "?done=renewed"`)
	want := exp.Add(30 * 24 * time.Hour).Format(time.RFC3339)
	if got := text("#expires"); got != want {
		t.Fatalf("expiry after renewing by 30 days %q, want %q", got, want)
	}
	shot("06-renewed")

	// The renew form without its CSRF token (removed from the page, as a
	// forged form would lack it) is refused and changes nothing.
	run("strip the CSRF token", chromedp.Evaluate[chromedp.Void](`document.querySelector("#renew-form input[name=csrf]").remove()`))
	run("send the form without it", chromedp.Click(chromedp.CSS("#renew")))
	waitFor("refused", `document.querySelector(".error code") !== null`)
	if got := text(".error"); !strings.Contains(got, "CSRF") || !strings.Contains(got, "forbidden") {
		t.Fatalf("the form without its token: %q", got)
	}
	shot("07-csrf-refused")
	if got := s.call(t, "GET", "/v1/licenses/"+licenseID, acme.readKey, nil).str("expires_at"); got != want {
		t.Fatalf("expiry after the refused form %q, want %q", got, want)
	}

	// Another brand's license, by its id in the URL: not found, like an
	// unknown id.
	run("open another brand's license", chromedp.Navigate(base+"/licenses/"+betaLicense))
	waitFor("not found", `document.querySelector(".error code") !== null`)
	if got := text(".error"); !strings.Contains(got, "not_found") || strings.Contains(got, "bob@") {
		t.Fatalf("another brand's license: %q", got)
	}
	shot("08-other-brand-not-found")

	// A phone: the license page fits its width without scrolling sideways.
	run("phone width",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/licenses/"+licenseID),
	)
	waitFor("license page on a phone", `document.querySelector("#status") !== null`)
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Fatalf("the license page is %d px wide on a 390 px screen (%v)", width, err)
	}
	shot("09-phone-license")
	run("desktop width", chromedp.EmulateViewport(1280, 900))

	run("sign out", chromedp.Click(chromedp.CSS("#sign-out")))
	waitFor("signed out", `location.pathname === "/console/login" && document.querySelector(".notice") !== null`)
	if got := text(".notice"); got != "You are signed out." {
		t.Fatalf("after sign-out %q", got)
	}
	shot("10-signed-out")
	run("the license after signing out", chromedp.Navigate(base+"/licenses/"+licenseID))
	waitFor("back to sign-in", `location.pathname === "/console/login"`)
}

// TestConsoleSwitch: the console is on by default, with a plain cookie on
// a loopback address with an http:// issuer (development) and a Secure,
// __Host- cookie once the issuer is https:// (behind a TLS proxy);
// LICENSED_CONSOLE=off leaves /console unrouted; any other value is a
// configuration error.
func TestConsoleSwitch(t *testing.T) {
	get := func(s *testServer) *http.Response {
		t.Helper()
		res, err := http.Get(s.URL() + "/console/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	env := backends[0].env(t)
	res := get(serve(t, env))
	if res.StatusCode != http.StatusOK || len(res.Cookies()) != 1 {
		t.Fatalf("default: %d %v", res.StatusCode, res.Header["Set-Cookie"])
	}
	if ck := res.Cookies()[0]; ck.Name != "licensed_console" || ck.Secure || !ck.HttpOnly {
		t.Fatalf("loopback http cookie: %s", res.Header.Get("Set-Cookie"))
	}

	env = backends[0].env(t)
	env["LICENSED_ISSUER"] = "https://licenses.example.com"
	res = get(serve(t, env))
	if ck := res.Cookies()[0]; ck.Name != "__Host-licensed_console" || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
		t.Fatalf("https issuer cookie: %s", res.Header.Get("Set-Cookie"))
	}

	env = backends[0].env(t)
	env["LICENSED_CONSOLE"] = "off"
	if res := get(serve(t, env)); res.StatusCode != http.StatusNotFound || len(res.Cookies()) != 0 {
		t.Fatalf("LICENSED_CONSOLE=off: %d", res.StatusCode)
	}

	env = backends[0].env(t)
	env["LICENSED_CONSOLE"] = "yes"
	_, errOut, err := cli(t, env, "serve", "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error()+errOut, "LICENSED_CONSOLE") {
		t.Fatalf("LICENSED_CONSOLE=yes: %v %s", err, errOut)
	}
}
