package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// acks makes an Invalidate return only once every replica's memo has
// dropped the keys (or a bound has passed): without it, a replica could
// answer from its memo a request sent after the change was acknowledged,
// if its subscription goroutine had not yet run. Each invalidation carries
// an id; the script returns how many subscribers its message reached; each
// subscriber publishes the id on the acks channel after dropping the keys;
// this client's own subscription (Watch) counts them. A client that
// watches nothing hears no acks and does not wait.
type acks struct {
	wait     time.Duration
	prefix   string // of this client's ids: "#" (no cache key starts so) and a random part
	seq      atomic.Uint64
	watching atomic.Bool

	mu      sync.Mutex
	pending map[string]*pendingAck
}

type pendingAck struct {
	got  int64
	want int64 // -1 until the script said
	done chan struct{}
}

func newAcks(wait time.Duration) *acks {
	b := make([]byte, 6)
	rand.Read(b)
	return &acks{wait: wait, prefix: "#" + hex.EncodeToString(b) + "-", pending: make(map[string]*pendingAck)}
}

// expect registers a new invalidation id, and returns it with the wait for
// n acknowledgements (n from the script).
func (a *acks) expect() (string, func(ctx context.Context, n int64)) {
	id := a.prefix + strconv.FormatUint(a.seq.Add(1), 10)
	if !a.watching.Load() {
		return id, func(context.Context, int64) {}
	}
	p := &pendingAck{want: -1, done: make(chan struct{})}
	a.mu.Lock()
	a.pending[id] = p
	a.mu.Unlock()
	return id, func(ctx context.Context, n int64) {
		a.mu.Lock()
		p.want = n
		finished := p.got >= n
		a.mu.Unlock()
		if finished {
			return
		}
		t := time.NewTimer(a.wait)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// ack counts one acknowledgement of id, if it is this client's.
func (a *acks) ack(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.pending[id]
	if !ok {
		return
	}
	p.got++
	if p.want >= 0 && p.got == p.want {
		close(p.done)
	}
}

func (a *acks) forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.pending, id)
}
