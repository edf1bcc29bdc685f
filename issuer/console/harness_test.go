package console_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/issuer/console"
	"github.com/licensedhq/licensed/issuer/httpapi"
	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/deadline"
	"github.com/licensedhq/licensed/store/local"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/sqlite"
	"github.com/licensedhq/licensed/store/storetest"
)

// backends open a fresh, migrated store; dbURL rewrites the PostgreSQL
// URL (through a proxy the test can cut).
var backends = []struct {
	name string
	open func(t testing.TB, dbURL func(string) string) store.Store
}{
	{"sqlite", func(t testing.TB, _ func(string) string) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
		return migrated(t, st, err)
	}},
	{"postgres", func(t testing.TB, dbURL func(string) string) store.Store {
		u := storetest.PostgresURL(t)
		if dbURL != nil {
			u = dbURL(u)
		}
		st, err := postgres.Open(context.Background(), u, postgres.WithTimeout(2*time.Second))
		return migrated(t, st, err)
	}},
}

func migrated(t testing.TB, st store.Store, err error) store.Store {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return deadline.Wrap(st, 2*time.Second)
}

// eachBackend runs fn on SQLite and on PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newFixture(t, b.open(t, nil), options{}))
		})
	}
}

type options struct {
	secure bool
	now    func() time.Time
	limits *httpapi.Limits
}

// fixture is the API server with the console mounted, as serve wires
// them, on a real store: brands acme and beta, each with a product, a
// license of its own customer with one activation, and keys.
type fixture struct {
	svc   *issuer.Service
	srv   *httptest.Server
	acme  tenant
	beta  tenant
	admin string // a platform key with the admin and licenses:read:all scopes
}

type tenant struct {
	brand      string
	writeKey   string // licenses:read, licenses:write
	readKey    string // licenses:read
	email      string
	licenseID  string
	licenseKey string
	activation string
}

func newFixture(t testing.TB, st store.Store, o options) *fixture {
	t.Helper()
	ctx := context.Background()
	sec, err := seal.NewKeyring(seal.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(st, sec)
	if err := km.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	svc := issuer.New(issuer.Config{Store: st, Keys: km, Secrets: sec, Issuer: "https://licensed.test"})
	api := httpapi.New(httpapi.Config{
		Service: svc, Keys: km, Limiter: local.NewLimiter(nil), Limits: o.limits,
		Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
	})
	c, err := console.New(console.Config{Service: svc, Secrets: sec, Host: api, SecureCookies: o.secure, Now: o.now})
	if err != nil {
		t.Fatal(err)
	}
	api.Mount(console.Prefix, c)
	f := &fixture{svc: svc, srv: httptest.NewServer(api)}
	t.Cleanup(f.srv.Close)
	f.acme = f.tenant(t, "acme")
	f.beta = f.tenant(t, "beta")
	k, err := svc.CreateAPIKey(ctx, issuer.AdminActor, issuer.Origin{}, issuer.APIKeyInput{Name: "ops", Scopes: []string{issuer.ScopeAdmin, issuer.ScopeLicensesReadAll}})
	if err != nil {
		t.Fatal(err)
	}
	f.admin = k.Key
	return f
}

func (f *fixture) tenant(t testing.TB, brand string) tenant {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.CreateBrand(ctx, issuer.AdminActor, issuer.Origin{}, issuer.BrandInput{Slug: brand, Name: strings.ToUpper(brand)}); err != nil {
		t.Fatal(err)
	}
	none := []string{}
	seats := 2
	if _, err := f.svc.CreateProduct(ctx, issuer.AdminActor, issuer.Origin{}, brand, issuer.ProductInput{
		Slug: brand + "-pro", Name: "Pro", ProductSettings: issuer.ProductSettings{FreeInstances: &none, DefaultSeats: &seats},
	}); err != nil {
		t.Fatal(err)
	}
	key := func(name string, scopes ...string) string {
		k, err := f.svc.CreateAPIKey(ctx, issuer.AdminActor, issuer.Origin{}, issuer.APIKeyInput{Brand: &brand, Name: name, Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return k.Key
	}
	tn := tenant{brand: brand, writeKey: key("support", issuer.ScopeLicensesRead, issuer.ScopeLicensesWrite),
		readKey: key("reader", issuer.ScopeLicensesRead), email: "jane@" + brand + ".example.com"}
	p, err := f.svc.Authenticate(ctx, tn.writeKey)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	body, _, err := f.svc.Provision(ctx, p, issuer.Origin{}, issuer.ProvisionInput{CustomerEmail: tn.email, Product: brand + "-pro", ExpiresAt: &exp}, "")
	if err != nil {
		t.Fatal(err)
	}
	var out issuer.Provisioned
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	tn.licenseID, tn.licenseKey = out.License.ID, out.LicenseKey
	a, _, err := f.svc.Activate(ctx, issuer.Origin{}, issuer.ActivateInput{LicenseKey: out.LicenseKey, Product: brand + "/" + brand + "-pro", Instance: "shop." + brand + ".org"})
	if err != nil {
		t.Fatal(err)
	}
	tn.activation = a.Activation.ID
	return tn
}

// license reads a license as its brand's key sees it through the service.
func (f *fixture) license(t testing.TB, tn tenant) issuer.License {
	t.Helper()
	p, err := f.svc.Authenticate(context.Background(), tn.readKey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := f.svc.GetLicense(context.Background(), p, tn.licenseID)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// client is a browser reduced to what the tests look at: one cookie (kept
// by hand, so that tests can tamper with it), no redirects followed.
type client struct {
	t      testing.TB
	f      *fixture
	name   string
	cookie string
	csrf   string
}

func (f *fixture) client(t testing.TB, secure bool) *client {
	name := "licensed_console"
	if secure {
		name = "__Host-licensed_console"
	}
	return &client{t: t, f: f, name: name}
}

// page is one answer.
type page struct {
	status    int
	header    http.Header
	body      string
	setCookie *http.Cookie
}

func (p page) location() string { return p.header.Get("Location") }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: c.name, Value: c.cookie})
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, header: res.Header, body: string(b)}
	for _, ck := range res.Cookies() {
		if ck.Name == c.name {
			p.setCookie = ck
			c.cookie = ck.Value
			if ck.MaxAge < 0 {
				c.cookie = ""
			}
		}
	}
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.f.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a form with the client's CSRF token unless form sets csrf
// itself (to "" to leave it out).
func (c *client) post(path string, form url.Values, header ...string) page {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	} else if form.Get("csrf") == "" {
		form.Del("csrf")
	}
	req, err := http.NewRequest("POST", c.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// signIn signs in with key and returns the answer to the form.
func (c *client) signIn(key string) page {
	c.t.Helper()
	if p := c.get("/console/login"); p.status != http.StatusOK {
		c.t.Fatalf("sign-in page: %d %s", p.status, p.body)
	}
	p := c.post("/console/login", url.Values{"api_key": {key}})
	if p.status != http.StatusSeeOther || p.location() != "/console" {
		c.t.Fatalf("sign in: %d %q %s", p.status, p.location(), p.body)
	}
	return p
}

func want(t testing.TB, p page, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Fatalf("the page does not say %q:\n%s", s, p.body)
		}
	}
}

func limits(t testing.TB, s string) *httpapi.Limits {
	t.Helper()
	l, err := httpapi.ParseLimits(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func ptr[T any](v T) *T { return &v }
