package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/licensedhq/licensed/migrations"
	"github.com/licensedhq/licensed/store"
)

// Dialect is what differs between the databases sqldb runs on.
type Dialect struct {
	// Migrations is the schema of this database.
	Migrations migrations.Dialect
	// ForUpdate ends a SELECT whose rows stay locked until the transaction
	// ends: "FOR UPDATE" on PostgreSQL; empty on SQLite, where every write
	// transaction holds the database's one write lock from its BEGIN.
	ForUpdate string
	// Classify tells which store error a driver error is: ErrAlreadyExists
	// for a unique violation, ErrNotFound for a foreign key naming a row that
	// does not exist, ErrUnavailable when the database cannot be reached or
	// stayed locked; nil for anything else.
	Classify func(error) error
}

// Store is a store.Store over a Pool.
type Store struct {
	queries // reads on read
	write   Pool
	read    Pool
	db      *sql.DB // the database/sql handle of write, when it is one
}

var _ store.Store = (*Store)(nil)

// New returns a Store on database/sql that runs transactions and
// migrations on write and its own reads on read: on SQLite, one writer
// connection and a pool of query-only readers, so that reads never wait
// for the write lock. Close closes both.
func New(d Dialect, write, read *sql.DB) *Store {
	s := NewOn(d, SQL(write), SQL(read))
	if read == write {
		s.read = s.write
	}
	s.db = write
	return s
}

// NewOn returns a Store on pools of any client library; pass the same
// pool twice when reads need no pool of their own. Migrate and DB need a
// database/sql handle: a Store made by NewOn has none, and its owner
// provides them (store/postgres does).
func NewOn(d Dialect, write, read Pool) *Store {
	return &Store{queries: queries{q: read, d: &d}, write: write, read: read}
}

// DB is the handle writes go through, for tools and tests that need raw
// SQL; nil on a Store made by NewOn.
func (s *Store) DB() *sql.DB { return s.db }

// InTx runs fn in one transaction. A panic in fn rolls back too.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	t, err := s.write.Begin(ctx)
	if err != nil {
		return s.fail("begin", err)
	}
	ended := false
	defer func() {
		if !ended {
			// On ctx, as before: a ROLLBACK that cannot be sent in time
			// must not hang the caller past its deadline; pgx closes a
			// connection whose statement ctx cut short, and the pool drops
			// it rather than reuse it mid-transaction.
			_ = t.Rollback(ctx)
		}
	}()
	if err := fn(&tx{queries{q: t, d: s.d}}); err != nil {
		return err
	}
	ended = true
	return s.fail("commit", t.Commit(ctx))
}

func (s *Store) Migrate(ctx context.Context) (int, error) {
	if s.db == nil {
		return 0, errors.New("migrate: this store has no database/sql handle")
	}
	n, err := migrations.Apply(ctx, s.db, s.d.Migrations)
	return n, s.fail("migrate", err)
}

func (s *Store) Ping(ctx context.Context) error {
	err := s.write.Ping(ctx)
	if err == nil && s.read != s.write {
		err = s.read.Ping(ctx)
	}
	return s.fail("ping", err)
}

func (s *Store) Close() error {
	if s.read == s.write {
		return s.write.Close()
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// tx is a store.Tx; its reads run inside the transaction.
type tx struct {
	queries
}

var _ store.Tx = (*tx)(nil)

// queries implements store.Queries on a connection pool or in a transaction.
type queries struct {
	q Conn
	d *Dialect
}

var _ store.Queries = queries{}

// fail turns err from operation op into the store error it means, keeping
// the driver's error in the chain for errors.As and for people reading logs.
func (r queries) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if kind := r.d.Classify(err); kind != nil && !errors.Is(err, kind) {
		return fmt.Errorf("%s: %w: %w", op, kind, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// errNoBrand: a read of a brand's rows was called without a brand. It is
// a bug in the caller, never "every brand" and never "not found".
var errNoBrand = errors.New("a brand id is required")

func needBrand(op, brandID string) error {
	if brandID == "" {
		return fmt.Errorf("%s: %w", op, errNoBrand)
	}
	return nil
}

// fields lists where Scan puts each column of a row of T, in the order of
// the matching column list constant (brandCols for brands and so on).
type fields[T any] func(*T) []any

func scanRow[T any](r Row, f fields[T]) (T, error) {
	var v T
	err := r.Scan(f(&v)...)
	return v, err
}

// get reads one row; ErrNotFound when there is none.
func get[T any](ctx context.Context, r queries, op string, f fields[T], query string, args ...any) (T, error) {
	v, err := scanRow(r.q.QueryRow(ctx, query, args...), f)
	return v, r.fail(op, err)
}

// list reads every row; never nil.
func list[T any](ctx context.Context, r queries, op string, f fields[T], query string, args ...any) ([]T, error) {
	rows, err := r.q.Query(ctx, query, args...)
	if err != nil {
		return nil, r.fail(op, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scanRow(rows, f)
		if err != nil {
			return nil, r.fail(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(op, err)
	}
	return out, nil
}

// exec runs a statement and reports how many rows it changed.
func (r queries) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	n, err := r.q.Exec(ctx, query, args...)
	return n, r.fail(op, err)
}

// change runs a statement that must change a row, and returns none when it
// changed nothing.
func (r queries) change(ctx context.Context, op string, none error, query string, args ...any) error {
	n, err := r.exec(ctx, op, query, args...)
	if err == nil && n == 0 {
		return fmt.Errorf("%s: %w", op, none)
	}
	return err
}

// insert adds a row, or returns ErrAlreadyExists when it would break a
// uniqueness rule. DO NOTHING rather than catching the unique violation
// keeps the transaction usable on PostgreSQL, where any failed statement
// aborts it, so that callers behave the same on both databases.
func (r queries) insert(ctx context.Context, op, query string, args ...any) error {
	return r.change(ctx, op, store.ErrAlreadyExists, query+" ON CONFLICT DO NOTHING", args...)
}
