// Package storetest is the conformance suite of each interface of package
// store, and the helpers other packages' tests use to reach the services
// they need.
//
// Run holds the contract of store.Store as executable cases: lookups,
// typed errors, transactions that commit or leave nothing, and the
// concurrency rules the service relies on (exact seat counts, one winner
// per idempotency key; see docs/API.md). store/sqlite and store/postgres
// each run it. RunCache and RunLimiter do the same for store.Cache and store.Limiter, which
// store/local and store/redis each run: generations that keep a fill read
// before an invalidation out of the cache, under concurrency too; TTLs;
// binary-safe values; GCRA bursts, refusals and refills, and no more than
// the burst under concurrent requests. A case that passes on one backend
// and fails on the other is a bug in the backend, never a reason for a
// backend-specific case.
//
// PostgresURL and RedisURL give tests an isolated database and a Redis
// server when the environment names them, and skip (or, in CI, fail) when
// it does not; RedisPrefix isolates a test's keys on a shared Redis, as a
// fresh schema does on PostgreSQL. For outages, StartRedisServer runs a
// throwaway redis-server a test may kill and restart, and StartProxy puts
// a TCP proxy in front of a shared service that a test may cut: a shared
// service itself is never stopped.
package storetest
