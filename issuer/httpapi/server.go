package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/store"
)

// Config wires a Server.
type Config struct {
	Service *issuer.Service
	Keys    *keys.Manager
	Limiter store.Limiter
	// Limits nil turns rate limiting off.
	Limits *Limits
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// TrustedProxies are peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// MetricsElsewhere leaves /metrics off the API's routes: it is served
	// on a listener of its own (MetricsHandler).
	MetricsElsewhere bool
	// Version is what GET /version answers.
	Version Version
}

// Version describes the running build.
type Version struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
}

// Server is the HTTP handler of the v1 API.
type Server struct {
	svc            *issuer.Service
	keys           *keys.Manager
	limiter        store.Limiter
	limits         *Limits
	log            *slog.Logger
	metrics        *metrics
	registry       *prometheus.Registry
	trustedProxies []netip.Prefix
	metricsAway    bool
	version        Version
	draining       atomic.Bool
	router         *httprouter.Router
	handler        http.Handler
	fields         sync.Map  // reflect.Type of an input -> its json fields (decode.go)
	bodies         sync.Pool // *bodyDecoder (decode.go)
	answers        sync.Pool // *bytes.Buffer (renderJSON)
}

// New returns a Server with every route registered.
func New(c Config) *Server {
	s := &Server{
		svc: c.Service, keys: c.Keys, limiter: c.Limiter, limits: c.Limits, log: c.Logger,
		registry: c.Registry, trustedProxies: c.TrustedProxies, metricsAway: c.MetricsElsewhere, version: c.Version,
	}
	s.bodies.New = func() any { return new(bodyDecoder) }
	s.answers.New = func() any { return new(bytes.Buffer) }
	s.metrics = newMetrics(c.Registry)
	s.router = s.routes()
	s.handler = s.observe(s.router)
	return s
}

// Mount serves h at prefix and every path under it, for GET, HEAD and
// POST, behind the same request ids, log lines, metrics and client-IP
// rules as the API (the web console). Call it before serving: the routes
// are not safe to change while requests are served.
func (s *Server) Mount(prefix string, h http.Handler) {
	serve := func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		info(r).route = prefix
		h.ServeHTTP(w, r)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		s.router.Handle(method, prefix, serve)
		s.router.Handle(method, prefix+"/*rest", serve)
	}
}

// Origin is where r came from for the audit trail: its request id and
// client IP (LICENSED_TRUSTED_PROXIES applied), for handlers mounted with
// Mount.
func (s *Server) Origin(r *http.Request) issuer.Origin { return origin(r) }

// AuthGate refuses (rate_limited) a request from a client IP past its
// failed API-key attempts; AuthFailed counts one. A mounted handler that
// takes API keys (the console's sign-in) shares the API's budget, so that
// it is no way around it.
func (s *Server) AuthGate(w http.ResponseWriter, r *http.Request) error { return s.authGate(w, r) }

// AuthFailed counts a failed API-key attempt against the client IP.
func (s *Server) AuthFailed(r *http.Request) { s.authFailed(r) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Drain makes /readyz answer 503 so that load balancers stop sending new
// requests, and every answer carry Connection: close so that keep-alive
// clients open their next connection elsewhere: when the listener closes,
// no client is left sending on a connection the server is about to drop.
func (s *Server) Drain() { s.draining.Store(true) }

// MetricsHandler serves GET (and HEAD) /metrics alone, for a listener of
// its own (LICENSED_METRICS_ADDR); anything else there is 404.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return mux
}

// handlerFunc is a route's handler: it renders success itself and returns
// any error for the one error path.
type handlerFunc func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error

func (s *Server) routes() *httprouter.Router {
	rt := httprouter.New()
	rt.RedirectTrailingSlash, rt.RedirectFixedPath = false, false
	// OPTIONS is not part of the API: it answers 405 like any other method
	// a route does not have.
	rt.HandleOPTIONS = false
	rt.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, issuer.Errorf(issuer.CodeNotFound, "no route %s", r.URL.Path))
	})
	rt.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// httprouter v1.3.0 lists OPTIONS in Allow even when it does not
		// answer it.
		allow := strings.ReplaceAll(w.Header().Get("Allow"), ", OPTIONS", "")
		w.Header().Set("Allow", strings.TrimPrefix(allow, "OPTIONS, "))
		s.writeError(w, r, issuer.Errorf(issuer.CodeMethodNotAllowed, "%s is not allowed here; see Allow", r.Method))
	})

	h := func(method, path string, fn handlerFunc) {
		rm := s.metrics.forRoute(path, method)
		rt.Handle(method, path, func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
			i := info(r)
			i.route, i.rm = path, rm
			if err := fn(w, r, ps); err != nil {
				s.countError(err)
				s.writeError(w, r, err)
			}
		})
	}
	// HEAD is answered wherever GET is, by the same handler: net/http
	// sends the headers (Content-Length included) and drops the body.
	get := func(path string, fn handlerFunc) {
		h(http.MethodGet, path, fn)
		h(http.MethodHead, path, fn)
	}
	get("/healthz", s.healthz)
	get("/readyz", s.readyz)
	get("/version", s.versionInfo)
	get("/.well-known/jwks.json", s.jwks)
	if !s.metricsAway {
		metrics := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
		get("/metrics", func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
			metrics.ServeHTTP(w, r)
			return nil
		})
	}
	get("/openapi.json", s.openAPI)
	get("/docs", s.docs)
	get("/docs/redoc.standalone.js", s.redoc)

	h(http.MethodPost, "/v1/activate", s.product(s.activate))
	h(http.MethodPost, "/v1/validate", s.product(s.validate))
	h(http.MethodPost, "/v1/deactivate", s.product(s.deactivate))
	h(http.MethodPost, "/v1/activations", s.product(s.productActivations))

	h(http.MethodPost, "/v1/licenses", s.brand(s.provision))
	get("/v1/licenses", s.brand(s.listLicenses))
	// httprouter cannot hold /v1/licenses/search beside /v1/licenses/:id in
	// one method's tree, so POST on :id dispatches search itself.
	h(http.MethodPost, "/v1/licenses/:id", s.brand(s.searchOrNotAllowed))
	get("/v1/licenses/:id", s.brand(s.getLicense))
	h(http.MethodPatch, "/v1/licenses/:id", s.brand(s.patch))
	h(http.MethodPost, "/v1/licenses/:id/:action", s.brand(s.lifecycle))
	get("/v1/licenses/:id/activations", s.brand(s.activations))
	h(http.MethodDelete, "/v1/licenses/:id/activations/:activation_id", s.brand(s.releaseActivation))
	get("/v1/audit-events", s.brand(s.auditEvents))

	h(http.MethodPost, "/v1/brands", s.brand(s.createBrand))
	get("/v1/brands", s.brand(s.listBrands))
	get("/v1/brands/:slug", s.brand(s.getBrand))
	h(http.MethodPatch, "/v1/brands/:slug", s.brand(s.updateBrand))
	h(http.MethodPost, "/v1/brands/:slug/products", s.brand(s.createProduct))
	get("/v1/brands/:slug/products", s.brand(s.listProducts))
	get("/v1/brands/:slug/products/:product", s.brand(s.getProduct))
	h(http.MethodPatch, "/v1/brands/:slug/products/:product", s.brand(s.updateProduct))
	h(http.MethodPost, "/v1/api-keys", s.brand(s.createAPIKey))
	get("/v1/api-keys", s.brand(s.listAPIKeys))
	get("/v1/api-keys/:id", s.brand(s.getAPIKey))
	h(http.MethodDelete, "/v1/api-keys/:id", s.brand(s.revokeAPIKey))
	get("/v1/signing-keys", s.brand(s.signingKeys))
	// httprouter cannot hold /v1/signing-keys/rotate beside
	// /v1/signing-keys/:kid/revoke, so POST on :kid dispatches rotate.
	h(http.MethodPost, "/v1/signing-keys/:kid", s.brand(s.rotateOrNotFound))
	h(http.MethodPost, "/v1/signing-keys/:kid/:action", s.brand(s.revokeSigningKey))

	h(http.MethodPost, "/v1/webhooks", s.brand(s.createWebhook))
	get("/v1/webhooks", s.brand(s.listWebhooks))
	h(http.MethodDelete, "/v1/webhooks/:id", s.brand(s.deleteWebhook))
	get("/v1/webhooks/:id/deliveries", s.brand(s.webhookDeliveries))
	h(http.MethodPost, "/v1/webhooks/:id/deliveries/:delivery_id/redeliver", s.brand(s.redeliver))
	return rt
}

// brandHandler is a handler of an authenticated API key.
type brandHandler func(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error

// brand authenticates the bearer API key and applies its rate limit.
// Every failed attempt (no key, a malformed, unknown or revoked one) counts
// against the client IP's authfail bucket, which is checked first.
func (s *Server) brand(fn brandHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
		if err := s.authGate(w, r); err != nil {
			return err
		}
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			s.authFailed(r)
			w.Header().Set("WWW-Authenticate", `Bearer realm="licensed"`)
			return issuer.Errorf(issuer.CodeUnauthorized, "a valid API key is required: Authorization: Bearer lk_...")
		}
		p, err := s.svc.Authenticate(r.Context(), strings.TrimSpace(bearer))
		if err != nil {
			if issuer.ErrorCode(err) == issuer.CodeUnauthorized {
				s.authFailed(r)
				w.Header().Set("WWW-Authenticate", `Bearer realm="licensed", error="invalid_token"`)
			}
			return err
		}
		info(r).brand = p.BrandSlug
		if s.limits != nil {
			if err := s.limit(w, r, "apikey:"+p.KeyID, s.limits.APIKey); err != nil {
				return err
			}
		}
		return fn(w, r, ps, p)
	}
}

// product applies the per-IP limit of the public product routes; the
// per-license-key limit follows once the body names the key.
func (s *Server) product(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
		if s.limits != nil {
			if err := s.limit(w, r, "ip:"+info(r).ip, s.limits.IP); err != nil {
				return err
			}
		}
		return fn(w, r, ps)
	}
}

func (s *Server) limitLicense(w http.ResponseWriter, r *http.Request, key string) error {
	if s.limits == nil || key == "" {
		return nil
	}
	return s.limit(w, r, "license:"+s.svc.RateKey(key), s.limits.License)
}

func origin(r *http.Request) issuer.Origin {
	i := info(r)
	return issuer.Origin{RequestID: i.id, IP: i.ip}
}

func (s *Server) countError(err error) {
	switch issuer.ErrorCode(err) {
	case issuer.CodeSeatLimitReached:
		s.metrics.seatLimit.Inc()
	case issuer.CodeUnavailable:
		s.metrics.storeErrors.Inc()
	case issuer.CodeInternal:
		s.metrics.internalErrs.Inc()
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) versionInfo(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	writeJSON(w, http.StatusOK, s.version)
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if s.draining.Load() {
		return issuer.Errorf(issuer.CodeUnavailable, "shutting down")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Ready(ctx); err != nil {
		s.log.Warn("not ready", "error", err.Error())
		return issuer.Errorf(issuer.CodeUnavailable, "the database does not answer")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	body, etag := s.keys.JWKS()
	// The revocation warning quotes the same max-age (issuer.JWKSMaxAge).
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(issuer.JWKSMaxAge.Seconds())))
	w.Header().Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeBody(w, "application/jwk-set+json", http.StatusOK, body)
	return nil
}

func etagMatch(header, etag string) bool {
	for _, m := range strings.Split(header, ",") {
		m = strings.TrimPrefix(strings.TrimSpace(m), "W/")
		if m == etag || m == "*" {
			return true
		}
	}
	return false
}
