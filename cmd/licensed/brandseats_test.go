package main

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/licensedhq/licensed/sdk"
)

// TestOfflineActivation: a brand activates an air-gapped machine and gets
// the token to hand over: 201, then 200 for the same machine; the token
// verifies for that machine; the same refusals as /v1/activate; the API
// key is the audit actor; another brand's license is 404; a read key and
// a platform key are 403.
func TestOfflineActivation(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		s := serve(t, env)
		tn := policyTenant(t, env, "studio", 1, "--max-free-activations", "1")
		other := newTenant(t, env, "other", 1)
		admin := adminKey(t, env)
		key, id := provisionFor(t, s, tn, "jane@example.com", nil)
		path := "/v1/licenses/" + id + "/activations"

		first := s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": " WS-0042-7F3A ", "instance_name": "Lab workstation"})
		expect(t, first, http.StatusCreated, "")
		if first.str("activation", "instance") != "WS-0042-7F3A" || first.str("activation", "instance_name") != "Lab workstation" ||
			first.get("activation", "free") != false || first.get("license") != nil {
			t.Fatalf("offline activation: %s", first.raw)
		}
		c := verifyToken(t, s.keySet(t), first.str("token"), tn.ref(), "WS-0042-7F3A")
		if c.ActivationID != first.str("activation", "id") || c.Subject != id {
			t.Fatalf("claims %+v", c)
		}
		again := s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": "WS-0042-7F3A"})
		expect(t, again, http.StatusOK, "")
		if again.str("activation", "id") != first.str("activation", "id") || again.str("activation", "instance_name") != "Lab workstation" {
			t.Fatalf("again: %s", again.raw)
		}
		// The product API sees the seat the brand took.
		if v := validateAs(t, s, tn, key, "WS-0042-7F3A"); v.str("code") != "VALID" {
			t.Fatalf("validate the offline seat: %s", v.raw)
		}
		// The same rules: the one seat is taken; a free site is free, up to the cap.
		full := s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": "WS-0043"})
		expect(t, full, http.StatusConflict, "seat_limit_reached")
		if full.num("seats") != 1 || full.num("seats_used") != 1 {
			t.Fatalf("full: %s", full.raw)
		}
		free := s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": "http://localhost:8080"})
		expect(t, free, http.StatusCreated, "")
		if free.get("activation", "free") != true {
			t.Fatalf("free: %s", free.raw)
		}
		expect(t, s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": "https://qa.test"}), http.StatusConflict, "free_limit_reached")
		expect(t, s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": ""}), http.StatusUnprocessableEntity, "validation_failed")
		expect(t, s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": "x", "license_key": key}), http.StatusUnprocessableEntity, "validation_failed")

		// Who may: the brand's write key only.
		expect(t, s.call(t, "POST", path, tn.readKey, map[string]any{"instance": "WS-9"}), http.StatusForbidden, "forbidden")
		expect(t, s.call(t, "POST", path, admin, map[string]any{"instance": "WS-9"}), http.StatusForbidden, "forbidden")
		expect(t, s.call(t, "POST", path, other.writeKey, map[string]any{"instance": "WS-9"}), http.StatusNotFound, "not_found")
		expect(t, s.call(t, "POST", "/v1/licenses/0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c01/activations", tn.writeKey, map[string]any{"instance": "WS-9"}), http.StatusNotFound, "not_found")
		expect(t, s.call(t, "POST", "/v1/licenses/not-a-uuid/activations", tn.writeKey, map[string]any{"instance": "WS-9"}), http.StatusNotFound, "not_found")

		// Status refusals, as /v1/activate.
		expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", tn.writeKey, nil), http.StatusOK, "")
		expect(t, s.call(t, "POST", path, tn.writeKey, map[string]any{"instance": "WS-0042-7F3A"}), http.StatusForbidden, "license_suspended")

		events := licenseEvents(t, s, tn, id)
		var actors []string
		for _, e := range events {
			if e["action"] == "license.activated" {
				a := e["actor"].(map[string]any)
				actors = append(actors, a["type"].(string))
			}
		}
		if !slices.Equal(actors, []string{"api_key", "api_key"}) {
			t.Fatalf("license.activated actors %v, want two by the API key", actors)
		}
	})
}

// TestListLicenses: the brand's licenses, newest first, by product,
// effective status (expired computed when asked, with a frozen clock) and
// expiry, in pages; another brand's product is 422 and its licenses never
// show; bad filters are 422.
func TestListLicenses(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		clk := newFrozenClock()
		s := serveWithClock(t, env, clk.Now)
		tn := newTenant(t, env, "rankmath", 1)
		mustCLI(t, env, "products", "create", "--brand", "rankmath", "--slug", "rankmath-agency", "--name", "Agency")
		other := newTenant(t, env, "other", 1)
		provisionFor(t, s, other, "jane@example.com", nil)
		at := func(d time.Duration) string { return clk.Now().Add(d).Format(time.RFC3339) }

		// Oldest first: a perpetual pro, a pro expiring in 2 days, an agency
		// expiring in 40 days, a pro expiring in an hour (to expire), a
		// suspended agency, a cancelled pro.
		var ids []string
		mk := func(email, product string, exp string) string {
			body := map[string]any{"product": product}
			if exp != "" {
				body["expires_at"] = exp
			}
			_, id := provisionFor(t, s, tn, email, body)
			ids = append(ids, id)
			return id
		}
		mk("a@example.com", "rankmath-pro", "")
		mk("b@example.com", "rankmath-pro", at(48*time.Hour))
		mk("c@example.com", "rankmath-agency", at(40*24*time.Hour))
		mk("d@example.com", "rankmath-pro", at(time.Hour))
		susp := mk("e@example.com", "rankmath-agency", "")
		canc := mk("f@example.com", "rankmath-pro", at(24*time.Hour))
		expect(t, s.call(t, "POST", "/v1/licenses/"+susp+"/suspend", tn.writeKey, nil), http.StatusOK, "")
		expect(t, s.call(t, "POST", "/v1/licenses/"+canc+"/cancel", tn.writeKey, nil), http.StatusOK, "")
		clk.Advance(2 * time.Hour) // d is expired now
		newest := func(picks ...int) []string {
			var out []string
			for i := len(ids) - 1; i >= 0; i-- {
				if slices.Contains(picks, i) {
					out = append(out, ids[i])
				}
			}
			return out
		}
		list := func(q url.Values) (ids []string, r response) {
			t.Helper()
			r = s.call(t, "GET", "/v1/licenses?"+q.Encode(), tn.readKey, nil)
			expect(t, r, http.StatusOK, "")
			for _, l := range r.get("data").([]any) {
				l := l.(map[string]any)
				if l["brand"] != "rankmath" || l["license_key"] == "" {
					t.Fatalf("a listed license: %v", l)
				}
				ids = append(ids, l["id"].(string))
			}
			return ids, r
		}
		week := clk.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339)
		for name, c := range map[string]struct {
			q    url.Values
			want []string
		}{
			"all":                 {url.Values{}, newest(0, 1, 2, 3, 4, 5)},
			"pro":                 {url.Values{"product": {"rankmath-pro"}}, newest(0, 1, 3, 5)},
			"active":              {url.Values{"status": {"active"}}, newest(0, 1, 2)},
			"expired":             {url.Values{"status": {"expired"}}, newest(3)},
			"suspended":           {url.Values{"status": {"suspended"}}, newest(4)},
			"cancelled":           {url.Values{"status": {"cancelled"}}, newest(5)},
			"expiring this week":  {url.Values{"status": {"active"}, "expires_before": {week}}, newest(1)},
			"expires before":      {url.Values{"expires_before": {week}}, newest(1, 3, 5)},
			"agency suspended":    {url.Values{"product": {"rankmath-agency"}, "status": {"suspended"}}, newest(4)},
			"nothing":             {url.Values{"product": {"rankmath-agency"}, "status": {"cancelled"}}, nil},
			"offset in the query": {url.Values{"expires_before": {clk.Now().In(time.FixedZone("x", 3600)).Add(7 * 24 * time.Hour).Format(time.RFC3339)}}, newest(1, 3, 5)},
		} {
			if got, _ := list(c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", name, got, c.want)
			}
		}

		// Pages of two, each after the cursor of the one before.
		var paged []string
		q := url.Values{"limit": {"2"}}
		for range 5 {
			got, r := list(q)
			paged = append(paged, got...)
			if r.get("next_cursor") == nil {
				break
			}
			q.Set("cursor", r.str("next_cursor"))
		}
		if want := newest(0, 1, 2, 3, 4, 5); !slices.Equal(paged, want) {
			t.Fatalf("paged %v, want %v", paged, want)
		}

		for _, bad := range []struct{ q, field string }{
			{"product=other-pro", "product"}, {"product=nope", "product"}, {"product=Bad%20Slug", "product"},
			{"status=valid", "status"}, {"expires_before=tomorrow", "expires_before"}, {"limit=0", "limit"}, {"cursor=zzz", "cursor"},
		} {
			r := s.call(t, "GET", "/v1/licenses?"+bad.q, tn.readKey, nil)
			expect(t, r, http.StatusUnprocessableEntity, "validation_failed")
			if firstField(r) != bad.field {
				t.Errorf("%s: %s", bad.q, r.raw)
			}
		}
		admin := adminKey(t, env)
		expect(t, s.call(t, "GET", "/v1/licenses", admin, nil), http.StatusForbidden, "forbidden")
		if got, _ := list(url.Values{}); len(got) != len(ids) {
			t.Fatal("another brand's license is listed")
		}
		if r := s.call(t, "GET", "/v1/licenses", other.readKey, nil); len(r.get("data").([]any)) != 1 {
			t.Fatalf("the other brand lists %s", r.raw)
		}
	})
}

// TestPatchExpiresAt: PATCH sets a future expiry, or null for perpetual;
// a past time is 422; absent leaves it; the change is in the
// license.updated event and in the next token.
func TestPatchExpiresAt(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		s := serve(t, env)
		tn := newTenant(t, env, "rankmath", 1)
		key, id := provisionFor(t, s, tn, "jane@example.com", map[string]any{"expires_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
		path := "/v1/licenses/" + id
		later := time.Now().Add(400 * 24 * time.Hour).UTC().Truncate(time.Second)

		r := s.call(t, "PATCH", path, tn.writeKey, map[string]any{"expires_at": later.In(time.FixedZone("x", -5*3600)).Format(time.RFC3339)})
		expect(t, r, http.StatusOK, "")
		if r.str("expires_at") != later.Format(time.RFC3339) {
			t.Fatalf("expires_at %s", r.raw)
		}
		c := verifyToken(t, s.keySet(t), validateAs(t, s, tn, key, "").str("token"), tn.ref(), "")
		if c.LicenseExpiry == nil || *c.LicenseExpiry != later.Unix() {
			t.Fatalf("token after the PATCH: %+v", c)
		}
		if r := s.call(t, "PATCH", path, tn.writeKey, map[string]any{"seats": 2}); r.str("expires_at") != later.Format(time.RFC3339) {
			t.Fatalf("absent expires_at changed it: %s", r.raw)
		}
		r = s.call(t, "PATCH", path, tn.writeKey, `{"expires_at": null}`)
		expect(t, r, http.StatusOK, "")
		if r.get("expires_at") != nil {
			t.Fatalf("null: %s", r.raw)
		}
		if c := verifyToken(t, s.keySet(t), validateAs(t, s, tn, key, "").str("token"), tn.ref(), ""); c.LicenseExpiry != nil {
			t.Fatalf("a perpetual license's token: %+v", c)
		}
		for _, bad := range []string{`{"expires_at": "2001-01-01T00:00:00Z"}`, `{"expires_at": "soon"}`, `{"expires_at": ""}`, `{"expires_at": 5}`} {
			r := s.call(t, "PATCH", path, tn.writeKey, bad)
			expect(t, r, http.StatusUnprocessableEntity, "validation_failed")
			if firstField(r) != "expires_at" {
				t.Fatalf("%s: %s", bad, r.raw)
			}
		}
		var changes [][2]any
		for _, e := range licenseEvents(t, s, tn, id) {
			if e["action"] == "license.updated" {
				d := e["data"].(map[string]any)
				changes = append(changes, [2]any{d["before"].(map[string]any)["expires_at"], d["after"].(map[string]any)["expires_at"]})
			}
		}
		// Newest first: to perpetual, seats only, to later.
		if len(changes) != 3 || changes[0][1] != nil || changes[0][0] != later.Format(time.RFC3339) ||
			changes[1][0] != changes[1][1] || changes[2][1] != later.Format(time.RFC3339) {
			t.Fatalf("license.updated before/after expires_at: %v", changes)
		}
		// A cancelled license cannot be changed.
		expect(t, s.call(t, "POST", path+"/cancel", tn.writeKey, nil), http.StatusOK, "")
		expect(t, s.call(t, "PATCH", path, tn.writeKey, map[string]any{"expires_at": later.Format(time.RFC3339)}), http.StatusConflict, "invalid_transition")
	})
}

// TestSDKPolicies: the Go SDK's brand client lists, activates offline and
// patches the expiry against the real server, and the product client
// reports the free cap as ErrFreeLimitReached.
func TestSDKPolicies(t *testing.T) {
	env := backends[0].env(t)
	s := serve(t, env)
	tn := policyTenant(t, env, "studio", 1, "--max-free-activations", "1")
	ctx := t.Context()
	brand, err := sdk.NewBrandClient(s.URL(), tn.writeKey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := brand.Provision(ctx, sdk.ProvisionRequest{CustomerEmail: "jane@example.com", Product: tn.product})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := brand.Provision(ctx, sdk.ProvisionRequest{CustomerEmail: "joe@example.com", Product: tn.product}); err != nil {
		t.Fatal(err)
	}
	id := p.License.ID

	page, err := brand.List(ctx, sdk.ListRequest{Status: sdk.StatusActive, ListOptions: sdk.ListOptions{Limit: 1}})
	if err != nil || len(page.Data) != 1 || page.NextCursor == "" || page.Data[0].CustomerEmail != "joe@example.com" {
		t.Fatalf("list: %v %+v", err, page)
	}
	n := 0
	for l, err := range brand.ListAll(ctx, sdk.ListRequest{Product: tn.product, ListOptions: sdk.ListOptions{Limit: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		if l.Product == tn.product {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("ListAll: %d licenses", n)
	}
	if _, err := brand.List(ctx, sdk.ListRequest{Product: "nope"}); !errors.Is(err, sdk.ErrValidation) {
		t.Fatalf("list of an unknown product: %v", err)
	}

	first, err := brand.ActivateOffline(ctx, id, sdk.OfflineActivationRequest{Instance: "WS-1", InstanceName: "Lab"})
	if err != nil || !first.Created || first.Token == "" || first.Activation.Free {
		t.Fatalf("offline: %v %+v", err, first)
	}
	if again, err := brand.ActivateOffline(ctx, id, sdk.OfflineActivationRequest{Instance: "WS-1"}); err != nil || again.Created ||
		again.Activation.ID != first.Activation.ID {
		t.Fatalf("offline again: %v %+v", err, again)
	}

	pc, err := sdk.NewProductClient(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	free, err := pc.Activate(ctx, sdk.ActivateRequest{LicenseKey: p.LicenseKey, Product: tn.ref(), Instance: "https://staging.example.com"})
	if err != nil || !free.Activation.Free || free.License.SeatsUsed != 1 {
		t.Fatalf("free activation: %v %+v", err, free)
	}
	_, err = pc.Activate(ctx, sdk.ActivateRequest{LicenseKey: p.LicenseKey, Product: tn.ref(), Instance: "https://dev.example.com"})
	if !errors.Is(err, sdk.ErrFreeLimitReached) || !errors.Is(err, sdk.ErrConflict) {
		t.Fatalf("over the free cap: %v", err)
	}

	later := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	if l, err := brand.Patch(ctx, id, sdk.PatchRequest{ExpiresAt: &later}); err != nil || l.ExpiresAt == nil || !l.ExpiresAt.Equal(later) {
		t.Fatalf("patch expiry: %v %+v", err, l)
	}
	if l, err := brand.Patch(ctx, id, sdk.PatchRequest{ExpiresAt: &time.Time{}}); err != nil || l.ExpiresAt != nil {
		t.Fatalf("patch perpetual: %v %+v", err, l)
	}
}
