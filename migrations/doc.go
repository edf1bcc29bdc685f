// Package migrations is licensed's schema: goose SQL migrations for
// PostgreSQL and for SQLite, embedded in the binary so that `licensed
// migrate` and `licensed serve` need no files beside it.
//
// The two dialects keep the same tables, columns, constraints and triggers;
// they differ only in types (uuid, timestamptz, jsonb and bytea on
// PostgreSQL; TEXT and BLOB in STRICT tables on SQLite). A change to the
// data model is a new numbered file in both folders.
//
// Apply is safe to run from several processes at once, as happens when
// replicas start together or when an admin command runs beside a server:
// on PostgreSQL the migrators take turns on a session advisory lock, on
// SQLite on an exclusive file lock (flock, LockFileEx on Windows) on a file
// beside the database.
package migrations
