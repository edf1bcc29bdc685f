package postgres_test

import (
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

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
