package httpapi

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensedhq/licensed/issuer"
)

// metrics of the HTTP layer. Labels are bounded: route patterns (never raw
// paths), methods, statuses and result codes; never a key, email or id.
type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	provisioned  prometheus.Counter
	activations  *prometheus.CounterVec
	deactivated  prometheus.Counter
	validations  *prometheus.CounterVec
	tokens       prometheus.Counter
	seatLimit    prometheus.Counter
	rateLimited  prometheus.Counter
	authFailures *prometheus.CounterVec
	storeErrors  prometheus.Counter
	internalErrs prometheus.Counter
	// byCode are the children of validations for the codes a validation
	// answers with, found once each (validationCode).
	byCode [6]lazyCounter
}

// lazyCounter is one child of a counter vector, looked up the first time
// it is counted: WithLabelValues hashes the labels and takes the vector's
// lock on every call, which on the validation path was a cost per request;
// a child still appears in /metrics only once it has been counted.
type lazyCounter struct {
	once sync.Once
	c    prometheus.Counter
}

func (l *lazyCounter) inc(vec *prometheus.CounterVec, labels ...string) {
	l.once.Do(func() { l.c = vec.WithLabelValues(labels...) })
	l.c.Inc()
}

// routeMetrics are the request metrics of one registered route and method,
// their children looked up once (see lazyCounter).
type routeMetrics struct {
	m             *metrics
	route, method string
	once          sync.Once
	duration      prometheus.Observer
	counts        sync.Map // status (int) -> prometheus.Counter
}

func (m *metrics) forRoute(route, method string) *routeMetrics {
	return &routeMetrics{m: m, route: route, method: method}
}

// observe is metrics.observe(rm.route, rm.method, status, d).
func (rm *routeMetrics) observe(status int, d time.Duration) {
	rm.once.Do(func() { rm.duration = rm.m.duration.WithLabelValues(rm.route, rm.method) })
	c, ok := rm.counts.Load(status)
	if !ok {
		c, _ = rm.counts.LoadOrStore(status, rm.m.requests.WithLabelValues(rm.route, rm.method, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	rm.duration.Observe(d.Seconds())
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensed_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "licensed_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
		provisioned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "licensed_licenses_provisioned_total", Help: "Licenses created (idempotent replays not counted).",
		}),
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensed_activations_total", Help: "Successful activations: a new seat (created) or one already held (existing).",
		}, []string{"result"}),
		deactivated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "licensed_deactivations_total", Help: "Seats freed, from the product or the brand side.",
		}),
		validations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensed_validations_total", Help: "Validations by result code (VALID, EXPIRED, ...).",
		}, []string{"code"}),
		tokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "licensed_tokens_issued_total", Help: "Signed license and activation tokens handed out.",
		}),
		seatLimit: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "licensed_seat_limit_rejections_total", Help: "Activations refused with seat_limit_reached.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "licensed_rate_limited_total", Help: "Requests refused with 429.",
		}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensed_auth_failures_total",
			Help: "Failed API-key attempts counted against their client IP (counted), and requests refused before any key lookup because their IP had too many (refused).",
		}, []string{"result"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "licensed_store_unavailable_total", Help: "Requests answered 503 because the database was unreachable.",
		}),
		internalErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "licensed_internal_errors_total", Help: "Requests answered 500.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.provisioned, m.activations, m.deactivated, m.validations,
		m.tokens, m.seatLimit, m.rateLimited, m.authFailures, m.storeErrors, m.internalErrs)
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// validation counts a validation by its code.
func (m *metrics) validation(code string) {
	i := -1
	switch code {
	case issuer.Valid:
		i = 0
	case issuer.Grace:
		i = 1
	case issuer.Expired:
		i = 2
	case issuer.Suspended:
		i = 3
	case issuer.Cancelled:
		i = 4
	case issuer.NotActivated:
		i = 5
	}
	if i < 0 {
		m.validations.WithLabelValues(code).Inc()
		return
	}
	m.byCode[i].inc(m.validations, code)
}

func (m *metrics) token(t string) {
	if t != "" {
		m.tokens.Inc()
	}
}
