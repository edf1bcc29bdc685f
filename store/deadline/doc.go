// Package deadline bounds every call to a store.Store in time: each read
// gets its own deadline, and a transaction one deadline for the whole of
// it (begin, every statement inside, commit). A call that does not finish
// by then — a database that stopped answering without closing its
// connections, a lock that is never granted — fails with
// store.ErrUnavailable, which the API answers as 503 with Retry-After,
// instead of hanging the request.
//
// It wraps any Store rather than living inside one implementation, so
// that the rule holds the same on SQLite and PostgreSQL and survives a
// change of driver: the drivers only need to honour their context, which
// database/sql, pgx and modernc.org/sqlite all do. The error rule is
// deliberately simple: a call that failed after its context ended is
// unavailable, unless its error is an answer (not found, already exists,
// conflict) — whatever words the driver used for "I gave up".
package deadline
