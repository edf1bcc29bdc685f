package memo_test

import (
	"context"
	"testing"
	"time"

	"github.com/licensedhq/licensed/store/memo"
)

// TestAcksWaitFor: a wait for named watchers ends when each of them
// acknowledged — before or after the wait began — and not when as many
// acknowledgements came from others.
func TestAcksWaitFor(t *testing.T) {
	a := memo.NewAcks(time.Hour)
	a.Watching()
	p := a.Expect()
	defer p.Done()
	if w := memo.AckWriter(p.ID()); w != a.Writer() {
		t.Fatalf("AckWriter(%q) = %q, want %q", p.ID(), w, a.Writer())
	}
	a.Ack(p.ID(), "1")
	a.Ack(p.ID(), "3") // not waited for
	a.Ack("#other-1", "2")
	done := make(chan struct{})
	go func() {
		p.WaitFor(context.Background(), []string{"1", "2"})
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("the wait ended before watcher 2 acknowledged")
	case <-time.After(50 * time.Millisecond):
	}
	a.Ack(p.ID(), "2")
	<-done

	// Counting (Redis): n acknowledgements from anyone.
	q := a.Expect()
	defer q.Done()
	a.Ack(q.ID(), "")
	a.Ack(q.ID(), "")
	q.Wait(context.Background(), 2)
	if memo.AckWriter("lk:1") != "" || memo.AckWriter("-") != "" {
		t.Fatal("AckWriter read a writer from what is not an id")
	}
}

// TestAcksNotWatching: a replica that watches nothing hears no
// acknowledgements and does not wait for any.
func TestAcksNotWatching(t *testing.T) {
	a := memo.NewAcks(time.Hour)
	p := a.Expect()
	defer p.Done()
	p.WaitFor(context.Background(), []string{"1"})
	p.Wait(context.Background(), 3)
}
