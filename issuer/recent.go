package issuer

import (
	"sync"
	"time"
)

// recent remembers when this process last wrote a bookkeeping timestamp
// (an API key's last_used_at, an activation's last_seen_at), since the
// cached snapshot it read may show an older one: without it, every request
// after the snapshot's time went stale would write again. Bounded: past
// recentMax ids it starts again from empty, which costs one more write
// each, never a missed one.
type recent struct {
	mu sync.Mutex
	at map[string]time.Time
}

const recentMax = 100_000

// due reports whether id was last written every or longer before now (as
// far as this process knows), and if so records now as its last write.
func (r *recent) due(id string, now time.Time, every time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.at[id]; ok && now.Sub(t) < every && !now.Before(t) {
		return false
	}
	if r.at == nil || len(r.at) >= recentMax {
		r.at = make(map[string]time.Time)
	}
	r.at[id] = now
	return true
}
