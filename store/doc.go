// Package store says where licensed keeps its state and what it promises
// about it. PostgreSQL (store/postgres) and embedded SQLite (store/sqlite)
// implement Store; both pass the one conformance suite in store/storetest,
// so the licensing service above never needs to know which one it runs on.
// Cache (snapshots for online validation) and Limiter (rate limits) are
// kept in process (store/local) or in Redis shared by every replica
// (store/redis), with store/failover falling back from Redis to the store
// and the in-process limiter while Redis is unreachable; each interface has
// its conformance suite in store/storetest too.
//
// The contract that matters most: a change and the audit event that records
// it commit in one transaction (InTx), and LockLicense serialises every
// writer of one license, which is what keeps seat limits exact under any
// concurrency, across processes. The behaviour clients see on top of it
// (the same answer on every store) is docs/API.md.
package store
