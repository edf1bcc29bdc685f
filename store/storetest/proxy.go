package storetest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of a service that a test can cut, as a
// network fault would: for showing what one client losing a service does
// while other clients (and other tests) keep using it. A shared service
// must never be stopped; a Proxy in front of it can be.
type Proxy struct {
	url    string
	target string
	ln     net.Listener

	mu    sync.Mutex
	down  bool
	conns []net.Conn
}

// StartProxy listens on a free local port and forwards to the host of
// serviceURL (any scheme://[user@]host:port/... URL); it stops when the
// test ends.
func StartProxy(t testing.TB, serviceURL string) *Proxy {
	t.Helper()
	u, err := url.Parse(serviceURL)
	if err != nil {
		t.Fatalf("proxy target %q: %v", serviceURL, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{target: u.Host, ln: ln}
	u.Host = ln.Addr().String()
	p.url = u.String()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
	})
	go p.serve()
	return p
}

// URL is serviceURL with the proxy's address in place of the service's.
func (p *Proxy) URL() string { return p.url }

// Cut breaks every connection through the proxy and refuses new ones (they
// are accepted and closed at once) until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Restore lets new connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *Proxy) pipe(client net.Conn) {
	server, err := p.dial()
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		client.Close()
		server.Close()
		return
	}
	go func() {
		io.Copy(server, client)
		server.Close()
	}()
	io.Copy(client, server)
	client.Close()
}

func (p *Proxy) dial() (net.Conn, error) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		return nil, net.ErrClosed
	}
	return net.Dial("tcp", p.target)
}

// track records a connection pair for Cut, unless a Cut came first.
func (p *Proxy) track(client, server net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns = append(p.conns, client, server)
	return true
}
