package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
)

func TestParseLimits(t *testing.T) {
	l, err := ParseLimits(DefaultLimits)
	if err != nil || l.IP != (store.Limit{Rate: 100, Burst: 200}) || l.License != (store.Limit{Rate: 20, Burst: 50}) || l.APIKey != (store.Limit{Rate: 200, Burst: 400}) {
		t.Fatalf("defaults: %+v %v", l, err)
	}
	if l.AuthFail != (store.Limit{Rate: 10, Burst: 20, Period: time.Minute}) {
		t.Fatalf("authfail default: %+v (per minute)", l.AuthFail)
	}
	l, err = ParseLimits("license=1:3")
	if err != nil || l.License != (store.Limit{Rate: 1, Burst: 3}) || l.IP.Rate != 100 {
		t.Fatalf("partial: %+v %v", l, err)
	}
	if l, err := ParseLimits("authfail=3:5"); err != nil || l.AuthFail != (store.Limit{Rate: 3, Burst: 5, Period: time.Minute}) {
		t.Fatalf("authfail: %+v %v", l, err)
	}
	if l, err := ParseLimits("off"); l != nil || err != nil {
		t.Fatalf("off: %+v %v", l, err)
	}
	for _, bad := range []string{"ip=1", "ip=a:b", "ip=0:1", "ip=1:0", "cpu=1:1", "ip:1:1"} {
		if _, err := ParseLimits(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestClientIP(t *testing.T) {
	s := &Server{trustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for _, c := range []struct{ remote, xff, want string }{
		{"203.0.113.9:4000", "", "203.0.113.9"},
		{"203.0.113.9:4000", "1.2.3.4", "203.0.113.9"},             // an untrusted peer's header is ignored
		{"10.0.0.5:4000", "1.2.3.4", "1.2.3.4"},                    // behind the balancer
		{"10.0.0.5:4000", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"}, // right-most untrusted: the client cannot forge past it
		{"10.0.0.5:4000", "garbage", "10.0.0.5"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.clientIP(r); got != c.want {
			t.Errorf("%s with %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestRequestIDs(t *testing.T) {
	for id, ok := range map[string]bool{"abc.DEF_1-2": true, "": false, "a b": false, "x;y": false} {
		if validRequestID(id) != ok {
			t.Errorf("%q", id)
		}
	}
	if !etagMatch(`W/"x", "y"`, `"y"`) || !etagMatch("*", `"y"`) || etagMatch(`"x"`, `"y"`) {
		t.Fatal("etagMatch")
	}
}
