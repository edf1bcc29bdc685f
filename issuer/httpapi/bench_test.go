package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/keys"
	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store/local"
	"github.com/licensedhq/licensed/store/memo"
	"github.com/licensedhq/licensed/store/sqlite"
)

// benchServer is the API as `licensed serve` runs it on the embedded
// SQLite store (the memo over the in-process cache), with one license and
// one activation; it returns the license key.
func benchServer(b *testing.B) (*Server, string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sec, err := seal.NewKeyring(seal.GenerateMasterKey())
	if err != nil {
		b.Fatal(err)
	}
	km := keys.NewManager(st, sec)
	if err := km.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	svc := issuer.New(issuer.Config{Store: st, Keys: km, Secrets: sec, Cache: memo.New(local.NewCache()), Issuer: "https://licensed.test"})
	admin := issuer.AdminActor
	if _, err := svc.CreateBrand(ctx, admin, issuer.Origin{}, issuer.BrandInput{Slug: "b", Name: "B"}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateProduct(ctx, admin, issuer.Origin{}, "b", issuer.ProductInput{Slug: "p", Name: "P"}); err != nil {
		b.Fatal(err)
	}
	brand := "b"
	k, err := svc.CreateAPIKey(ctx, admin, issuer.Origin{}, issuer.APIKeyInput{Brand: &brand, Name: "k", Scopes: []string{issuer.ScopeLicensesWrite}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, k.Key)
	if err != nil {
		b.Fatal(err)
	}
	body, _, err := svc.Provision(ctx, p, issuer.Origin{}, issuer.ProvisionInput{CustomerEmail: "a@example.com", Product: "p"}, "")
	if err != nil {
		b.Fatal(err)
	}
	var out issuer.Provisioned
	if err := json.Unmarshal(body, &out); err != nil {
		b.Fatal(err)
	}
	if _, _, err := svc.Activate(ctx, issuer.Origin{}, issuer.ActivateInput{LicenseKey: out.LicenseKey, Product: "b/p", Instance: "example.org"}); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Service: svc, Keys: km, Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})), Registry: prometheus.NewRegistry()})
	return s, out.LicenseKey
}

// discardWriter is a ResponseWriter that keeps the status and headers and
// drops the body: what the handler costs, without net/http's connection.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// benchHTTPValidate drives POST /v1/validate through the whole handler
// chain (request id, routing, strict decoding, the service, rendering, the
// log line and metrics), as net/http would hand it each request.
func benchHTTPValidate(b *testing.B, instance string) {
	s, key := benchServer(b)
	in := map[string]string{"license_key": key, "product": "b/p"}
	if instance != "" {
		in["instance"] = instance
	}
	body, _ := json.Marshal(in)
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/validate", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "licensed-load")
	req.RemoteAddr = "127.0.0.1:40000"
	rd := bytes.NewReader(body)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		clear(w.h)
		w.status, w.n = 0, 0
		s.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.n < 100 {
			b.Fatalf("status %d, %d bytes", w.status, w.n)
		}
	}
}

// What one validation costs the process above net/http's connection
// handling: a license token, and an activation token.
func BenchmarkHTTPValidateLicense(b *testing.B)    { benchHTTPValidate(b, "") }
func BenchmarkHTTPValidateActivation(b *testing.B) { benchHTTPValidate(b, "example.org") }
