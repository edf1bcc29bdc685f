// Package local holds the in-process Cache and Limiter that licensed uses
// when no Redis is configured: right for one replica, and the fallback
// that keeps rate limits in force when Redis is unreachable.
//
// Both are bounded in memory, so a flood of distinct keys (client IPs,
// guessed license keys) cannot grow the process without limit, and both
// take an injectable clock so their time-based behaviour is testable
// without sleeping.
//
// Neither shares anything with other processes: several replicas on local
// state would each limit on their own and never see each other's
// invalidations. That is why several replicas need store/redis.
package local
