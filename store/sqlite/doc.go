// Package sqlite is the default Store: one SQLite file in the data
// directory, on modernc.org/sqlite, which is pure Go, so that licensed
// stays one static binary with nothing else to run.
//
// SQLite allows one writer at a time per file. Rather than let writers
// collide and retry, every transaction goes through a single connection
// that starts it with BEGIN IMMEDIATE, so it holds the write lock from its
// first statement: transactions are serialised, which is what makes
// LockLicense a no-op here and seat counts exact. Reads outside
// transactions go to a separate pool of query-only connections, which WAL
// lets run beside the writer.
//
// The file is in WAL mode with synchronous=NORMAL: a commit does not wait
// for fsync, so a power cut (not a crash of the process) can lose the last
// commits, never consistency.
//
// Another process may use the same file at once (an admin command beside
// the server): it waits for the write lock up to the busy timeout, after
// which the caller gets store.ErrUnavailable.
package sqlite
