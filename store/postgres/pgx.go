package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensedhq/licensed/store/sqldb"
)

// pgxRunner is what *pgxpool.Pool and pgx.Tx have in common.
type pgxRunner interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pgxConn runs the shared SQL on pgx's native interface: statements are
// prepared once per connection and cached (pgx's default exec mode), and
// results come back in the binary format.
type pgxConn struct{ r pgxRunner }

func (c pgxConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.r.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (c pgxConn) Query(ctx context.Context, query string, args ...any) (sqldb.Rows, error) {
	rows, err := c.r.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c pgxConn) QueryRow(ctx context.Context, query string, args ...any) sqldb.Row {
	return c.r.QueryRow(ctx, query, args...)
}

// SendBatch sends several statements in one round trip (sqldb.Batcher).
func (c pgxConn) SendBatch(ctx context.Context, qs []sqldb.Query) sqldb.BatchResults {
	var b pgx.Batch
	for _, q := range qs {
		b.Queue(q.SQL, q.Args...)
	}
	return batchResults{c.r.SendBatch(ctx, &b)}
}

type batchResults struct{ br pgx.BatchResults }

func (b batchResults) Query() (sqldb.Rows, error) { return b.br.Query() }
func (b batchResults) Close() error               { return b.br.Close() }

type pgxPool struct {
	pgxConn
	pool *pgxpool.Pool
}

func (p pgxPool) Begin(ctx context.Context) (sqldb.TxConn, error) { return beginLazy(ctx, p.pool) }

func (p pgxPool) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }

// Close leaves the pool open: Store.Close closes it after the
// database/sql handle that borrows from it.
func (p pgxPool) Close() error { return nil }
