package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// EnvPostgresURL names a PostgreSQL database tests may create schemas in.
	EnvPostgresURL = "LICENSED_TEST_POSTGRES_URL"
	// EnvRedisURL names a Redis server tests may use.
	EnvRedisURL = "LICENSED_TEST_REDIS_URL"
	// EnvRequireServices=1 turns a missing service into a failure: CI must
	// not pass by skipping.
	EnvRequireServices = "LICENSED_TEST_REQUIRE_SERVICES"
)

// PostgresURL returns the URL of a fresh, empty schema in the database of
// LICENSED_TEST_POSTGRES_URL (a postgres:// URL), dropped when the test
// ends. Connections made with it use that schema through the search_path
// run-time parameter, so parallel tests never see each other's rows.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := service(t, EnvPostgresURL, "postgres://root@127.0.0.1:5432/postgres")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgresURL, err)
	}
	schema := "test_" + randomHex(8)
	exec(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(t, base, "DROP SCHEMA "+schema+" CASCADE") })

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// RedisURL returns LICENSED_TEST_REDIS_URL (a redis:// URL).
func RedisURL(t testing.TB) string {
	t.Helper()
	return service(t, EnvRedisURL, "redis://127.0.0.1:6379/0")
}

// service returns the value of env, or ends the test: skipped with how to
// enable it, or failed when services are required.
func service(t testing.TB, env, example string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	if os.Getenv(EnvRequireServices) == "1" {
		t.Fatalf("%s is not set but %s=1 requires it", env, EnvRequireServices)
	}
	t.Skipf("set %s=%s to run this test", env, example)
	return ""
}

func exec(t testing.TB, dbURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvPostgresURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails; it crashes the program instead
	return hex.EncodeToString(b)
}
