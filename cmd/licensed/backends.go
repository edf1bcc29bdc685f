package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/failover"
	"github.com/licensedhq/licensed/store/local"
	"github.com/licensedhq/licensed/store/memo"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/redis"
)

// openCacheAndLimiter picks where snapshots and rate limits live:
//
//   - Redis when configured, with an in-process memo of decoded snapshots
//     in front (store/memo) that every replica's invalidations reach
//     through Redis pub/sub: shared by every replica, with the in-process
//     limiter as the fallback while Redis is unreachable (never no limit) and
//     the store answering what the cache cannot;
//   - in process on the embedded SQLite default, where this process is the
//     only writer;
//   - on PostgreSQL without Redis, the memo alone, with nothing shared
//     behind it: every replica's invalidations reach every memo through
//     LISTEN/NOTIFY (postgres.Invalidations), acknowledged before the
//     change is answered, and a memo serves only while its listening
//     connection is confirmed; a miss reads the database.
func (m *Main) openCacheAndLimiter(ctx context.Context, reg prometheus.Registerer) (store.Cache, store.Limiter, error) {
	fallback := local.NewLimiter(m.now)
	if m.Config.RedisURL == "" {
		if m.Config.postgres() {
			cache, err := m.openInvalidations(ctx, reg)
			return cache, fallback, err
		}
		// This process is the only writer: its memo hears every
		// invalidation there is.
		return countCache(memo.New(local.NewCache()), reg), fallback, nil
	}
	// go-redis reports dial failures through a process-wide logger; route
	// them into the JSON log (the breaker already logs the state change).
	goredis.SetLogger(redisLogger{m.log})
	rc, err := redis.New(m.Config.RedisURL, redis.WithPrefix(m.Config.RedisPrefix))
	if err != nil {
		return nil, nil, fmt.Errorf("LICENSED_REDIS_URL: %w", err)
	}
	m.redis = rc
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "licensed_redis_up", Help: "1 while Redis answers, 0 while the service runs degraded without it."})
	downs := prometheus.NewCounter(prometheus.CounterOpts{Name: "licensed_redis_errors_total", Help: "Times Redis stopped answering (the service fell back to the store and in-process limits)."})
	reg.MustRegister(up, downs)
	up.Set(1)
	b := failover.NewBreaker(failover.WithOnStateChange(func(ok bool, err error) {
		if ok {
			up.Set(1)
			m.log.Info("redis is back: shared cache and rate limits in use again")
			return
		}
		up.Set(0)
		downs.Inc()
		m.log.Warn("redis unreachable: degraded to store reads and per-replica rate limits", "error", errString(err))
	}))
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rc.Ping(pingCtx); err != nil {
		up.Set(0)
		m.log.Warn("redis unreachable at start: running degraded until it answers", "error", err.Error())
	}
	// The memo keeps decoded snapshots in process; it serves only while
	// the subscription to every replica's invalidations is confirmed.
	mc := memo.New(failover.NewCache(rc.Cache(), b), memo.Down())
	rc.Watch(mc)
	cache := countCache(mc, reg)
	return cache, failover.NewLimiter(rc.Limiter(), fallback, b), nil
}

// openInvalidations puts a memo over PostgreSQL's notifications: down
// until the listener's LISTEN is confirmed.
func (m *Main) openInvalidations(ctx context.Context, reg prometheus.Registerer) (store.Cache, error) {
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "licensed_invalidations_listening", Help: "1 while this replica listens for every replica's invalidations (its memo serves), 0 while it does not (every read goes to the database)."})
	reg.MustRegister(up)
	inv, err := m.pg.Invalidations(ctx, postgres.WithNotifyTimeout(m.Config.DBTimeout),
		postgres.WithOnListenChange(func(ok bool, err error) {
			if ok {
				up.Set(1)
				m.log.Info("listening for invalidations: the in-process cache serves")
				return
			}
			up.Set(0)
			m.log.Warn("not listening for invalidations: every read goes to the database until the listener is back", "error", errString(err))
		}))
	if err != nil {
		return nil, err
	}
	m.invalidations = inv
	mc := memo.New(inv, memo.Down())
	inv.Watch(mc)
	return countCache(mc, reg), nil
}

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug("redis client", "message", fmt.Sprintf(format, v...))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// countedCache counts hits and misses of the product API's snapshots; a
// hit of the memo is a hit (its misses are counted by the Get after them).
type countedCache struct {
	store.Cache
	hits, misses *lazyCounter
}

// lazyCounter is one child of a counter vector, looked up the first time
// it is counted: WithLabelValues hashes the labels and takes the vector's
// lock, and a validation counts up to four lookups. A child still appears
// in /metrics only once counted.
type lazyCounter struct {
	vec   *prometheus.CounterVec
	label string
	once  sync.Once
	c     prometheus.Counter
}

func (l *lazyCounter) Inc() {
	l.once.Do(func() { l.c = l.vec.WithLabelValues(l.label) })
	l.c.Inc()
}

// countedMemo is a countedCache over a cache with a memo.
type countedMemo struct {
	countedCache
	memo store.Memo
}

func (c countedMemo) Recall(key string) (any, bool) {
	v, ok := c.memo.Recall(key)
	if ok {
		c.hits.Inc()
	}
	return v, ok
}

func (c countedMemo) Stamp() uint64 { return c.memo.Stamp() }

func (c countedMemo) Keep(key string, stamp uint64, value any, ttl time.Duration) {
	c.memo.Keep(key, stamp, value, ttl)
}

func countCache(c store.Cache, reg prometheus.Registerer) store.Cache {
	lookups := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "licensed_cache_lookups_total", Help: "Snapshot cache lookups by result (hit, miss).",
	}, []string{"result"})
	reg.MustRegister(lookups)
	cc := countedCache{Cache: c, hits: &lazyCounter{vec: lookups, label: "hit"}, misses: &lazyCounter{vec: lookups, label: "miss"}}
	if m, ok := c.(store.Memo); ok {
		return countedMemo{countedCache: cc, memo: m}
	}
	return cc
}

func (c countedCache) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	v, gen, ok, err := c.Cache.Get(ctx, key)
	if ok && err == nil {
		c.hits.Inc()
	} else {
		c.misses.Inc()
	}
	return v, gen, ok, err
}
