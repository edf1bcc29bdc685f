package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

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

// Store is a store.Store on a pgx pool.
type Store struct {
	*sqldb.Store
	pool *pgxpool.Pool
}

// Open connects to the database at url (postgres://...; pgx's parameters,
// including pool_max_conns and connect_timeout, and any run-time
// parameter such as search_path). It fails with store.ErrUnavailable when
// the database does not answer. Call Migrate before use.
func Open(ctx context.Context, url string) (store.Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
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
	sqlDB := stdlib.OpenDBFromPool(pool)
	s := &Store{Store: sqldb.New(dialect, sqlDB, sqlDB), pool: pool}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Close closes the database/sql handle, then the pool under it.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.pool.Close()
	return err
}

// classify maps pgx errors to store errors; see sqldb.Dialect.Classify.
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
	case "40001", "40P01", "55P03", // serialization_failure, deadlock_detected, lock_not_available
		"53300",                   // too_many_connections
		"57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return store.ErrUnavailable
	}
	if strings.HasPrefix(code, "08") { // connection_exception
		return store.ErrUnavailable
	}
	return nil
}
