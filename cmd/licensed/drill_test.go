package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/storetest"
)

// Outage drills: the database breaks under the service in the ways
// databases break — a connection cut at begin or at commit, a commit that
// lands while its answer is lost, a server that stops answering without
// closing anything, a lock held past the deadline — and every answer is
// 2xx or 503 with Retry-After (never 500, never a hung request), and what
// was acknowledged is exactly what is in the database.

// drillTimeout is LICENSED_DB_TIMEOUT in the drills that wait for it (a
// stalled or locked database): short, so that they do not wait long. A
// healthy call on a loaded machine may take longer too; the drills accept a
// 503 for it, as they must for any outage.
const drillTimeout = "1s"

// behindProxy points env's PostgreSQL through a proxy the test can break,
// in clear (sslmode=disable), so that the proxy can see which statement a
// connection is sending.
func behindProxy(t *testing.T, env map[string]string) *storetest.Proxy {
	t.Helper()
	p := storetest.StartProxy(t, env["LICENSED_DATABASE_URL"])
	u, err := url.Parse(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	env["LICENSED_DATABASE_URL"] = u.String()
	return p
}

// eachPostgresShape runs fn on PostgreSQL, alone and with Redis.
func eachPostgresShape(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, backends[1].env(t))
	})
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		env := backends[1].env(t)
		url := storetest.RedisURL(t)
		env["LICENSED_REDIS_URL"] = url
		env["LICENSED_REDIS_PREFIX"] = storetest.RedisPrefix(t, url)
		fn(t, env)
	})
}

// rawDB is the database under a server's store, for counting rows.
func rawDB(t *testing.T, st store.Store) *sql.DB {
	t.Helper()
	for {
		if d, ok := st.(interface{ DB() *sql.DB }); ok {
			return d.DB()
		}
		w, ok := st.(interface{ Unwrap() store.Store })
		if !ok {
			t.Fatalf("%T: no way to its database", st)
		}
		st = w.Unwrap()
	}
}

// licenseRows counts a brand's licenses in the database itself.
func (s *testServer) licenseRows(t *testing.T, brand string) int {
	t.Helper()
	ctx := context.Background()
	b, err := s.store.BrandBySlug(ctx, brand)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rawDB(t, s.store).QueryRowContext(ctx, "SELECT COUNT(*) FROM licenses WHERE brand_id = $1", b.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// expectOutage fails unless r is 503 unavailable with Retry-After.
func expectOutage(t *testing.T, r response) {
	t.Helper()
	expect(t, r, 503, "unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Fatalf("503 without Retry-After: %s", r.raw)
	}
}

// TestCommitAnswerLost is the brand's bad day exactly: the provisioning's
// commit reaches PostgreSQL and lands, the connection drops before the
// answer comes back; the service answers 503 (not 500), and the brand's
// retry with the same Idempotency-Key replays the committed license: 201,
// the same license and key, one row.
func TestCommitAnswerLost(t *testing.T) {
	eachPostgresShape(t, func(t *testing.T, env map[string]string) {
		proxy := behindProxy(t, env)
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		// A first provisioning, so that the API key's once-a-minute touch
		// (a transaction of its own) is behind us and the next commit on
		// the wire is the provisioning's.
		expect(t, s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "warm@example.com", "product": "rankmath-pro"}), 201, "")

		body := map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"}
		lost := proxy.LoseReplyTo([]byte("commit\x00"))
		expectOutage(t, s.call(t, "POST", "/v1/licenses", rm.writeKey, body, "Idempotency-Key", "order-1"))
		select {
		case <-lost:
		default:
			t.Fatal("the drill did not happen: no commit's answer was lost")
		}
		if n := s.licenseRows(t, "rankmath"); n != 2 {
			t.Fatalf("%d licenses in the database, want 2: the lost commit landed", n)
		}

		retry := s.call(t, "POST", "/v1/licenses", rm.writeKey, body, "Idempotency-Key", "order-1")
		expect(t, retry, 201, "")
		found := s.call(t, "POST", "/v1/licenses/search", rm.readKey, map[string]any{"customer_email": "jane@example.com"})
		expect(t, found, 200, "")
		data := found.get("data").([]any)
		if len(data) != 1 || data[0].(map[string]any)["id"] != retry.str("license", "id") ||
			data[0].(map[string]any)["license_key"] != retry.str("license_key") {
			t.Fatalf("the retry answered %s; the database holds %s", retry.raw, found.raw)
		}
		if n := s.licenseRows(t, "rankmath"); n != 2 {
			t.Fatalf("%d licenses after the retry, want 2", n)
		}
	})
}

// TestConnectionCutAtBeginAndCommit: the connection dies as the
// transaction begins, or as the commit is sent (so it never lands): 201 or
// 503, never 500, and a retry with the same Idempotency-Key ends with one
// license.
func TestConnectionCutAtBeginAndCommit(t *testing.T) {
	eachPostgresShape(t, func(t *testing.T, env map[string]string) {
		proxy := behindProxy(t, env)
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		expect(t, s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "warm@example.com", "product": "rankmath-pro"}), 201, "")
		for i, at := range []string{"begin\x00", "commit\x00"} {
			email := fmt.Sprintf("cut%d@example.com", i)
			body := map[string]any{"customer_email": email, "product": "rankmath-pro"}
			key := "cut-" + strings.TrimSuffix(at, "\x00")
			cut := proxy.CutAt([]byte(at))
			r := s.call(t, "POST", "/v1/licenses", rm.writeKey, body, "Idempotency-Key", key)
			select {
			case <-cut:
			default:
				t.Fatalf("the drill did not happen: no connection was cut at %q", at)
			}
			if r.status != 201 {
				expectOutage(t, r)
			}
			retry := s.call(t, "POST", "/v1/licenses", rm.writeKey, body, "Idempotency-Key", key)
			expect(t, retry, 201, "")
			if r.status == 201 && retry.str("license", "id") != r.str("license", "id") {
				t.Fatal("the retry made a second license")
			}
			found := s.call(t, "POST", "/v1/licenses/search", rm.readKey, map[string]any{"customer_email": email})
			if n := len(found.get("data").([]any)); n != 1 {
				t.Fatalf("cut at %q: %d licenses for the customer, want 1", at, n)
			}
		}
	})
}

// TestSQLiteLockedPastDeadline: another process holds SQLite's write lock
// past LICENSED_DB_TIMEOUT: provisioning answers 503 with Retry-After, and
// goes through once the lock is released.
func TestSQLiteLockedPastDeadline(t *testing.T) {
	env := backends[0].env(t)
	env["LICENSED_DB_TIMEOUT"] = drillTimeout
	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 1)
	release := holdSQLiteLock(t, env)
	body := map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"}
	expectOutage(t, s.call(t, "POST", "/v1/licenses", rm.writeKey, body, "Idempotency-Key", "k"))
	release()
	retryUntilCreated(t, s, rm, body, "k")
	if n := s.licenseRows(t, "rankmath"); n != 1 {
		t.Fatalf("%d licenses, want 1", n)
	}
}

// retryUntilCreated retries a provisioning as a brand would, through 503s,
// until it is acknowledged.
func retryUntilCreated(t *testing.T, s *testServer, tn tenant, body map[string]any, idemKey string) response {
	t.Helper()
	for range 100 {
		r := s.call(t, "POST", "/v1/licenses", tn.writeKey, body, "Idempotency-Key", idemKey)
		if r.status != 503 {
			expect(t, r, 201, "")
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no 201 after 100 retries")
	return response{}
}

// holdSQLiteLock takes the write lock of env's SQLite file from a
// connection of its own, as another process would, until release. It may
// run off the test's goroutine: failures are reported, not fatal.
func holdSQLiteLock(t *testing.T, env map[string]string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", env["LICENSED_DATA_DIR"]+"/licensed.db?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Errorf("open the SQLite file: %v", err)
		return func() {}
	}
	conn, err := db.Conn(context.Background())
	if err == nil {
		_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	}
	if err != nil {
		t.Errorf("take the SQLite write lock: %v", err)
		db.Close()
		return func() {}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// loadStats are the answers a provisioning load got.
type loadStats struct {
	requests, created, unavailable, other atomic.Int64
	otherSample                           atomic.Value
}

func (st *loadStats) String() string {
	return fmt.Sprintf("%d requests: %d 201, %d 503, %d other", st.requests.Load(), st.created.Load(), st.unavailable.Load(), st.other.Load())
}

// provisionLoad provisions ops licenses from workers goroutines, each with
// its own Idempotency-Key, retrying on 503 as a brand would, while disrupt
// breaks the database. disrupt gets the count of acknowledged
// provisionings so far, and between, which runs a function while no request
// is in flight (for breaking what in-flight requests would otherwise keep
// busy); it must return when it is done. provisionLoad returns the license
// id each op was finally acknowledged with. Every request must return: the
// client waits a generous minute, then the test fails as hung.
func provisionLoad(t *testing.T, s *testServer, tn tenant, ops, workers int, disrupt func(acked func() int64, between func(func()))) ([]string, *loadStats) {
	t.Helper()
	client := &http.Client{Timeout: time.Minute}
	stats := &loadStats{}
	ids := make([]string, ops)
	var acked atomic.Int64
	next := atomic.Int64{}
	var wg sync.WaitGroup
	var inFlight sync.RWMutex
	between := func(fn func()) {
		inFlight.Lock()
		defer inFlight.Unlock()
		fn()
	}
	disrupted := make(chan struct{})
	go func() {
		defer close(disrupted)
		disrupt(acked.Load, between)
	}()
	for range workers {
		wg.Go(func() {
			for {
				op := int(next.Add(1)) - 1
				if op >= ops {
					return
				}
				body, _ := json.Marshal(map[string]any{"customer_email": fmt.Sprintf("load%d@example.com", op), "product": tn.product})
				for attempt := 0; ; attempt++ {
					if attempt == 2000 {
						t.Errorf("op %d: no 201 after %d attempts", op, attempt)
						return
					}
					req, _ := http.NewRequest("POST", s.URL()+"/v1/licenses", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+tn.writeKey)
					req.Header.Set("Idempotency-Key", fmt.Sprintf("op-%d", op))
					stats.requests.Add(1)
					inFlight.RLock()
					res, err := client.Do(req)
					inFlight.RUnlock()
					if err != nil {
						t.Errorf("op %d: the request did not return: %v", op, err)
						return
					}
					raw, _ := io.ReadAll(res.Body)
					res.Body.Close()
					switch {
					case res.StatusCode == 201:
						var out struct {
							License struct{ ID string } `json:"license"`
						}
						json.Unmarshal(raw, &out)
						ids[op] = out.License.ID
						stats.created.Add(1)
						acked.Add(1)
					case res.StatusCode == 503 && res.Header.Get("Retry-After") != "":
						stats.unavailable.Add(1)
						time.Sleep(20 * time.Millisecond)
						continue
					default:
						stats.other.Add(1)
						stats.otherSample.Store(fmt.Sprintf("%d %s", res.StatusCode, raw))
						time.Sleep(20 * time.Millisecond)
						continue
					}
					break
				}
			}
		})
	}
	wg.Wait()
	<-disrupted
	return ids, stats
}

// waitFor polls cond (bounded) while the load runs.
func waitFor(cond func() bool) {
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkLoad asserts the drill's invariant: every answer was 201 or 503,
// every op was acknowledged once with its own license, and the database
// holds exactly the acknowledged licenses.
func checkLoad(t *testing.T, s *testServer, brand string, ids []string, stats *loadStats, extra int) {
	t.Helper()
	if n := stats.other.Load(); n != 0 {
		t.Errorf("%d answers were neither 201 nor 503, e.g. %v", n, stats.otherSample.Load())
	}
	seen := map[string]bool{}
	for op, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("op %d: license %q (missing or acknowledged twice)", op, id)
		}
		seen[id] = true
	}
	if rows := s.licenseRows(t, brand); rows != len(ids)+extra {
		t.Fatalf("%d licenses in the database, %d acknowledged", rows-extra, len(ids))
	}
	t.Logf("%s; rows == acknowledged == %d", stats, len(ids))
}

// TestStalledPostgresUnderLoad: PostgreSQL stops answering (nothing is
// closed) twice while provisionings run: requests answer 503 instead of
// hanging, the pool recovers on its own each time, and what was
// acknowledged is exactly what the database holds.
func TestStalledPostgresUnderLoad(t *testing.T) {
	eachPostgresShape(t, func(t *testing.T, env map[string]string) {
		proxy := behindProxy(t, env)
		env["LICENSED_DB_TIMEOUT"] = drillTimeout
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		const ops = 60
		ids, stats := provisionLoad(t, s, rm, ops, 8, func(acked func() int64, _ func(func())) {
			for _, at := range []int64{10, 35} {
				waitFor(func() bool { return acked() >= at })
				proxy.Stall()
				time.Sleep(3 * time.Second) // three deadlines' worth of stalled requests
				proxy.Restore()
			}
		})
		if stats.unavailable.Load() == 0 {
			t.Fatal("the drill did not happen: no request saw the stall")
		}
		checkLoad(t, s, "rankmath", ids, stats, 0)
	})
}

// TestCutPostgresUnderLoad: while provisionings run, commits land and
// their answers are lost, and every connection is cut twice: 201 or 503
// only, and what was acknowledged is exactly what the database holds.
func TestCutPostgresUnderLoad(t *testing.T) {
	eachPostgresShape(t, func(t *testing.T, env map[string]string) {
		proxy := behindProxy(t, env)
		env["LICENSED_DB_TIMEOUT"] = drillTimeout
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 1)
		const ops = 60
		var lost int
		ids, stats := provisionLoad(t, s, rm, ops, 8, func(acked func() int64, _ func(func())) {
			for _, at := range []int64{5, 15, 25, 35, 45} {
				waitFor(func() bool { return acked() >= at })
				select {
				case <-proxy.LoseReplyTo([]byte("commit\x00")):
					lost++
				case <-time.After(10 * time.Second):
				}
				if at == 15 || at == 35 {
					proxy.Cut()
					time.Sleep(200 * time.Millisecond)
					proxy.Restore()
				}
			}
		})
		if lost == 0 || stats.unavailable.Load() == 0 {
			t.Fatalf("the drill did not happen: %d commits' answers lost, %d 503s", lost, stats.unavailable.Load())
		}
		t.Logf("%d commits landed with their answers lost", lost)
		checkLoad(t, s, "rankmath", ids, stats, 0)
	})
}

// TestLockedSQLiteUnderLoad: another process holds SQLite's write lock
// past the deadline, twice, while provisionings run: 201 or 503 only, and
// what was acknowledged is exactly what the database holds.
func TestLockedSQLiteUnderLoad(t *testing.T) {
	env := backends[0].env(t)
	env["LICENSED_DB_TIMEOUT"] = drillTimeout
	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 1)
	const ops = 60
	ids, stats := provisionLoad(t, s, rm, ops, 8, func(acked func() int64, between func(func())) {
		for _, at := range []int64{10, 35} {
			waitFor(func() bool { return acked() >= at })
			// Taken between requests: the server's writers, queued on its
			// one write connection, would otherwise keep the lock busy.
			var release func()
			between(func() { release = holdSQLiteLock(t, env) })
			time.Sleep(3 * time.Second)
			release()
		}
	})
	if stats.unavailable.Load() == 0 {
		t.Fatal("the drill did not happen: no request saw the lock")
	}
	checkLoad(t, s, "rankmath", ids, stats, 0)
}
