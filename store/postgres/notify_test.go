package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/memo"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/storetest"
)

// replica is one replica's memo over the invalidations of the database at
// url, once its listener is confirmed (the memo starts down).
func replica(t *testing.T, url string) (*memo.Cache, *postgres.Invalidations) {
	t.Helper()
	s := open(t, url).(*postgres.Store)
	inv, err := s.Invalidations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		inv.Close()
		s.Close()
	})
	m := memo.New(inv, memo.Down())
	inv.Watch(m)
	eventually(t, 5*time.Second, "the listener is never confirmed", m.Up)
	return m, inv
}

func eventually(t *testing.T, within time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func keep(m *memo.Cache, key string) { m.Keep(key, m.Stamp(), "v:"+key, time.Minute) }

func kept(m *memo.Cache, key string) bool {
	_, ok := m.Recall(key)
	return ok
}

// TestInvalidateWaitsForMemos: an Invalidate through any replica returns
// once every replica's memo has dropped exactly its keys, so a request
// sent after the change was acknowledged never finds them there; a
// deployment in another schema of the same database hears nothing.
func TestInvalidateWaitsForMemos(t *testing.T) {
	u := storetest.PostgresURL(t)
	var memos []*memo.Cache
	for range 3 {
		m, _ := replica(t, u)
		memos = append(memos, m)
	}
	other, _ := replica(t, storetest.PostgresURL(t))
	for _, m := range append(memos, other) {
		keep(m, "ak:kept")
	}
	for i := range 20 {
		key := "lk:" + strconv.Itoa(i)
		keep(other, key)
		for _, m := range memos {
			keep(m, key)
		}
		if err := memos[i%3].Invalidate(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		for j, m := range memos {
			if kept(m, key) {
				t.Fatalf("round %d: replica %d still had the key when Invalidate returned", i, j)
			}
		}
		if !kept(other, key) {
			t.Fatalf("round %d: a replica in another schema dropped the key", i)
		}
	}
	for j, m := range append(memos, other) {
		if !kept(m, "ak:kept") {
			t.Fatalf("replica %d dropped a key nobody invalidated", j)
		}
	}
}

// TestInvalidateManyKeys: keys beyond one notification's 8000 bytes are
// sent in several, and all are dropped before Invalidate returns.
func TestInvalidateManyKeys(t *testing.T) {
	u := storetest.PostgresURL(t)
	a, _ := replica(t, u)
	b, _ := replica(t, u)
	var keys []string
	for i := range 400 {
		keys = append(keys, fmt.Sprintf("act:%04d:%s", i, strings.Repeat("0", 48)))
		keep(b, keys[i])
	}
	if err := a.Invalidate(t.Context(), keys...); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if kept(b, k) {
			t.Fatalf("%s still kept when Invalidate returned", k)
		}
	}
}

// TestLostInvalidation: an Invalidate that fails may or may not have been
// notified, so every memo is told to forget everything ("*") as soon as
// the database answers, and stays up.
func TestLostInvalidation(t *testing.T) {
	u := storetest.PostgresURL(t)
	a, _ := replica(t, u)
	b, _ := replica(t, u)
	keep(b, "lk:1")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := a.Invalidate(ctx, "lk:2"); err == nil {
		t.Fatal("Invalidate with a cancelled context succeeded")
	}
	eventually(t, 2*time.Second, "a lost invalidation never emptied the other memo", func() bool { return !kept(b, "lk:1") })
	if !b.Up() {
		t.Fatal("the memo went down on a lost invalidation")
	}
	keep(b, "lk:1")
	if !kept(b, "lk:1") {
		t.Fatal("the memo keeps nothing after the reset")
	}
}

// TestListenerOutage: when the listening connection is ended by the
// server, or goes silent, the memo forgets everything and serves nothing,
// since invalidations may go unheard; once a new connection listens it
// serves again, from empty, and hears (and acknowledges) invalidations.
func TestListenerOutage(t *testing.T) {
	u := storetest.PostgresURL(t)
	proxy := storetest.StartProxy(t, u)
	admin := open(t, u).(*postgres.Store)
	t.Cleanup(func() { admin.Close() })
	a, inv := replica(t, u)
	b, _ := replica(t, proxy.URL())
	listeners := func() map[int]bool {
		rows, err := admin.DB().QueryContext(t.Context(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", inv.ApplicationName())
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		pids := map[int]bool{}
		for rows.Next() {
			var pid int
			rows.Scan(&pid)
			pids[pid] = true
		}
		return pids
	}
	before := listeners()
	if len(before) != 2 {
		t.Fatalf("%d listening connections, want 2", len(before))
	}

	keep(b, "lk:1")
	if _, err := admin.DB().ExecContext(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", inv.ApplicationName()); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "the memo still serves with its listener ended", func() bool { return !b.Up() && !kept(b, "lk:1") })
	keep(b, "lk:2")
	if kept(b, "lk:2") && !b.Up() {
		t.Fatal("a memo that is down kept a value")
	}
	eventually(t, 5*time.Second, "the memos never listened again", func() bool { return a.Up() && b.Up() })
	after := listeners()
	for pid := range after {
		if before[pid] {
			t.Fatalf("listener %d survived pg_terminate_backend", pid)
		}
	}
	if kept(b, "lk:1") {
		t.Fatal("a value from before the outage survived it")
	}
	keep(b, "lk:3")
	if err := a.Invalidate(t.Context(), "lk:3"); err != nil {
		t.Fatal(err)
	}
	if kept(b, "lk:3") {
		t.Fatal("after listening again, an invalidation was not applied when it returned")
	}

	// A listener that goes silent (a hung server, a partition) counts as
	// down too: its pings go unanswered.
	keep(b, "lk:4")
	proxy.Stall()
	eventually(t, 2*time.Second, "the memo still serves with its listener silent", func() bool { return !b.Up() && !kept(b, "lk:4") })
	proxy.Restore()
	eventually(t, 5*time.Second, "the memo never came back after the stall", b.Up)
}

// TestMemosUnderConcurrentChanges: readers on two replicas fill their
// memos from a "store" (a version per key) while writers change it and
// invalidate through either replica. Once an Invalidate returned, no
// replica recalls a version older than the change (-race).
func TestMemosUnderConcurrentChanges(t *testing.T) {
	u := storetest.PostgresURL(t)
	a, _ := replica(t, u)
	b, _ := replica(t, u)
	reps := []*memo.Cache{a, b}
	const keys = 4
	var versions [keys]atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	stop := time.Now().Add(time.Second)
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				m, k := reps[(r+i)%2], (r*7+i)%keys
				key := "lk:" + strconv.Itoa(k)
				if _, ok := m.Recall(key); ok {
					continue
				}
				stamp := m.Stamp()
				m.Keep(key, stamp, versions[k].Load(), time.Minute)
			}
		}()
	}
	for w := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "lk:" + strconv.Itoa(w)
			for i := 0; time.Now().Before(stop); i++ {
				v := versions[w].Add(1)
				if err := reps[i%2].Invalidate(context.Background(), key); err != nil {
					failed.Store(err.Error())
					return
				}
				for j, m := range reps {
					if got, ok := m.Recall(key); ok && got.(int64) < v {
						failed.Store(fmt.Sprintf("replica %d recalled version %d of %s after version %d was invalidated", j, got, key, v))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		t.Fatal(f)
	}
}
