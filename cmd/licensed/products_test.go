package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestProductSettings: the admin API creates, lists, reads and changes a
// product's settings with their defaults and bounds; the CLI does the
// same; a change reaches the next answer of a license of the product at
// once, on every shape (the snapshot caches included); every change is
// audited; brand keys and unknown brands or products are refused.
func TestProductSettings(t *testing.T) {
	eachShape(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		s := serve(t, env)
		admin := adminKey(t, env)
		rm := newTenant(t, env, "rankmath", 2)

		// Create: the defaults of the contract, then every setting given.
		expect(t, s.call(t, "POST", "/v1/brands", admin, map[string]any{"slug": "acme", "name": "Acme"}), http.StatusCreated, "")
		def := s.call(t, "POST", "/v1/brands/acme/products", admin, map[string]any{"slug": "basic", "name": "Basic"})
		expect(t, def, http.StatusCreated, "")
		if def.num("max_free_activations") != 3 || def.num("grace_days") != 0 || def.num("activation_ttl_seconds") != 0 ||
			len(def.get("free_instances").([]any)) != 9 || def.str("created_at") == "" {
			t.Fatalf("defaults: %s", def.raw)
		}
		full := map[string]any{"slug": "studio", "name": "Studio", "default_seats": 5, "token_ttl_seconds": 3600,
			"free_instances": []string{"*.Test", "staging.*", "[0:0::1]", "Bücher.Example."}, "max_free_activations": 2,
			"grace_days": 14, "activation_ttl_seconds": 900}
		st := s.call(t, "POST", "/v1/brands/acme/products", admin, full)
		expect(t, st, http.StatusCreated, "")
		if got := st.get("free_instances").([]any); !slices.Equal(toStrings(got), []string{"*.test", "staging.*", "[::1]", "bücher.example"}) ||
			st.num("max_free_activations") != 2 || st.num("grace_days") != 14 || st.num("activation_ttl_seconds") != 900 {
			t.Fatalf("created %s", st.raw)
		}
		got := s.call(t, "GET", "/v1/brands/acme/products/studio", admin, nil)
		expect(t, got, http.StatusOK, "")
		if string(got.raw) != string(st.raw) {
			t.Fatalf("GET answers\n%s\nnot what was created\n%s", got.raw, st.raw)
		}

		// List: oldest first, in pages.
		page := s.call(t, "GET", "/v1/brands/acme/products?limit=1", admin, nil)
		expect(t, page, http.StatusOK, "")
		next := s.call(t, "GET", "/v1/brands/acme/products?limit=1&cursor="+page.str("next_cursor"), admin, nil)
		if first := page.get("data").([]any); len(first) != 1 || first[0].(map[string]any)["slug"] != "basic" || page.str("next_cursor") == "" ||
			len(next.get("data").([]any)) != 1 || next.get("data").([]any)[0].(map[string]any)["slug"] != "studio" || next.get("next_cursor") != nil {
			t.Fatalf("pages:\n%s\n%s", page.raw, next.raw)
		}

		// Bounds and refusals.
		for name, body := range map[string]map[string]any{
			"grace_days":             {"grace_days": 91},
			"activation_ttl_seconds": {"activation_ttl_seconds": 59},
			"max_free_activations":   {"max_free_activations": 0},
			"free_instances":         {"free_instances": []string{"*.*"}},
			"token_ttl_seconds":      {"token_ttl_seconds": 10},
			"default_seats":          {"default_seats": 0},
			"name":                   {"name": " "},
		} {
			r := s.call(t, "PATCH", "/v1/brands/acme/products/studio", admin, body)
			expect(t, r, http.StatusUnprocessableEntity, "validation_failed")
			if firstField(r) != name {
				t.Fatalf("%v: %s", body, r.raw)
			}
		}
		expect(t, s.call(t, "PATCH", "/v1/brands/acme/products/studio", admin, map[string]any{"slug": "x"}), http.StatusUnprocessableEntity, "validation_failed")
		expect(t, s.call(t, "GET", "/v1/brands/nope/products/studio", admin, nil), http.StatusNotFound, "not_found")
		expect(t, s.call(t, "GET", "/v1/brands/acme/products/nope", admin, nil), http.StatusNotFound, "not_found")
		expect(t, s.call(t, "GET", "/v1/brands/acme/products/rankmath-pro", admin, nil), http.StatusNotFound, "not_found") // another brand's slug
		expect(t, s.call(t, "PATCH", "/v1/brands/nope/products/studio", admin, map[string]any{"grace_days": 1}), http.StatusNotFound, "not_found")
		expect(t, s.call(t, "GET", "/v1/brands/nope/products", admin, nil), http.StatusNotFound, "not_found")
		for _, key := range []string{rm.writeKey, rm.readKey} {
			expect(t, s.call(t, "GET", "/v1/brands/rankmath/products", key, nil), http.StatusForbidden, "forbidden")
			expect(t, s.call(t, "GET", "/v1/brands/rankmath/products/rankmath-pro", key, nil), http.StatusForbidden, "forbidden")
			expect(t, s.call(t, "PATCH", "/v1/brands/rankmath/products/rankmath-pro", key, map[string]any{"grace_days": 9}), http.StatusForbidden, "forbidden")
		}
		noChange := s.call(t, "PATCH", "/v1/brands/acme/products/studio", admin, map[string]any{})
		expect(t, noChange, http.StatusOK, "")

		// A change is in the very next answer for a license of the product,
		// which this server has answered (and cached) before.
		clk := time.Now()
		key, _ := provisionFor(t, s, rm, "jane@example.com", map[string]any{"expires_at": clk.Add(48 * time.Hour).UTC().Format(time.RFC3339)})
		expect(t, activateAs(t, s, rm, key, "example.org"), http.StatusCreated, "")
		before := validateAs(t, s, rm, key, "example.org")
		c := verifyToken(t, s.keySet(t), before.str("token"), rm.ref(), "example.org")
		if c.Expiry-c.IssuedAt != 24*3600 || c.GraceUntil != nil {
			t.Fatalf("before: %+v", c)
		}
		upd := s.call(t, "PATCH", "/v1/brands/rankmath/products/rankmath-pro", admin, map[string]any{"token_ttl_seconds": 600, "grace_days": 7, "name": "Pro 2"})
		expect(t, upd, http.StatusOK, "")
		if upd.num("token_ttl_seconds") != 600 || upd.num("grace_days") != 7 || upd.str("name") != "Pro 2" || upd.num("default_seats") != 2 {
			t.Fatalf("updated %s", upd.raw)
		}
		after := validateAs(t, s, rm, key, "example.org")
		c = verifyToken(t, s.keySet(t), after.str("token"), rm.ref(), "example.org")
		if c.Expiry-c.IssuedAt != 600 || c.GraceUntil == nil || *c.GraceUntil != *c.LicenseExpiry+7*86400 {
			t.Fatalf("after the PATCH, the next token says %+v", c)
		}

		// The CLI does the same, with a flag per setting.
		mustCLI(t, env, "products", "create", "--brand", "acme", "--slug", "cli", "--name", "CLI", "--free-instances", "*.dev,qa.*",
			"--max-free-activations", "5", "--grace-days", "3", "--activation-ttl", "30m")
		p := mustCLI(t, env, "products", "get", "--brand", "acme", "--slug", "cli")
		if !slices.Equal(toStrings(p["free_instances"].([]any)), []string{"*.dev", "qa.*"}) || p["max_free_activations"] != 5.0 ||
			p["grace_days"] != 3.0 || p["activation_ttl_seconds"] != 1800.0 {
			t.Fatalf("products get: %v", p)
		}
		p = mustCLI(t, env, "products", "update", "--brand", "acme", "--slug", "cli", "--free-instances", "", "--activation-ttl", "0")
		if len(p["free_instances"].([]any)) != 0 || p["activation_ttl_seconds"] != 0.0 || p["grace_days"] != 3.0 || p["name"] != "CLI" {
			t.Fatalf("products update: %v", p)
		}
		out, _, err := cli(t, env, "products", "list", "--brand", "acme")
		if err != nil || strings.Count(out, `"slug"`) != 3 {
			t.Fatalf("products list: %v\n%s", err, out)
		}
		for _, bad := range [][]string{
			{"products", "update", "--brand", "acme", "--slug", "cli", "--grace-days", "91"},
			{"products", "update", "--brand", "acme", "--slug", "cli", "--activation-ttl", "1500ms"},
			{"products", "update", "--brand", "acme", "--slug", "nope", "--grace-days", "1"},
			{"products", "create", "--brand", "acme", "--slug", "x", "--name", "X", "--free-instances", "a.*.b"},
		} {
			if _, _, err := cli(t, env, bad...); err == nil {
				t.Errorf("licensed %s: accepted", strings.Join(bad, " "))
			}
		}

		// Audited: created (HTTP and CLI), updated (with before and after),
		// and {} recorded nothing.
		created, updated := adminEvents(t, env, "product.created"), adminEvents(t, env, "product.updated")
		if len(created) != 4 || len(updated) != 2 {
			t.Fatalf("%d product.created and %d product.updated events, want 4 and 2", len(created), len(updated))
		}
		u := updated[0]
		d := u["data"].(map[string]any)
		if u["actor_type"] != "api_key" || d["before"].(map[string]any)["grace_days"] != 0.0 || d["after"].(map[string]any)["grace_days"] != 7.0 ||
			d["after"].(map[string]any)["token_ttl_seconds"] != 600.0 {
			t.Fatalf("product.updated: %v", u)
		}
		if cliEvent := updated[1]; cliEvent["actor_type"] != "admin" {
			t.Fatalf("the CLI's update: %v", cliEvent)
		}
	})
}

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i], _ = v.(string)
	}
	return out
}
