package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestDocsRendersOffline opens /docs in headless Chromium that may reach
// the server under test and nothing else: every request to another origin
// is failed (and fails the test), so a page that still needed a CDN would
// stay blank here. The page must show the operations, and the browser must
// report no Content-Security-Policy violation: the policy /docs sends is
// enough for Redoc. A screenshot is kept in $LICENSED_TEST_ARTIFACTS/docs.
func TestDocsRendersOffline(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		requireServices(t, "the /docs browser test", []string{chromiumPath})
	}
	dir := artifactDir(t, "docs")
	s := serve(t, backends[0].env(t))
	origin, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)

	var mu sync.Mutex
	var offsite, complaints []string
	complain := func(c string) {
		mu.Lock()
		complaints = append(complaints, c)
		mu.Unlock()
	}
	err = chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *fetch.EventRequestPaused:
			u, err := url.Parse(ev.Request.URL)
			local := err == nil && (u.Host == origin.Host || u.Scheme == "data" || u.Scheme == "blob")
			if !local {
				mu.Lock()
				offsite = append(offsite, ev.Request.URL)
				mu.Unlock()
			}
			// Listen's fn must not send commands itself.
			go func() {
				if local {
					_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				} else {
					_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonInternetDisconnected})
				}
			}()
		case *cdplog.EventEntryAdded:
			// Redoc's "API docs by" attribution is an image from
			// cdn.redoc.ly, which the policy blocks and Redoc then hides
			// (it has no option to leave it out); nothing else may fail.
			if ev.Entry.Level == cdplog.EntryLevelError && !strings.Contains(ev.Entry.Text, "'https://cdn.redoc.ly/redoc/logo-mini") {
				complain(string(ev.Entry.Source) + ": " + ev.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			what := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				what += " " + ex.Description
			}
			complain("exception: " + what)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == "error" {
				complain("console.error")
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	// Redoc lists the operations of a tag when the tag is opened in the
	// menu, and renders that tag's operations beside it: open three tags
	// and read what the page shows.
	item := func(label string) chromedp.Search {
		return chromedp.Search(`//*[@data-testid="menu-item-label"][.//span[starts-with(@data-text, "` + label + `")]]`)
	}
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var text string
	open := func(tag, op string) {
		t.Helper()
		err := chromedp.Do(wctx, chromedp.Click(item(tag)), chromedp.WaitVisible(item(op)))
		if err == nil {
			var body string
			body, err = chromedp.Run(wctx, chromedp.Text(chromedp.CSS("body")))
			text += body
		}
		if err != nil {
			t.Errorf("opening %s to %s: %v (browser: %v)", tag, op, err, complaints)
		}
	}
	if err := chromedp.Do(wctx, chromedp.Navigate(s.URL()+"/docs"), chromedp.WaitVisible(item("Admin"))); err != nil {
		t.Fatalf("rendering /docs: %v (browser: %v)", err, complaints)
	}
	open("Product API", "Activate an instance")
	open("Admin", "Rotate the signing key")
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docs.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	// The operations of both tags, as the menu lists them.
	for _, w := range []string{"Activate an instance", "Validate a license key", "Rotate the signing key", "Create an API key", "Revoke an API key"} {
		if !strings.Contains(text, w) {
			t.Errorf("/docs does not show %q", w)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(offsite) > 0 {
		t.Errorf("/docs asked for other origins: %v", offsite)
	}
	for _, c := range complaints {
		t.Errorf("browser: %s", c)
	}
	t.Logf("screenshot: %s", filepath.Join(dir, "docs.png"))
}
