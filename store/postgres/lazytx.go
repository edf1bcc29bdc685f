package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensedhq/licensed/store/sqldb"
)

// The statements are spelled as pgx spells them ("begin", "commit",
// "rollback"): operators' tools and the drills that cut a connection at a
// transaction's begin or commit recognise them on the wire.

// lazyTx is a transaction whose BEGIN travels with its first statement, in
// one batch: a transaction costs one round trip fewer than pgx's Begin,
// which waits for BEGIN's answer before anything else is sent. A statement
// that fails after BEGIN leaves the transaction aborted, as it would have
// anyway, and Rollback ends it.
type lazyTx struct {
	conn   *pgxpool.Conn
	begun  bool // BEGIN was sent
	closed bool // the connection went back to the pool
}

func beginLazy(ctx context.Context, pool *pgxpool.Pool) (sqldb.TxConn, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &lazyTx{conn: conn}, nil
}

var errTxDone = errors.New("postgres: the transaction has ended")

// send sends b, preceded by BEGIN when this is the transaction's first
// batch, and returns b's results with BEGIN's already read.
func (t *lazyTx) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	if t.closed {
		return nil, errTxDone
	}
	if t.begun {
		return t.conn.SendBatch(ctx, b), nil
	}
	t.begun = true
	withBegin := &pgx.Batch{QueuedQueries: append([]*pgx.QueuedQuery{{SQL: "begin"}}, b.QueuedQueries...)}
	br := t.conn.SendBatch(ctx, withBegin)
	if _, err := br.Exec(); err != nil {
		return nil, errors.Join(err, br.Close())
	}
	return br, nil
}

func (t *lazyTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if t.begun && !t.closed {
		tag, err := t.conn.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	var b pgx.Batch
	b.Queue(query, args...)
	br, err := t.send(ctx, &b)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	return tag.RowsAffected(), errors.Join(err, br.Close())
}

func (t *lazyTx) Query(ctx context.Context, query string, args ...any) (sqldb.Rows, error) {
	if t.begun && !t.closed {
		return t.conn.Query(ctx, query, args...)
	}
	var b pgx.Batch
	b.Queue(query, args...)
	br, err := t.send(ctx, &b)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, errors.Join(err, br.Close())
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *lazyTx) QueryRow(ctx context.Context, query string, args ...any) sqldb.Row {
	if t.begun && !t.closed {
		return t.conn.QueryRow(ctx, query, args...)
	}
	rows, err := t.Query(ctx, query, args...)
	return rowOf{rows, err}
}

func (t *lazyTx) SendBatch(ctx context.Context, qs []sqldb.Query) sqldb.BatchResults {
	var b pgx.Batch
	for _, q := range qs {
		b.Queue(q.SQL, q.Args...)
	}
	br, err := t.send(ctx, &b)
	if err != nil {
		return failedBatch{err}
	}
	return batchResults{br}
}

// Commit sends COMMIT, or nothing when no statement was sent. A COMMIT
// answered ROLLBACK (the transaction had failed) is an error, as in pgx.
func (t *lazyTx) Commit(ctx context.Context) error {
	if t.closed {
		return errTxDone
	}
	defer t.release()
	if !t.begun {
		return nil
	}
	tag, err := t.conn.Exec(ctx, "commit")
	if err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

func (t *lazyTx) Rollback(ctx context.Context) error {
	if t.closed {
		return nil
	}
	defer t.release()
	if !t.begun {
		return nil
	}
	_, err := t.conn.Exec(ctx, "rollback")
	return err
}

// release returns the connection to the pool; the pool closes it rather
// than reuse it when it is broken or still inside a transaction (a
// ROLLBACK that could not be sent).
func (t *lazyTx) release() {
	t.closed = true
	t.conn.Release()
}

// batchRows closes its batch with itself.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close()
}

// rowOf is the first row of rows, as pgx.Row: sql.ErrNoRows (through
// pgx.ErrNoRows) when there is none.
type rowOf struct {
	rows sqldb.Rows
	err  error
}

func (r rowOf) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

type failedBatch struct{ err error }

func (f failedBatch) Query() (sqldb.Rows, error) { return nil, f.err }
func (f failedBatch) Close() error               { return f.err }
