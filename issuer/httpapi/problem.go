package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/licensedhq/licensed/issuer"
)

// statuses maps every error code to its HTTP status: the one table.
var statuses = map[string]int{
	issuer.CodeUnauthorized:         http.StatusUnauthorized,
	issuer.CodeForbidden:            http.StatusForbidden,
	issuer.CodeNotFound:             http.StatusNotFound,
	issuer.CodeLicenseNotFound:      http.StatusNotFound,
	issuer.CodeActivationNotFound:   http.StatusNotFound,
	issuer.CodeLicenseSuspended:     http.StatusForbidden,
	issuer.CodeLicenseCancelled:     http.StatusForbidden,
	issuer.CodeLicenseExpired:       http.StatusForbidden,
	issuer.CodeSeatLimitReached:     http.StatusConflict,
	issuer.CodeFreeLimitReached:     http.StatusConflict,
	issuer.CodeInvalidTransition:    http.StatusConflict,
	issuer.CodeSeatsBelowUsage:      http.StatusConflict,
	issuer.CodeLicenseExists:        http.StatusConflict,
	issuer.CodeIdempotencyConflict:  http.StatusConflict,
	issuer.CodeConflict:             http.StatusConflict,
	issuer.CodeValidationFailed:     http.StatusUnprocessableEntity,
	issuer.CodeInvalidJSON:          http.StatusBadRequest,
	issuer.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	issuer.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	issuer.CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	issuer.CodeRateLimited:          http.StatusTooManyRequests,
	issuer.CodeUnavailable:          http.StatusServiceUnavailable,
	issuer.CodeInternal:             http.StatusInternalServerError,
}

var titles = map[string]string{
	issuer.CodeUnauthorized:         "Unauthorized",
	issuer.CodeForbidden:            "Forbidden",
	issuer.CodeNotFound:             "Not found",
	issuer.CodeLicenseNotFound:      "License not found",
	issuer.CodeActivationNotFound:   "Activation not found",
	issuer.CodeLicenseSuspended:     "License suspended",
	issuer.CodeLicenseCancelled:     "License cancelled",
	issuer.CodeLicenseExpired:       "License expired",
	issuer.CodeSeatLimitReached:     "Seat limit reached",
	issuer.CodeFreeLimitReached:     "Free activation limit reached",
	issuer.CodeInvalidTransition:    "Invalid transition",
	issuer.CodeSeatsBelowUsage:      "Seats below usage",
	issuer.CodeLicenseExists:        "License exists",
	issuer.CodeIdempotencyConflict:  "Idempotency conflict",
	issuer.CodeConflict:             "Conflict",
	issuer.CodeValidationFailed:     "Validation failed",
	issuer.CodeInvalidJSON:          "Invalid JSON",
	issuer.CodeUnsupportedMediaType: "Unsupported media type",
	issuer.CodeMethodNotAllowed:     "Method not allowed",
	issuer.CodePayloadTooLarge:      "Payload too large",
	issuer.CodeRateLimited:          "Rate limited",
	issuer.CodeUnavailable:          "Service unavailable",
	issuer.CodeInternal:             "Internal error",
}

// Status is the HTTP status of an error code (500 for an unknown one):
// the console answers with the same statuses as the API.
func Status(code string) int {
	if st, ok := statuses[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// RetryAfterUnavailable is what a 503 asks clients to wait, in seconds.
const RetryAfterUnavailable = retryAfterUnavailable

// retryAfterUnavailable is what a 503 asks clients to wait, in seconds.
const retryAfterUnavailable = 5

// writeError renders err as problem+json. Internal errors are logged with
// their detail and shown only as their code.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := issuer.ErrorCode(err)
	status := statuses[code]
	p := map[string]any{
		"type":       "urn:licensed:error:" + code,
		"title":      titles[code],
		"status":     status,
		"code":       code,
		"request_id": requestID(r),
	}
	if code == issuer.CodeUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
	}
	var e *issuer.Error
	switch {
	case errors.As(err, &e):
		for k, v := range e.Extra {
			p[k] = v
		}
		if e.Detail != "" {
			p["detail"] = e.Detail
		}
		if len(e.Fields) > 0 {
			p["errors"] = e.Fields
		}
	case code == issuer.CodeUnavailable:
		p["detail"] = "the service cannot reach its database; retry shortly"
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "unavailable", slog.String("request_id", requestID(r)), slog.String("error", err.Error()))
	default:
		p["detail"] = "an internal error occurred; it has been logged under this request_id"
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("request_id", requestID(r)), slog.String("error", err.Error()))
	}
	writeJSONType(w, "application/problem+json", status, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, "application/json", status, v)
}

func writeJSONType(w http.ResponseWriter, contentType string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"internal"}`)
	}
	writeBody(w, contentType, status, b)
}

// renderJSON is writeJSON into a buffer kept between requests (the
// validation and activation answers, a kilobyte each): the same bytes,
// without a new slice per answer. json.Encoder writes what json.Marshal
// returns, and the newline writeBody adds.
func (s *Server) renderJSON(w http.ResponseWriter, status int, v any) {
	buf := s.answers.Get().(*bytes.Buffer)
	defer s.answers.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		writeJSON(w, status, v) // its own answer to the same error
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func writeBody(w http.ResponseWriter, contentType string, status int, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}
