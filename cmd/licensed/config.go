package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/licensedhq/licensed/issuer/httpapi"
	"github.com/licensedhq/licensed/issuer/webhook"
	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/store/redis"
)

// Config is the configuration of every subcommand: docs/API.md's table, each
// variable also a flag (flags win).
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	RedisURL        string
	RedisPrefix     string
	Issuer          string
	MasterKey       string
	MasterKeyOld    string
	RateLimits      string
	TrustedProxies  string
	MetricsAddr     string
	Console         string
	KeyPublishDelay time.Duration
	ShutdownDelay   time.Duration
	DBTimeout       time.Duration
	LogLevel        string
	// WebhookAllowInsecure: "1" lets webhook endpoints be http:// and
	// loopback or private addresses (tests, local setups).
	WebhookAllowInsecure string
}

// webhookPolicy is where webhooks may go.
func (c *Config) webhookPolicy() (webhook.Policy, error) {
	switch strings.ToLower(c.WebhookAllowInsecure) {
	case "", "0", "false":
		return webhook.Policy{}, nil
	case "1", "true":
		return webhook.Policy{AllowInsecure: true}, nil
	}
	return webhook.Policy{}, fmt.Errorf("LICENSED_WEBHOOK_ALLOW_INSECURE: want 1 or 0, got %q", c.WebhookAllowInsecure)
}

// DefaultDBTimeout is LICENSED_DB_TIMEOUT's default: long enough for any
// query licensed makes on a healthy database, short enough that a request
// to a hung one answers 503 before clients and load balancers give up.
const DefaultDBTimeout = 5 * time.Second

// setting is one configuration variable.
type setting struct {
	env, flag, def, usage string
	dst                   *string
}

func (c *Config) settings() []setting {
	return []setting{
		{"LICENSED_ADDR", "addr", "127.0.0.1:8080", "listen address", &c.Addr},
		{"LICENSED_DATA_DIR", "data-dir", "./data", "directory of the SQLite file and the generated master key", &c.DataDir},
		{"LICENSED_DATABASE_URL", "database-url", "", "postgres://... to use PostgreSQL; empty: embedded SQLite in the data dir", &c.DatabaseURL},
		{"LICENSED_REDIS_URL", "redis-url", "", "redis://... for shared rate limits and revocation fan-out; empty: in-process", &c.RedisURL},
		{"LICENSED_REDIS_PREFIX", "redis-prefix", redis.DefaultPrefix, "prefix of every Redis key, to share one Redis between deployments", &c.RedisPrefix},
		{"LICENSED_ISSUER", "issuer", "", "iss claim of tokens, the URL products use; default http://localhost:<port> on a loopback address, required on any other", &c.Issuer},
		{"LICENSED_MASTER_KEY", "master-key", "", "32 bytes, base64; generated into the data dir on the embedded default (only while the store holds no secret), required with PostgreSQL", &c.MasterKey},
		{"LICENSED_MASTER_KEY_OLD", "master-key-old", "", "master keys (comma-separated) that still open secrets but seal none: kept during a master key rotation", &c.MasterKeyOld},
		{"LICENSED_RATE_LIMITS", "rate-limits", httpapi.DefaultLimits, "rate:burst per second per ip, license key and API key, per minute for failed API keys per ip (authfail), or off", &c.RateLimits},
		{"LICENSED_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed", &c.TrustedProxies},
		{"LICENSED_METRICS_ADDR", "metrics-addr", "", "listen address for /metrics alone (then not served on addr); empty: /metrics on addr", &c.MetricsAddr},
		{"LICENSED_CONSOLE", "console", "on", "the support staff web console at /console: on or off", &c.Console},
		{"LICENSED_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", &c.LogLevel},
		{"LICENSED_WEBHOOK_ALLOW_INSECURE", "webhook-allow-insecure", "", "1: webhook URLs may be http:// and loopback or private addresses (tests, local setups only)", &c.WebhookAllowInsecure},
	}
}

// durations are the settings that are Go durations.
type durationSetting struct {
	env, flag string
	def       time.Duration
	usage     string
	dst       *time.Duration
}

func (c *Config) durations() []durationSetting {
	return []durationSetting{
		{"LICENSED_KEY_PUBLISH_DELAY", "key-publish-delay", keys.DefaultPublishDelay, "how long a rotated-in signing key is published before it signs", &c.KeyPublishDelay},
		{"LICENSED_SHUTDOWN_DELAY", "shutdown-delay", 5 * time.Second, "how long /readyz answers 503 before the server stops accepting requests", &c.ShutdownDelay},
		{"LICENSED_DB_TIMEOUT", "db-timeout", DefaultDBTimeout, "deadline of every store call (a whole transaction counts as one); past it the request answers 503", &c.DBTimeout},
	}
}

// bind registers every setting on fs with its environment value as the
// default, so that a flag overrides the environment.
func (c *Config) bind(fs *flag.FlagSet, getenv func(string) string) error {
	for _, s := range c.settings() {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.flag, def, s.usage+" ($"+s.env+")")
	}
	for _, s := range c.durations() {
		def := s.def
		if v := getenv(s.env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %w", s.env, err)
			}
			def = d
		}
		fs.DurationVar(s.dst, s.flag, def, s.usage+" ($"+s.env+")")
	}
	return nil
}

// errIssuerRequired: on a non-loopback address the server cannot know the
// URL its clients use (a load balancer's, a public name), and a guessed
// iss fails every verifier configured with the real one.
var errIssuerRequired = errors.New("LICENSED_ISSUER is required when listening on a non-loopback address " +
	"(LICENSED_ADDR): set it to the URL products and SDKs are configured with, e.g. https://licenses.example.com; " +
	"it is the iss claim of every token")

// checkIssuer fails fast, before anything is opened, when LICENSED_ISSUER
// is required but missing or is not an absolute http(s) URL.
func (c *Config) checkIssuer() error {
	if c.Issuer != "" {
		u, err := url.Parse(c.Issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("LICENSED_ISSUER %q: want an absolute http:// or https:// URL such as https://licenses.example.com", c.Issuer)
		}
		return nil
	}
	if !loopback(c.Addr) {
		return errIssuerRequired
	}
	return nil
}

// issuerFor is the iss of tokens served from ln: LICENSED_ISSUER, or on a
// loopback address http://localhost:<port> — the URL the README uses and a
// product on the same machine is configured with (not 127.0.0.1, which a
// verifier compares as a different string).
func (c *Config) issuerFor(ln net.Addr) string {
	if c.Issuer != "" {
		return c.Issuer
	}
	_, port, _ := net.SplitHostPort(ln.String())
	return "http://localhost:" + port
}

// loopback reports whether a listen address only takes connections from
// this machine: localhost or a loopback IP, never "" or 0.0.0.0.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func (c *Config) postgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, err2 := netip.ParseAddr(s)
			if err2 != nil {
				return nil, fmt.Errorf("LICENSED_TRUSTED_PROXIES: %q is neither a CIDR nor an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}
