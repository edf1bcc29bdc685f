package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
)

// reqInfo is what one request learns about itself as it goes, for its log
// line and metrics; the outermost middleware owns it.
type reqInfo struct {
	id    string
	ip    string
	route string
	brand string
	// rm are the metrics of the route the router matched, while route is
	// still its pattern (a handler may name the route more precisely).
	rm *routeMetrics
}

type infoKey struct{}

func info(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

func requestID(r *http.Request) string { return info(r).id }

// validRequestID: 1-128 of [A-Za-z0-9._-], else the server makes its own.
func validRequestID(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// statusWriter remembers the status for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe gives every request an id, logs it once when it ends and counts
// it; it also turns a panic into a 500 problem.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: r.Header.Get("X-Request-Id"), ip: s.clientIP(r), route: "unmatched"}
		if !validRequestID(ri.id) {
			ri.id = uuid.Must(uuid.NewV7()).String()
		}
		w.Header().Set("X-Request-Id", ri.id)
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic", "request_id", ri.id, "panic", p)
				if sw.status == 0 {
					s.writeError(sw, r, errPanic)
				}
			}
			d := time.Since(start)
			if ri.rm != nil && ri.rm.route == ri.route {
				ri.rm.observe(sw.status, d)
			} else {
				s.metrics.observe(ri.route, r.Method, sw.status, d)
			}
			// Not even the attributes are made when the level is off.
			if s.log.Enabled(r.Context(), slog.LevelInfo) {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("request_id", ri.id), slog.String("method", r.Method), slog.String("route", ri.route),
					slog.Int("status", sw.status), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
					slog.String("brand", ri.brand), slog.String("ip", ri.ip))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

type panicError struct{}

func (panicError) Error() string { return "handler panicked" }

var errPanic = panicError{}

// clientIP is the peer address, or — when the peer is a trusted proxy —
// the right-most X-Forwarded-For address that is not itself trusted.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(a) {
			return a.String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.trustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
