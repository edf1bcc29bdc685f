package sdk

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every stable code maps to its own sentinel and to its status class.
func TestProblemMapping(t *testing.T) {
	all := []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrValidation,
		ErrRateLimited, ErrInternal, ErrUnavailable, ErrLicenseNotFound, ErrActivationNotFound, ErrLicenseSuspended,
		ErrLicenseCancelled, ErrLicenseExpired, ErrSeatLimitReached, ErrInvalidTransition, ErrSeatsBelowUsage,
		ErrLicenseExists, ErrIdempotencyConflict, ErrBadResponse}
	for _, tc := range []struct {
		status int
		code   string
		want   []error
	}{
		{401, "unauthorized", []error{ErrUnauthorized}},
		{403, "forbidden", []error{ErrForbidden}},
		{404, "not_found", []error{ErrNotFound}},
		{404, "license_not_found", []error{ErrLicenseNotFound, ErrNotFound}},
		{404, "activation_not_found", []error{ErrActivationNotFound, ErrNotFound}},
		{403, "license_suspended", []error{ErrLicenseSuspended, ErrForbidden}},
		{403, "license_cancelled", []error{ErrLicenseCancelled, ErrForbidden}},
		{403, "license_expired", []error{ErrLicenseExpired, ErrForbidden}},
		{409, "seat_limit_reached", []error{ErrSeatLimitReached, ErrConflict}},
		{409, "invalid_transition", []error{ErrInvalidTransition, ErrConflict}},
		{409, "seats_below_usage", []error{ErrSeatsBelowUsage, ErrConflict}},
		{409, "license_exists", []error{ErrLicenseExists, ErrConflict}},
		{409, "idempotency_conflict", []error{ErrIdempotencyConflict, ErrConflict}},
		{409, "conflict", []error{ErrConflict}},
		{422, "validation_failed", []error{ErrValidation}},
		{400, "invalid_json", []error{ErrBadRequest}},
		{415, "unsupported_media_type", []error{ErrBadRequest}},
		{405, "method_not_allowed", []error{ErrBadRequest}},
		{413, "payload_too_large", []error{ErrBadRequest}},
		{429, "rate_limited", []error{ErrRateLimited}},
		{500, "internal", []error{ErrInternal}},
		{503, "unavailable", []error{ErrUnavailable}},
		{409, "a_future_code", []error{ErrConflict}},
		{418, "teapot", nil},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			problem(w, tc.status, tc.code, nil)
		}))
		c, _ := NewProductClient(srv.URL, WithRetries(0))
		_, err := c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
		srv.Close()
		var e *Error
		if !errors.As(err, &e) || e.Status != tc.status || e.Code != tc.code || e.RequestID != "req-1" ||
			e.Type != "urn:licensed:error:"+tc.code || e.Detail != "detail of "+tc.code {
			t.Fatalf("%s: %#v", tc.code, err)
		}
		for _, s := range all {
			want := false
			for _, w := range tc.want {
				want = want || w == s
			}
			if errors.Is(err, s) != want {
				t.Errorf("%s: errors.Is(err, %v) = %v", tc.code, s, !want)
			}
		}
	}
}

// The extra members, field errors and Retry-After reach the Error.
func TestProblemDetails(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		serve func(w http.ResponseWriter)
		check func(e *Error) bool
	}{
		{"seats", func(w http.ResponseWriter) {
			problem(w, 409, "seat_limit_reached", map[string]any{"seats": 5, "seats_used": 5})
		}, func(e *Error) bool { return e.Seats == 5 && e.SeatsUsed == 5 && string(e.Extra["seats"]) == "5" }},
		{"license_id", func(w http.ResponseWriter) {
			problem(w, 409, "license_exists", map[string]any{"license_id": testLicense})
		}, func(e *Error) bool { return e.LicenseID == testLicense }},
		{"fields", func(w http.ResponseWriter) {
			problem(w, 422, "validation_failed", map[string]any{"errors": []map[string]string{{"field": "seats", "message": "must be between 1 and 100000"}}})
		}, func(e *Error) bool {
			return len(e.Fields) == 1 && e.Fields[0].Field == "seats" && strings.Contains(e.Error(), "seats must be between") && e.Extra == nil
		}},
		{"retry-after seconds", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			problem(w, 429, "rate_limited", nil)
		}, func(e *Error) bool { return e.RetryAfter == 7*time.Second }},
		{"retry-after date", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
			problem(w, 503, "unavailable", nil)
		}, func(e *Error) bool { return e.RetryAfter == 90*time.Second }},
		{"HTML from a proxy", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Request-Id", "edge-9")
			w.WriteHeader(502)
			io.WriteString(w, `<html>{"code":"license_not_found"}</html>`)
		}, func(e *Error) bool {
			return e.Code == "" && e.Title == "Bad Gateway" && e.RequestID == "edge-9" && errors.Is(e, ErrUnavailable) && !errors.Is(e, ErrLicenseNotFound)
		}},
		{"broken problem", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			io.WriteString(w, `{"code": 17, "title": [`)
		}, func(e *Error) bool { return e.Code == "" && errors.Is(e, ErrNotFound) }},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.serve(w) }))
		c, _ := NewProductClient(srv.URL, WithRetries(0))
		c.c.cfg.now = func() time.Time { return now }
		_, err := c.Activate(context.Background(), ActivateRequest{LicenseKey: testKey})
		srv.Close()
		var e *Error
		if !errors.As(err, &e) || !tc.check(e) {
			t.Errorf("%s: %#v", tc.name, err)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("%s: the error message holds the license key: %v", tc.name, err)
		}
	}
}

// No answer at all is a TransportError matching ErrUnavailable; the
// caller's own cancellation is not.
func TestTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	c, _ := NewProductClient(closed, WithRetries(0))
	_, err = c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, ErrUnavailable) || te.Path != "/v1/validate" || strings.Contains(err.Error(), testKey) {
		t.Fatalf("refused connection: %v", err)
	}

	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	c, _ = NewProductClient(srv.URL, WithRetries(0), WithTimeout(50*time.Millisecond))
	_, err = c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
	if !errors.As(err, &te) || !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("attempt timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	c, _ = NewProductClient(srv.URL)
	_, err = c.Validate(ctx, ValidateRequest{LicenseKey: testKey})
	if errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("caller cancelled: %v", err)
	}
}

// A success status without the API's JSON, an oversized body and a
// redirect are ErrBadResponse; the redirect is not followed, so the
// license key is never sent elsewhere.
func TestBadResponses(t *testing.T) {
	var mu sync.Mutex
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere++
		mu.Unlock()
	}))
	defer other.Close()
	for name, serve := range map[string]func(w http.ResponseWriter){
		"captive portal": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>Hotel Wi-Fi</html>")
		},
		"truncated": func(w http.ResponseWriter) { io.WriteString(w, `{"valid": tr`) },
		"oversized": func(w http.ResponseWriter) {
			io.WriteString(w, `{"pad":"`+strings.Repeat("x", maxResponseSize)+`"}`)
		},
		"redirect": func(w http.ResponseWriter) {
			w.Header().Set("Location", other.URL+"/v1/validate")
			w.WriteHeader(http.StatusTemporaryRedirect)
		},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(w) }))
		c, _ := NewProductClient(srv.URL)
		_, err := c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
		srv.Close()
		if !errors.Is(err, ErrBadResponse) || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if elsewhere != 0 {
		t.Fatal("the redirect was followed")
	}
}

// recorder is a server that answers from a list and records requests.
type recorder struct {
	mu       sync.Mutex
	srv      *httptest.Server
	answers  []func(w http.ResponseWriter)
	requests []recorded
}

type recorded struct {
	method, path, query, body string
	rawPath                   string
	header                    http.Header
}

func newRecorder(t *testing.T, answers ...func(w http.ResponseWriter)) *recorder {
	rec := &recorder{answers: answers}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.URL.EscapedPath(), r.Header.Clone()})
		answer := rec.answers[min(len(rec.requests), len(rec.answers))-1]
		rec.mu.Unlock()
		answer(w)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) calls() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.requests...)
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		problem(w, code, map[int]string{429: "rate_limited", 503: "unavailable", 500: "internal", 409: "seat_limit_reached"}[code], nil)
	}
}

func ok(body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

// Retryable requests are repeated on 429/503 after the Retry-After;
// others are not, and neither is a 500 or a long Retry-After.
func TestRetries(t *testing.T) {
	validation := `{"valid":true,"code":"VALID","licenses":[],"token":"t"}`
	for _, tc := range []struct {
		name     string
		answers  []func(w http.ResponseWriter)
		call     func(c *ProductClient) error
		attempts int
		minWaits []time.Duration
	}{
		{"validate after 503 and 429", []func(http.ResponseWriter){status(503, "Retry-After", "5"), status(429, "Retry-After", "2"), ok(validation)},
			func(c *ProductClient) error {
				_, err := c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
				return err
			}, 3, []time.Duration{5 * time.Second, 2 * time.Second}},
		{"gives up after the retries", []func(http.ResponseWriter){status(503)},
			func(c *ProductClient) error {
				_, err := c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
				return err
			}, 1 + DefaultRetries, []time.Duration{retryBase / 2, retryBase}},
		{"deactivate is not retried", []func(http.ResponseWriter){status(503)},
			func(c *ProductClient) error {
				_, err := c.Deactivate(context.Background(), DeactivateRequest{LicenseKey: testKey})
				return err
			}, 1, nil},
		{"500 is not retried", []func(http.ResponseWriter){status(500)},
			func(c *ProductClient) error {
				_, err := c.Activate(context.Background(), ActivateRequest{LicenseKey: testKey})
				return err
			}, 1, nil},
		{"409 is not retried", []func(http.ResponseWriter){status(409)},
			func(c *ProductClient) error {
				_, err := c.Activate(context.Background(), ActivateRequest{LicenseKey: testKey})
				return err
			}, 1, nil},
		{"a long Retry-After is returned", []func(http.ResponseWriter){status(429, "Retry-After", "3600")},
			func(c *ProductClient) error {
				_, err := c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
				return err
			}, 1, nil},
	} {
		rec := newRecorder(t, tc.answers...)
		var waits []time.Duration
		c, _ := NewProductClient(rec.srv.URL, withSleep(func(d time.Duration) { waits = append(waits, d) }))
		err := tc.call(c)
		if got := len(rec.calls()); got != tc.attempts {
			t.Errorf("%s: %d attempts, want %d (%v)", tc.name, got, tc.attempts, err)
		}
		if len(waits) != len(tc.minWaits) {
			t.Errorf("%s: waits %v, want at least %v", tc.name, waits, tc.minWaits)
			continue
		}
		for i := range waits {
			if waits[i] < tc.minWaits[i] {
				t.Errorf("%s: wait %d is %v, want at least %v", tc.name, i, waits[i], tc.minWaits[i])
			}
		}
		calls := rec.calls()
		for _, r := range calls[1:] {
			if r.body != calls[0].body {
				t.Errorf("%s: a retry sent another body", tc.name)
			}
		}
	}
}

// A network failure of a retryable request is retried.
func TestRetryOnNetworkFailure(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		ok(`{"valid":true,"code":"VALID","licenses":[]}`)(w)
	}))
	defer srv.Close()
	c, _ := NewProductClient(srv.URL, withSleep(func(time.Duration) {}))
	v, err := c.Validate(context.Background(), ValidateRequest{LicenseKey: testKey})
	if err != nil || !v.Valid || n != 2 {
		t.Fatalf("%v %+v after %d attempts", err, v, n)
	}
}

// The license key travels only in the body; headers carry the SDK's
// User-Agent and JSON content type.
func TestProductRequests(t *testing.T) {
	rec := newRecorder(t, ok(`{"deactivated":true,"seats_used":1}`))
	c, err := NewProductClient(rec.srv.URL+"/prefix/", WithUserAgent("acme-pro/2.3"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Deactivate(context.Background(), DeactivateRequest{LicenseKey: testKey, Product: testProduct, Instance: testInstance})
	if err != nil || !d.Deactivated || d.SeatsUsed != 1 {
		t.Fatalf("%v %+v", err, d)
	}
	r := rec.calls()[0]
	if r.method != "POST" || r.path != "/prefix/v1/deactivate" || r.query != "" ||
		r.body != `{"license_key":"`+testKey+`","product":"acme/acme-pro","instance":"https://www.Example.org/"}` {
		t.Fatalf("request %+v", r)
	}
	if ua := r.header.Get("User-Agent"); ua != "acme-pro/2.3 licensed-go/"+Version {
		t.Fatalf("User-Agent %q", ua)
	}
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("Authorization") != "" {
		t.Fatalf("headers %v", r.header)
	}
	for _, s := range []string{
		ActivateRequest{LicenseKey: testKey}.String(), ValidateRequest{LicenseKey: testKey}.String(),
		DeactivateRequest{LicenseKey: testKey}.String(),
	} {
		if strings.Contains(s, testKey) || !strings.Contains(s, "…7KQ2") {
			t.Fatalf("String() %q", s)
		}
	}
}

func TestActivateResult(t *testing.T) {
	body := `{"activation":{"id":"a","license_id":"l","instance":"example.org","instance_name":null,"created_at":"2027-01-15T08:00:00Z","last_seen_at":"2027-01-15T08:00:00Z"},
		"license":{"id":"l","product":"acme/acme-pro","status":"active","seats":2,"seats_used":1,"expires_at":"2027-11-29T00:00:00Z","entitlements":["pro"]},"token":"tok"}`
	for _, code := range []int{http.StatusCreated, http.StatusOK} {
		rec := newRecorder(t, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			io.WriteString(w, body)
		})
		c, _ := NewProductClient(rec.srv.URL)
		a, err := c.Activate(context.Background(), ActivateRequest{LicenseKey: testKey, Product: testProduct, Instance: "example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Created != (code == http.StatusCreated) || a.Activation.InstanceName != "" || a.License.ExpiresAt == nil ||
			!a.License.ExpiresAt.Equal(time.Date(2027, 11, 29, 0, 0, 0, 0, time.UTC)) || a.Token != "tok" || a.License.Entitlements[0] != "pro" {
			t.Fatalf("%d: %+v", code, a)
		}
	}
}

func TestNewClientRefusesBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "licenses.example.com", "ftp://x", "https://", "https://user:pw@x.example", "https://x.example/?a=b", "https://x.example/#f"} {
		if _, err := NewProductClient(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := NewBrandClient("https://x.example", " "); err == nil {
		t.Error("an empty API key was accepted")
	}
	c, err := NewProductClient(" https://x.example/base/ ")
	if err != nil || c.BaseURL() != "https://x.example/base" {
		t.Fatalf("%v %q", err, c.BaseURL())
	}
}
