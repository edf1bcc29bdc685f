package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/failover"
	"github.com/licensedhq/licensed/store/local"
	"github.com/licensedhq/licensed/store/redis"
)

// openCacheAndLimiter picks where snapshots and rate limits live:
//
//   - Redis when configured: shared by every replica, with the in-process
//     limiter as the fallback while Redis is unreachable (never no limit) and
//     the store answering what the cache cannot;
//   - in process on the embedded SQLite default, where this process is the
//     only writer;
//   - no cache on PostgreSQL without Redis: replicas could not tell each
//     other about a suspension, so every read goes to the database.
func (m *Main) openCacheAndLimiter(ctx context.Context, reg prometheus.Registerer) (store.Cache, store.Limiter, error) {
	fallback := local.NewLimiter(m.now)
	if m.Config.RedisURL == "" {
		if m.Config.postgres() {
			return nil, fallback, nil
		}
		return countCache(local.NewCache(), reg), fallback, nil
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
	cache := countCache(failover.NewCache(rc.Cache(), b), reg)
	return cache, failover.NewLimiter(rc.Limiter(), fallback, b), nil
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

// countedCache counts hits and misses of the product API's snapshots.
type countedCache struct {
	store.Cache
	lookups *prometheus.CounterVec
}

func countCache(c store.Cache, reg prometheus.Registerer) store.Cache {
	lookups := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "licensed_cache_lookups_total", Help: "Snapshot cache lookups by result (hit, miss).",
	}, []string{"result"})
	reg.MustRegister(lookups)
	return countedCache{Cache: c, lookups: lookups}
}

func (c countedCache) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	v, gen, ok, err := c.Cache.Get(ctx, key)
	if ok && err == nil {
		c.lookups.WithLabelValues("hit").Inc()
	} else {
		c.lookups.WithLabelValues("miss").Inc()
	}
	return v, gen, ok, err
}
