// Package storetest is the one conformance suite every store.Store passes,
// and the helpers other packages' tests use to reach the services they need.
//
// Run holds the contract of package store as executable cases: lookups,
// typed errors, transactions that commit or leave nothing, and the
// concurrency rules of DESIGN.md (exact seat counts, one winner per
// idempotency key). store/sqlite and store/postgres each run it; a case
// that passes on one backend and fails on the other is a bug in the
// backend, never a reason for a backend-specific case.
//
// PostgresURL and RedisURL give tests an isolated database and a Redis
// server when the environment names them, and skip (or, in CI, fail) when
// it does not.
package storetest
