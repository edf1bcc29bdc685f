package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/licensedhq/licensed/migrations"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/sqldb"
)

// defaultBusyTimeout is how long a statement waits for a lock held by
// another connection or process before it fails, unless WithBusyTimeout
// says otherwise.
const defaultBusyTimeout = 10 * time.Second

// Option configures Open.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
}

// WithBusyTimeout sets how long a statement waits for the write lock held
// by another process (an admin command beside the server) before it fails
// with store.ErrUnavailable. licensed sets it to LICENSED_DB_TIMEOUT, so
// that SQLite gives up when the request's deadline does.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

var dialect = sqldb.Dialect{
	Migrations: migrations.SQLite,
	ForUpdate:  "", // BEGIN IMMEDIATE already holds the write lock
	Classify:   classify,
}

// Open opens (creating it if need be) the database file at path; its
// directory must exist. Call Migrate before use.
func Open(ctx context.Context, path string, opts ...Option) (store.Store, error) {
	o := options{busyTimeout: defaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.busyTimeout <= 0 {
		o.busyTimeout = defaultBusyTimeout
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: %q: a database path cannot contain '?'", path)
	}
	write, err := open(ctx, path, o.busyTimeout, url.Values{
		"_txlock":       {"immediate"},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"NORMAL"},
	}, 1)
	if err != nil {
		return nil, err
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	read, err := open(ctx, path, o.busyTimeout, url.Values{"_query_only": {"1"}}, readers)
	if err != nil {
		write.Close()
		return nil, err
	}
	return sqldb.New(dialect, write, read), nil
}

// open returns a pool of at most conns connections with params on top of
// what every connection needs, and makes sure the first one opens.
func open(ctx context.Context, path string, busyTimeout time.Duration, params url.Values, conns int) (*sql.DB, error) {
	params.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	params.Set("_foreign_keys", "1")
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0) // a connection is a file handle, not a socket: keep it
	if err := ping(ctx, db, busyTimeout); err != nil {
		db.Close()
		err = fmt.Errorf("open %s: %w", path, err)
		if kind := classify(err); kind != nil {
			err = fmt.Errorf("%w: %w", kind, err)
		}
		return nil, err
	}
	return db, nil
}

// ping opens db's first connection. When two processes open a new file at
// once (the server and an admin command started together), one can find
// it locked while the other switches it to WAL, and SQLite says so at once
// rather than after the busy timeout: so try again, for as long.
func ping(ctx context.Context, db *sql.DB, busyTimeout time.Duration) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := db.PingContext(ctx)
		if err == nil || !busy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// classify maps SQLite's extended result codes to store errors.
func classify(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return store.ErrAlreadyExists
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return store.ErrNotFound
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_INTERRUPT, // the call's context ended
		sqlite3.SQLITE_FULL,      // the disk is full
		sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_NOMEM:
		return store.ErrUnavailable
	}
	if busy(err) { // the lock stayed taken past the busy timeout
		return store.ErrUnavailable
	}
	return nil
}

// busy reports whether err says another connection holds a lock.
func busy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}
