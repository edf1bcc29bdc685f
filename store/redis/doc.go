// Package redis holds the Cache and Limiter that several licensed replicas
// share through one Redis server: a suspension made through one replica is
// seen by all of them at once, and a rate limit counts every replica's
// requests. It is optional; store/local is the single-replica default.
//
// # Keys
//
// Every key starts with a prefix ("licensed:" unless WithPrefix says
// otherwise), so the data can share a database with other applications:
//
//	<prefix>rate:<key>              GCRA state of one bucket (redis_rate); TTL: until full again
//	<prefix>cache:seq               the sequence generations and epochs are taken from; no TTL
//	<prefix>cache:epoch             the current epoch (a value of the sequence); no TTL
//	<prefix>cache:<epoch>:v:<key>   a cached value; TTL given to Set, at most the generation TTL
//	<prefix>cache:<epoch>:g:<key>   the key's generation; TTL 7 days, renewed by Invalidate and Set
//	<prefix>cache:invalidations     (a pub/sub channel, not a key) "#<id>" and invalidated keys, "*" for a new epoch
//	<prefix>cache:invalidations:acks (a channel) the ids of invalidations a memo has applied
//
// Get, Set and Invalidate are each one Lua script, so each is one round
// trip and atomic: Get reads the epoch, the value and the generation
// together (a key without a generation key gets a new one); Set compares
// the generation and stores with its TTL; Invalidate gives all its keys one
// new generation and deletes their values. Generations and epochs are
// values of one sequence, each handed out once, so a token matches only
// the generation key it was read from: an invalidation, an epoch change, or
// the generation key expiring or being evicted all make Set refuse. The
// sequence starts at the server's clock in microseconds, and starts there
// again if Redis loses it (a restart without persistence), so it never
// hands out a value from before, and a lost epoch key cannot bring back the
// names of an abandoned epoch. (Restoring an older snapshot does move the
// sequence back: a fill spanning that failover could match a generation
// handed out again.)
//
// The scripts build key names from the epoch inside Redis, so the keys they
// touch are not all declared: this works on a standalone server (or one
// behind Sentinel), not on Redis Cluster.
//
// # Publishing invalidations
//
// Redis is the one cache every replica reads, so an Invalidate that
// returned is visible to all replicas' reads of Redis at once. Each replica
// also keeps decoded snapshots in process (store/memo), which only hear of
// other replicas' invalidations if told: Invalidate publishes its keys (one
// a line) on the channel <prefix>cache:invalidations inside the same
// script, and a new epoch publishes "*". Watch subscribes a memo to that
// channel; the memo serves only while the subscription is confirmed and
// answers pings (every 200 ms of silence), and forgets everything whenever
// it is not, so a memo never serves a value whose invalidation it may have
// missed. Every subscriber acknowledges each invalidation once its memo
// dropped the keys (on <prefix>cache:invalidations:acks), and Invalidate
// waits for as many acknowledgements as the message reached subscribers,
// at most DefaultAckWait: a change acknowledged to its caller is gone from
// every memo, not merely on its way there. Pub/sub channels are global to
// a Redis server, not per database:
// the prefix keeps deployments (and tests) from hearing each other.
//
// # The epoch: invalidations lost to an outage
//
// An Invalidate that fails (Redis down, a timeout, a reply lost) may not
// have happened, and the value it meant to drop may still be in Redis when
// Redis is back. So the client counts it as lost, and its next successful
// operation (inside the same script) or a background retry every 250 ms,
// whichever comes first, moves the cache to a new epoch: every key name
// changes, so every value cached before is gone at once (the old keys
// expire by their TTLs) and every generation token from before fails Set.
// store/failover calls MarkStale for invalidations it skips while Redis is
// known to be down.
//
// What remains: a replica that never lost contact with Redis reads what is
// there, so a value that another replica failed to invalidate is served
// until that replica's epoch bump lands — once Redis answers it again,
// within about 250 ms — or the value's TTL ends. If the replica that lost
// the invalidation exits before Redis answers it again, the count is lost
// with it, and only the TTL bounds the staleness. Keep cache TTLs short.
//
// # Timeouts
//
// Dial, read and write time out after 250 ms by default (WithTimeout), with
// one dial attempt and one retry of a command: a dead or unresponsive Redis
// costs a request at most about two timeouts, and store/failover's breaker
// makes that one request per cool-down. Open pings, and its error (like
// every error that means Redis is out of reach) wraps ErrUnreachable, which
// wraps store.ErrUnavailable; New does not touch the network, for a service
// that starts while Redis is down.
package redis
