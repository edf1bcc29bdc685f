package sqlite_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/sqlite"
	"github.com/licensedhq/licensed/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := open(t, filepath.Join(t.TempDir(), "licensed.db"))
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func open(t testing.TB, path string) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// helperEnv makes the test binary, run again, act as a second process on
// a database file: see TestTwoProcessesOneFile.
const helperEnv = "LICENSED_SQLITE_TEST_HELPER"

const writesPerProcess = 100

// Two processes on one file, as the server and an admin command: both
// migrate at once (one applies the schema, the other finds it applied) and
// then both write at once, and nothing fails.
func TestTwoProcessesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licensed.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child := bufio.NewScanner(stdout)
	s := open(t, path)
	defer s.Close()
	if !child.Scan() || child.Text() != "ready" {
		t.Fatalf("helper process: %q %v", child.Text(), cmd.Wait())
	}
	fmt.Fprintln(stdin, "go") // both start migrating now

	applied, err := migrateAndWrite(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if !child.Scan() {
		t.Fatalf("helper process said nothing: %v", cmd.Wait())
	}
	childApplied, err := strconv.Atoi(strings.TrimPrefix(child.Text(), "applied "))
	if err != nil {
		t.Fatalf("helper process: %q", child.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	files, err := filepath.Glob("../../migrations/sqlite/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	if applied+childApplied != len(files) {
		t.Errorf("migrations applied: %d here and %d in the helper, want %d in all", applied, childApplied, len(files))
	}
	var n int
	db := s.(interface{ DB() *sql.DB }).DB()
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM brands").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2*writesPerProcess {
		t.Errorf("%d brands, want %d", n, 2*writesPerProcess)
	}
}

// TestHelperProcess is the second process of TestTwoProcessesOneFile.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("run by TestTwoProcessesOneFile")
	}
	s := open(t, path)
	defer s.Close()
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	applied, err := migrateAndWrite(t, s)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("applied", applied)
}

func migrateAndWrite(t testing.TB, s store.Store) (int, error) {
	applied, err := s.Migrate(t.Context())
	if err != nil {
		return 0, err
	}
	for range writesPerProcess {
		id := uuid.Must(uuid.NewV7()).String()
		// Read, then write, as activations do: the transaction must hold
		// the write lock from its start, or the other process's commit
		// between the read and the write would make the write fail.
		err := s.InTx(t.Context(), func(tx store.Tx) error {
			if _, err := tx.SigningKeys(t.Context()); err != nil {
				return err
			}
			return tx.CreateBrand(t.Context(), store.Brand{ID: id, Slug: id, Name: "b", CreatedAt: time.Now()})
		})
		if err != nil {
			return applied, err
		}
	}
	return applied, nil
}
