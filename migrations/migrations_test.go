package migrations_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/licensedhq/licensed/migrations"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/sqlite"
	"github.com/licensedhq/licensed/store/storetest"
)

// dialects open n separate handles on one fresh database, as n processes
// would have.
var dialects = []struct {
	name    migrations.Dialect
	goose   goose.Dialect
	folder  string
	handles func(t *testing.T, n int) []*sql.DB
}{
	{migrations.SQLite, goose.DialectSQLite3, "sqlite", func(t *testing.T, n int) []*sql.DB {
		path := filepath.Join(t.TempDir(), "licensed.db")
		return handles(t, n, func() (store.Store, error) { return sqlite.Open(t.Context(), path) })
	}},
	{migrations.Postgres, goose.DialectPostgres, "postgres", func(t *testing.T, n int) []*sql.DB {
		url := storetest.PostgresURL(t)
		return handles(t, n, func() (store.Store, error) { return postgres.Open(t.Context(), url) })
	}},
}

func handles(t *testing.T, n int, open func() (store.Store, error)) []*sql.DB {
	t.Helper()
	var dbs []*sql.DB
	for range n {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		dbs = append(dbs, s.(interface{ DB() *sql.DB }).DB())
	}
	return dbs
}

// Processes that start together apply each migration once, and none of
// them fails. The version table exists beforehand, as in a database that
// is being upgraded: goose's own retry while creating that table would
// otherwise hide a missing lock.
func TestApplyConcurrently(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			dbs := d.handles(t, 4)
			if _, err := provider(t, d.goose, d.folder, dbs[0]).GetDBVersion(t.Context()); err != nil {
				t.Fatal(err) // creates the version table at version 0
			}
			applied := make([]int, len(dbs))
			errs := make([]error, len(dbs))
			var wg sync.WaitGroup
			for i, db := range dbs {
				wg.Go(func() { applied[i], errs[i] = migrations.Apply(t.Context(), db, d.name) })
			}
			wg.Wait()
			total := 0
			for i, err := range errs {
				if err != nil {
					t.Errorf("migrator %d: %v", i, err)
				}
				total += applied[i]
			}
			if want := count(t, d.folder); total != want {
				t.Errorf("applied %v, want %d migrations in all", applied, want)
			}
			if n, err := migrations.Apply(t.Context(), dbs[0], d.name); n != 0 || err != nil {
				t.Errorf("Apply again: %d, %v; want 0, nil", n, err)
			}
		})
	}
}

// The Down sections undo the Up sections completely: down to nothing and
// up again works.
func TestDownAndUpAgain(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			db := d.handles(t, 1)[0]
			if _, err := migrations.Apply(t.Context(), db, d.name); err != nil {
				t.Fatal(err)
			}
			if _, err := provider(t, d.goose, d.folder, db).DownTo(t.Context(), 0); err != nil {
				t.Fatal(err)
			}
			if n, err := migrations.Apply(t.Context(), db, d.name); n != count(t, d.folder) || err != nil {
				t.Fatalf("Apply after down: %d, %v", n, err)
			}
		})
	}
}

// count is the number of migrations in folder.
func count(t *testing.T, folder string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(folder, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s: %v", folder, err)
	}
	return len(files)
}

func provider(t *testing.T, d goose.Dialect, folder string, db *sql.DB) *goose.Provider {
	t.Helper()
	p, err := goose.NewProvider(d, db, os.DirFS(folder), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
