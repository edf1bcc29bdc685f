// Package sqldb implements store.Store once, over database/sql, for both
// SQL databases licensed runs on: store/postgres and store/sqlite open
// their driver and hand sqldb the connections and a Dialect.
//
// One implementation rather than two because PostgreSQL and SQLite speak
// SQL close enough for licensed's queries: both take $1 placeholders, both
// have INSERT ... ON CONFLICT DO NOTHING and partial unique indexes, and
// PostgreSQL parses the fixed-width time strings SQLite stores. What is
// left, row locks and how driver errors read, fits in a small Dialect
// struct, as dex's storage/sql does with its "flavors". Two copies would
// drift apart; one copy passes the conformance suite (store/storetest) on
// both databases or on neither.
//
// Schema lives in package migrations. Times are written as UTC strings
// truncated to microseconds (both databases keep microseconds); JSON
// (entitlements, metadata, scopes, audit data) as text.
package sqldb
