package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/store"
)

// Limits are the rate limits of LICENSED_RATE_LIMITS; a nil *Limits is off.
type Limits struct {
	IP      store.Limit // per client IP, product routes
	License store.Limit // per license key, product routes
	APIKey  store.Limit // per API key, brand and admin routes
	// AuthFail counts failed API-key attempts per client IP, per minute:
	// past it, brand and admin requests from that IP are refused before
	// any key is looked up.
	AuthFail store.Limit
}

// DefaultLimits is the default of LICENSED_RATE_LIMITS.
const DefaultLimits = "ip=100:200,license=20:50,apikey=200:400,authfail=10:20"

// ParseLimits reads "ip=r:b,license=r:b,apikey=r:b,authfail=r:b" (each
// optional, the rest keep their defaults) or "off", which returns nil.
// Rates are per second, except authfail's, which is per minute: failed
// keys are rare for an honest client, and a per-second refill would let a
// guesser through at a steady pace.
func ParseLimits(s string) (*Limits, error) {
	if strings.TrimSpace(s) == "off" {
		return nil, nil
	}
	l := &Limits{
		IP:       store.Limit{Rate: 100, Burst: 200},
		License:  store.Limit{Rate: 20, Burst: 50},
		APIKey:   store.Limit{Rate: 200, Burst: 400},
		AuthFail: store.Limit{Rate: 10, Burst: 20, Period: time.Minute},
	}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, spec, ok := strings.Cut(part, "=")
		r, b, ok2 := strings.Cut(spec, ":")
		rate, err1 := strconv.Atoi(r)
		burst, err2 := strconv.Atoi(b)
		if !ok || !ok2 || err1 != nil || err2 != nil || rate < 1 || burst < 1 {
			return nil, fmt.Errorf("rate limit %q: want name=rate:burst with positive integers, e.g. ip=100:200", part)
		}
		lim := store.Limit{Rate: rate, Burst: burst}
		switch name {
		case "ip":
			l.IP = lim
		case "license":
			l.License = lim
		case "apikey":
			l.APIKey = lim
		case "authfail":
			lim.Period = time.Minute
			l.AuthFail = lim
		default:
			return nil, fmt.Errorf("rate limit %q: unknown name %q (want ip, license, apikey or authfail)", part, name)
		}
	}
	return l, nil
}

// limit takes one request from a bucket and sets the RateLimit-* headers
// when this limit is the most restrictive so far on this response.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, bucket string, lim store.Limit) error {
	if s.limits == nil {
		return nil
	}
	res, err := s.limiter.Allow(r.Context(), bucket, lim)
	if err != nil {
		return err
	}
	h := w.Header()
	if prev, err := strconv.Atoi(h.Get("RateLimit-Remaining")); err != nil || res.Remaining <= prev {
		h.Set("RateLimit-Limit", strconv.Itoa(lim.Burst))
		h.Set("RateLimit-Remaining", strconv.Itoa(res.Remaining))
		h.Set("RateLimit-Reset", strconv.Itoa(seconds(res.ResetAfter)))
	}
	if res.Allowed {
		return nil
	}
	s.metrics.rateLimited.Inc()
	h.Set("Retry-After", strconv.Itoa(max(1, seconds(res.RetryAfter))))
	return issuer.Errorf(issuer.CodeRateLimited, "too many requests; retry after the Retry-After seconds")
}

// authGate refuses a brand or admin request from a client IP that has
// used up its failed API-key attempts, before any key is looked up: a key
// guesser costs no database read once past the limit.
func (s *Server) authGate(w http.ResponseWriter, r *http.Request) error {
	if s.limits == nil {
		return nil
	}
	res, err := s.limiter.Peek(r.Context(), authFailBucket(r), s.limits.AuthFail)
	if err != nil || res.Allowed {
		return err
	}
	s.metrics.rateLimited.Inc()
	s.metrics.authFailures.WithLabelValues("refused").Inc()
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(s.limits.AuthFail.Burst))
	h.Set("RateLimit-Remaining", "0")
	h.Set("RateLimit-Reset", strconv.Itoa(seconds(res.ResetAfter)))
	h.Set("Retry-After", strconv.Itoa(max(1, seconds(res.RetryAfter))))
	return issuer.Errorf(issuer.CodeRateLimited, "too many failed API-key attempts from this address; retry after the Retry-After seconds")
}

// authFailed counts one failed API-key attempt against the client IP.
func (s *Server) authFailed(r *http.Request) {
	s.metrics.authFailures.WithLabelValues("counted").Inc()
	if s.limits == nil {
		return
	}
	if _, err := s.limiter.Allow(r.Context(), authFailBucket(r), s.limits.AuthFail); err != nil {
		s.log.Warn("counting a failed API-key attempt", "error", err.Error())
	}
}

func authFailBucket(r *http.Request) string { return "authfail:" + info(r).ip }

func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
