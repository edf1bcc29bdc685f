// Package local holds the in-process Limiter (and, later, Cache) that
// licensed uses when no Redis is configured: right for one replica, and the
// fallback that keeps rate limits in force when Redis is unreachable.
package local
