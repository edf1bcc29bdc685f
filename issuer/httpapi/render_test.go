package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensedhq/licensed/issuer"
)

// TestRenderJSONAsWriteJSON: the validation and activation answers are
// rendered into a reused buffer; the bytes and headers must be writeJSON's,
// whatever the buffer held before (a longer answer first).
func TestRenderJSONAsWriteJSON(t *testing.T) {
	s := New(Config{Registry: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	exp := "2027-01-01T00:00:00Z"
	values := []any{
		issuer.Validation{Valid: true, Code: issuer.Valid, Token: "eyJhbGciOiJFZERTQSJ9.e30.c2ln",
			Licenses: []issuer.ProductLicense{{ID: "l1", Product: "b/p", Status: "active", Seats: 3, SeatsUsed: 1, ExpiresAt: &exp, Entitlements: []string{"a<b>&c", "é\u2028"}}}},
		issuer.Validation{Code: issuer.NotActivated, Licenses: []issuer.ProductLicense{}},
		issuer.Validation{Code: issuer.Cancelled},
		issuer.Activated{Token: "t", Activation: issuer.Activation{ID: "a", Instance: "example.org"}},
		map[string]any{"bad": func() {}}, // not encodable: the same 500 answer
	}
	for _, status := range []int{http.StatusOK, http.StatusCreated} {
		for i, v := range values {
			want := httptest.NewRecorder()
			writeJSON(want, status, v)
			got := httptest.NewRecorder()
			s.renderJSON(got, status, v)
			if got.Code != want.Code || got.Body.String() != want.Body.String() ||
				got.Header().Get("Content-Type") != want.Header().Get("Content-Type") ||
				got.Header().Get("Content-Length") != want.Header().Get("Content-Length") {
				t.Fatalf("value %d: renderJSON %d %v %q, writeJSON %d %v %q", i, got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
			}
		}
	}
}
