package redis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/memo"
	"github.com/licensedhq/licensed/store/redis"
	"github.com/licensedhq/licensed/store/storetest"
)

// watched is a memo over c's cache that c's subscription feeds, once the
// subscription is confirmed (the memo starts down).
func watched(t *testing.T, c *redis.Client) *memo.Cache {
	t.Helper()
	m := memo.New(c.Cache(), memo.Down())
	c.Watch(m)
	eventually(t, 5*time.Second, "the subscription is never confirmed", m.Up)
	return m
}

func eventually(t *testing.T, within time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func keep(m *memo.Cache, key string) {
	m.Keep(key, m.Stamp(), "v:"+key, time.Minute)
}

func kept(m *memo.Cache, key string) bool {
	_, ok := m.Recall(key)
	return ok
}

// TestWatchInvalidations: an invalidation through one replica's client
// drops exactly its keys from another replica's memo, within a second; a
// new epoch (lost invalidations made up for) empties it; replicas under
// another prefix hear nothing of either, although pub/sub channels are
// global to the server.
func TestWatchInvalidations(t *testing.T) {
	u := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t, u)
	a := openAt(t, u, redis.WithPrefix(prefix))
	// The first script under a prefix starts its first epoch, which is
	// published as a reset: done before anyone listens.
	if _, _, _, err := a.Cache().Get(context.Background(), "warm"); err != nil {
		t.Fatal(err)
	}
	mb := watched(t, openAt(t, u, redis.WithPrefix(prefix)))
	other := watched(t, openAt(t, u, redis.WithPrefix(storetest.RedisPrefix(t, u))))
	for _, k := range []string{"lk:1", "lk:2", "ak:3"} {
		keep(mb, k)
		keep(other, k)
	}
	if err := a.Cache().Invalidate(context.Background(), "lk:1", "ak:3"); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "an invalidation through another client never reached the memo", func() bool {
		return !kept(mb, "lk:1") && !kept(mb, "ak:3")
	})
	if !kept(mb, "lk:2") {
		t.Fatal("a key nobody invalidated was dropped")
	}

	a.Cache().(interface{ MarkStale() }).MarkStale()
	eventually(t, 2*time.Second, "a new epoch did not empty the memo", func() bool { return !kept(mb, "lk:2") })
	if !mb.Up() {
		t.Fatal("the memo went down on a new epoch")
	}
	for _, k := range []string{"lk:1", "lk:2", "ak:3"} {
		if !kept(other, k) {
			t.Fatalf("a memo under another prefix lost %s", k)
		}
	}
}

// TestInvalidateWaitsForMemos: an Invalidate through a replica that
// watches returns once every replica's memo has dropped the keys, so a
// request sent after the change was acknowledged never finds them there.
func TestInvalidateWaitsForMemos(t *testing.T) {
	u := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t, u)
	a := openAt(t, u, redis.WithPrefix(prefix))
	if _, _, _, err := a.Cache().Get(context.Background(), "warm"); err != nil {
		t.Fatal(err)
	}
	ma := watched(t, a)
	memos := []*memo.Cache{ma, watched(t, openAt(t, u, redis.WithPrefix(prefix))), watched(t, openAt(t, u, redis.WithPrefix(prefix)))}
	for i := range 20 {
		key := "lk:" + strconv.Itoa(i)
		for _, m := range memos {
			keep(m, key)
		}
		if err := ma.Invalidate(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		for j, m := range memos {
			if kept(m, key) {
				t.Fatalf("round %d: replica %d still had the key when Invalidate returned", i, j)
			}
		}
	}
}

// TestWatchOutage: when the subscription's connection breaks, the memo
// forgets everything and serves nothing, since invalidations may go
// unheard; when Redis answers again it serves again, from empty.
func TestWatchOutage(t *testing.T) {
	u := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t, u)
	proxy := storetest.StartProxy(t, u)
	m := watched(t, openAt(t, proxy.URL(), redis.WithPrefix(prefix)))
	keep(m, "lk:1")
	proxy.Cut()
	eventually(t, time.Second, "the memo still serves with its subscription cut", func() bool { return !m.Up() && !kept(m, "lk:1") })
	keep(m, "lk:2")
	if kept(m, "lk:2") {
		t.Fatal("a memo that is down kept a value")
	}
	proxy.Restore()
	eventually(t, 5*time.Second, "the memo never came back with Redis", m.Up)
	if kept(m, "lk:1") {
		t.Fatal("a value from before the outage survived it")
	}

	// A subscription that goes silent (Redis stalled) counts as down too.
	keep(m, "lk:3")
	proxy.Stall()
	eventually(t, 2*time.Second, "the memo still serves with Redis silent", func() bool { return !m.Up() && !kept(m, "lk:3") })
	proxy.Restore()
	eventually(t, 5*time.Second, "the memo never came back after the stall", m.Up)
}
