package issuer

import (
	"context"
	"testing"

	"github.com/licensedhq/licensed/issuer/webhook"
)

// benchLifecycle suspends and resumes one license: two write transactions,
// each with its audit event, and with endpoints webhook endpoints of the
// brand subscribed to everything (each change then also queues a
// delivery per endpoint: the outbox's cost on the write path).
func benchLifecycle(b *testing.B, endpoints int) {
	s, key := benchService(b, nil)
	ctx := context.Background()
	s.webhooks = webhook.Policy{AllowInsecure: true}
	for range endpoints {
		if _, err := s.CreateWebhook(ctx, AdminActor, Origin{}, WebhookInput{Brand: ptr("b"), URL: "http://127.0.0.1:9/hook", Events: []string{"*"}}); err != nil {
			b.Fatal(err)
		}
	}
	k, err := s.CreateAPIKey(ctx, AdminActor, Origin{}, APIKeyInput{Brand: ptr("b"), Name: "w", Scopes: []string{ScopeLicensesWrite, ScopeLicensesRead}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.Authenticate(ctx, k.Key)
	if err != nil {
		b.Fatal(err)
	}
	v, err := s.Validate(ctx, ValidateInput{LicenseKey: key, Product: ptr("b/p")})
	if err != nil {
		b.Fatal(err)
	}
	id := v.Licenses[0].ID
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Suspend(ctx, p, Origin{}, id, ReasonInput{}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Resume(ctx, p, Origin{}, id); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLifecycleNoWebhooks(b *testing.B)    { benchLifecycle(b, 0) }
func BenchmarkLifecycleOneEndpoint(b *testing.B)   { benchLifecycle(b, 1) }
func BenchmarkLifecycleFourEndpoints(b *testing.B) { benchLifecycle(b, 4) }
