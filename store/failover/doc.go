// Package failover keeps licensed correct and rate-limited while Redis is
// unreachable, and puts Redis back to use when it returns, without a
// restart.
//
// Redis is optional for licensed (the default runs without it), so losing
// it must degrade the service, never stop it or make it lie:
//
//   - Limiter falls back to a second limiter (the in-process one) when the
//     primary fails: rate limits stay in force, per replica, and never
//     turn into no limit.
//   - Cache treats a failure of the primary as a miss, so callers read the
//     source of truth; fills are dropped; a failed or skipped Invalidate
//     is reported to the caller, and a primary that can make up for it
//     later (store/redis moves to a new cache epoch) is told so.
//
// A Breaker, which a Limiter and a Cache on the same Redis should share,
// stops calling a failed primary for a cool-down (one second by default),
// so that a dead Redis costs one timeout per cool-down rather than one per
// request. After the cool-down one call tries the primary again; its
// success marks the primary up and every call uses it again. OnStateChange
// and Up let the caller log the change once and export it as a metric.
package failover
