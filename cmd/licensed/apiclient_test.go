package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/licensedhq/licensed/cmd/licensed/internal/apiclient"
	"github.com/licensedhq/licensed/verifier"
)

// TestGeneratedClient drives the real server through the Go client that
// oapi-codegen generated from the OpenAPI document: a brand provisions, a
// product activates and validates, a token verifies offline with the JWKS
// fetched the same way, and problems decode into the client's types. Its
// traffic is held to the document as well (contractDoer).
func TestGeneratedClient(t *testing.T) {
	env := backends[0].env(t)
	env["LICENSED_ISSUER"] = testIssuer
	s := serve(t, env)
	rm := newTenant(t, env, "rankmath", 2)
	c, err := apiclient.NewClientWithResponses(s.URL(), apiclient.WithHTTPClient(contractDoer{t}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bearer := func(key string) apiclient.RequestEditorFn {
		return func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+key)
			return nil
		}
	}
	ptr := func(s string) *string { return &s }

	expires := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	seats := 2
	body := apiclient.ProvisionRequest{
		CustomerEmail: "jane@example.com", Product: "rankmath-pro", Seats: &seats, ExpiresAt: &expires,
		Entitlements: &apiclient.Entitlements{"pro"}, Metadata: &apiclient.Metadata{"order": "A-1"},
	}
	prov, err := c.ProvisionLicenseWithResponse(ctx, &apiclient.ProvisionLicenseParams{IdempotencyKey: ptr("order-A-1")}, body, bearer(rm.writeKey))
	if err != nil {
		t.Fatal(err)
	}
	if prov.StatusCode() != http.StatusCreated || prov.JSON201 == nil {
		t.Fatalf("provision: %d %s", prov.StatusCode(), prov.Body)
	}
	lic, key := prov.JSON201.License, prov.JSON201.LicenseKey
	if lic.Seats != 2 || lic.Status != apiclient.LicenseStatusActive || lic.ExpiresAt == nil || !lic.ExpiresAt.Equal(expires) ||
		lic.LicenseKey == nil || *lic.LicenseKey != key || (*lic.Metadata)["order"] != "A-1" {
		t.Fatalf("provisioned license %+v", lic)
	}

	dup, err := c.ProvisionLicenseWithResponse(ctx, nil, apiclient.ProvisionRequest{CustomerEmail: "jane@example.com", Product: "rankmath-pro"}, bearer(rm.writeKey))
	if err != nil {
		t.Fatal(err)
	}
	if p := dup.ApplicationproblemJSON409; p == nil || p.Code != apiclient.ErrorCodeLicenseExists || p.LicenseId == nil || *p.LicenseId != lic.Id {
		t.Fatalf("second provisioning: %d %s", dup.StatusCode(), dup.Body)
	}

	act, err := c.ActivateWithResponse(ctx, nil, apiclient.ActivateRequest{
		LicenseKey: key, Product: "rankmath/rankmath-pro", Instance: "https://example.org/", InstanceName: ptr("Jane's blog"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if act.JSON201 == nil || act.JSON201.Activation.Instance != "example.org" || act.JSON201.License.SeatsUsed != 1 {
		t.Fatalf("activate: %d %s", act.StatusCode(), act.Body)
	}

	val, err := c.ValidateWithResponse(ctx, nil, apiclient.ValidateRequest{LicenseKey: key, Product: ptr("rankmath/rankmath-pro"), Instance: ptr("example.org")})
	if err != nil {
		t.Fatal(err)
	}
	v := val.JSON200
	if v == nil || !v.Valid || v.Code != apiclient.VALID || len(v.Licenses) != 1 || v.Licenses[0].Id != lic.Id || v.Token == nil {
		t.Fatalf("validate: %d %s", val.StatusCode(), val.Body)
	}

	jwks, err := c.GetJWKSWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if jwks.ApplicationjwkSetJSON200 == nil || len(jwks.ApplicationjwkSetJSON200.Keys) == 0 || jwks.Headers200 == nil || jwks.Headers200.ETag == "" {
		t.Fatalf("JWKS: %d %s", jwks.StatusCode(), jwks.Body)
	}
	ks, err := verifier.ParseJWKS(jwks.Body)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := verifier.New(ks, verifier.WithIssuer(testIssuer), verifier.WithProduct("rankmath/rankmath-pro"), verifier.WithInstance("example.org")).Verify(*v.Token)
	if err != nil || claims.Subject != lic.Id.String() {
		t.Fatalf("token: %v %+v", err, claims)
	}

	unknown, err := c.ValidateWithResponse(ctx, nil, apiclient.ValidateRequest{LicenseKey: "LK-NOPE"})
	if err != nil {
		t.Fatal(err)
	}
	if p := unknown.ApplicationproblemJSON404; p == nil || p.Code != apiclient.ErrorCodeLicenseNotFound || p.Status != http.StatusNotFound {
		t.Fatalf("unknown key: %d %s", unknown.StatusCode(), unknown.Body)
	}
}
