package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/licensedhq/licensed/store/memo"
)

// Watcher is told of the invalidations of every replica (a memo.Cache).
type Watcher interface {
	// Drop forgets keys another replica (or this one) invalidated.
	Drop(keys ...string)
	// Reset forgets everything; up false means invalidations may go
	// unheard from now on (the listener is down), true that the listener
	// is confirmed again.
	Reset(up bool)
}

const (
	// listenEvery is how long the listening connection may stay silent
	// before it is pinged, and the pause before listening again after a
	// failure.
	listenEvery = 200 * time.Millisecond
	// pingWithin bounds a ping, and the acknowledgements the listener
	// sends: a connection that does not answer is dead, so a memo stops
	// serving within listenEvery+pingWithin of the database going silent
	// (at once when the connection fails outright).
	pingWithin = 300 * time.Millisecond
)

// Watch listens for the invalidations of every replica on a connection of
// its own (outside the pool, which would hand it to others) and tells w of
// each, until Close. Call it once, with w down: w.Reset(true) comes once
// LISTEN is on, w.Reset(false) as soon as the connection fails or stops
// answering pings, and Reset(true) again once a new connection listens.
func (v *Invalidations) Watch(w Watcher) {
	if !v.watched.CompareAndSwap(false, true) {
		panic("postgres: Invalidations.Watch called twice")
	}
	v.acks.Watching()
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		var up, reported bool
		for {
			err := v.listenOnce(w, func() {
				if !up || !reported {
					v.onChange(true, nil)
				}
				up, reported = true, true
			})
			w.Reset(false)
			if v.stop.Err() != nil {
				return
			}
			if up || !reported {
				v.onChange(false, err)
			}
			up, reported = false, true
			select {
			case <-v.stop.Done():
				return
			case <-time.After(listenEvery):
			}
		}
	}()
}

// listenOnce runs one listening connection until it fails or goes silent.
func (v *Invalidations) listenOnce(w Watcher, listening func()) error {
	ctx := v.stop
	cctx, cancel := context.WithTimeout(ctx, v.timeout)
	conn, err := pgx.ConnectConfig(cctx, v.listen)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), pingWithin)
		conn.Close(ctx)
		cancel()
	}()
	own := v.ackChannel(v.acks.Writer())
	cctx, cancel = context.WithTimeout(ctx, v.timeout)
	defer cancel()
	for _, ch := range []string{v.channel, own} {
		if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	// Only now, with LISTEN committed, may Invalidate count this
	// connection among those that hear it.
	if _, err := conn.Exec(cctx, "SELECT set_config('application_name', $1, false)", v.appName); err != nil {
		return err
	}
	w.Reset(true)
	listening()
	pid := strconv.FormatUint(uint64(conn.PgConn().PID()), 10)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if n != nil {
			if err := v.heard(conn, w, pid, own, append([]*pgconn.Notification{n}, buffered(conn)...)); err != nil {
				return err
			}
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !pgconn.Timeout(err) {
			return err
		}
		// Silent for listenEvery: is the connection still there?
		// (Notifications arriving meanwhile are kept for the next wait.)
		pctx, cancel := context.WithTimeout(ctx, pingWithin)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return errors.Join(errors.New("the listening connection did not answer a ping"), err)
		}
	}
}

// buffered returns the notifications already received, without waiting.
func buffered(conn *pgx.Conn) []*pgconn.Notification {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	var out []*pgconn.Notification
	for {
		n, _ := conn.WaitForNotification(done)
		if n == nil {
			return out
		}
		out = append(out, n)
	}
}

// heard applies notifications: invalidations go to w, then are
// acknowledged (with this connection's process id, which the writer
// waits for) on their writers' channels; acknowledgements of this
// replica's own invalidations go to its Acks.
func (v *Invalidations) heard(conn *pgx.Conn, w Watcher, pid, own string, ns []*pgconn.Notification) error {
	acks := map[string][]string{} // writer -> ids
	for _, n := range ns {
		lines := strings.Split(n.Payload, "\n")
		switch {
		case n.Channel == own:
			for _, id := range lines[1:] {
				v.acks.Ack(id, lines[0])
			}
		case n.Channel != v.channel:
		case n.Payload == "*":
			w.Reset(true)
		default:
			w.Drop(lines[1:]...)
			if writer := memo.AckWriter(lines[0]); writer != "" {
				acks[writer] = append(acks[writer], lines[0])
			}
		}
	}
	if len(acks) == 0 {
		return nil
	}
	var channels, payloads []string
	for writer, ids := range acks {
		for _, body := range pack(ids) {
			channels = append(channels, v.ackChannel(writer))
			payloads = append(payloads, pid+body)
		}
	}
	ctx, cancel := context.WithTimeout(v.stop, pingWithin)
	defer cancel()
	_, err := conn.Exec(ctx, "SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS t(c, p)", channels, payloads)
	return err
}
