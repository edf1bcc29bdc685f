package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/licensedhq/licensed/store/storetest"
)

// TestWordPressPlugin drives the example plugin in a real WordPress with a
// real browser against the real licensed server: a customer logs in,
// pastes a provisioned key on the plugin's license page and clicks
// Activate (the page says Active); the brand suspends the license through
// the brand API, WP-Cron runs the plugin's refresh, and the admin sees the
// suspended notice; the customer frees the seat from the page, and the
// brand API shows it free. Before the suspension, the service is cut off
// during a refresh: the plugin keeps working on its cached token and
// retries with backoff. A screenshot of each step is saved in
// $LICENSED_TEST_ARTIFACTS (default: wordpress-e2e under the system's
// temporary directory), which the test logs.
func TestWordPressPlugin(t *testing.T) {
	requireServices(t, "the WordPress end-to-end test", wordpressMissing())
	start := time.Now()
	env := backends[0].env(t)
	env["LICENSED_ISSUER"] = testIssuer
	s := serve(t, env)
	acme := newTenant(t, env, "acme", 2)
	r := s.call(t, "POST", "/v1/licenses", acme.writeKey, map[string]any{
		"customer_email": "jane@example.com", "product": "acme-pro", "entitlements": []string{"pro"},
		"expires_at": time.Now().Add(365 * 24 * time.Hour).UTC().Format(time.RFC3339),
	})
	expect(t, r, http.StatusCreated, "")
	licenseID, key := r.str("license", "id"), r.str("license_key")
	jwks := s.call(t, "GET", "/.well-known/jwks.json", "", nil).raw

	// The site reaches the service through a proxy the test can cut.
	proxy := storetest.StartProxy(t, s.URL())
	wp := startWordPress(t, wpOptions{constants: map[string]string{
		"ACME_PRO_LICENSE_SERVICE": phpString(proxy.URL()),
		"ACME_PRO_LICENSE_ISSUER":  phpString(testIssuer),
	}}, jwks)
	t.Logf("WordPress installed and serving in %v", time.Since(start).Round(time.Millisecond))

	p := openBrowser(t, "wordpress-e2e")
	ctx, shot, text, run := p.ctx, p.shot, p.text, p.run
	page := wp.url + "/wp-admin/options-general.php?page=acme-pro-license"

	// fill and click act once the page has loaded, through the page's own
	// DOM in one evaluation each: WordPress's scripts move notices and wrap
	// the password field after load, so a node id or a click position taken
	// before they ran can go stale (a hung or missed step).
	ready := chromedp.Poll[chromedp.Void](`document.readyState === "complete"`, chromedp.WithPollingTimeout(30*time.Second))
	fill := func(sel, value string) chromedp.Action[chromedp.Void] {
		qs, _ := json.Marshal(sel)
		qv, _ := json.Marshal(value)
		return chromedp.Poll[chromedp.Void](`(() => { if (document.readyState !== "complete") return false;
			const n = document.querySelector(`+string(qs)+`); if (!n) return false;
			n.focus(); n.value = `+string(qv)+`; n.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`,
			chromedp.WithPollingTimeout(30*time.Second))
	}
	click := func(sel string) chromedp.Action[chromedp.Void] {
		qs, _ := json.Marshal(sel)
		return chromedp.Poll[chromedp.Void](`(() => { if (document.readyState !== "complete") return false;
			const n = document.querySelector(`+string(qs)+`); if (!n) return false;
			setTimeout(() => n.click(), 0); return true; })()`,
			chromedp.WithPollingTimeout(30*time.Second))
	}

	// Log in as the site's administrator.
	run("log in",
		chromedp.Navigate(wp.url+"/wp-login.php"),
		chromedp.WaitVisible(chromedp.CSS("#user_login")),
		fill("#user_login", "admin"),
		fill("#user_pass", "admin-password"),
		click("#wp-submit"),
		chromedp.WaitVisible(chromedp.CSS("#wpadminbar")),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#acme-pro-license-key")),
	)
	if got := text(".licensed-status"); got != "Not activated" {
		t.Fatalf("status before activation %q", got)
	}
	shot("01-license-page")

	// Paste the key (as a customer would, with stray spaces) and activate.
	run("activate",
		ready,
		fill("#acme-pro-license-key", "  "+key+" "),
		click("#licensed-activate"),
		chromedp.WaitVisible(chromedp.CSS(".licensed-status-active")),
	)
	if got := text(".licensed-status"); got != "Active" {
		t.Fatalf("status after activation %q", got)
	}
	if got := text(".licensed-seats"); got != "1 of 2 in use" {
		t.Fatalf("seats %q", got)
	}
	if got := text(".licensed-flash p"); got != "This site is activated." {
		t.Fatalf("flash %q", got)
	}
	acts := s.call(t, "GET", "/v1/licenses/"+licenseID+"/activations", acme.readKey, nil)
	data, _ := acts.get("data").([]any)
	if len(data) != 1 {
		t.Fatalf("activations after the browser's Activate: %s", acts.raw)
	}
	activationID := data[0].(map[string]any)["id"].(string)
	if inst := data[0].(map[string]any)["instance"]; inst != strings.TrimPrefix(wp.url, "http://") {
		t.Fatalf("activated instance %v, want the site %s", inst, wp.url)
	}
	shot("02-active")

	// The front end shows the licensed feature: an offline check.
	run("front end", chromedp.Navigate(wp.url+"/"))
	if footer := text(".acme-pro-footer"); footer != "Powered by Acme Pro" {
		t.Fatalf("licensed feature %q", footer)
	}

	// The service is unreachable when WP-Cron refreshes: the plugin keeps
	// working on its cached token and retries after a backoff.
	proxy.Cut()
	wp.runCron(t, "acme-pro_license_refresh")
	backoff := wp.php(t, `require ABSPATH_LOAD; $m = get_option('acme-pro_license_meta'); echo (int) $m['failures'], ' ', $m['next_refresh'] - time();`)
	var failures, wait int
	if _, err := fmt.Sscan(backoff, &failures, &wait); err != nil || failures != 1 || wait < 140 || wait > 300 {
		t.Fatalf("after a failed refresh: failures and seconds to the retry %q, want 1 and 150-300", backoff)
	}
	run("offline", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(".licensed-last-error")))
	if got := text(".licensed-status"); got != "Active" {
		t.Fatalf("status while the service is unreachable %q", got)
	}
	shot("03-service-unreachable")
	run("front end, offline", chromedp.Navigate(wp.url+"/"))
	if footer := text(".acme-pro-footer"); footer != "Powered by Acme Pro" {
		t.Fatalf("licensed feature while offline %q", footer)
	}
	proxy.Restore()

	// The brand suspends; WP-Cron's refresh brings the suspended token.
	expect(t, s.call(t, "POST", "/v1/licenses/"+licenseID+"/suspend", acme.writeKey, map[string]any{"reason": "chargeback"}), http.StatusOK, "")
	wp.runCron(t, "acme-pro_license_refresh")
	run("suspended notice",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(".licensed-notice-suspended")),
	)
	if got := text(".licensed-status"); got != "Suspended" {
		t.Fatalf("status after suspension %q", got)
	}
	if got := text(".licensed-notice-suspended"); !strings.Contains(got, "Acme Pro license is suspended") {
		t.Fatalf("notice %q", got)
	}
	shot("04-suspended")
	run("front end, suspended", chromedp.Navigate(wp.url+"/"))
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "acme-pro-footer") {
		t.Fatal("the licensed feature still shows on a suspended license")
	}

	// The customer frees the seat from the page (seats are freed in any
	// license status).
	run("free the seat",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-activation="`+activationID+`"]`)),
		click("#licensed-free-"+activationID),
		chromedp.WaitVisible(chromedp.CSS(".licensed-status-unlicensed")),
		chromedp.WaitVisible(chromedp.CSS(".licensed-no-seats")),
	)
	if got := text(".licensed-flash p"); got != "The seat is free." {
		t.Fatalf("flash %q", got)
	}
	shot("05-seat-freed")
	acts = s.call(t, "GET", "/v1/licenses/"+licenseID+"/activations", acme.readKey, nil)
	if data, _ := acts.get("data").([]any); len(data) != 0 {
		t.Fatalf("activations after freeing the seat: %s", acts.raw)
	}
	t.Logf("WordPress end to end in %v", time.Since(start).Round(time.Millisecond))
}
