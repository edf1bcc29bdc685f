package sqldb

import (
	"context"
	"database/sql"
)

// The seam between the shared SQL and a database's client library. SQLite
// runs on database/sql (modernc.org/sqlite is a database/sql driver);
// PostgreSQL runs on pgx's native interface (store/postgres adapts a
// pgxpool.Pool), whose statement cache, binary protocol and batches cut the
// round trips and the allocations database/sql's generic layer costs on the
// hot paths.

// Conn runs statements: a connection pool, or a transaction.
type Conn interface {
	// Exec runs a statement and reports how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow's Scan returns an error wrapping sql.ErrNoRows when there
	// was no row (pgx.ErrNoRows does).
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Pool is a Conn that begins transactions.
type Pool interface {
	Conn
	Begin(ctx context.Context) (TxConn, error)
	Ping(ctx context.Context) error
	Close() error
}

// TxConn is a transaction.
type TxConn interface {
	Conn
	Commit(ctx context.Context) error
	// Rollback after Commit, or on a transaction already ended, is harmless.
	Rollback(ctx context.Context) error
}

// Rows is the result of Query; Close may be called more than once.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is what a single-row result and Rows have in common.
type Row interface {
	Scan(dest ...any) error
}

// SQL adapts a database/sql handle.
func SQL(db *sql.DB) Pool { return sqlPool{sqlConn{db}, db} }

// sqlRunner is what *sql.DB and *sql.Tx have in common.
type sqlRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type sqlConn struct{ r sqlRunner }

func (c sqlConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.r.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlConn) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := c.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c sqlConn) QueryRow(ctx context.Context, query string, args ...any) Row {
	return c.r.QueryRowContext(ctx, query, args...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlPool struct {
	sqlConn
	db *sql.DB
}

func (p sqlPool) Begin(ctx context.Context) (TxConn, error) {
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return sqlTx{sqlConn{tx}, tx}, nil
}

func (p sqlPool) Ping(ctx context.Context) error { return p.db.PingContext(ctx) }
func (p sqlPool) Close() error                   { return p.db.Close() }

type sqlTx struct {
	sqlConn
	tx *sql.Tx
}

func (t sqlTx) Commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) Rollback(context.Context) error { return t.tx.Rollback() }

// Query is one statement of a batch.
type Query struct {
	SQL  string
	Args []any
}

// Batcher is a Conn that sends several statements in one round trip
// (pgx.Batch on PostgreSQL). The statements run in order; on a pool,
// outside a transaction, each in its own implicit transaction.
type Batcher interface {
	SendBatch(ctx context.Context, qs []Query) BatchResults
}

// BatchResults reads the results of a batch in the order of its
// statements; Close must be called.
type BatchResults interface {
	Query() (Rows, error)
	Close() error
}
