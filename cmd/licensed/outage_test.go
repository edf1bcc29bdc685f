package main

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// cutter is a TCP proxy whose connections can be cut and restored: a real
// network partition between the service and its real PostgreSQL.
type cutter struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); c.setCut(true) })
	go c.accept()
	return c
}

func (c *cutter) accept() {
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.cut {
			c.mu.Unlock()
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", c.target)
		if err != nil {
			c.mu.Unlock()
			in.Close()
			continue
		}
		c.conns = append(c.conns, in, out)
		c.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		go func() { io.Copy(in, out); in.Close() }()
	}
}

// setCut drops every connection and refuses new ones (true) or lets them
// through again (false).
func (c *cutter) setCut(cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
	if cut {
		for _, conn := range c.conns {
			conn.Close()
		}
		c.conns = nil
	}
}

// TestPostgresOutage: with PostgreSQL unreachable the service answers 503
// with Retry-After (never a panic, never a stale "valid"), /readyz says not
// ready, and it recovers by itself when the database returns.
func TestPostgresOutage(t *testing.T) {
	env := backends[1].env(t)
	u, _ := url.Parse(env["LICENSED_DATABASE_URL"])
	proxy := newCutter(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	env["LICENSED_DATABASE_URL"] = u.String()

	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 2)
	r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
	expect(t, r, 201, "")
	key, id := r.str("license_key"), r.str("license", "id")
	validate := func() response {
		return s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"})
	}
	expect(t, validate(), 200, "")

	proxy.setCut(true)
	for _, r := range []response{
		validate(),
		s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "a.example"}),
		s.call(t, "GET", "/v1/licenses/"+id, rm.readKey, nil),
		s.call(t, "GET", "/readyz", "", nil),
	} {
		expect(t, r, 503, "unavailable")
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After: %s", r.raw)
		}
	}
	expect(t, s.call(t, "GET", "/healthz", "", nil), 200, "")

	proxy.setCut(false)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if v := validate(); v.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not recover after the database came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	expect(t, s.call(t, "GET", "/readyz", "", nil), 200, "")
	expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", rm.writeKey, nil), 200, "")
	if v := validate(); v.str("code") != "SUSPENDED" {
		t.Fatalf("after recovery: %s", v.raw)
	}
}
