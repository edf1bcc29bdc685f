package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/memo"
)

// Invalidations tell every replica on one database (and schema) which
// cached snapshots a change made stale, through LISTEN/NOTIFY, so that
// replicas without Redis can keep an in-process memo (store/memo) of what
// validation reads. As a store.Cache it shares nothing: Get always misses
// and Set keeps nothing, since the memo in front is the only layer; its
// Invalidate notifies every replica's listener (Watch) and waits until
// each has dropped the keys from its memo.
//
// Names, all scoped by a hash of the database and schema (two deployments
// in one database, or tests in their own schemas, never hear each other):
//
//	licensed_invalidations_<scope>           the channel: "#<id>" or "-", then the keys, one a line; "*" forgets everything
//	licensed_invalidations_<scope>_<writer>  the channel a replica hears acknowledgements of its own invalidations on
//	licensed listener <scope>                the application_name of each replica's listening connection
//
// An invalidation is one statement on the store's pool, after the change
// committed: it queues the notifications (delivered when the statement's
// implicit transaction commits, in order) and, in the same snapshot, reads
// the process ids of the listening connections from pg_stat_activity. The
// listener sets its application_name only after its LISTEN committed, so
// every process named there hears the notification; each acknowledges on
// the writer's channel once its memo dropped the keys, with its process
// id, and Invalidate waits for every one of them, at most the ack wait.
type Invalidations struct {
	pool     *pgxpool.Pool
	listen   *pgx.ConnConfig // for the listening connection, outside the pool
	channel  string
	appName  string
	timeout  time.Duration
	acks     *memo.Acks
	onChange func(up bool, err error)

	// lost counts invalidations that may not have been notified since the
	// last "*" began; nonzero means notify "*" (next Invalidate, or the
	// background retry).
	lost atomic.Uint64

	stop    context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	watched atomic.Bool
}

const (
	// DefaultAckWait bounds how long an Invalidate waits for the other
	// replicas' memos to drop the keys.
	DefaultAckWait = 500 * time.Millisecond
	// retryEvery is how often a lost invalidation is retried as "*".
	retryEvery = 250 * time.Millisecond
	// maxPayload keeps a notification under PostgreSQL's 8000 bytes.
	maxPayload = 7000
)

// InvalidationsOption configures Invalidations.
type InvalidationsOption func(*Invalidations)

// WithAckWait bounds the wait for acknowledgements (DefaultAckWait).
func WithAckWait(d time.Duration) InvalidationsOption {
	return func(v *Invalidations) {
		if d > 0 {
			v.acks = memo.NewAcks(d)
		}
	}
}

// WithNotifyTimeout bounds each notification's statement and the
// listener's pings (default: the store's connect timeout).
func WithNotifyTimeout(d time.Duration) InvalidationsOption {
	return func(v *Invalidations) {
		if d > 0 {
			v.timeout = d
		}
	}
}

// WithOnListenChange is told when the listener stops hearing (up false,
// with the error) and when it hears again, for logs and metrics.
func WithOnListenChange(fn func(up bool, err error)) InvalidationsOption {
	return func(v *Invalidations) { v.onChange = fn }
}

// Invalidations returns the notifications of this store's database and
// schema. They notify through the store's pool; Watch listens on a
// connection of its own. Close them before the store.
func (s *Store) Invalidations(ctx context.Context, opts ...InvalidationsOption) (*Invalidations, error) {
	var db, schema string
	if err := s.pool.QueryRow(ctx, "SELECT current_database(), coalesce(current_schema(), '')").Scan(&db, &schema); err != nil {
		return nil, fmt.Errorf("postgres invalidations: %w", wrapClass(err))
	}
	sum := sha256.Sum256([]byte(db + "\x00" + schema))
	scope := hex.EncodeToString(sum[:8])
	listen := s.pool.Config().ConnConfig.Copy()
	if listen.RuntimeParams == nil {
		listen.RuntimeParams = map[string]string{}
	}
	// Not yet the name Invalidate counts: that is set once LISTEN is on.
	listen.RuntimeParams["application_name"] = "licensed listener (connecting)"
	v := &Invalidations{
		pool: s.pool, listen: listen,
		channel: "licensed_invalidations_" + scope, appName: "licensed listener " + scope,
		timeout: listen.ConnectTimeout, acks: memo.NewAcks(DefaultAckWait),
		onChange: func(bool, error) {},
	}
	for _, o := range opts {
		o(v)
	}
	if v.timeout <= 0 {
		v.timeout = connectTimeout
	}
	v.stop, v.cancel = context.WithCancel(context.Background())
	v.wg.Add(1)
	go v.retryLost()
	return v, nil
}

// Channel is the channel invalidations are notified on.
func (v *Invalidations) Channel() string { return v.channel }

// ApplicationName is the application_name of the listening connections.
func (v *Invalidations) ApplicationName() string { return v.appName }

// ackChannel is where the writer of ids from acks hears their acknowledgements.
func (v *Invalidations) ackChannel(writer string) string { return v.channel + "_" + writer }

// Get always misses: nothing is shared but the invalidations.
func (v *Invalidations) Get(context.Context, string) ([]byte, uint64, bool, error) {
	return nil, 0, false, nil
}

// Set keeps nothing.
func (v *Invalidations) Set(context.Context, string, uint64, []byte, time.Duration) error {
	return nil
}

// notifySQL queues each payload on $1, in order, and names the listening
// connections ($3) in the same snapshot.
const notifySQL = `SELECT count(pg_notify($1, p)),
	(SELECT coalesce(array_agg(pid::text), '{}') FROM pg_stat_activity
	 WHERE datname = current_database() AND application_name = $3)
FROM unnest($2::text[]) AS p`

// Invalidate notifies every replica's listener of the keys and waits until
// each acknowledged dropping them (at most the ack wait). When the
// statement fails the notification may be lost: "*" (forget everything) is
// notified as soon as the database answers again.
func (v *Invalidations) Invalidate(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	pending := v.acks.Expect()
	defer pending.Done()
	payloads := chunk(pending.ID(), keys)
	lost := v.lost.Load()
	if lost != 0 {
		payloads = append([]string{"*"}, payloads...)
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	var n int
	var listeners []string
	if err := v.pool.QueryRow(ctx, notifySQL, v.channel, payloads, v.appName).Scan(&n, &listeners); err != nil {
		v.lost.Add(1)
		return fmt.Errorf("postgres invalidate: %w", wrapClass(err))
	}
	v.notified(lost)
	pending.WaitFor(ctx, listeners)
	return nil
}

// chunk splits keys into payloads that fit a notification: every one but
// the last starts with "-", the last with id (the one acknowledged, after
// the others, as notifications of a transaction arrive in order).
func chunk(id string, keys []string) []string {
	out := pack(keys)
	for i := range out {
		head := "-"
		if i == len(out)-1 {
			head = id
		}
		out[i] = head + out[i]
	}
	return out
}

// pack joins items into bodies of at most about maxPayload bytes, each
// item after a newline (the first line is left for a head).
func pack(items []string) []string {
	var out []string
	var b strings.Builder
	for _, it := range items {
		if b.Len() > 0 && b.Len()+1+len(it) > maxPayload {
			out = append(out, b.String())
			b.Reset()
		}
		b.WriteString("\n")
		b.WriteString(it)
	}
	return append(out, b.String())
}

// notified clears lost if no invalidation was lost since "*" was sent.
func (v *Invalidations) notified(lost uint64) {
	if lost != 0 {
		v.lost.CompareAndSwap(lost, 0)
	}
}

// retryLost notifies "*" while an invalidation is lost, so that the
// window in which other replicas may serve what this one failed to
// invalidate ends when the database answers, not at the next change.
func (v *Invalidations) retryLost() {
	defer v.wg.Done()
	t := time.NewTicker(retryEvery)
	defer t.Stop()
	for {
		select {
		case <-v.stop.Done():
			return
		case <-t.C:
		}
		lost := v.lost.Load()
		if lost == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(v.stop, v.timeout)
		_, err := v.pool.Exec(ctx, "SELECT pg_notify($1, '*')", v.channel)
		cancel()
		if err == nil {
			v.notified(lost)
		}
	}
}

// Close stops the listener and the retries; the store's pool stays open.
func (v *Invalidations) Close() error {
	v.cancel()
	v.wg.Wait()
	return nil
}

// wrapClass wraps err in the store error it is, if any.
func wrapClass(err error) error {
	if kind := classify(err); kind != nil {
		return fmt.Errorf("%w: %w", kind, err)
	}
	return err
}

var _ store.Cache = (*Invalidations)(nil)
