package issuer

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/licensedhq/licensed/verifier"
)

// Limits of docs/API.md "Formats".
const (
	MaxSeats          = 100000
	maxEntitlements   = 64
	maxMetadataBytes  = 4096
	maxReasonChars    = 500
	maxNameChars      = 200
	maxLicenseKeyLen  = 64
	maxIdempotencyKey = 255
	DefaultPageSize   = 50
	MaxPageSize       = 500
	maxExtendDays     = 3650
	// Token lifetimes a product may choose: a minute to a year.
	minTokenTTL = time.Minute
	maxTokenTTL = 365 * 24 * time.Hour
	// DefaultTokenTTL is a product's token lifetime unless set: 7 days.
	DefaultTokenTTL = 7 * 24 * time.Hour
)

var (
	slugRE        = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)
	entitlementRE = regexp.MustCompile(`^[a-z0-9._:-]{1,64}$`)
)

// ProvisionInput is the body of POST /v1/licenses.
type ProvisionInput struct {
	CustomerEmail string          `json:"customer_email"`
	Product       string          `json:"product"`
	Seats         *int            `json:"seats"`
	ExpiresAt     *string         `json:"expires_at" api:"nullable"`
	Entitlements  []string        `json:"entitlements"`
	Metadata      json.RawMessage `json:"metadata"`
	NewKey        bool            `json:"new_key"`
}

// PatchInput is the body of PATCH /v1/licenses/{id}: nil members are
// absent (the decoder refuses null for them). ExpiresAt may be null: the
// license becomes perpetual.
type PatchInput struct {
	Seats        *int             `json:"seats"`
	Entitlements *[]string        `json:"entitlements"`
	Metadata     json.RawMessage  `json:"metadata"`
	ExpiresAt    Nullable[string] `json:"expires_at" api:"nullable"`
}

// Nullable is a member where absent and null mean different things:
// Set is false when the member is absent, Null true when it is null.
type Nullable[T any] struct {
	Set, Null bool
	Value     T
}

// UnmarshalJSON reads null or a value.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// SetNull records a null: how the HTTP decoder, which handles null
// itself, says it saw one.
func (n *Nullable[T]) SetNull() { n.Set, n.Null = true, true }

// RenewInput is the body of POST /v1/licenses/{id}/renew: exactly one member.
type RenewInput struct {
	ExpiresAt    *string `json:"expires_at"`
	ExtendByDays *int    `json:"extend_by_days"`
}

// ReasonInput is the optional body of suspend and cancel.
type ReasonInput struct {
	Reason string `json:"reason"`
}

// SearchInput is the body of POST /v1/licenses/search.
type SearchInput struct {
	CustomerEmail string  `json:"customer_email"`
	Limit         *int    `json:"limit"`
	Cursor        *string `json:"cursor" api:"nullable"`
}

// ActivateInput is the body of POST /v1/activate.
type ActivateInput struct {
	LicenseKey   string `json:"license_key"`
	Product      string `json:"product"`
	Instance     string `json:"instance"`
	InstanceName string `json:"instance_name"`
}

// ValidateInput is the body of POST /v1/validate. Product and Instance are
// optional, and "" is not absent: nil is.
type ValidateInput struct {
	LicenseKey string  `json:"license_key"`
	Product    *string `json:"product"`
	Instance   *string `json:"instance"`
}

// DeactivateInput is the body of POST /v1/deactivate: the seat is named
// by exactly one of instance and activation_id (pointers tell an absent
// member from an empty one).
type DeactivateInput struct {
	LicenseKey   string  `json:"license_key"`
	Product      string  `json:"product"`
	Instance     *string `json:"instance"`
	ActivationID *string `json:"activation_id"`
}

// ActivationsInput is the body of POST /v1/activations.
type ActivationsInput struct {
	LicenseKey string `json:"license_key"`
	Product    string `json:"product"`
}

// BrandInput creates a brand.
type BrandInput struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// APIKeyInput creates an API key; Brand nil makes a platform key.
type APIKeyInput struct {
	Brand  *string  `json:"brand" api:"nullable"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// Members tagged api:"nullable" take null as "absent"; the HTTP decoder
// refuses null for every other member.

// NormalizeEmail trims and lower-cases an email and checks the rules of
// docs/API.md: one @, a local part of 1–64, a domain with a dot, at most 254 in
// all, no whitespace.
func NormalizeEmail(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	e := strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(e, "@")
	switch {
	case !ok, strings.Contains(domain, "@"), len(e) > 254,
		len(local) < 1, len(local) > 64,
		!strings.Contains(domain, "."), strings.HasPrefix(domain, "."), strings.HasSuffix(domain, "."),
		strings.IndexFunc(e, unicode.IsSpace) >= 0:
		return "", false
	}
	return e, true
}

func checkEmail(f *fieldErrors, field, s string) string {
	if strings.TrimSpace(s) == "" {
		f.add(field, "is required and must not be empty")
		return ""
	}
	e, ok := NormalizeEmail(s)
	if !ok {
		f.add(field, "is not a valid email address")
	}
	return e
}

func checkSlug(f *fieldErrors, field, s string) {
	switch {
	case s == "":
		f.add(field, "is required and must not be empty")
	case !slugRE.MatchString(s):
		f.add(field, "must be 1-64 of a-z, 0-9 and '-', starting and ending with a letter or digit")
	}
}

func checkName(f *fieldErrors, field, s string) {
	switch n := utf8.RuneCountInString(s); {
	case strings.TrimSpace(s) == "":
		f.add(field, "is required and must not be empty")
	case n > maxNameChars || !utf8.ValidString(s):
		f.add(field, "must be at most %d characters of UTF-8", maxNameChars)
	}
}

func checkSeats(f *fieldErrors, field string, n int) {
	if n < 1 || n > MaxSeats {
		f.add(field, "must be between 1 and %d", MaxSeats)
	}
}

// checkEntitlements returns a non-nil list: [] when none.
func checkEntitlements(f *fieldErrors, field string, list []string) []string {
	if len(list) > maxEntitlements {
		f.add(field, "must hold at most %d entries", maxEntitlements)
	}
	for i, e := range list {
		if !entitlementRE.MatchString(e) {
			f.add(field, "entry %d must be 1-64 of a-z, 0-9 and . _ : -", i)
			break
		}
	}
	if list == nil {
		return []string{}
	}
	return list
}

// checkMetadata returns the compacted object, {} when absent.
func checkMetadata(f *fieldErrors, field string, raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`)
	}
	var buf bytes.Buffer
	if raw[0] != '{' || json.Compact(&buf, raw) != nil {
		f.add(field, "must be a JSON object")
		return nil
	}
	if buf.Len() > maxMetadataBytes {
		f.add(field, "must be at most %d bytes", maxMetadataBytes)
		return nil
	}
	return buf.Bytes()
}

// parseTime reads RFC 3339 with any offset and optional fractions and
// keeps whole seconds in UTC, the precision the API answers in.
func parseTime(f *fieldErrors, field, s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		f.add(field, "must be an RFC 3339 time such as 2027-11-29T00:00:00Z")
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// checkProductRef splits "brand/product".
func checkProductRef(f *fieldErrors, field, s string) (brand, product string) {
	brand, product, ok := strings.Cut(s, "/")
	if s == "" {
		f.add(field, "is required and must not be empty")
		return "", ""
	}
	if !ok || !slugRE.MatchString(brand) || !slugRE.MatchString(product) {
		f.add(field, "must be \"<brand>/<product>\", as in the token's aud")
		return "", ""
	}
	return brand, product
}

func checkLicenseKey(f *fieldErrors, field, s string) string {
	k := normalizeLicenseKey(s)
	switch {
	case k == "":
		f.add(field, "is required and must not be empty")
	case len(k) > maxLicenseKeyLen:
		f.add(field, "must be at most %d characters", maxLicenseKeyLen)
	}
	return k
}

func checkInstance(f *fieldErrors, field, s string) string {
	if strings.TrimSpace(s) == "" {
		f.add(field, "is required and must not be empty")
		return ""
	}
	n, err := verifier.NormalizeInstance(s)
	if err != nil {
		f.add(field, "is not a valid site URL or machine id")
	}
	return n
}

func checkReason(f *fieldErrors, s string) {
	if utf8.RuneCountInString(s) > maxReasonChars {
		f.add("reason", "must be at most %d characters", maxReasonChars)
	}
}

func checkLimit(f *fieldErrors, limit *int) int {
	if limit == nil {
		return DefaultPageSize
	}
	if *limit < 1 || *limit > MaxPageSize {
		f.add("limit", "must be between 1 and %d", MaxPageSize)
	}
	return *limit
}

// CheckIdempotencyKey validates the Idempotency-Key header: 1-255 printable
// ASCII characters.
func CheckIdempotencyKey(k string) error {
	ok := len(k) >= 1 && len(k) <= maxIdempotencyKey
	for i := 0; ok && i < len(k); i++ {
		ok = k[i] > ' ' && k[i] < 0x7f
	}
	if !ok {
		return validationError("Idempotency-Key", "must be 1-%d printable ASCII characters", maxIdempotencyKey)
	}
	return nil
}
