package issuer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/local"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestTokenReuseWindow: a token is handed out again for the same answer
// only within the reuse window — 1 % of the token TTL, at most a minute
// (the product's default TTL is a week, so a minute) — and never once the
// window has passed.
func TestTokenReuseWindow(t *testing.T) {
	if got := reuseWindow(DefaultTokenTTL); got != time.Minute {
		t.Fatalf("window of a week's TTL: %v", got)
	}
	if got := reuseWindow(time.Hour); got != 36*time.Second {
		t.Fatalf("window of an hour's TTL: %v", got)
	}
	for _, cached := range []bool{false, true} {
		clk := &testClock{t: time.Now().UTC().Truncate(time.Second)}
		var s *Service
		var key string
		if cached {
			s, key = testService(t, local.NewCache(local.WithClock(clk.Now)), clk.Now)
		} else {
			s, key = testService(t, nil, clk.Now)
		}
		inst := "example.org"
		in := ValidateInput{LicenseKey: key, Product: ptr("b/p"), Instance: &inst}
		validate := func() string {
			t.Helper()
			v, err := s.Validate(context.Background(), in)
			if err != nil || !v.Valid || v.Token == "" {
				t.Fatalf("validate: %v %+v", err, v)
			}
			return v.Token
		}
		first := validate()
		clk.Advance(59 * time.Second)
		if again := validate(); again != first {
			t.Fatalf("cached %v: a new token 59 s after the first, within the window", cached)
		}
		clk.Advance(time.Second)
		if later := validate(); later == first {
			t.Fatalf("cached %v: the same token a minute after it was signed", cached)
		}
	}
}
