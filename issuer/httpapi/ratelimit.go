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
}

// DefaultLimits is the default of LICENSED_RATE_LIMITS.
const DefaultLimits = "ip=100:200,license=20:50,apikey=200:400"

// ParseLimits reads "ip=r:b,license=r:b,apikey=r:b" (each optional, the
// rest keep their defaults) or "off", which returns nil.
func ParseLimits(s string) (*Limits, error) {
	if strings.TrimSpace(s) == "off" {
		return nil, nil
	}
	l := &Limits{
		IP:      store.Limit{Rate: 100, Burst: 200},
		License: store.Limit{Rate: 20, Burst: 50},
		APIKey:  store.Limit{Rate: 200, Burst: 400},
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
		default:
			return nil, fmt.Errorf("rate limit %q: unknown name %q (want ip, license or apikey)", part, name)
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

func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
