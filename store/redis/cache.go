package redis

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/memo"
)

// Every script starts with this prelude. KEYS[1] is the epoch key, KEYS[2]
// the sequence key; ARGV[1] is "1" when invalidations may have been lost
// (the epoch is bumped first), ARGV[2] the cache key prefix. It leaves the
// current epoch in epoch and the prefix of the epoch's keys in base. A new
// epoch is published as "*" on the invalidations channel (see watch.go).
//
// Generations and epochs are values of one sequence, so each is handed out
// once: a generation token matches only the generation key it was read
// from, never one created after an invalidation, an expiry, an eviction or
// an epoch change. The sequence starts (again, if Redis lost it) at the
// server's time in microseconds, so it stays above every value handed out
// before, unless more than a million were handed out per second.
const prelude = `
local function nextval()
  if redis.call('EXISTS', KEYS[2]) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', KEYS[2], t[1] .. string.format('%06d', tonumber(t[2])))
  end
  return string.format('%d', redis.call('INCR', KEYS[2]))
end
local channel = ARGV[2] .. 'invalidations'
local epoch = redis.call('GET', KEYS[1])
if ARGV[1] == '1' or not epoch then
  epoch = nextval()
  redis.call('SET', KEYS[1], epoch)
  redis.call('PUBLISH', channel, '*')
end
local base = ARGV[2] .. epoch .. ':'
`

// getScript: ARGV[3] is the key, ARGV[4] the generation TTL in
// milliseconds. A key without a generation gets a new one. Returns
// {generation, 1, value} on a hit and {generation, 0} on a miss (no nil
// inside the array: RESP2 and RESP3 would convert it differently).
var getScript = goredis.NewScript(prelude + `
local gk = base .. 'g:' .. ARGV[3]
local g = redis.call('GET', gk)
if not g then
  g = nextval()
  redis.call('SET', gk, g, 'PX', ARGV[4])
end
local v = redis.call('GET', base .. 'v:' .. ARGV[3])
if v then return {g, 1, v} end
return {g, 0}
`)

// setScript: ARGV[3] key, ARGV[4] the generation from Get, ARGV[5] value,
// ARGV[6] its TTL and ARGV[7] the generation TTL, in milliseconds. Stores
// only if the generation key still holds that generation (a missing one
// never does), and keeps it alive at least as long as the value.
var setScript = goredis.NewScript(prelude + `
local gk = base .. 'g:' .. ARGV[3]
if redis.call('GET', gk) ~= ARGV[4] then return 0 end
redis.call('SET', base .. 'v:' .. ARGV[3], ARGV[5], 'PX', ARGV[6])
redis.call('PEXPIRE', gk, ARGV[7])
return 1
`)

// invalidateScript: ARGV[3] is the generation TTL in milliseconds, ARGV[4]
// an id of this invalidation, ARGV[5:] the keys, which all move to one new
// generation and lose their values; the id and the keys are published,
// one a line, for the memos of every replica. Returns how many
// subscribers the message reached (see watch.go: each acknowledges it).
var invalidateScript = goredis.NewScript(prelude + `
local g = nextval()
for i = 5, #ARGV do
  redis.call('SET', base .. 'g:' .. ARGV[i], g, 'PX', ARGV[3])
  redis.call('DEL', base .. 'v:' .. ARGV[i])
end
return redis.call('PUBLISH', channel, table.concat(ARGV, '\n', 4))
`)

// bumpScript only moves to a new epoch (called with ARGV[1] = "1").
var bumpScript = goredis.NewScript(prelude + `return 1`)

// Cache is the store.Cache shared by every replica on one Redis. See the
// package doc for the key layout and the epoch.
type Cache struct {
	rdb           *goredis.Client
	keys          []string // the epoch and sequence keys
	base          string
	genTTL        time.Duration
	reconcileEach time.Duration

	// lost counts invalidations that may not have reached Redis since the
	// last epoch bump began; nonzero means the next operation bumps.
	lost atomic.Uint64

	acks *memo.Acks // of this client's invalidations by the replicas' memos

	mu          sync.Mutex // guards reconciling and closed
	reconciling bool
	closed      bool
	done        chan struct{}
	wg          sync.WaitGroup
}

func newCache(rdb *goredis.Client, cfg config) *Cache {
	return &Cache{
		rdb:           rdb,
		keys:          []string{cfg.prefix + "cache:epoch", cfg.prefix + "cache:seq"},
		base:          cfg.prefix + "cache:",
		genTTL:        cfg.generationTTL,
		reconcileEach: cfg.reconcileEach,
		acks:          memo.NewAcks(cfg.ackWait),
		done:          make(chan struct{}),
	}
}

// Get reads the epoch, the value and the generation in one round trip
// (giving the key a generation if it has none).
func (c *Cache) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	lost := c.lost.Load()
	res, err := getScript.Run(ctx, c.rdb, c.keys, bumpArg(lost), c.base, key, millis(c.genTTL)).Slice()
	if err != nil {
		return nil, 0, false, classify("cache get", err)
	}
	c.bumped(lost)
	return parseGet(res)
}

func parseGet(res []any) ([]byte, uint64, bool, error) {
	if len(res) < 2 {
		return nil, 0, false, fmt.Errorf("redis cache get: unexpected reply %v", res)
	}
	gs, _ := res[0].(string)
	gen, err := strconv.ParseUint(gs, 10, 64)
	if err != nil {
		return nil, 0, false, fmt.Errorf("redis cache get: generation %v: %w", res[0], err)
	}
	if hit, _ := res[1].(int64); hit != 1 || len(res) < 3 {
		return nil, gen, false, nil
	}
	v, ok := res[2].(string)
	if !ok {
		return nil, 0, false, fmt.Errorf("redis cache get: value of type %T", res[2])
	}
	return []byte(v), gen, true, nil
}

// Set stores value unless key's generation (or the epoch) moved since the
// Get that returned gen. A ttl of zero or less stores nothing; a ttl
// longer than the generation TTL is cut to it.
func (c *Cache) Set(ctx context.Context, key string, gen uint64, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	lost := c.lost.Load()
	err := setScript.Run(ctx, c.rdb, c.keys, bumpArg(lost), c.base, key,
		strconv.FormatUint(gen, 10), value, millis(min(ttl, c.genTTL)), millis(c.genTTL)).Err()
	if err != nil {
		return classify("cache set", err)
	}
	c.bumped(lost)
	return nil
}

// Invalidate moves the keys to a new generation and deletes their values,
// atomically. When it fails the invalidation may be lost, so the cache
// moves to a new epoch as soon as Redis answers again.
func (c *Cache) Invalidate(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	lost := c.lost.Load()
	pending := c.acks.Expect()
	defer pending.Done()
	args := make([]any, 0, 4+len(keys))
	args = append(args, bumpArg(lost), c.base, millis(c.genTTL), pending.ID())
	for _, k := range keys {
		args = append(args, k)
	}
	n, err := invalidateScript.Run(ctx, c.rdb, c.keys, args...).Int64()
	if err != nil {
		c.MarkStale()
		return classify("cache invalidate", err)
	}
	c.bumped(lost)
	pending.Wait(ctx, n)
	return nil
}

// MarkStale records that an invalidation may not have reached Redis: the
// next operation, or a background retry every few hundred milliseconds,
// whichever succeeds first, moves the cache to a new epoch, which drops
// every value at once. Invalidate calls it on failure; a wrapper that
// skips Invalidate while Redis is down (store/failover) calls it instead.
func (c *Cache) MarkStale() {
	c.lost.Add(1)
	c.startReconciler()
}

// bumped clears lost if no invalidation was lost since the bump began;
// otherwise the next operation bumps again.
func (c *Cache) bumped(lost uint64) {
	if lost != 0 {
		c.lost.CompareAndSwap(lost, 0)
	}
}

func (c *Cache) startReconciler() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.reconciling {
		return
	}
	c.reconciling = true
	c.wg.Add(1)
	go c.reconcile()
}

// reconcile bumps the epoch once Redis answers, so that the window in
// which other replicas may read values this one failed to invalidate ends
// when Redis returns, not at this replica's next request.
func (c *Cache) reconcile() {
	defer c.wg.Done()
	t := time.NewTicker(c.reconcileEach)
	defer t.Stop()
	for c.stillLost() {
		select {
		case <-c.done:
		case <-t.C:
			c.bump()
		}
	}
}

func (c *Cache) bump() {
	lost := c.lost.Load()
	ctx, cancel := context.WithTimeout(context.Background(), c.reconcileEach)
	defer cancel()
	if bumpScript.Run(ctx, c.rdb, c.keys, "1", c.base).Err() == nil {
		c.bumped(lost)
	}
}

// stillLost tells the reconciler whether to go on; when it stops, it says
// so under the same lock MarkStale's start takes, so no loss is missed.
func (c *Cache) stillLost() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.lost.Load() == 0 {
		c.reconciling = false
		return false
	}
	return true
}

func (c *Cache) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func bumpArg(lost uint64) string {
	if lost != 0 {
		return "1"
	}
	return "0"
}

// millis rounds d up to whole milliseconds, at least one: PX 0 is an error.
func millis(d time.Duration) int64 {
	return max(int64((d+time.Millisecond-1)/time.Millisecond), 1)
}

var _ store.Cache = (*Cache)(nil)
