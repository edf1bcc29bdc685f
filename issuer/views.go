package issuer

import (
	"encoding/json"
	"time"

	"github.com/licensedhq/licensed/store"
)

// License is a license as a brand sees it. LicenseKey and Metadata are
// left out for readers of another brand (US6 with licenses:read:all) and
// for platform keys.
type License struct {
	ID             string          `json:"id"`
	Brand          string          `json:"brand"`
	Product        string          `json:"product"`
	CustomerEmail  string          `json:"customer_email"`
	LicenseKey     string          `json:"license_key,omitempty"`
	LicenseKeyHint string          `json:"license_key_hint"`
	Status         store.Status    `json:"status"`
	Seats          int             `json:"seats"`
	SeatsUsed      int             `json:"seats_used"`
	ExpiresAt      *string         `json:"expires_at"`
	Entitlements   []string        `json:"entitlements"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
}

// ProductLicense is a license as a product (the public API) sees it.
type ProductLicense struct {
	ID           string       `json:"id"`
	Product      string       `json:"product"`
	Status       store.Status `json:"status"`
	Seats        int          `json:"seats"`
	SeatsUsed    int          `json:"seats_used"`
	ExpiresAt    *string      `json:"expires_at"`
	Entitlements []string     `json:"entitlements"`
}

// Activation is one seat in use.
type Activation struct {
	ID           string  `json:"id"`
	LicenseID    string  `json:"license_id"`
	Instance     string  `json:"instance"`
	InstanceName *string `json:"instance_name"`
	CreatedAt    string  `json:"created_at"`
	LastSeenAt   string  `json:"last_seen_at"`
	// Free activations (staging and local sites) take no seat.
	Free bool `json:"free"`
}

// AuditEvent is one entry of a brand's audit trail.
type AuditEvent struct {
	ID        string          `json:"id"`
	At        string          `json:"at"`
	Actor     AuditActor      `json:"actor"`
	Action    string          `json:"action"`
	LicenseID *string         `json:"license_id"`
	RequestID string          `json:"request_id"`
	IP        string          `json:"ip"`
	Data      json.RawMessage `json:"data"`
}

// AuditActor is who made a change.
type AuditActor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Page is one page of a list.
type Page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// formatTime writes times as docs/API.md wants them: UTC, whole seconds, Z.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// productRef is the "brand/product" of tokens and the product view.
func productRef(l store.License) string { return l.BrandSlug + "/" + l.ProductSlug }

func (s *Service) brandView(l store.License, now time.Time, withSecrets bool) (License, error) {
	v := License{
		ID:             l.ID,
		Brand:          l.BrandSlug,
		Product:        l.ProductSlug,
		CustomerEmail:  l.CustomerEmail,
		LicenseKeyHint: l.KeyHint,
		Status:         effectiveStatus(l, now),
		Seats:          l.Seats,
		SeatsUsed:      l.SeatsUsed,
		ExpiresAt:      formatTimePtr(l.ExpiresAt),
		Entitlements:   nonNil(l.Entitlements),
		CreatedAt:      formatTime(l.CreatedAt),
		UpdatedAt:      formatTime(l.UpdatedAt),
	}
	if !withSecrets {
		return v, nil
	}
	key, err := s.openLicenseKey(l.LicenseKeyID, l.KeyCiphertext)
	if err != nil {
		return License{}, err
	}
	v.LicenseKey, v.Metadata = key, l.Metadata
	if len(v.Metadata) == 0 {
		v.Metadata = json.RawMessage(`{}`)
	}
	return v, nil
}

func productView(l store.License, now time.Time) ProductLicense {
	return ProductLicense{
		ID:           l.ID,
		Product:      productRef(l),
		Status:       effectiveStatus(l, now),
		Seats:        l.Seats,
		SeatsUsed:    l.SeatsUsed,
		ExpiresAt:    formatTimePtr(l.ExpiresAt),
		Entitlements: nonNil(l.Entitlements),
	}
}

func activationView(a store.Activation) Activation {
	return Activation{
		ID:           a.ID,
		LicenseID:    a.LicenseID,
		Instance:     a.Instance,
		InstanceName: optional(a.InstanceName),
		CreatedAt:    formatTime(a.CreatedAt),
		LastSeenAt:   formatTime(a.LastSeenAt),
		Free:         a.Free,
	}
}

func auditView(e store.AuditEvent) AuditEvent {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	return AuditEvent{
		ID:        e.ID,
		At:        formatTime(e.At),
		Actor:     AuditActor{Type: e.ActorType, ID: e.ActorID},
		Action:    e.Action,
		LicenseID: optional(e.LicenseID),
		RequestID: e.RequestID,
		IP:        e.IP,
		Data:      data,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
