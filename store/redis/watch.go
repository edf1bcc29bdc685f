package redis

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Every Invalidate publishes an id and its keys, one a line, on the channel
// <prefix>cache:invalidations (channels are global to a Redis server, not
// per database: the prefix is what keeps deployments, and tests, apart);
// a new epoch publishes "*". Watch feeds them to an in-process memo
// (store/memo), which serves only while this subscription vouches that it
// hears everything. Each subscriber acknowledges an invalidation on
// <prefix>cache:invalidations:acks once its memo dropped the keys, and the
// invalidating client waits for every acknowledgement (memo.Acks).

// Watcher is told of the invalidations of every replica.
type Watcher interface {
	// Drop forgets keys another replica (or this one) invalidated.
	Drop(keys ...string)
	// Reset forgets everything; up false means invalidations may go
	// unheard from now on (the subscription is down), true that the
	// subscription is confirmed again.
	Reset(up bool)
}

// watchEvery is how long the subscription may stay silent before it is
// pinged; a ping unanswered for two more periods counts it as dead, so a
// memo stops serving within about watchEvery*3 of Redis going silent.
const watchEvery = 200 * time.Millisecond

// Watch subscribes to the invalidations channel and tells w of each, until
// Close. Call it once per Watcher; w starts down (Reset(true) comes with
// the first confirmed subscription).
func (c *Client) Watch(w Watcher) {
	c.cache.acks.Watching()
	c.watchers.Add(1)
	go func() {
		defer c.watchers.Done()
		for {
			c.watchOnce(w)
			w.Reset(false)
			select {
			case <-c.stop.Done():
				return
			case <-time.After(watchEvery):
			}
		}
	}()
}

// watchOnce runs one subscription until it fails or goes silent.
func (c *Client) watchOnce(w Watcher) {
	ctx := c.stop
	ps := c.rdb.Subscribe(ctx, c.channel, c.channel+":acks")
	defer ps.Close()
	heard, pinged := time.Now(), false
	for {
		msg, err := ps.ReceiveTimeout(ctx, watchEvery)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || ctx.Err() != nil {
				return
			}
			if time.Since(heard) > 3*watchEvery {
				return // a ping went unanswered: Redis is not there
			}
			if !pinged {
				if ps.Ping(ctx) != nil {
					return
				}
				pinged = true
			}
			continue
		}
		heard, pinged = time.Now(), false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" && m.Channel == c.channel {
				w.Reset(true)
			}
		case *goredis.Message:
			switch {
			case m.Channel != c.channel:
				c.cache.acks.Ack(m.Payload, "")
			case m.Payload == "*":
				w.Reset(true)
			default:
				keys := strings.Split(m.Payload, "\n")
				if !strings.HasPrefix(keys[0], "#") { // from a version without acks
					w.Drop(keys...)
					continue
				}
				w.Drop(keys[1:]...)
				// Acknowledged after the drop: the invalidating replica
				// waits for it before answering its caller.
				c.rdb.Publish(ctx, c.channel+":acks", keys[0])
			}
		}
	}
}

// newStop is the context Close cancels to end every Watch.
func newStop() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }
