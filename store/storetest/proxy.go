package storetest

import (
	"bytes"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of a service that a test can break the way
// networks and databases break, for showing what one client losing a
// service does while other clients (and other tests) keep using it. A
// shared service must never be stopped; a Proxy in front of it can be:
//
//   - Cut: every connection is closed, new ones are refused (a crash, a
//     failover);
//   - Stall: nothing is forwarded and nothing is closed, new connections
//     are accepted and held (a hung server, a silent partition): only the
//     client's own deadlines get it out;
//   - LoseReplyTo: the next request containing some bytes reaches the
//     service, but its reply is swallowed and that connection closed (a
//     commit that landed whose answer was lost);
//   - CutAt: the connection that sends some bytes is closed before they
//     reach the service.
type Proxy struct {
	url    string
	target string
	ln     net.Listener
	done   chan struct{}

	mu      sync.Mutex
	down    bool
	stalled chan struct{} // open (nil) or closed by Restore
	links   map[*link]bool
	traps   []*trap
}

// link is one client connection and its connection to the service.
type link struct {
	client, server net.Conn
	once           sync.Once
	// loseReply: the request that sprang a LoseReplyTo trap went up;
	// whatever comes back ends the link.
	loseReply chan struct{}
	sprung    *trap
}

func (l *link) close() {
	l.once.Do(func() {
		l.client.Close()
		if l.server != nil {
			l.server.Close()
		}
	})
}

type trapKind int

const (
	trapLoseReply trapKind = iota
	trapCut
)

type trap struct {
	pattern []byte
	kind    trapKind
	fired   chan struct{}
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
	p := &Proxy{target: u.Host, ln: ln, done: make(chan struct{}), links: map[*link]bool{}}
	u.Host = ln.Addr().String()
	p.url = u.String()
	t.Cleanup(func() {
		ln.Close()
		close(p.done) // frees anything held by a stall
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
	p.down = true
	links := p.links
	p.links = map[*link]bool{}
	p.mu.Unlock()
	for l := range links {
		l.close()
	}
}

// Stall stops forwarding in both directions without closing anything, and
// holds new connections without connecting them, until Restore: to a
// client, the service stopped answering.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// Restore ends a Cut or a Stall: held connections go on where they stopped
// (what they sent meanwhile is delivered late, as after a partition
// heals), and new ones go through.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
}

// LoseReplyTo arms a one-shot trap: the next chunk a client sends that
// contains pattern is delivered, and the first bytes the service sends back
// on that connection are dropped and the connection closed. The channel
// closes when the trap has sprung.
func (p *Proxy) LoseReplyTo(pattern []byte) <-chan struct{} {
	return p.arm(pattern, trapLoseReply)
}

// CutAt arms a one-shot trap: the connection that next sends pattern is
// closed before pattern reaches the service. The channel closes when the
// trap has sprung.
func (p *Proxy) CutAt(pattern []byte) <-chan struct{} { return p.arm(pattern, trapCut) }

func (p *Proxy) arm(pattern []byte, kind trapKind) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := &trap{pattern: bytes.Clone(pattern), kind: kind, fired: make(chan struct{})}
	p.traps = append(p.traps, t)
	return t.fired
}

// spring takes the first armed trap that chunk matches.
func (p *Proxy) spring(chunk []byte) *trap {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, t := range p.traps {
		if bytes.Contains(chunk, t.pattern) {
			p.traps = append(p.traps[:i], p.traps[i+1:]...)
			return t
		}
	}
	return nil
}

// open waits while the proxy is stalled; false when the proxy is stopping
// or l was cut meanwhile.
func (p *Proxy) open(l *link) bool {
	for {
		p.mu.Lock()
		gate, live := p.stalled, l == nil || p.links[l]
		p.mu.Unlock()
		if !live {
			return false
		}
		if gate == nil {
			return true
		}
		select {
		case <-gate:
		case <-p.done:
			return false
		}
	}
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
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down || !p.open(nil) {
		client.Close()
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	l := &link{client: client, server: server, loseReply: make(chan struct{})}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		l.close()
		return
	}
	p.links[l] = true
	p.mu.Unlock()
	go p.up(l)
	p.downstream(l)
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
	l.close()
}

// up forwards what the client sends, springing traps.
func (p *Proxy) up(l *link) {
	defer p.forget(l)
	buf := make([]byte, 64<<10)
	for {
		n, err := l.client.Read(buf)
		if n > 0 {
			if !p.open(l) {
				return
			}
			chunk := buf[:n]
			if t := p.spring(chunk); t != nil {
				if t.kind == trapCut {
					close(t.fired)
					return
				}
				l.sprung = t
				close(l.loseReply)
			}
			if _, werr := l.server.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			p.open(l) // a stalled link holds even the client's close
			return
		}
	}
}

// downstream forwards what the service answers.
func (p *Proxy) downstream(l *link) {
	defer p.forget(l)
	buf := make([]byte, 64<<10)
	for {
		n, err := l.server.Read(buf)
		if n > 0 {
			if !p.open(l) {
				return
			}
			select {
			case <-l.loseReply:
				close(l.sprung.fired)
				return // the reply is dropped with the connection
			default:
			}
			if _, werr := l.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			p.open(l)
			return
		}
	}
}
