package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const licenseJSON = `{"id":"` + testLicense + `","brand":"acme","product":"acme-pro","customer_email":"jane@example.com",
	"license_key":"` + testKey + `","license_key_hint":"…7KQ2","status":"active","seats":5,"seats_used":2,
	"expires_at":null,"entitlements":["pro"],"metadata":{"order":"A-1"},"created_at":"2027-01-15T08:00:00Z","updated_at":"2027-01-15T08:00:00Z"}`

func brandClient(t *testing.T, rec *recorder, opts ...Option) *BrandClient {
	t.Helper()
	b, err := NewBrandClient(rec.srv.URL, "lk_abc_secret", append([]Option{withSleep(func(time.Duration) {})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each brand call sends the method, path, query and body of docs/API.md, with
// the API key as a bearer token.
func TestBrandRequests(t *testing.T) {
	seats := 3
	expires := time.Date(2027, 11, 29, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	page := `{"data":[],"next_cursor":null}`
	for _, tc := range []struct {
		name                      string
		answer                    string
		call                      func(b *BrandClient, ctx context.Context) error
		method, path, query, body string
	}{
		{"get", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			l, err := b.Get(ctx, testLicense)
			if err == nil && (l.LicenseKey != testKey || l.ExpiresAt != nil || string(l.Metadata) != `{"order":"A-1"}`) {
				err = fmt.Errorf("license %+v", l)
			}
			return err
		}, "GET", "/v1/licenses/" + testLicense, "", ""},
		{"patch", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Patch(ctx, testLicense, PatchRequest{Seats: &seats, Entitlements: []string{}})
			return err
		}, "PATCH", "/v1/licenses/" + testLicense, "", `{"entitlements":[],"seats":3}`},
		{"renew by date", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Renew(ctx, testLicense, RenewRequest{ExpiresAt: expires})
			return err
		}, "POST", "/v1/licenses/" + testLicense + "/renew", "", `{"expires_at":"2027-11-28T23:00:00Z"}`},
		{"renew by days", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Renew(ctx, testLicense, RenewRequest{ExtendByDays: 365})
			return err
		}, "POST", "/v1/licenses/" + testLicense + "/renew", "", `{"extend_by_days":365}`},
		{"suspend", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Suspend(ctx, testLicense, "chargeback")
			return err
		}, "POST", "/v1/licenses/" + testLicense + "/suspend", "", `{"reason":"chargeback"}`},
		{"suspend without reason", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Suspend(ctx, testLicense, "")
			return err
		}, "POST", "/v1/licenses/" + testLicense + "/suspend", "", ""},
		{"resume", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Resume(ctx, testLicense)
			return err
		}, "POST", "/v1/licenses/" + testLicense + "/resume", "", ""},
		{"cancel", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Cancel(ctx, testLicense, "refund")
			return err
		}, "POST", "/v1/licenses/" + testLicense + "/cancel", "", `{"reason":"refund"}`},
		{"search", page, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Search(ctx, SearchRequest{CustomerEmail: "jane@example.com", Limit: 10, Cursor: "c1"})
			return err
		}, "POST", "/v1/licenses/search", "", `{"customer_email":"jane@example.com","limit":10,"cursor":"c1"}`},
		{"activations", page, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Activations(ctx, testLicense, ListOptions{Limit: 2, Cursor: "c/2"})
			return err
		}, "GET", "/v1/licenses/" + testLicense + "/activations", "cursor=c%2F2&limit=2", ""},
		{"release", "", func(b *BrandClient, ctx context.Context) error {
			return b.ReleaseActivation(ctx, testLicense, "act-1")
		}, "DELETE", "/v1/licenses/" + testLicense + "/activations/act-1", "", ""},
		{"audit", page, func(b *BrandClient, ctx context.Context) error {
			_, err := b.AuditEvents(ctx, AuditQuery{LicenseID: testLicense, ListOptions: ListOptions{Limit: 5}})
			return err
		}, "GET", "/v1/audit-events", "license_id=" + testLicense + "&limit=5", ""},

		{"patch expiry", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Patch(ctx, testLicense, PatchRequest{ExpiresAt: &expires})
			return err
		}, "PATCH", "/v1/licenses/" + testLicense, "", `{"expires_at":"2027-11-28T23:00:00Z"}`},
		{"patch perpetual", licenseJSON, func(b *BrandClient, ctx context.Context) error {
			_, err := b.Patch(ctx, testLicense, PatchRequest{ExpiresAt: &time.Time{}})
			return err
		}, "PATCH", "/v1/licenses/" + testLicense, "", `{"expires_at":null}`},
		{"list", page, func(b *BrandClient, ctx context.Context) error {
			_, err := b.List(ctx, ListRequest{})
			return err
		}, "GET", "/v1/licenses", "", ""},
		{"list filtered", page, func(b *BrandClient, ctx context.Context) error {
			_, err := b.List(ctx, ListRequest{Product: "acme-pro", Status: StatusActive, ExpiresBefore: expires, ListOptions: ListOptions{Limit: 2, Cursor: "c1"}})
			return err
		}, "GET", "/v1/licenses", "cursor=c1&expires_before=2027-11-28T23%3A00%3A00Z&limit=2&product=acme-pro&status=active", ""},
		{"activate offline", `{"activation":{"id":"a1","license_id":"` + testLicense + `","instance":"WS-1","instance_name":null,
			"created_at":"2027-01-15T08:00:00Z","last_seen_at":"2027-01-15T08:00:00Z","free":false},"token":"t"}`, func(b *BrandClient, ctx context.Context) error {
			a, err := b.ActivateOffline(ctx, testLicense, OfflineActivationRequest{Instance: "WS-1"})
			if err == nil && (a.Token != "t" || a.Activation.Instance != "WS-1" || a.Created) {
				err = fmt.Errorf("offline activation %+v", a)
			}
			return err
		}, "POST", "/v1/licenses/" + testLicense + "/activations", "", `{"instance":"WS-1"}`},
	} {
		rec := newRecorder(t, func(w http.ResponseWriter) {
			if tc.answer == "" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			ok(tc.answer)(w)
		})
		if err := tc.call(brandClient(t, rec), context.Background()); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		r := rec.calls()[0]
		if r.method != tc.method || r.path != tc.path || r.query != tc.query || r.body != tc.body {
			t.Errorf("%s: %s %s?%s %s", tc.name, r.method, r.path, r.query, r.body)
		}
		if r.header.Get("Authorization") != "Bearer lk_abc_secret" {
			t.Errorf("%s: Authorization %q", tc.name, r.header.Get("Authorization"))
		}
		if (tc.body != "") != (r.header.Get("Content-Type") == "application/json") {
			t.Errorf("%s: Content-Type %q", tc.name, r.header.Get("Content-Type"))
		}
	}
}

// Provision always sends an Idempotency-Key, and retries with the same
// key and body; the caller's key is used when given.
func TestProvisionIdempotency(t *testing.T) {
	provisioned := `{"license":` + licenseJSON + `,"license_key":"` + testKey + `"}`
	rec := newRecorder(t, status(503, "Retry-After", "1"), func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(provisioned))
	})
	b := brandClient(t, rec)
	p, err := b.Provision(context.Background(), ProvisionRequest{
		CustomerEmail: "jane@example.com", Product: "acme-pro", Seats: 5,
		ExpiresAt: time.Date(2027, 11, 29, 0, 0, 0, 0, time.UTC), Entitlements: []string{"pro"}, Metadata: map[string]any{"order": "A-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := rec.calls()
	key := calls[0].header.Get("Idempotency-Key")
	if len(calls) != 2 || !strings.HasPrefix(key, "sdk-") || len(key) < 20 || calls[1].header.Get("Idempotency-Key") != key ||
		calls[0].body != calls[1].body || p.IdempotencyKey != key || p.LicenseKey != testKey || p.License.Seats != 5 {
		t.Fatalf("calls %+v, provisioned %+v", calls, p)
	}
	var body map[string]any
	json.Unmarshal([]byte(calls[0].body), &body)
	if body["expires_at"] != "2027-11-29T00:00:00Z" || body["seats"] != 5.0 || body["new_key"] != nil {
		t.Fatalf("body %s", calls[0].body)
	}

	p2, err := b.Provision(context.Background(), ProvisionRequest{CustomerEmail: "jane@example.com", Product: "acme-pro", IdempotencyKey: "order-A-1"})
	if err != nil || p2.IdempotencyKey != "order-A-1" || rec.calls()[2].header.Get("Idempotency-Key") != "order-A-1" {
		t.Fatalf("%v %+v", err, p2)
	}
	if rec.calls()[2].body != `{"customer_email":"jane@example.com","product":"acme-pro"}` {
		t.Fatalf("minimal body %s", rec.calls()[2].body)
	}
	if NewIdempotencyKey() == NewIdempotencyKey() {
		t.Fatal("idempotency keys repeat")
	}
}

// Lifecycle changes are not retried: a repeat would answer
// invalid_transition or act twice.
func TestLifecycleNotRetried(t *testing.T) {
	rec := newRecorder(t, status(503))
	b := brandClient(t, rec)
	if _, err := b.Renew(context.Background(), testLicense, RenewRequest{ExtendByDays: 30}); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	if _, err := b.Get(context.Background(), testLicense); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	if n := len(rec.calls()); n != 1+1+DefaultRetries {
		t.Fatalf("%d requests, want 1 for Renew and %d for Get", n, 1+DefaultRetries)
	}
}

// SearchAll follows the cursors; a repeating cursor ends it with an error.
func TestSearchAll(t *testing.T) {
	one := strings.Replace(licenseJSON, testLicense, "l1", 1)
	two := strings.Replace(licenseJSON, testLicense, "l2", 1)
	three := strings.Replace(licenseJSON, testLicense, "l3", 1)
	rec := newRecorder(t, ok(`{"data":[`+one+`,`+two+`],"next_cursor":"c1"}`), ok(`{"data":[`+three+`],"next_cursor":null}`))
	var ids []string
	for l, err := range brandClient(t, rec).SearchAll(context.Background(), "jane@example.com") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	calls := rec.calls()
	if strings.Join(ids, ",") != "l1,l2,l3" || len(calls) != 2 || !strings.Contains(calls[1].body, `"cursor":"c1"`) {
		t.Fatalf("ids %v, calls %+v", ids, calls)
	}

	loop := newRecorder(t, ok(`{"data":[`+one+`],"next_cursor":"same"}`))
	var errs int
	n := 0
	for _, err := range brandClient(t, loop).AllActivations(context.Background(), testLicense) {
		n++
		if err != nil {
			errs++
			if !errors.Is(err, ErrBadResponse) {
				t.Fatal(err)
			}
		}
		if n > 10 {
			t.Fatal("the iteration loops")
		}
	}
	if errs != 1 {
		t.Fatalf("%d errors", errs)
	}

	// Breaking out of the loop stops the requests.
	stop := newRecorder(t, ok(`{"data":[`+one+`,`+two+`],"next_cursor":"c1"}`))
	for range brandClient(t, stop).SearchAll(context.Background(), "jane@example.com") {
		break
	}
	if len(stop.calls()) != 1 {
		t.Fatal("the iterator kept fetching after break")
	}
}

func TestBrandRefusesEmptyIDs(t *testing.T) {
	rec := newRecorder(t, ok(licenseJSON))
	b := brandClient(t, rec)
	ctx := context.Background()
	if _, err := b.Get(ctx, " "); err == nil {
		t.Error("Get with an empty id")
	}
	if err := b.ReleaseActivation(ctx, testLicense, ""); err == nil {
		t.Error("ReleaseActivation with an empty activation id")
	}
	if _, err := b.Activations(ctx, "", ListOptions{}); err == nil {
		t.Error("Activations with an empty id")
	}
	if _, err := b.Get(ctx, "../../v1/api-keys"); err != nil {
		t.Fatal(err)
	}
	// An id cannot climb out of /v1/licenses/: its slashes stay escaped.
	if p := rec.calls()[0].rawPath; p != "/v1/licenses/..%2F..%2Fv1%2Fapi-keys" {
		t.Fatalf("path %q", p)
	}
	if len(rec.calls()) != 1 {
		t.Fatalf("%d requests", len(rec.calls()))
	}
}
