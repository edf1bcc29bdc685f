package redis

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/licensedhq/licensed/store"
)

// Limiter is a GCRA rate limiter shared by every replica on one Redis,
// built on go-redis/redis_rate (whose arithmetic store/local mirrors).
type Limiter struct {
	rl *redis_rate.Limiter
}

func newLimiter(rdb *goredis.Client, prefix string) *Limiter {
	return &Limiter{rl: redis_rate.NewLimiter(prefixed{rdb, prefix})}
}

// Allow takes one request from key's bucket. Rate and Burst below one
// count as one, as in store/local.
func (l *Limiter) Allow(ctx context.Context, key string, lim store.Limit) (store.LimitResult, error) {
	res, err := l.rl.Allow(ctx, key, rateLimit(lim))
	if err != nil {
		return store.LimitResult{}, classify("rate limit", err)
	}
	return store.LimitResult{
		Allowed:   res.Allowed > 0,
		Remaining: res.Remaining,
		// redis_rate says -1 where store says zero: "no need to wait".
		RetryAfter: max(res.RetryAfter, 0),
		ResetAfter: max(res.ResetAfter, 0),
	}, nil
}

// Peek answers what Allow would, taking nothing: redis_rate's AllowN with
// a cost of zero reports the bucket's state (its remaining counts the
// request not taken, its reset is the current one) and changes nothing.
func (l *Limiter) Peek(ctx context.Context, key string, lim store.Limit) (store.LimitResult, error) {
	rl := rateLimit(lim)
	res, err := l.rl.AllowN(ctx, key, rl, 0)
	if err != nil {
		return store.LimitResult{}, classify("rate limit", err)
	}
	reset := max(res.ResetAfter, 0)
	if res.Remaining >= 1 {
		return store.LimitResult{Allowed: true, Remaining: res.Remaining - 1, ResetAfter: reset}, nil
	}
	// The bucket is short of one request by what has not refilled yet.
	interval := lim.Interval()
	retry := reset - time.Duration(rl.Burst-1)*interval
	return store.LimitResult{RetryAfter: max(retry, time.Millisecond), ResetAfter: reset}, nil
}

func rateLimit(lim store.Limit) redis_rate.Limit {
	period := lim.Period
	if period <= 0 {
		period = time.Second
	}
	return redis_rate.Limit{Rate: max(lim.Rate, 1), Burst: max(lim.Burst, 1), Period: period}
}

// prefixed is the client redis_rate runs its scripts through. redis_rate
// names its keys "rate:<key>" with no way to change that; this puts them
// under our prefix like every other key of ours, so that they can share a
// database with other applications and be found (and cleaned up) by it.
// It holds the client in a field, not embedded, so that nothing reaches
// Redis through it with an unprefixed key.
type prefixed struct {
	rdb    *goredis.Client
	prefix string
}

func (p prefixed) names(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = p.prefix + k
	}
	return out
}

func (p prefixed) Eval(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return p.rdb.Eval(ctx, script, p.names(keys), args...)
}

func (p prefixed) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return p.rdb.EvalSha(ctx, sha1, p.names(keys), args...)
}

func (p prefixed) EvalRO(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return p.rdb.EvalRO(ctx, script, p.names(keys), args...)
}

func (p prefixed) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return p.rdb.EvalShaRO(ctx, sha1, p.names(keys), args...)
}

func (p prefixed) ScriptExists(ctx context.Context, hashes ...string) *goredis.BoolSliceCmd {
	return p.rdb.ScriptExists(ctx, hashes...)
}

func (p prefixed) ScriptLoad(ctx context.Context, script string) *goredis.StringCmd {
	return p.rdb.ScriptLoad(ctx, script)
}

func (p prefixed) Del(ctx context.Context, keys ...string) *goredis.IntCmd {
	return p.rdb.Del(ctx, p.names(keys)...)
}

var _ store.Limiter = (*Limiter)(nil)
