package postgres_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := open(t, storetest.PostgresURL(t))
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func open(t *testing.T, url string) store.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An unreachable database is reported promptly, as unavailable.
func TestUnreachable(t *testing.T) {
	start := time.Now()
	s, err := postgres.Open(t.Context(), "postgres://root@127.0.0.1:1/x?connect_timeout=2")
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a closed port")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("error %v is not store.ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v to give up", d)
	}
}

// PostgresURL's schema is where the tables land: tests run in parallel,
// each in a schema of its own.
func TestSchemaFromURL(t *testing.T) {
	u := storetest.PostgresURL(t)
	s := open(t, u)
	defer s.Close()
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	var schema string
	db := s.(interface{ DB() *sql.DB }).DB()
	err = db.QueryRowContext(t.Context(),
		"SELECT table_schema FROM information_schema.tables WHERE table_name = 'licenses' AND table_schema = current_schema()").Scan(&schema)
	if err != nil || schema != parsed.Query().Get("search_path") {
		t.Errorf("licenses table in schema %q (%v), want %q", schema, err, parsed.Query().Get("search_path"))
	}
}

// When the database drops the pool's connections (a restart, a failover),
// calls fail with store.ErrUnavailable at worst, and the store recovers
// without being reopened.
func TestRecoversFromDroppedConnections(t *testing.T) {
	u := storetest.PostgresURL(t)
	name := "licensed-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	s := open(t, u+"&application_name="+name)
	defer s.Close()
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	killer := open(t, u)
	defer killer.Close()
	var killed int
	err := killer.(interface{ DB() *sql.DB }).DB().QueryRowContext(t.Context(),
		"SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", name).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminated %d backends: %v", killed, err)
	}

	recovered := false
	for range 3 {
		_, err := s.BrandBySlug(t.Context(), "none")
		if errors.Is(err, store.ErrNotFound) {
			recovered = true
			break
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("after the connections dropped: %v, want store.ErrUnavailable", err)
		}
	}
	if !recovered {
		t.Fatal("the store did not recover")
	}
}

// WithTimeout has each connection set the server-side timeouts, unless the
// URL sets them itself.
func TestServerTimeouts(t *testing.T) {
	u := storetest.PostgresURL(t)
	s, err := postgres.Open(t.Context(), u+"&lock_timeout=7s", postgres.WithTimeout(1234*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	db := s.(interface{ DB() *sql.DB }).DB()
	for setting, want := range map[string]string{
		"statement_timeout":                   "1234ms",
		"idle_in_transaction_session_timeout": "1234ms",
		"lock_timeout":                        "7s",
	} {
		var got string
		if err := db.QueryRowContext(t.Context(), "SHOW "+setting).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", setting, got, err, want)
		}
	}
	// A statement past statement_timeout is ended by the server, and the
	// store reports it as unavailable.
	_, err = db.ExecContext(t.Context(), "SELECT pg_sleep(5)")
	if err == nil {
		t.Fatal("pg_sleep(5) outlived a statement_timeout of 1.234s")
	}
	if err := postgres.Classify(err); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("statement timeout: classified as %v", err)
	}
}

// Every way pgx and the server say "the connection or the server gave
// out" is store.ErrUnavailable; answers keep their meaning; anything else
// is nobody's outage.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"conn closed", fmt.Errorf("commit: %w", pgconn.ErrConnClosed), store.ErrUnavailable},
		{"unexpected EOF", fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF), store.ErrUnavailable},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), store.ErrUnavailable},
		{"bad conn", driver.ErrBadConn, store.ErrUnavailable},
		{"statement_timeout", &pgconn.PgError{Code: "57014"}, store.ErrUnavailable},
		{"lock_timeout", &pgconn.PgError{Code: "55P03"}, store.ErrUnavailable},
		{"idle in transaction timeout", &pgconn.PgError{Code: "25P03"}, store.ErrUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, store.ErrUnavailable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, store.ErrUnavailable},
		{"disk full", &pgconn.PgError{Code: "53100"}, store.ErrUnavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, store.ErrUnavailable},
		{"unique violation", &pgconn.PgError{Code: "23505"}, store.ErrAlreadyExists},
		{"foreign key", &pgconn.PgError{Code: "23503"}, store.ErrNotFound},
		{"syntax error", &pgconn.PgError{Code: "42601"}, nil},
		{"plain error", errors.New("json: cannot unmarshal"), nil},
	} {
		if got := postgres.Classify(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
