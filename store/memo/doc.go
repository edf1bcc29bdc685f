// Package memo keeps decoded snapshots in process in front of a shared
// store.Cache (Redis) or the in-process one, so that the validation hot
// path neither waits for a Redis round trip nor decodes JSON on a hit.
//
// A memo is safe only while it hears of every invalidation. This replica's
// own go through Invalidate; other replicas' are told by a watcher
// (store/redis publishes each invalidation on a channel, store/postgres
// notifies it through LISTEN/NOTIFY, and their Watch feeds them to Drop). When the watcher cannot vouch for hearing everything — its
// subscription is down, or not yet confirmed — it calls Reset(false): the
// memo forgets everything and serves nothing (every read goes to the
// shared cache) until Reset(true) after a new subscription is confirmed.
// On the embedded default there are no other replicas, and a memo is
// created up.
package memo
