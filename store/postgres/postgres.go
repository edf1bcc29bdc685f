package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/licensedhq/licensed/migrations"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/sqldb"
)

// connectTimeout bounds dialling and authenticating when the URL sets no
// connect_timeout: an unreachable database should fail readiness checks
// and commands quickly, not hang them.
const connectTimeout = 5 * time.Second

var dialect = sqldb.Dialect{
	Migrations: migrations.Postgres,
	ForUpdate:  "FOR UPDATE",
	Classify:   classify,
}

// Store is a store.Store on a pgx pool, through pgx's native interface.
type Store struct {
	*sqldb.Store
	pool       *pgxpool.Pool
	db         *sql.DB // database/sql over the same pool, for tools and tests
	migrateCfg *pgx.ConnConfig
}

// Option configures Open.
type Option func(*options)

type options struct {
	timeout time.Duration
}

// WithTimeout has the server bound what the service bounds on its side
// (LICENSED_DB_TIMEOUT): each connection sets statement_timeout,
// lock_timeout and idle_in_transaction_session_timeout to d, unless the
// URL sets them. So a statement stuck on a lock or a slow plan is ended by
// the server, which frees its locks for everyone, and a transaction whose
// client vanished mid-way (a partition) does not hold its row locks until
// TCP notices. It also bounds connecting when the URL sets no
// connect_timeout.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Open connects to the database at url (postgres://...; pgx's parameters,
// including pool_max_conns and connect_timeout, and any run-time
// parameter such as search_path). It fails with store.ErrUnavailable when
// the database does not answer. Call Migrate before use.
func Open(ctx context.Context, url string, opts ...Option) (store.Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
		if o.timeout > 0 {
			cfg.ConnConfig.ConnectTimeout = o.timeout
		}
	}
	// Migrations run on connections of their own without the timeouts: a
	// schema change on a large table may take longer than any request.
	migrateCfg := cfg.ConnConfig.Copy()
	if o.timeout > 0 {
		ms := strconv.FormatInt(max(o.timeout.Milliseconds(), 1), 10)
		for _, p := range []string{"statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"} {
			if _, set := cfg.ConnConfig.RuntimeParams[p]; !set {
				cfg.ConnConfig.RuntimeParams[p] = ms
				migrateCfg.RuntimeParams[p] = "0"
			}
		}
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default, max(4, CPUs), is small for a server whose
		// activations wait on row locks while holding a connection.
		cfg.MaxConns = max(cfg.MaxConns, 16)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	p := pgxPool{pgxConn{pool}, pool}
	s := &Store{Store: sqldb.NewOn(dialect, p, p), pool: pool, db: stdlib.OpenDBFromPool(pool), migrateCfg: migrateCfg}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Migrate applies the migrations over connections of its own, on which
// none of WithTimeout's server-side timeouts apply.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	db := stdlib.OpenDB(*s.migrateCfg)
	defer db.Close()
	db.SetMaxOpenConns(2)
	n, err := migrations.Apply(ctx, db, migrations.Postgres)
	if err != nil {
		if kind := classify(err); kind != nil {
			return n, fmt.Errorf("migrate: %w: %w", kind, err)
		}
		return n, fmt.Errorf("migrate: %w", err)
	}
	return n, nil
}

// DB is a database/sql handle on the store's pool, for tools and tests
// that need raw SQL.
func (s *Store) DB() *sql.DB { return s.db }

// Pool is the store's pgx pool, for tools that need more than SQL (the
// scale seeder's COPY).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the database/sql handle, then the pool under it.
func (s *Store) Close() error {
	err := errors.Join(s.Store.Close(), s.db.Close())
	s.pool.Close()
	return err
}

// classify maps pgx errors to store errors; see sqldb.Dialect.Classify.
// Everything that says the connection or the server gave out is
// store.ErrUnavailable: whatever the statement (begin, commit included),
// the caller cannot know more than "try again", and an idempotent retry
// then finds what did commit.
func classify(err error) error {
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return store.ErrUnavailable
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return classifyCode(pg.Code)
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr),
		pgconn.Timeout(err),                  // a deadline ended a read or write
		errors.Is(err, pgconn.ErrConnClosed), // "conn closed": an earlier failure closed it
		pgconn.SafeToRetry(err),              // failed before anything was sent
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF):
		return store.ErrUnavailable
	}
	return nil
}

// classifyCode reads a SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func classifyCode(code string) error {
	switch code {
	case "23505": // unique_violation
		return store.ErrAlreadyExists
	case "23503": // foreign_key_violation
		return store.ErrNotFound
	case "40001", "40P01", "55P03", // serialization_failure, deadlock_detected, lock_not_available (lock_timeout)
		"57014",                            // query_canceled: statement_timeout
		"25P03",                            // idle_in_transaction_session_timeout
		"57P01", "57P02", "57P03", "57P05": // admin_shutdown, crash_shutdown, cannot_connect_now, idle_session_timeout
		return store.ErrUnavailable
	}
	switch code[:min(2, len(code))] {
	case "08", // connection_exception
		"53", // insufficient_resources: too many connections, disk full, out of memory
		"58": // system_error: I/O error
		return store.ErrUnavailable
	}
	return nil
}
