package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/licensedhq/licensed/store"
)

const (
	// DefaultPrefix starts the name of every key licensed writes, so that
	// it can share a Redis database with other applications.
	DefaultPrefix = "licensed:"
	// DefaultTimeout bounds each dial, read and write. Redis answers in
	// well under a millisecond; a server that takes longer is treated as
	// down, so that a request pays milliseconds for it, not seconds.
	DefaultTimeout = 250 * time.Millisecond
	// DefaultGenerationTTL is how long a key's generation outlives its last
	// invalidation or fill; it caps every value's TTL, since a value must
	// never outlive the generation that guards it.
	DefaultGenerationTTL = 7 * 24 * time.Hour
	// DefaultAckWait bounds how long an Invalidate waits for the memos of
	// every replica to acknowledge it (watch.go).
	DefaultAckWait = 500 * time.Millisecond
)

// ErrUnreachable wraps errors that mean Redis could not be reached or did
// not answer in time (as opposed to a command it refused). It wraps
// store.ErrUnavailable.
var ErrUnreachable = fmt.Errorf("redis unreachable: %w", store.ErrUnavailable)

// Client is a connection pool to one Redis server and the Cache and
// Limiter built on it. It reconnects by itself after an outage.
type Client struct {
	rdb     *goredis.Client
	prefix  string
	channel string // of invalidations (watch.go)
	cache   *Cache
	limiter *Limiter

	stop     context.Context // canceled by Close, ends Watch
	cancel   context.CancelFunc
	watchers sync.WaitGroup
}

type config struct {
	prefix        string
	timeout       time.Duration
	generationTTL time.Duration
	reconcileEach time.Duration
	ackWait       time.Duration
}

// Option configures New and Open.
type Option func(*config)

// WithPrefix puts every key under prefix instead of DefaultPrefix.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithTimeout bounds each dial, read and write (DefaultTimeout when not
// given). Timeouts given in the URL (dial_timeout, read_timeout, ...) win.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithGenerationTTL sets how long generations live (DefaultGenerationTTL
// when not given); values never live longer.
func WithGenerationTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.generationTTL = d
		}
	}
}

// New parses url (redis://[user:password@]host[:port][/db][?options], or
// rediss:// for TLS) and returns a Client without touching the network:
// for a service that starts while Redis is down and uses it once it is up.
func New(url string, opts ...Option) (*Client, error) {
	cfg := config{
		prefix:        DefaultPrefix,
		timeout:       DefaultTimeout,
		generationTTL: DefaultGenerationTTL,
		reconcileEach: 250 * time.Millisecond,
		ackWait:       DefaultAckWait,
	}
	for _, o := range opts {
		o(&cfg)
	}
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: parse URL: %w", err)
	}
	applyDefaults(o, cfg.timeout)
	rdb := goredis.NewClient(o)
	stop, cancel := newStop()
	return &Client{
		rdb:     rdb,
		stop:    stop,
		cancel:  cancel,
		channel: cfg.prefix + "cache:invalidations",
		prefix:  cfg.prefix,
		cache:   newCache(rdb, cfg),
		limiter: newLimiter(rdb, cfg.prefix),
	}, nil
}

// Open is New followed by Ping: it fails, with an error wrapping
// ErrUnreachable, when Redis does not answer.
func Open(ctx context.Context, url string, opts ...Option) (*Client, error) {
	c, err := New(url, opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// applyDefaults fills what the URL left unset so that a dead server costs
// about one timeout per command: one dial attempt (go-redis retries dials
// five times by default) and one retry of a command, which is what a
// connection that died with a restarted server needs.
func applyDefaults(o *goredis.Options, timeout time.Duration) {
	if o.DialTimeout == 0 {
		o.DialTimeout = timeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = timeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = timeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = 2 * timeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	if o.MaxRetryBackoff == 0 {
		o.MaxRetryBackoff = timeout / 4
	}
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	o.ContextTimeoutEnabled = true
	// Neither is needed, and each would cost a round trip per connection.
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// Cache returns the cache on this Redis. It is one object per Client, so
// that the epoch state (see the package doc) covers every caller.
func (c *Client) Cache() store.Cache { return c.cache }

// Limiter returns the GCRA rate limiter on this Redis.
func (c *Client) Limiter() store.Limiter { return c.limiter }

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error {
	return classify("ping", c.rdb.Ping(ctx).Err())
}

// Close stops background work and closes every connection.
func (c *Client) Close() error {
	c.cancel()
	c.watchers.Wait()
	c.cache.close()
	return c.rdb.Close()
}

// classify wraps err with op and, when it means Redis is out of reach
// (network errors, timeouts, a server still loading or failing over),
// with ErrUnreachable. A cancellation by the caller is not Redis's fault
// and stays unwrapped.
func classify(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("redis %s: %w", op, err)
	case isRefusal(err):
		return fmt.Errorf("redis %s: %w", op, err)
	default:
		return fmt.Errorf("redis %s: %w: %w", op, ErrUnreachable, err)
	}
}

// isRefusal tells an error reply of a working server (a bad script, out of
// memory) from its "not now" replies, which mean it is unavailable.
func isRefusal(err error) bool {
	var re goredis.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, p := range []string{"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "ERR max number of clients"} {
		if strings.HasPrefix(re.Error(), p) {
			return false
		}
	}
	return true
}
