package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/issuer/console"
	"github.com/licensedhq/licensed/issuer/httpapi"
	"github.com/licensedhq/licensed/issuer/webhook"
	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/deadline"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/redis"
	"github.com/licensedhq/licensed/store/sqlite"
)

// How often a replica reloads signing keys (and promotes a due one),
// sweeps old idempotency records, and releases activations past their
// product's activation TTL (which an activation or validation of the
// license treats as gone at once: this only brings the counts and lists
// up to date).
const (
	keySyncEvery         = issuer.KeySyncEvery
	sweepEvery           = time.Hour
	activationSweepEvery = 30 * time.Second
)

// Main is the program: configuration in, explicit wiring, no globals. The
// end-to-end tests run it on port 0 exactly as `licensed serve` does.
type Main struct {
	Config Config
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// now is the licensing clock; tests move it to expire licenses.
	now func() time.Time
	// activationSweep replaces activationSweepEvery, for tests.
	activationSweep time.Duration
	// webhookTuning, when set, changes the dispatcher's schedule, timeout,
	// lease and poll interval, for tests.
	webhookTuning func(*webhook.Config)

	log     *slog.Logger
	store   store.Store
	secrets *seal.Keyring
	keys    *keys.Manager
	service *issuer.Service
	redis   *redis.Client
	server  *httpapi.Server
	hooks   *webhook.Dispatcher
	http    *http.Server
	ln      net.Listener
	// metricsHTTP serves /metrics on LICENSED_METRICS_ADDR, when set.
	metricsHTTP *http.Server
	metricsLn   net.Listener
	// lock is held for the life of serve on an SQLite data dir.
	lock *dataLock
	// pg is the PostgreSQL store under the deadlines, when that is the
	// store; invalidations tell the other replicas' memos without Redis.
	pg            *postgres.Store
	invalidations *postgres.Invalidations

	stopBackground context.CancelFunc
	background     sync.WaitGroup
	served         chan error
}

// NewMain returns a Main on the process's environment and standard streams.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// serve runs until ctx is cancelled (SIGINT or SIGTERM), then shuts down
// gracefully.
func (m *Main) serve(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-m.served:
		m.Close()
		return err
	}
	return m.Close()
}

// Open opens the store, loads keys and starts serving in the background.
// What a misconfiguration or a second server on the same SQLite data dir
// would break is refused first, before anything is opened or written.
func (m *Main) Open(ctx context.Context) error {
	m.log = newLogger(m.Stderr, m.Config.LogLevel)
	if err := m.Config.checkIssuer(); err != nil {
		return err
	}
	if m.Config.Console != "on" && m.Config.Console != "off" {
		return usagef("LICENSED_CONSOLE %q: want on or off", m.Config.Console)
	}
	if !m.Config.postgres() && m.Config.DatabaseURL == "" {
		if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
			return err
		}
		lock, err := lockDataDir(m.Config.DataDir)
		if err != nil {
			return err
		}
		m.lock = lock
	}
	if err := m.openBackend(ctx); err != nil {
		return err
	}
	if err := m.keys.Sync(ctx); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "licensed_signing_key_age_seconds", Help: "How long the active signing key has been signing.",
	}, func() float64 { return time.Since(m.keys.ActiveSince()).Seconds() }))
	cache, limiter, err := m.openCacheAndLimiter(ctx, reg)
	if err != nil {
		return err
	}
	limits, err := httpapi.ParseLimits(m.Config.RateLimits)
	if err != nil {
		return err
	}
	proxies, err := m.Config.trustedProxies()
	if err != nil {
		return err
	}
	// Listen before the service exists: on port 0 the issuer's port is
	// only known once listening.
	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return err
	}
	if m.Config.MetricsAddr != "" {
		if m.metricsLn, err = net.Listen("tcp", m.Config.MetricsAddr); err != nil {
			return fmt.Errorf("LICENSED_METRICS_ADDR: %w", err)
		}
	}
	iss := m.Config.issuerFor(m.ln.Addr())
	policy, err := m.Config.webhookPolicy()
	if err != nil {
		return err
	}
	m.service = issuer.New(issuer.Config{
		Store: m.store, Keys: m.keys, Secrets: m.secrets, Cache: cache, Issuer: iss, Webhooks: policy, Now: m.now,
	})
	hooks := webhook.Config{
		Store: m.store, Secrets: m.secrets, Render: issuer.WebhookBody, Policy: policy,
		Now: m.now, Logger: m.log, Registerer: reg,
	}
	if m.webhookTuning != nil {
		m.webhookTuning(&hooks)
	}
	m.hooks = webhook.New(hooks)
	m.server = httpapi.New(httpapi.Config{
		Service: m.service, Keys: m.keys, Limiter: limiter, Limits: limits,
		Logger: m.log, Registry: reg, TrustedProxies: proxies,
		MetricsElsewhere: m.metricsLn != nil, Version: buildVersion(),
	})
	if m.Config.Console == "on" {
		if err := m.mountConsole(iss); err != nil {
			return err
		}
	}
	if m.lock != nil {
		if err := m.lock.setAddr(m.ln.Addr().String()); err != nil {
			return fmt.Errorf("lock file: %w", err)
		}
	}
	m.http = &http.Server{
		Handler:           m.server,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 2)
	go func() {
		if err := m.http.Serve(m.ln); !errors.Is(err, http.ErrServerClosed) {
			m.served <- err
		}
	}()
	attrs := []any{"addr", m.ln.Addr().String(), "store", m.storeKind(), "issuer", iss}
	if m.metricsLn != nil {
		m.metricsHTTP = &http.Server{
			Handler: m.server.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		}
		go func() {
			if err := m.metricsHTTP.Serve(m.metricsLn); !errors.Is(err, http.ErrServerClosed) {
				m.served <- err
			}
		}()
		attrs = append(attrs, "metrics_addr", m.metricsLn.Addr().String())
	}
	m.startBackground()
	m.log.Info("serving", append(attrs, "master_key", m.secrets.ID(), "old_master_keys", m.secrets.IDs()[1:])...)
	if m.Config.Issuer != "" && !loopback(m.Config.Addr) && issuerIsLocal(iss) {
		m.log.Warn("LICENSED_ISSUER names this machine while the server listens for other machines: "+
			"tokens will only verify for products configured with that URL; set it to your public URL", "issuer", iss)
	}
	return nil
}

// mountConsole serves the web console at /console. Its cookie is Secure
// unless the console can only be reached over plain HTTP on this machine:
// a loopback listener whose issuer URL is http:// (the development
// default). Behind a TLS proxy the issuer is the proxy's https:// URL, so
// the cookie is Secure even when the proxy reaches a loopback listener.
func (m *Main) mountConsole(iss string) error {
	c, err := console.New(console.Config{
		Service: m.service, Secrets: m.secrets, Host: m.server, Logger: m.log,
		SecureCookies: !loopback(m.Config.Addr) || !strings.HasPrefix(iss, "http://"),
	})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	m.server.Mount(console.Prefix, c)
	return nil
}

// MetricsURL is where /metrics is served on its own listener, if it is.
func (m *Main) MetricsURL() string {
	if m.metricsLn == nil {
		return ""
	}
	return "http://" + m.metricsLn.Addr().String()
}

// issuerIsLocal reports whether an issuer URL names this machine only.
func issuerIsLocal(iss string) bool {
	u, err := url.Parse(iss)
	return err == nil && loopback(net.JoinHostPort(u.Hostname(), "0"))
}

// URL is where the server listens, once Open has returned.
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

func (m *Main) storeKind() string {
	if m.Config.postgres() {
		return "postgres"
	}
	return "sqlite"
}

// openBackend opens and migrates the store and loads the master keys
// (loadKeyring: which needs the store, to know whether a key may be
// created and that the key opens what it holds); the admin subcommands
// share it with serve.
func (m *Main) openBackend(ctx context.Context) error {
	if m.log == nil {
		m.log = newLogger(m.Stderr, m.Config.LogLevel)
	}
	keyCfg, err := m.keyConfig()
	if err != nil {
		return err
	}
	if m.store, err = m.openStore(ctx); err != nil {
		return err
	}
	if _, err := m.store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if m.secrets, err = m.loadKeyring(ctx, m.store, keyCfg); err != nil {
		return err
	}
	opts := []keys.Option{keys.WithPublishDelay(m.Config.KeyPublishDelay)}
	if m.now != nil {
		opts = append(opts, keys.WithClock(m.now))
	}
	m.keys = keys.NewManager(m.store, m.secrets, opts...)
	// The admin commands sign no tokens; serve replaces this service with
	// one that knows its issuer once it listens.
	m.service = issuer.New(issuer.Config{Store: m.store, Keys: m.keys, Secrets: m.secrets, Issuer: m.Config.Issuer, Now: m.now})
	return nil
}

// openStore opens the configured store with every call bounded by
// LICENSED_DB_TIMEOUT (store/deadline), and the database told the same
// bound where it can be (PostgreSQL's statement and lock timeouts,
// SQLite's busy timeout).
func (m *Main) openStore(ctx context.Context) (store.Store, error) {
	if m.Config.DBTimeout <= 0 {
		return nil, usagef("LICENSED_DB_TIMEOUT must be positive, e.g. 5s")
	}
	var st store.Store
	var err error
	switch {
	case m.Config.postgres():
		st, err = postgres.Open(ctx, m.Config.DatabaseURL, postgres.WithTimeout(m.Config.DBTimeout))
		if err == nil {
			m.pg = st.(*postgres.Store)
		}
	case m.Config.DatabaseURL != "":
		return nil, fmt.Errorf("LICENSED_DATABASE_URL must start with postgres:// or postgresql:// (leave it empty for the embedded SQLite store)")
	default:
		if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
			return nil, err
		}
		st, err = sqlite.Open(ctx, filepath.Join(m.Config.DataDir, "licensed.db"), sqlite.WithBusyTimeout(m.Config.DBTimeout))
	}
	if err != nil {
		return nil, err
	}
	return deadline.Wrap(st, m.Config.DBTimeout), nil
}

func (m *Main) startBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopBackground = cancel
	m.every(ctx, keySyncEvery, "sync signing keys", m.keys.Sync)
	m.every(ctx, sweepEvery, "sweep idempotency keys", func(ctx context.Context) error {
		_, err := m.service.SweepIdempotency(ctx)
		return err
	})
	activations := activationSweepEvery
	if m.activationSweep > 0 {
		activations = m.activationSweep
	}
	// Every replica sweeps: each activation is released once whoever
	// gets to it (issuer.SweepActivations).
	m.every(ctx, activations, "release expired activations", func(ctx context.Context) error {
		n, err := m.service.SweepActivations(ctx)
		if n > 0 {
			m.log.Info("released activations past their TTL", "released", n)
		}
		return err
	})
	// Every replica dispatches webhooks: each attempt is claimed by one.
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		m.hooks.Run(ctx)
	}()
}

// every runs fn every period until ctx ends, logging failures: a store
// outage must not stop the loop, which recovers when the store returns.
func (m *Main) every(ctx context.Context, period time.Duration, what string, fn func(context.Context) error) {
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					m.log.Warn(what+" failed", "error", err.Error())
				}
			}
		}
	}()
}

// Close shuts down in order: stop being ready, let the load balancer
// notice, drain in-flight requests, stop background work, close the store.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		m.server.Drain()
		time.Sleep(m.Config.ShutdownDelay)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		errs = append(errs, m.http.Shutdown(ctx))
		if m.metricsHTTP != nil {
			errs = append(errs, m.metricsHTTP.Shutdown(ctx))
		}
		m.log.Info("stopped serving")
	} else {
		for _, ln := range []net.Listener{m.ln, m.metricsLn} {
			if ln != nil {
				ln.Close() // Open failed after listening
			}
		}
	}
	if m.stopBackground != nil {
		m.stopBackground()
		m.background.Wait()
	}
	if m.redis != nil {
		errs = append(errs, m.redis.Close())
		m.redis = nil
	}
	if m.invalidations != nil {
		errs = append(errs, m.invalidations.Close())
		m.invalidations = nil
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	// Last: the next server may open the data dir once the store is closed.
	m.lock.release()
	return errors.Join(errs...)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
