package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests (WordPress, the console, /docs) drive Debian's Chromium
// the same way: one browser per test, screenshots kept as artefacts, steps
// with their own deadline.

// browser starts Debian's Chromium, headless, for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// A backstop for a browser that hangs; steps have their own minute.
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return ctx
}

// artifactDir is $LICENSED_TEST_ARTIFACTS/name, or name under
// licensed-test-artifacts in the system's temporary directory, emptied of
// an earlier run's files (they must not pass for this run's); it outlives
// the test.
func artifactDir(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("LICENSED_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "licensed-test-artifacts")
	}
	dir = filepath.Join(dir, name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserPage is a browser for one test, with its screenshot folder.
type browserPage struct {
	t   *testing.T
	ctx context.Context
	dir string
}

// openBrowser starts the browser and empties artifactDir(t, artifacts).
func openBrowser(t *testing.T, artifacts string) *browserPage {
	t.Helper()
	dir := artifactDir(t, artifacts)
	return &browserPage{t: t, ctx: browser(t), dir: dir}
}

// shot saves a full-page screenshot as <name>.png.
func (p *browserPage) shot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
}

// run is one step: a minute at most, so that a hung step fails as itself,
// not as the browser's whole budget running out; a failed step leaves a
// screenshot.
func (p *browserPage) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		p.t.Fatalf("%s: %v", what, err)
	}
}

// text reads an element's text once the page has loaded, in one
// evaluation inside the page: scripts may move nodes after load
// (WordPress's common.js moves admin notices under the heading), so a node
// found by a query may be detached before its text is read.
func (p *browserPage) text(sel string) string {
	p.t.Helper()
	quoted, _ := json.Marshal(sel)
	expr := `(() => { if (document.readyState !== "complete") return null;
		const n = document.querySelector(` + string(quoted) + `);
		return n ? n.innerText : null; })()`
	s, err := chromedp.Run(p.ctx, chromedp.Poll[string](expr, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		p.shot("failed-text")
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}
