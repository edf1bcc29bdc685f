package sdk

import (
	"encoding/json"
	"time"
)

// License statuses (the effective status of docs/API.md: an active license past
// its expiry is "expired"). They equal the token's status claim values.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusCancelled = "cancelled"
	StatusExpired   = "expired"
)

// License is a license as its own brand sees it. LicenseKey and Metadata
// are empty when another brand reads it (search with licenses:read:all) or
// a platform key does.
type License struct {
	ID             string          `json:"id"`
	Brand          string          `json:"brand"`   // brand slug
	Product        string          `json:"product"` // product slug
	CustomerEmail  string          `json:"customer_email"`
	LicenseKey     string          `json:"license_key,omitempty"`
	LicenseKeyHint string          `json:"license_key_hint"` // "…" and the key's last 4 characters
	Status         string          `json:"status"`
	Seats          int             `json:"seats"`
	SeatsUsed      int             `json:"seats_used"`
	ExpiresAt      *time.Time      `json:"expires_at"` // nil: perpetual
	Entitlements   []string        `json:"entitlements"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// ProductLicense is a license as a product sees it (the product API).
type ProductLicense struct {
	ID           string     `json:"id"`
	Product      string     `json:"product"` // "brand/product", as in the token's aud
	Status       string     `json:"status"`
	Seats        int        `json:"seats"`
	SeatsUsed    int        `json:"seats_used"`
	ExpiresAt    *time.Time `json:"expires_at"` // nil: perpetual
	Entitlements []string   `json:"entitlements"`
}

// Activation is one seat in use.
type Activation struct {
	ID           string    `json:"id"`
	LicenseID    string    `json:"license_id"`
	Instance     string    `json:"instance"`      // normalized (see verifier.NormalizeInstance)
	InstanceName string    `json:"instance_name"` // "" when none was given
	CreatedAt    time.Time `json:"created_at"`
	LastSeenAt   time.Time `json:"last_seen_at"`
	// Free activations (a staging or local site, by the product's
	// free_instances) take no seat.
	Free bool `json:"free"`
}

// Activated is the answer to an activation.
type Activated struct {
	Activation Activation     `json:"activation"`
	License    ProductLicense `json:"license"`
	// Token is the activation token, bound to the instance.
	Token string `json:"token"`
	// Created is true when the activation took a new seat (201), false
	// when the instance already held one (200).
	Created bool `json:"-"`
}

// ValidationCode is the verdict of a validation.
type ValidationCode string

// Validation codes, in precedence order.
const (
	Cancelled ValidationCode = "CANCELLED"
	Suspended ValidationCode = "SUSPENDED"
	// Grace: expired, but within the product's grace period: valid, with a
	// token carrying grace_until (the guard's StateGrace).
	Grace        ValidationCode = "GRACE"
	Expired      ValidationCode = "EXPIRED"
	NotActivated ValidationCode = "NOT_ACTIVATED" // the instance holds no seat
	Valid        ValidationCode = "VALID"
)

// Validation is the answer to a validation.
type Validation struct {
	Valid    bool             `json:"valid"` // Code is Valid or Grace
	Code     ValidationCode   `json:"code"`
	Licenses []ProductLicense `json:"licenses"`
	// Token is issued when a product was named and the license's expiry
	// has not passed, whatever its status: a suspended license's token
	// says "suspended". An activation token when the instance holds a
	// seat, else a license token.
	Token string `json:"token,omitempty"`
}

// Deactivated is the answer to a deactivation.
type Deactivated struct {
	Deactivated bool `json:"deactivated"`
	SeatsUsed   int  `json:"seats_used"`
}

// Provisioned is the answer to provisioning.
type Provisioned struct {
	License    License `json:"license"`
	LicenseKey string  `json:"license_key"`
	// IdempotencyKey is the Idempotency-Key the request was sent with:
	// the caller's, or the one the SDK generated.
	IdempotencyKey string `json:"-"`
}

// Page is one page of a list. NextCursor is "" on the last page.
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// AuditEvent is one entry of a brand's audit trail.
type AuditEvent struct {
	ID        string          `json:"id"`
	At        time.Time       `json:"at"`
	Actor     AuditActor      `json:"actor"`
	Action    string          `json:"action"`     // e.g. "license.suspended"
	LicenseID string          `json:"license_id"` // "" for events of no license
	RequestID string          `json:"request_id"`
	IP        string          `json:"ip"`
	Data      json.RawMessage `json:"data"`
}

// AuditActor is who made a change: Type "api_key", "license_key", "admin"
// or "system", and the id of that key or record (never a secret).
type AuditActor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}
