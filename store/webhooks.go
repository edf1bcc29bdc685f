package store

import "time"

// WebhookEndpoint is a URL where a brand receives its events.
type WebhookEndpoint struct {
	ID      string
	BrandID string
	URL     string
	// Events are the audit actions sent there; ["*"] is every one.
	Events []string
	// SecretCiphertext is the signing secret (whsec_...) sealed under the
	// master key (SealedWebhookSecret).
	SecretCiphertext []byte
	CreatedAt        time.Time
}

// Wants reports whether the endpoint subscribes to action.
func (e WebhookEndpoint) Wants(action string) bool {
	for _, ev := range e.Events {
		if ev == "*" || ev == action {
			return true
		}
	}
	return false
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

const (
	// DeliveryPending is waiting for its next attempt (or in flight).
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryDelivered got a 2xx answer.
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryFailed ran out of attempts.
	DeliveryFailed DeliveryStatus = "failed"
)

// WebhookDelivery is one event on its way to one endpoint: the outbox row
// that AppendAuditEvent writes in the transaction of the change.
type WebhookDelivery struct {
	ID         string
	BrandID    string
	EndpointID string
	EventID    string
	// Type is the event's audit action (joined on read).
	Type   string
	Status DeliveryStatus
	// Attempt counts the attempts started so far.
	Attempt int
	// ResponseStatus is the HTTP status of the last answer; 0 for none
	// (not tried yet, or no answer: see LastError).
	ResponseStatus int
	LastError      string
	// NextAttemptAt is when a pending delivery is due; while an attempt is
	// in flight, when its lease ends and another dispatcher may take it
	// over. Nil once delivered or failed.
	NextAttemptAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// WebhookDeliveryFilter selects one page of an endpoint's deliveries,
// newest first.
type WebhookDeliveryFilter struct {
	BrandID    string // required
	EndpointID string // required
	BeforeID   string // cursor: ids less than this
	Limit      int    // 0: no limit
}

// WebhookJob is a claimed delivery and what sending it takes.
type WebhookJob struct {
	Delivery WebhookDelivery
	URL      string
	// SecretCiphertext is the endpoint's sealed secret.
	SecretCiphertext []byte
	Event            AuditEvent
}

// WebhookResult is the outcome of one attempt, for CompleteWebhookDelivery.
type WebhookResult struct {
	ID string
	// Attempt is the attempt claimed: the result is recorded only if the
	// delivery still is at that attempt (no other dispatcher took it over
	// after the lease ran out).
	Attempt        int
	Status         DeliveryStatus
	ResponseStatus int
	Error          string
	// NextAttemptAt is when a still pending delivery is due again.
	NextAttemptAt *time.Time
	At            time.Time
}

// WebhookQueue describes the pending deliveries of every brand.
type WebhookQueue struct {
	Pending int
	// OldestPending is when the oldest pending delivery was queued; nil
	// when none is.
	OldestPending *time.Time
}
