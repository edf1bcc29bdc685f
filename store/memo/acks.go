package memo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Acks makes an invalidation return only once every replica's memo has
// dropped the keys (or a bound has passed): without it, a replica could
// answer from its memo a request sent after the change was acknowledged,
// if its watcher had not yet run. Each invalidation carries an id (Expect);
// the shared layer reports how many watchers its message reached (Wait),
// or which ones (WaitFor); each watcher sends the id back after dropping
// the keys, and this replica's own watcher hands what it hears to Ack. A replica that watches nothing
// (Watching never called) hears no acks and does not wait.
//
// The Redis cache (store/redis) and the PostgreSQL notifications
// (store/postgres) both carry their acknowledgements with it.
type Acks struct {
	wait     time.Duration
	writer   string // of this replica's ids: random, hex
	seq      atomic.Uint64
	watching atomic.Bool

	mu      sync.Mutex
	pending map[string]*pendingAck
}

type pendingAck struct {
	got     int64
	from    map[string]bool // who acknowledged, when they said
	want    int64           // -1 until Wait said
	members []string        // nil until WaitFor said
	done    chan struct{}
	closed  bool
}

// finished reports whether every acknowledgement waited for came (under
// Acks.mu), and closes done the first time it has.
func (p *pendingAck) finished() bool {
	ok := p.want >= 0 && p.got >= p.want
	if p.members != nil {
		ok = true
		for _, m := range p.members {
			ok = ok && p.from[m]
		}
	}
	if ok && !p.closed {
		p.closed = true
		close(p.done)
	}
	return ok
}

// NewAcks returns the acknowledgements of one replica's invalidations,
// each waited for at most wait.
func NewAcks(wait time.Duration) *Acks {
	b := make([]byte, 6)
	rand.Read(b)
	return &Acks{wait: wait, writer: hex.EncodeToString(b), pending: make(map[string]*pendingAck)}
}

// Writer is the random part of this replica's ids (what AckWriter reads
// back from one of them).
func (a *Acks) Writer() string { return a.writer }

// Watching records that this replica's watcher hands acknowledgements to
// Ack: from now on a Pending's waits wait.
func (a *Acks) Watching() { a.watching.Store(true) }

// Pending is one invalidation whose acknowledgements are awaited.
type Pending struct {
	a  *Acks
	id string
	p  *pendingAck // nil when nothing is awaited
}

// Expect registers a new invalidation id; call Done on what it returns
// when finished. An id starts with "#", which no cache key does, then the
// writer.
func (a *Acks) Expect() Pending {
	id := "#" + a.writer + "-" + strconv.FormatUint(a.seq.Add(1), 10)
	if !a.watching.Load() {
		return Pending{a: a, id: id}
	}
	p := &pendingAck{want: -1, from: make(map[string]bool), done: make(chan struct{})}
	a.mu.Lock()
	a.pending[id] = p
	a.mu.Unlock()
	return Pending{a: a, id: id, p: p}
}

// ID is the invalidation's id, to send with it.
func (p Pending) ID() string { return p.id }

// Wait waits for n acknowledgements, from anyone (n as the shared layer
// reports how many watchers the invalidation reached).
func (p Pending) Wait(ctx context.Context, n int64) {
	p.wait(ctx, func(pa *pendingAck) { pa.want = n })
}

// WaitFor waits for an acknowledgement from each of members (as the shared
// layer names the watchers the invalidation reached; see Ack's from).
func (p Pending) WaitFor(ctx context.Context, members []string) {
	p.wait(ctx, func(pa *pendingAck) { pa.members = append([]string{}, members...) })
}

func (p Pending) wait(ctx context.Context, set func(*pendingAck)) {
	if p.p == nil {
		return
	}
	p.a.mu.Lock()
	set(p.p)
	finished := p.p.finished()
	p.a.mu.Unlock()
	if finished {
		return
	}
	t := time.NewTimer(p.a.wait)
	defer t.Stop()
	select {
	case <-p.p.done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// Done stops counting acknowledgements of the invalidation.
func (p Pending) Done() {
	if p.p == nil {
		return
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	delete(p.a.pending, p.id)
}

// Ack counts one acknowledgement of id, if it is this replica's; from
// names the watcher that sent it ("" when the shared layer only counts).
func (a *Acks) Ack(id, from string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.pending[id]
	if !ok {
		return
	}
	p.got++
	if from != "" {
		p.from[from] = true
	}
	p.finished()
}

// AckWriter is the writer part of an id made by Expect ("" if it is not
// one): whom to send its acknowledgement to.
func AckWriter(id string) string {
	w, _, ok := strings.Cut(strings.TrimPrefix(id, "#"), "-")
	if !ok || !strings.HasPrefix(id, "#") {
		return ""
	}
	return w
}
