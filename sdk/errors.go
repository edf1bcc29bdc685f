package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Every answer of the service that is not a success is an
// *Error, and an *Error matches, with errors.Is, the sentinel of its status
// class (ErrNotFound for any 404, ErrConflict for any 409, ...) and, for the
// stable codes of docs/API.md that have one, the sentinel of its code as well:
// a license_not_found answer matches both ErrLicenseNotFound and
// ErrNotFound. Branch on the precise sentinel; the class ones are for
// codes this version of the SDK does not know yet.
var (
	// ErrBadRequest: 400, 405, 413 or 415 (invalid_json,
	// method_not_allowed, payload_too_large, unsupported_media_type). Seen
	// only when the SDK and the service disagree about the API.
	ErrBadRequest = errors.New("licensed: bad request")
	// ErrUnauthorized: 401, the API key is missing, unknown or revoked.
	ErrUnauthorized = errors.New("licensed: unauthorized")
	// ErrForbidden: any 403, e.g. a scope the API key lacks. The license
	// refusals below also match it.
	ErrForbidden = errors.New("licensed: forbidden")
	// ErrNotFound: any 404, e.g. a license id unknown to (or of another
	// brand than) the API key's brand. ErrLicenseNotFound and
	// ErrActivationNotFound also match it.
	ErrNotFound = errors.New("licensed: not found")
	// ErrConflict: any 409. The conflict codes below also match it.
	ErrConflict = errors.New("licensed: conflict")
	// ErrValidation: 422 validation_failed; Error.Fields says which fields.
	ErrValidation = errors.New("licensed: validation failed")
	// ErrRateLimited: 429; Error.RetryAfter says how long to wait.
	ErrRateLimited = errors.New("licensed: rate limited")
	// ErrInternal: 500, a bug in the service; Error.RequestID identifies
	// it in the service's logs.
	ErrInternal = errors.New("licensed: internal error")
	// ErrUnavailable: the service could not answer: 503 unavailable (its
	// database is down), a 502 or 504 from a proxy in between, a network
	// failure or a timeout (*TransportError). Worth retrying later.
	ErrUnavailable = errors.New("licensed: service unavailable")

	// ErrLicenseNotFound: 404 license_not_found, the product API's answer
	// to an unknown license key or a key without a license for the product.
	ErrLicenseNotFound = errors.New("licensed: license not found")
	// ErrActivationNotFound: 404 activation_not_found, the instance holds
	// no seat of the license.
	ErrActivationNotFound = errors.New("licensed: activation not found")
	// ErrLicenseSuspended: 403 license_suspended.
	ErrLicenseSuspended = errors.New("licensed: license suspended")
	// ErrLicenseCancelled: 403 license_cancelled.
	ErrLicenseCancelled = errors.New("licensed: license cancelled")
	// ErrLicenseExpired: 403 license_expired.
	ErrLicenseExpired = errors.New("licensed: license expired")
	// ErrSeatLimitReached: 409 seat_limit_reached; Error.Seats and
	// Error.SeatsUsed say how many.
	ErrSeatLimitReached = errors.New("licensed: seat limit reached")
	// ErrFreeLimitReached: 409 free_limit_reached, the instance would be a
	// free one (a staging or local site) and the license already holds as
	// many as its product allows; Error.Extra has max_free_activations and
	// free_activations_used.
	ErrFreeLimitReached = errors.New("licensed: free activation limit reached")
	// ErrInvalidTransition: 409 invalid_transition, e.g. resuming a license
	// that is not suspended, or changing a cancelled one.
	ErrInvalidTransition = errors.New("licensed: invalid transition")
	// ErrSeatsBelowUsage: 409 seats_below_usage, fewer seats than in use.
	ErrSeatsBelowUsage = errors.New("licensed: seats below usage")
	// ErrLicenseExists: 409 license_exists, the customer already holds a
	// license for the product under this key; Error.LicenseID names it.
	ErrLicenseExists = errors.New("licensed: license exists")
	// ErrIdempotencyConflict: 409 idempotency_conflict, an Idempotency-Key
	// reused with another body.
	ErrIdempotencyConflict = errors.New("licensed: idempotency conflict")

	// ErrBadResponse: a success status whose body is not the JSON the API
	// promises (a captive portal's HTML page, a truncated body, a body over
	// the size limit) or a redirect. Transient as far as a Guard is
	// concerned.
	ErrBadResponse = errors.New("licensed: unexpected response")
)

// codeSentinel is the sentinel of a stable problem code, or nil.
func codeSentinel(code string) error {
	switch code {
	case "license_not_found":
		return ErrLicenseNotFound
	case "activation_not_found":
		return ErrActivationNotFound
	case "license_suspended":
		return ErrLicenseSuspended
	case "license_cancelled":
		return ErrLicenseCancelled
	case "license_expired":
		return ErrLicenseExpired
	case "seat_limit_reached":
		return ErrSeatLimitReached
	case "free_limit_reached":
		return ErrFreeLimitReached
	case "invalid_transition":
		return ErrInvalidTransition
	case "seats_below_usage":
		return ErrSeatsBelowUsage
	case "license_exists":
		return ErrLicenseExists
	case "idempotency_conflict":
		return ErrIdempotencyConflict
	}
	return nil
}

// statusSentinel is the sentinel of an HTTP status class, or nil.
func statusSentinel(status int) error {
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return ErrBadRequest
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	case http.StatusUnprocessableEntity:
		return ErrValidation
	case http.StatusTooManyRequests:
		return ErrRateLimited
	case http.StatusInternalServerError:
		return ErrInternal
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ErrUnavailable
	}
	return nil
}

// Error is an answer of the service with a 4xx or 5xx status, built from
// its application/problem+json document (RFC 9457) when it has one. An
// answer without one (an HTML error page of a proxy) is an *Error with an
// empty Code, matching the sentinel of its status only.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the stable machine-readable code, e.g. "seat_limit_reached";
	// empty when the answer was not a problem document.
	Code string
	// Type is "urn:licensed:error:<code>".
	Type string
	// Title and Detail are for humans; never branch on them.
	Title, Detail string
	// RequestID is the service's id of the request (the problem's
	// request_id, else the X-Request-Id header): quote it to support.
	RequestID string
	// Fields lists the invalid fields of a validation_failed answer.
	Fields []FieldError
	// Seats and SeatsUsed come with seat_limit_reached (0 otherwise).
	Seats, SeatsUsed int
	// LicenseID comes with license_exists: the license that exists.
	LicenseID string
	// Extra holds every member of the problem document beyond type, title,
	// status, code, detail, request_id and errors, including seats,
	// seats_used and license_id, as raw JSON.
	Extra map[string]json.RawMessage
	// RetryAfter is the Retry-After header (429, 503), or 0.
	RetryAfter time.Duration
}

// FieldError is one invalid field of a validation_failed answer.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "licensed: %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	switch {
	case e.Detail != "":
		b.WriteString(": " + e.Detail)
	case e.Title != "":
		b.WriteString(": " + e.Title)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s %s", f.Field, f.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request_id " + e.RequestID + ")")
	}
	return b.String()
}

// Is matches the sentinel of the error's code and the sentinel of its
// status class (see the variables above).
func (e *Error) Is(target error) bool {
	if target == nil {
		return false
	}
	if s := codeSentinel(e.Code); s != nil && s == target {
		return true
	}
	return statusSentinel(e.Status) == target
}

// TransportError is a request that got no HTTP answer: a refused or reset
// connection, a DNS failure, a timeout (the client's own or a per-attempt
// timeout), or a body cut off mid-way. It matches ErrUnavailable and
// unwraps to the cause (e.g. context.DeadlineExceeded, *net.OpError).
// A request abandoned because the caller's context ended is not a
// TransportError: it returns an error wrapping ctx.Err().
type TransportError struct {
	Method, Path string
	Err          error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("licensed: %s %s: %v", e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Is makes a TransportError match ErrUnavailable.
func (e *TransportError) Is(target error) bool { return target == ErrUnavailable }

// standardMember reports whether a problem member has a field of its own
// in Error (a switch, not a map: no package-level mutable state).
func standardMember(name string) bool {
	switch name {
	case "type", "title", "status", "code", "detail", "request_id", "errors":
		return true
	}
	return false
}

// newError builds the *Error of a 4xx/5xx answer from its headers and at
// most maxProblemSize bytes of its body.
func newError(res *http.Response, body []byte, now time.Time) *Error {
	e := &Error{
		Status:     res.StatusCode,
		RequestID:  res.Header.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(res.Header.Get("Retry-After"), now),
	}
	if isJSON(res.Header.Get("Content-Type")) {
		e.readProblem(body)
	}
	if e.Code == "" && e.Detail == "" {
		e.Title = http.StatusText(res.StatusCode)
	}
	return e
}

// readProblem fills e from a problem document; members of the wrong type
// are ignored, so a malformed document degrades to a status-only Error.
func (e *Error) readProblem(body []byte) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return
	}
	str := func(name string) string {
		var s string
		json.Unmarshal(doc[name], &s)
		return s
	}
	e.Code, e.Type, e.Title, e.Detail = str("code"), str("type"), str("title"), str("detail")
	if id := str("request_id"); id != "" {
		e.RequestID = id
	}
	json.Unmarshal(doc["errors"], &e.Fields)
	json.Unmarshal(doc["seats"], &e.Seats)
	json.Unmarshal(doc["seats_used"], &e.SeatsUsed)
	e.LicenseID = str("license_id")
	for name, raw := range doc {
		if !standardMember(name) {
			if e.Extra == nil {
				e.Extra = map[string]json.RawMessage{}
			}
			e.Extra[name] = bytes.Clone(raw)
		}
	}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/problem+json" || mt == "application/json")
}

// parseRetryAfter reads delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 32); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
