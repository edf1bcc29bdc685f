package memo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/local"
	"github.com/licensedhq/licensed/store/memo"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestKeepRecall(t *testing.T) {
	clk := &clock{t: time.Now()}
	m := memo.New(local.NewCache(), memo.WithClock(clk.Now))
	m.Keep("a", m.Stamp(), []string{"x"}, time.Second)
	v, ok := m.Recall("a")
	if !ok || v.([]string)[0] != "x" {
		t.Fatalf("recall: %v %v", v, ok)
	}
	clk.Advance(time.Second)
	if _, ok := m.Recall("a"); ok {
		t.Fatal("recalled past its TTL")
	}
	m.Keep("b", m.Stamp(), 1, 0)
	if _, ok := m.Recall("b"); ok {
		t.Fatal("kept with a TTL of zero")
	}
}

// TestStampRefusesStaleFills: a value read before an invalidation of its
// key — of this process (Invalidate) or told by another (Drop, Reset) — is
// never kept after it; an invalidation of another key does not stop it.
func TestStampRefusesStaleFills(t *testing.T) {
	ctx := context.Background()
	m := memo.New(local.NewCache(), memo.WithMaxEntries(3))
	stamp := m.Stamp()
	m.Invalidate(ctx, "other")
	m.Keep("a", stamp, "current", time.Minute)
	if _, ok := m.Recall("a"); !ok {
		t.Fatal("an invalidation of another key refused a fill")
	}
	m.Invalidate(ctx, "a")
	for name, inval := range map[string]func(){
		"invalidate": func() { m.Invalidate(ctx, "a") },
		"drop":       func() { m.Drop("a") },
		"reset":      func() { m.Reset(true) },
		// past its bound the record of invalidations forgets keys, and
		// refuses every fill from before
		"overflow": func() { m.Drop("w", "x", "y", "z") },
	} {
		stamp := m.Stamp()
		inval()
		m.Keep("a", stamp, "old", time.Minute)
		if _, ok := m.Recall("a"); ok {
			t.Fatalf("%s: a fill from before it was kept", name)
		}
	}
	m.Keep("a", m.Stamp(), "new", time.Minute)
	m.Keep("b", m.Stamp(), "new", time.Minute)
	if err := m.Invalidate(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Recall("a"); ok {
		t.Fatal("recalled after Invalidate")
	}
	if _, ok := m.Recall("b"); !ok {
		t.Fatal("Invalidate of a dropped b")
	}
	// Invalidate reaches the wrapped cache too.
	_, gen, _, _ := m.Get(ctx, "c")
	m.Invalidate(ctx, "c")
	m.Set(ctx, "c", gen, []byte("x"), time.Minute)
	if _, _, hit, _ := m.Get(ctx, "c"); hit {
		t.Fatal("the wrapped cache took a fill from before the invalidation")
	}
}

// TestDown: a memo that is down serves and keeps nothing until it is up.
func TestDown(t *testing.T) {
	m := memo.New(local.NewCache(), memo.Down())
	m.Keep("a", m.Stamp(), 1, time.Minute)
	if _, ok := m.Recall("a"); ok || m.Up() {
		t.Fatal("a memo created down kept a value")
	}
	m.Reset(true)
	m.Keep("a", m.Stamp(), 1, time.Minute)
	if _, ok := m.Recall("a"); !ok {
		t.Fatal("up, and nothing kept")
	}
	m.Reset(false)
	if _, ok := m.Recall("a"); ok {
		t.Fatal("served after going down")
	}
}

// TestBounded: past its size the memo starts again from empty.
func TestBounded(t *testing.T) {
	m := memo.New(local.NewCache(), memo.WithMaxEntries(2))
	for _, k := range []string{"a", "b", "c"} {
		m.Keep(k, m.Stamp(), k, time.Minute)
	}
	_, a := m.Recall("a")
	_, c := m.Recall("c")
	if a || !c {
		t.Fatalf("after three keeps in two places: a %v, c %v", a, c)
	}
}

// TestConcurrent runs keeps, recalls and invalidations at once (-race).
func TestConcurrent(t *testing.T) {
	m := memo.New(local.NewCache())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 500 {
				k := string(rune('a' + (i+j)%5))
				m.Keep(k, m.Stamp(), j, time.Minute)
				m.Recall(k)
				if j%7 == 0 {
					m.Invalidate(context.Background(), k)
				}
			}
		}()
	}
	wg.Wait()
}
