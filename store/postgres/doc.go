// Package postgres is the production Store: PostgreSQL through pgx v5 and
// its connection pool, for several licensed replicas sharing one database.
//
// The queries are store/sqldb's, shared with SQLite; sqldb reaches the
// pool through pgx's database/sql adapter. Transactions run at READ
// COMMITTED: what must not race (seats of one license) is serialised by
// LockLicense's row lock, idempotency claims and customer creation by
// INSERT ... ON CONFLICT, which waits for a concurrent insert of the same
// key to commit or roll back.
//
// Invalidations (notify.go, listen.go) carry the snapshot invalidations
// of every replica through LISTEN/NOTIFY, for the in-process memo each
// replica keeps when there is no Redis.
package postgres
