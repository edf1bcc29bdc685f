package issuer

import (
	"context"
	"errors"
	"fmt"

	"github.com/licensedhq/licensed/store"
)

// Error codes of docs/API.md: stable, machine-readable, one namespace for the
// service and its HTTP layer.
const (
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeLicenseNotFound      = "license_not_found"
	CodeActivationNotFound   = "activation_not_found"
	CodeLicenseSuspended     = "license_suspended"
	CodeLicenseCancelled     = "license_cancelled"
	CodeLicenseExpired       = "license_expired"
	CodeSeatLimitReached     = "seat_limit_reached"
	CodeFreeLimitReached     = "free_limit_reached"
	CodeInvalidTransition    = "invalid_transition"
	CodeSeatsBelowUsage      = "seats_below_usage"
	CodeLicenseExists        = "license_exists"
	CodeIdempotencyConflict  = "idempotency_conflict"
	CodeConflict             = "conflict"
	CodeValidationFailed     = "validation_failed"
	CodeInvalidJSON          = "invalid_json"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodePayloadTooLarge      = "payload_too_large"
	CodeRateLimited          = "rate_limited"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// Error is a refusal the caller can act on. Anything that is not an *Error
// is internal: logged in full, shown to the client only as its code.
type Error struct {
	Code   string
	Detail string
	// Fields lists field-level validation failures.
	Fields []FieldError
	// Extra members for the problem document, e.g. seats and seats_used.
	Extra map[string]any
}

// FieldError is one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Code
	}
	return e.Code + ": " + e.Detail
}

// Errorf returns an *Error with a formatted detail.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// ErrorCode is the stable code of err: its own for an *Error, unavailable
// for a store outage, internal for anything else.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return CodeUnavailable
	}
	return CodeInternal
}

// fieldErrors collects validation failures of one input.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when no field failed.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeValidationFailed, Detail: "the request has invalid fields", Fields: f}
}

func validationError(field, format string, args ...any) *Error {
	var f fieldErrors
	f.add(field, format, args...)
	return f.err().(*Error)
}

var errNotFound = &Error{Code: CodeNotFound, Detail: "no such resource"}

// notFoundAs turns a store not-found into the given API error.
func notFoundAs(err error, as *Error) error {
	if errors.Is(err, store.ErrNotFound) {
		return as
	}
	return err
}
