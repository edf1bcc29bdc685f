package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/issuer/httpapi"
	"github.com/licensedhq/licensed/seal"
)

// Prefix is where the console is mounted.
const Prefix = "/console"

// Session lifetimes by default: a support shift at most, and a quarter of
// an hour away from the screen.
const (
	DefaultMaxAge      = 8 * time.Hour
	DefaultIdleTimeout = 15 * time.Minute
)

// Host is what the console needs of the HTTP server it is mounted on
// (httpapi.Server): the audit origin of a request, and the per-IP budget of
// failed API-key attempts, which sign-in shares with the API.
type Host interface {
	Origin(r *http.Request) issuer.Origin
	AuthGate(w http.ResponseWriter, r *http.Request) error
	AuthFailed(r *http.Request)
}

// Config wires a Console; Service, Secrets and Host are required.
type Config struct {
	Service *issuer.Service
	// Secrets seals the session cookie (the master key's keyring: every
	// replica opens what another sealed, and a master key rotation keeps
	// sessions while the old key is still loaded).
	Secrets *seal.Keyring
	Host    Host
	Logger  *slog.Logger
	// SecureCookies marks the cookie Secure (and __Host- prefixed): on
	// everywhere but a plain-HTTP console on a loopback address.
	SecureCookies bool
	// MaxAge and IdleTimeout bound a session (0: the defaults).
	MaxAge, IdleTimeout time.Duration
	// Now replaces time.Now for session times, for tests.
	Now func() time.Time
}

// Console is the web console's http.Handler.
type Console struct {
	svc     *issuer.Service
	secrets *seal.Keyring
	host    Host
	log     *slog.Logger
	secure  bool
	maxAge  time.Duration
	idle    time.Duration
	now     func() time.Time
	pages   map[string]*template.Template
	assets  fs.FS
	cssPath string
	mux     *http.ServeMux
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// New returns the console.
func New(cfg Config) (*Console, error) {
	c := &Console{
		svc: cfg.Service, secrets: cfg.Secrets, host: cfg.Host, log: cfg.Logger, secure: cfg.SecureCookies,
		maxAge: cfg.MaxAge, idle: cfg.IdleTimeout, now: cfg.Now,
	}
	if c.maxAge <= 0 {
		c.maxAge = DefaultMaxAge
	}
	if c.idle <= 0 {
		c.idle = DefaultIdleTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	assets, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, err
	}
	c.assets = assets
	css, err := fs.ReadFile(assets, "console.css")
	if err != nil {
		return nil, err
	}
	// The stylesheet's URL changes with its content, so that it can be
	// cached for good and a new binary's is fetched at once.
	sum := sha256.Sum256(css)
	c.cssPath = Prefix + "/assets/console.css?v=" + hex.EncodeToString(sum[:6])
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.mux = c.routes()
	return c, nil
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"deref": deref, "seconds": humanSeconds, "join": joinLines}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		pages[n[len("templates/"):len(n)-len(".html")]] = t
	}
	return pages, nil
}

func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/assets/", c.asset)
	mux.HandleFunc("GET "+Prefix+"/login", c.loginPage)
	mux.HandleFunc("POST "+Prefix+"/login", c.login)
	mux.HandleFunc("POST "+Prefix+"/logout", c.signedIn(c.logout))
	mux.HandleFunc("GET "+Prefix, c.signedIn(c.home))
	mux.HandleFunc("GET "+Prefix+"/{$}", c.signedIn(c.home))
	mux.HandleFunc("POST "+Prefix+"/search", c.signedIn(c.search))
	mux.HandleFunc("GET "+Prefix+"/licenses/{id}", c.signedIn(c.license))
	mux.HandleFunc("GET "+Prefix+"/licenses/{id}/cancel", c.signedIn(c.cancelPage))
	mux.HandleFunc("POST "+Prefix+"/licenses/{id}/{action}", c.signedIn(c.lifecycle))
	mux.HandleFunc("POST "+Prefix+"/licenses/{id}/activations/{activation}/release", c.signedIn(c.release))
	mux.HandleFunc("GET "+Prefix+"/products", c.signedIn(c.products))
	mux.HandleFunc("GET "+Prefix+"/brands/{brand}/products/{product}", c.signedIn(c.productPage))
	mux.HandleFunc("POST "+Prefix+"/brands/{brand}/products/{product}", c.signedIn(c.updateProduct))
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		c.headers(w)
		c.renderError(w, r, nil, issuer.Errorf(issuer.CodeNotFound, "there is no such page in the console"))
	})
	return mux
}

// ServeHTTP serves the console's pages.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// contentSecurityPolicy allows the console's own stylesheet and nothing
// else: no script at all (inline or not), no frames of it anywhere, no
// form posting to another origin, no <base> rewriting its links.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// headers are set on every page, before anything is written.
func (c *Console) headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func (c *Console) asset(w http.ResponseWriter, r *http.Request) {
	c.headers(w)
	name := r.URL.Path[len(Prefix+"/assets/"):]
	b, err := fs.ReadFile(c.assets, name)
	if err != nil {
		c.renderError(w, r, nil, issuer.Errorf(issuer.CodeNotFound, "no such file"))
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// request is one signed-in request.
type request struct {
	p      issuer.Principal
	sess   session
	origin issuer.Origin
}

// view is what every page template gets.
type view struct {
	Title     string
	CSS       string
	CSRF      string
	SignedIn  bool
	Principal issuer.Principal
	Admin     bool
	// CanSearch: the key may search customers (licenses:read or
	// licenses:read:all); an admin-only key may not.
	CanSearch bool
	Notice    string
	Error     *errorView
	Warning   string
	Page      any
}

// errorView is an error of the service as a page shows it: the same code
// as the API's problem document.
type errorView struct {
	Status int
	Code   string
	Title  string
	Detail string
	Fields []issuer.FieldError
	// RequestID names the failure in the server's log.
	RequestID string
}

func (c *Console) view(req *request, title string, page any) *view {
	v := &view{Title: title, CSS: c.cssPath, Page: page}
	if req != nil {
		v.CSRF, v.SignedIn, v.Principal = req.sess.CSRF, req.sess.Key != "", req.p
		v.Admin = req.p.Has(issuer.ScopeAdmin)
		v.CanSearch = req.p.Has(issuer.ScopeLicensesRead) || req.p.Has(issuer.ScopeLicensesReadAll)
	}
	return v
}

// render writes a page; a template failure is an internal error.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, v); err != nil {
		c.log.Error("console template", "page", name, "error", err.Error(), "request_id", c.host.Origin(r).RequestID)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorOf turns a service error into what a page shows: the API's code and
// status; for outages and internal errors a fixed text (logged in full).
func (c *Console) errorOf(r *http.Request, err error) *errorView {
	code := issuer.ErrorCode(err)
	ev := &errorView{Status: httpapi.Status(code), Code: code, RequestID: c.host.Origin(r).RequestID}
	var e *issuer.Error
	switch {
	case errors.As(err, &e):
		ev.Detail, ev.Fields = e.Detail, e.Fields
	case code == issuer.CodeUnavailable:
		ev.Detail = "The service cannot reach its database right now. Nothing was changed; try again in a few seconds."
		c.log.Warn("console: unavailable", "request_id", ev.RequestID, "error", err.Error())
	default:
		ev.Detail = "An internal error occurred. It has been logged under the request id below."
		c.log.Error("console: internal error", "request_id", ev.RequestID, "error", err.Error())
	}
	ev.Title = titles[code]
	if ev.Title == "" {
		ev.Title = "Error"
	}
	return ev
}

// titles are the headings of error pages and messages, by code.
var titles = map[string]string{
	issuer.CodeUnauthorized:       "Not signed in",
	issuer.CodeForbidden:          "Not allowed",
	issuer.CodeNotFound:           "Not found",
	issuer.CodeInvalidTransition:  "That change does not apply to this license",
	issuer.CodeSeatsBelowUsage:    "Seats in use",
	issuer.CodeConflict:           "Conflict",
	issuer.CodeValidationFailed:   "Please check the form",
	issuer.CodeRateLimited:        "Too many attempts",
	issuer.CodeUnavailable:        "Service unavailable",
	issuer.CodeInternal:           "Something went wrong",
	issuer.CodePayloadTooLarge:    "Form too large",
	issuer.CodeMethodNotAllowed:   "Not allowed",
	issuer.CodeLicenseNotFound:    "License not found",
	issuer.CodeActivationNotFound: "Activation not found",
}

// renderError answers with an error page of the error's status; an outage
// is a 503 with Retry-After, as in the API.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, req *request, err error) {
	ev := c.errorOf(r, err)
	if ev.Code == issuer.CodeUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(httpapi.RetryAfterUnavailable))
	}
	v := c.view(req, ev.Title, nil)
	v.Error = ev
	c.render(w, r, ev.Status, "error", v)
}
