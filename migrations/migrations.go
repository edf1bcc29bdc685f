package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect names a SQL database and its folder of migrations.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Apply brings db's schema up to date and reports how many migrations ran:
// 0 when it already was. On SQLite, db must be a file database.
func Apply(ctx context.Context, db *sql.DB, d Dialect) (applied int, err error) {
	fsys, err := fs.Sub(files, string(d))
	if err != nil {
		return 0, err
	}
	switch d {
	case Postgres:
		applied, err = applyPostgres(ctx, db, fsys)
	case SQLite:
		applied, err = applySQLite(ctx, db, fsys)
	default:
		return 0, fmt.Errorf("migrations: unknown dialect %q", d)
	}
	if err != nil {
		return applied, fmt.Errorf("migrations: %s: %w", d, err)
	}
	return applied, nil
}

// applyPostgres holds an advisory lock while it migrates. The lock id is
// derived from the schema, so that migrators of one schema take turns while
// those of different schemas (one per test) do not wait for each other.
func applyPostgres(ctx context.Context, db *sql.DB, fsys fs.FS) (int, error) {
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, err
	}
	if !schema.Valid {
		return 0, fmt.Errorf("no schema of the search_path exists")
	}
	// Polled once a second for up to 5 minutes: a long first migration
	// by another replica is worth waiting for.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(schema.String)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return 0, err
	}
	return up(ctx, goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
}

func lockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("licensed migrations " + schema))
	return int64(h.Sum64())
}

// applySQLite holds an exclusive lock on a file beside the database while
// it migrates. goose reads the current version before it opens its
// transaction, so without the lock two processes could both see version 0
// and both try to create the schema.
func applySQLite(ctx context.Context, db *sql.DB, fsys fs.FS) (int, error) {
	var file string
	if err := db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return 0, err
	}
	if file == "" {
		return 0, fmt.Errorf("an in-memory database cannot be shared safely; open a file")
	}
	unlock, err := lockFile(ctx, file+"-migrate.lock")
	if err != nil {
		return 0, err
	}
	defer unlock()
	return up(ctx, goose.DialectSQLite3, db, fsys)
}

func up(ctx context.Context, d goose.Dialect, db *sql.DB, fsys fs.FS, opts ...goose.ProviderOption) (int, error) {
	// Only the embedded SQL files count, never Go migrations some other
	// package might register with goose globally.
	opts = append(opts, goose.WithDisableGlobalRegistry(true))
	p, err := goose.NewProvider(d, db, fsys, opts...)
	if err != nil {
		return 0, err
	}
	// p.Close would close db, which belongs to the caller.
	results, err := p.Up(ctx)
	return len(results), err
}
