package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
)

// DefaultSchedule is how long a failed delivery waits before each retry:
// seven attempts over about 31 hours, then failed.
func DefaultSchedule() []time.Duration {
	return []time.Duration{5 * time.Second, time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}
}

const (
	// DefaultTimeout bounds one attempt, connection to last header byte
	// and the capped body read: a 2xx within it is delivered.
	DefaultTimeout = 10 * time.Second
	// maxResponseBody is how much of an answer is read (and dropped), so
	// that the connection can be reused without trusting its length.
	maxResponseBody = 4 << 10
	maxErrorText    = 300
)

// Config wires a Dispatcher; Store, Secrets and Render are required.
type Config struct {
	Store   store.Store
	Secrets *seal.Keyring
	// Render is the body of an event's request (issuer.WebhookBody).
	Render func(store.AuditEvent) ([]byte, error)
	Policy Policy
	// Workers bounds the attempts in flight; default 4.
	Workers int
	// Schedule replaces DefaultSchedule() (tests: short delays).
	Schedule []time.Duration
	// Timeout replaces DefaultTimeout.
	Timeout time.Duration
	// Lease is how long a claimed attempt is this dispatcher's before
	// another may take it over; default Timeout + 50 s.
	Lease time.Duration
	// Poll is how often an idle dispatcher looks for due deliveries;
	// default 1 s.
	Poll time.Duration
	// Now replaces time.Now, for tests.
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Dispatcher drains the webhook outbox. Any number may run on one
// PostgreSQL database: each attempt is claimed by exactly one of them.
type Dispatcher struct {
	c       Config
	client  *http.Client
	metrics *metrics
	slots   chan struct{}
	wg      sync.WaitGroup
}

// New returns a Dispatcher; Run starts it.
func New(c Config) *Dispatcher {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule()
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Lease <= 0 {
		c.Lease = c.Timeout + 50*time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{c: c, client: newClient(c.Policy, c.Timeout), metrics: newMetrics(c.Registerer), slots: make(chan struct{}, c.Workers)}
}

// newClient never follows a redirect (a 3xx is a failed attempt), never
// uses a proxy from the environment (it would dial for us, past Control),
// and dials only addresses the policy allows.
func newClient(p Policy, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, Control: p.Control}
	tr := &http.Transport{
		Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
		TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout, MaxIdleConnsPerHost: 2,
		IdleConnTimeout: 90 * time.Second, MaxResponseHeaderBytes: 16 << 10,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Run delivers until ctx ends, then waits for the attempts in flight
// (which ctx cancels) to be recorded or abandoned to their lease.
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.wg.Wait()
	backoff := d.c.Poll
	nextStats := time.Time{}
	for ctx.Err() == nil {
		if now := time.Now(); !now.Before(nextStats) {
			d.observeQueue(ctx)
			nextStats = now.Add(10 * time.Second)
		}
		n, err := d.dispatch(ctx)
		switch {
		case err != nil:
			// The store is down: wait, longer each time, up to a minute.
			d.c.Logger.Warn("webhooks: claiming deliveries failed", "err", err, "retry_in", backoff)
			backoff = min(2*backoff, time.Minute)
		case n > 0:
			backoff = d.c.Poll
			continue // there may be more due at once
		default:
			backoff = d.c.Poll
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
}

// dispatch claims as many due deliveries as there are free workers and
// starts them; it reports how many.
func (d *Dispatcher) dispatch(ctx context.Context) (int, error) {
	free := 0
	for free < cap(d.slots) {
		select {
		case d.slots <- struct{}{}:
			free++
			continue
		default:
		}
		break
	}
	if free == 0 {
		// Every worker is busy: wait for one rather than spin.
		select {
		case d.slots <- struct{}{}:
			free = 1
		case <-ctx.Done():
			return 0, nil
		}
	}
	jobs, err := d.claim(ctx, free)
	for range free - len(jobs) {
		<-d.slots
	}
	for _, j := range jobs {
		d.wg.Go(func() {
			defer func() { <-d.slots }()
			d.deliver(ctx, j)
		})
	}
	return len(jobs), err
}

func (d *Dispatcher) claim(ctx context.Context, limit int) ([]store.WebhookJob, error) {
	now := d.c.Now().UTC()
	// A read first: an idle dispatcher (the usual case) opens no write
	// transaction, which on SQLite would take the one write lock.
	due, err := d.c.Store.NextWebhookDue(ctx)
	if err != nil || due == nil || due.After(now) {
		return nil, err
	}
	var jobs []store.WebhookJob
	err = d.c.Store.InTx(ctx, func(tx store.Tx) (err error) {
		jobs, err = tx.ClaimWebhookDeliveries(ctx, now, now.Add(d.c.Lease), limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

// RunOnce claims and delivers what is due now, waiting for each attempt:
// for tests and tools.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	jobs, err := d.claim(ctx, cap(d.slots))
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { d.deliver(ctx, j) })
	}
	wg.Wait()
	return len(jobs), err
}

// deliver makes one attempt and records its outcome.
func (d *Dispatcher) deliver(ctx context.Context, j store.WebhookJob) {
	status, sendErr := d.send(ctx, j)
	if ctx.Err() != nil {
		// Shutting down: the attempt's lease runs out and another
		// dispatcher (or this one, restarted) makes it again.
		return
	}
	now := d.c.Now().UTC()
	r := store.WebhookResult{ID: j.Delivery.ID, Attempt: j.Delivery.Attempt, ResponseStatus: status, At: now}
	outcome := "delivered"
	switch {
	case sendErr == nil && status >= 200 && status < 300:
		r.Status = store.DeliveryDelivered
	default:
		r.Error = d.errorText(status, sendErr)
		if j.Delivery.Attempt > len(d.c.Schedule) {
			r.Status, outcome = store.DeliveryFailed, "failed"
		} else {
			next := now.Add(d.c.Schedule[j.Delivery.Attempt-1])
			r.Status, r.NextAttemptAt, outcome = store.DeliveryPending, &next, "retry"
		}
	}
	err := d.c.Store.InTx(ctx, func(tx store.Tx) error { return tx.CompleteWebhookDelivery(ctx, r) })
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		// Taken over after the lease, or the endpoint was deleted.
		d.c.Logger.Debug("webhooks: result dropped", "delivery", j.Delivery.ID, "err", err)
		return
	case err != nil:
		// The attempt stands; the lease makes it again later.
		d.c.Logger.Warn("webhooks: recording a result failed", "delivery", j.Delivery.ID, "err", err)
		return
	}
	d.metrics.deliveries.WithLabelValues(outcome).Inc()
	d.c.Logger.Debug("webhooks: attempt", "delivery", j.Delivery.ID, "event", j.Delivery.EventID,
		"attempt", j.Delivery.Attempt, "status", status, "outcome", outcome)
}

func (d *Dispatcher) errorText(status int, err error) string {
	var netErr net.Error
	switch {
	case err == nil:
		return fmt.Sprintf("HTTP %d", status)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("timeout: no answer within %s", d.c.Timeout)
	case errors.Is(err, ErrForbiddenAddress):
		return "refused: " + ErrForbiddenAddress.Error()
	}
	s := err.Error()
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
	}
	return strings.ToValidUTF8(s, "?")
}

// send makes the request; it reports the answer's status, or an error
// when there was none.
func (d *Dispatcher) send(ctx context.Context, j store.WebhookJob) (int, error) {
	secret, err := d.c.Secrets.Open(j.SecretCiphertext, seal.WebhookSecretAAD(j.Delivery.EndpointID))
	if err != nil {
		return 0, fmt.Errorf("opening the endpoint's secret: %w", err)
	}
	body, err := d.c.Render(j.Event)
	if err != nil {
		return 0, err
	}
	ts := d.c.Now().Unix()
	sig, err := Sign(string(secret), j.Event.ID, ts, body)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "licensed-webhooks/1")
	req.Header.Set("webhook-id", j.Event.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	return resp.StatusCode, nil
}

// observeQueue updates the queue gauges.
func (d *Dispatcher) observeQueue(ctx context.Context) {
	q, err := d.c.Store.WebhookQueue(ctx)
	if err != nil {
		return
	}
	d.metrics.queueDepth.Set(float64(q.Pending))
	age := 0.0
	if q.OldestPending != nil {
		age = max(0, d.c.Now().Sub(*q.OldestPending).Seconds())
	}
	d.metrics.oldestAge.Set(age)
}
