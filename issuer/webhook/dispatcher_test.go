package webhook_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/issuer/webhook"
	"github.com/licensedhq/licensed/sdk/webhooks"
	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/sqlite"
)

// rig is a dispatcher on a real SQLite store with one brand, one endpoint
// at url and one queued event.
type rig struct {
	st       store.Store
	d        *webhook.Dispatcher
	brandID  string
	endpoint store.WebhookEndpoint
	secret   string
}

func newRig(t *testing.T, url string, policy webhook.Policy) *rig {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "licensed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ring, err := seal.NewKeyring(seal.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	r := &rig{st: st, brandID: uuid.Must(uuid.NewV7()).String(), secret: webhook.NewSecret()}
	r.endpoint = store.WebhookEndpoint{ID: uuid.Must(uuid.NewV7()).String(), BrandID: r.brandID, URL: url, Events: []string{"*"}, CreatedAt: now}
	r.endpoint.SecretCiphertext = ring.Seal([]byte(r.secret), seal.WebhookSecretAAD(r.endpoint.ID))
	err = st.InTx(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateBrand(t.Context(), store.Brand{ID: r.brandID, Slug: "rm", Name: "RM", CreatedAt: now}); err != nil {
			return err
		}
		// Created behind the API's back: as if the URL's DNS answer had
		// changed since the check at creation.
		if err := tx.CreateWebhookEndpoint(t.Context(), r.endpoint); err != nil {
			return err
		}
		return tx.AppendAuditEvent(t.Context(), store.AuditEvent{ID: uuid.Must(uuid.NewV7()).String(), At: now,
			ActorType: store.ActorSystem, ActorID: "test", BrandID: r.brandID, Action: "license.updated", Data: json.RawMessage(`{}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
	render := func(e store.AuditEvent) ([]byte, error) {
		return json.Marshal(map[string]any{"id": e.ID, "type": e.Action, "timestamp": e.At, "data": map[string]any{}})
	}
	r.d = webhook.New(webhook.Config{Store: st, Secrets: ring, Render: render, Policy: policy, Timeout: 2 * time.Second})
	return r
}

func (r *rig) delivery(t *testing.T) store.WebhookDelivery {
	t.Helper()
	ds, err := r.st.WebhookDeliveries(t.Context(), store.WebhookDeliveryFilter{BrandID: r.brandID, EndpointID: r.endpoint.ID})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v (%v)", ds, err)
	}
	return ds[0]
}

// Without AllowInsecure, the dialer refuses a loopback receiver even when
// its endpoint got past creation: the receiver never sees a request.
func TestDialTimeRefusal(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	r := newRig(t, srv.URL, webhook.Policy{})
	if n, err := r.d.RunOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("RunOnce: %d, %v", n, err)
	}
	d := r.delivery(t)
	if d.Status != store.DeliveryPending || d.Attempt != 1 || !strings.HasPrefix(d.LastError, "refused") || hits.Load() != 0 {
		t.Fatalf("delivery %+v, %d hits", d, hits.Load())
	}
}

// A redirect is an answer, not a delivery: it is not followed.
func TestRedirectNotFollowed(t *testing.T) {
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/elsewhere" {
			followed.Store(true)
			return
		}
		http.Redirect(w, req, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	r := newRig(t, srv.URL+"/hook", webhook.Policy{AllowInsecure: true})
	if n, err := r.d.RunOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("RunOnce: %d, %v", n, err)
	}
	if d := r.delivery(t); d.Status != store.DeliveryPending || d.ResponseStatus != http.StatusTemporaryRedirect || followed.Load() {
		t.Fatalf("delivery %+v, followed %v", d, followed.Load())
	}
}

// A 2xx with a huge body is delivered after reading only the cap; the
// request carries the Standard Webhooks headers the SDK verifies.
func TestDeliveredWithHeaders(t *testing.T) {
	var verr atomic.Value
	var rig *rig
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body := make([]byte, 1<<16)
		n, _ := req.Body.Read(body)
		if err := webhooks.Verify(rig.secret, req.Header, body[:n], time.Minute); err != nil {
			verr.Store(err.Error())
		}
		w.WriteHeader(http.StatusOK)
		junk := []byte(strings.Repeat("x", 1<<10))
		for range 1 << 12 { // 4 MiB the dispatcher must not wait for
			if _, err := w.Write(junk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	rig = newRig(t, srv.URL, webhook.Policy{AllowInsecure: true})
	if n, err := rig.d.RunOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("RunOnce: %d, %v", n, err)
	}
	if d := rig.delivery(t); d.Status != store.DeliveryDelivered || d.ResponseStatus != 200 || d.Attempt != 1 {
		t.Fatalf("delivery %+v", d)
	}
	if e := verr.Load(); e != nil {
		t.Fatalf("the SDK refused the request: %v", e)
	}
	// Nothing more is due.
	if n, err := rig.d.RunOnce(t.Context()); n != 0 || err != nil {
		t.Fatalf("second RunOnce: %d, %v", n, err)
	}
}
