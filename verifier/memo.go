package verifier

import (
	"strings"
	"sync"
	"sync/atomic"
)

// authentic is what steps 1-3 of verification establish about a token for
// one key set, issuer and product; it never changes, so it can be memoized.
type authentic struct {
	claims *Claims // never handed out: callers get clones
	has    present
}

// memo remembers authentic tokens by their exact string, so a product that
// checks its one token on every request pays for Ed25519 once. It holds at
// most size entries (each token at most MaxTokenSize bytes) and evicts with
// the CLOCK algorithm: a hit only sets a flag, so lookups share a read lock.
// Only tokens that passed steps 1-3 get in, so forged tokens cannot flush it.
// A memo belongs to one key set: SetKeys starts a new one.
type memo struct {
	mu    sync.RWMutex
	index map[string]*slot
	ring  []*slot
	hand  int
	size  int
}

type slot struct {
	token string
	auth  *authentic
	used  atomic.Bool
}

func newMemo(size int) *memo {
	if size <= 0 {
		return nil
	}
	return &memo{index: make(map[string]*slot), size: size}
}

func (m *memo) get(token string) *authentic {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.index[token]
	if s == nil {
		return nil
	}
	s.used.Store(true)
	return s.auth
}

func (m *memo) put(token string, a *authentic) {
	// The caller's token may be a slice of a much larger string (an HTTP
	// body); a copy keeps the memo's memory bounded by its own size.
	token = strings.Clone(token)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.index[token]; ok {
		return // a concurrent Verify of the same token got here first
	}
	if len(m.ring) < m.size {
		s := &slot{token: token, auth: a}
		m.ring = append(m.ring, s)
		m.index[token] = s
		return
	}
	// Sweep: give every recently used entry a second chance, evict the
	// first one not used since the hand last passed it.
	for {
		s := m.ring[m.hand]
		m.hand = (m.hand + 1) % len(m.ring)
		if s.used.Swap(false) {
			continue
		}
		delete(m.index, s.token)
		ns := &slot{token: token, auth: a}
		m.ring[(m.hand+len(m.ring)-1)%len(m.ring)] = ns
		m.index[token] = ns
		return
	}
}

func (m *memo) len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.index)
}
