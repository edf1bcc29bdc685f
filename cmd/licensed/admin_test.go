package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// TestAdminBrandsAndAPIKeys end to end on each backend: list, get and
// rename brands; list API keys (never their secrets), get and revoke them
// by id or prefix; a revoked key stops working at once.
func TestAdminBrandsAndAPIKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 2)
		newTenant(t, env, "wprocket", 2)
		admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)

		brands := s.call(t, "GET", "/v1/brands?limit=1", admin, nil)
		expect(t, brands, http.StatusOK, "")
		first := brands.get("data").([]any)
		if len(first) != 1 || first[0].(map[string]any)["slug"] != "rankmath" || brands.get("next_cursor") == nil {
			t.Fatalf("first page of brands: %s", brands.raw)
		}
		next := s.call(t, "GET", "/v1/brands?cursor="+brands.str("next_cursor"), admin, nil)
		if d := next.get("data").([]any); len(d) != 1 || d[0].(map[string]any)["slug"] != "wprocket" || next.get("next_cursor") != nil {
			t.Fatalf("second page of brands: %s", next.raw)
		}
		expect(t, s.call(t, "GET", "/v1/brands/nope", admin, nil), http.StatusNotFound, "not_found")
		expect(t, s.call(t, "HEAD", "/v1/brands/rankmath", admin, nil), http.StatusOK, "")
		got := s.call(t, "PATCH", "/v1/brands/rankmath", admin, map[string]any{"name": "  Rank Math SEO "})
		expect(t, got, http.StatusOK, "")
		if got.str("name") != "Rank Math SEO" || got.str("slug") != "rankmath" {
			t.Fatalf("rename: %s", got.raw)
		}
		if g := s.call(t, "GET", "/v1/brands/rankmath", admin, nil); g.str("name") != "Rank Math SEO" {
			t.Fatalf("get after rename: %s", g.raw)
		}
		expect(t, s.call(t, "PATCH", "/v1/brands/rankmath", admin, map[string]any{"name": ""}), http.StatusUnprocessableEntity, "validation_failed")
		expect(t, s.call(t, "PATCH", "/v1/brands/rankmath", admin, map[string]any{"slug": "x"}), http.StatusUnprocessableEntity, "validation_failed")
		expect(t, s.call(t, "PATCH", "/v1/brands/nope", admin, map[string]any{"name": "x"}), http.StatusNotFound, "not_found")

		// API keys: one brand's, and everyone's; never a secret.
		expect(t, s.call(t, "GET", "/v1/licenses", rm.writeKey, nil), http.StatusOK, "") // last_used_at
		mine := s.call(t, "GET", "/v1/api-keys?brand=rankmath", admin, nil)
		expect(t, mine, http.StatusOK, "")
		keys := mine.get("data").([]any)
		if len(keys) != 2 {
			t.Fatalf("rankmath's keys: %s", mine.raw)
		}
		w := keys[0].(map[string]any)
		if w["prefix"] != prefixOf(rm.writeKey) || w["brand"] != "rankmath" || w["name"] != "backend" || w["last_used_at"] == nil ||
			w["revoked_at"] != nil || len(w) != 8 {
			t.Fatalf("a key as listed: %v", w)
		}
		if slices.ContainsFunc(keys, func(k any) bool {
			return k.(map[string]any)["prefix"] == prefixOf(rm.readKey) && k.(map[string]any)["last_used_at"] != nil
		}) {
			t.Fatalf("an unused key has a last_used_at: %s", mine.raw)
		}
		all := s.call(t, "GET", "/v1/api-keys", admin, nil)
		if n := len(all.get("data").([]any)); n != 5 { // 2 + 2 + the platform key
			t.Fatalf("every key: %d, %s", n, all.raw)
		}
		expect(t, s.call(t, "GET", "/v1/api-keys?brand=nope", admin, nil), http.StatusNotFound, "not_found")
		byID := s.call(t, "GET", "/v1/api-keys/"+w["id"].(string), admin, nil)
		byPrefix := s.call(t, "GET", "/v1/api-keys/"+prefixOf(rm.writeKey), admin, nil)
		expect(t, byPrefix, http.StatusOK, "")
		if byID.str("id") != w["id"] || byPrefix.str("id") != w["id"] {
			t.Fatalf("by id %s, by prefix %s", byID.raw, byPrefix.raw)
		}
		expect(t, s.call(t, "GET", "/v1/api-keys/"+rm.writeKey, admin, nil), http.StatusNotFound, "not_found")

		// last_used_at is written at most once a minute: a second use at
		// once leaves it as it was.
		before := byID.str("last_used_at")
		s.call(t, "GET", "/v1/licenses", rm.writeKey, nil)
		if again := s.call(t, "GET", "/v1/api-keys/"+w["id"].(string), admin, nil); again.str("last_used_at") != before {
			t.Fatalf("last_used_at rewritten within a minute: %s -> %s", before, again.str("last_used_at"))
		}

		// Revoke by prefix: the key stops working at once; again is a no-op.
		expect(t, s.call(t, "DELETE", "/v1/api-keys/"+prefixOf(rm.writeKey), admin, nil), http.StatusNoContent, "")
		expect(t, s.call(t, "GET", "/v1/licenses", rm.writeKey, nil), http.StatusUnauthorized, "unauthorized")
		expect(t, s.call(t, "DELETE", "/v1/api-keys/"+w["id"].(string), admin, nil), http.StatusNoContent, "")
		if r := s.call(t, "GET", "/v1/api-keys/"+w["id"].(string), admin, nil); r.get("revoked_at") == nil {
			t.Fatalf("revoked key: %s", r.raw)
		}
		expect(t, s.call(t, "DELETE", "/v1/api-keys/lk_nosuchprefix", admin, nil), http.StatusNotFound, "not_found")

		// The CLI: by prefix, with the same outcome.
		out := mustCLI(t, env, "api-keys", "revoke", "--prefix", prefixOf(rm.readKey))
		if out["revoked_at"] == nil || out["prefix"] != prefixOf(rm.readKey) {
			t.Fatalf("api-keys revoke: %v", out)
		}
		expect(t, s.call(t, "GET", "/v1/licenses", rm.readKey, nil), http.StatusUnauthorized, "unauthorized")
		if b := mustCLI(t, env, "brands", "get", "--slug", "rankmath"); b["name"] != "Rank Math SEO" {
			t.Fatalf("brands get: %v", b)
		}
	})
}

// TestRevokeSigningKey end to end: the only active key cannot be revoked;
// after a rotation it can, the JWKS drops it in the same answer, tokens it
// signed stop verifying, and the next key signs at once.
func TestRevokeSigningKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		clk := &clock{}
		s := serveWithClock(t, env, clk.Now)
		rm := newTenant(t, env, "rankmath", 2)
		admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
		body := map[string]any{"license_key": r.str("license_key"), "product": "rankmath/rankmath-pro", "instance": "example.org"}
		old := s.call(t, "POST", "/v1/activate", "", body).str("token")
		oldKid := kidOf(t, old)
		verify := func(token string) error {
			v := verifier.New(s.keySet(t), verifier.WithIssuer(testIssuer), verifier.WithProduct("rankmath/rankmath-pro"),
				verifier.WithLicenseTokens(), verifier.WithClock(clk.Now))
			_, err := v.Verify(token)
			return err
		}

		refused := s.call(t, "POST", "/v1/signing-keys/"+oldKid+"/revoke", admin, nil)
		expect(t, refused, http.StatusConflict, "conflict")
		expect(t, s.call(t, "POST", "/v1/signing-keys/nosuchkid/revoke", admin, nil), http.StatusNotFound, "not_found")
		expect(t, s.call(t, "POST", "/v1/signing-keys/"+oldKid+"/frobnicate", admin, nil), http.StatusNotFound, "not_found")
		if err := verify(old); err != nil {
			t.Fatalf("a refused revocation changed something: %v", err)
		}

		next := s.call(t, "POST", "/v1/signing-keys/rotate", admin, nil).str("kid")
		rev := s.call(t, "POST", "/v1/signing-keys/"+oldKid+"/revoke", admin, map[string]any{})
		expect(t, rev, http.StatusOK, "")
		if rev.str("key", "state") != "revoked" || rev.str("active", "kid") != next || rev.str("warning") == "" || rev.get("already_revoked") != false {
			t.Fatalf("revoke: %s", rev.raw)
		}
		// No sync, no clock move: gone from this replica's JWKS at once.
		if kids := s.keySet(t).KIDs(); !slices.Equal(kids, []string{next}) {
			t.Fatalf("JWKS after revocation: %v", kids)
		}
		if err := verify(old); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Fatalf("a token of the revoked key: %v", err)
		}
		fresh := s.call(t, "POST", "/v1/validate", "", body).str("token")
		if kidOf(t, fresh) != next || verify(fresh) != nil {
			t.Fatalf("the next key must sign at once: %s", kidOf(t, fresh))
		}
		again := s.call(t, "POST", "/v1/signing-keys/"+oldKid+"/revoke", admin, nil)
		if again.status != http.StatusOK || again.get("already_revoked") != true {
			t.Fatalf("revoking twice: %s", again.raw)
		}
		list := s.call(t, "GET", "/v1/signing-keys", admin, nil)
		for _, k := range list.get("data").([]any) {
			k := k.(map[string]any)
			if k["kid"] == oldKid && (k["state"] != "revoked" || k["published"] != false || k["revoked_at"] == nil) {
				t.Fatalf("listed: %v", k)
			}
		}
		// Nothing brings it back: not a sync, not time.
		clk.Advance(time.Hour)
		s.sync(t)
		if kids := s.keySet(t).KIDs(); slices.Contains(kids, oldKid) {
			t.Fatalf("a revoked key came back: %v", kids)
		}
	})
}

// TestCLIRevokeSigningKey: the CLI refuses the only active key, revokes it
// after a rotation, and prints the warning on stderr and in the JSON.
func TestCLIRevokeSigningKey(t *testing.T) {
	env := map[string]string{"LICENSED_DATA_DIR": t.TempDir()}
	list := func() []any {
		out, _, err := cli(t, env, "keys", "list")
		var v []any
		if err != nil || json.Unmarshal([]byte(out), &v) != nil {
			t.Fatalf("keys list: %v %s", err, out)
		}
		return v
	}
	kid := list()[0].(map[string]any)["kid"].(string)
	if _, _, err := cli(t, env, "keys", "revoke", "--kid", kid); err == nil || !strings.Contains(err.Error(), "rotate first") {
		t.Fatalf("revoking the only active key: %v", err)
	}
	if _, _, err := cli(t, env, "keys", "revoke"); err == nil || !strings.Contains(err.Error(), "--kid is required") {
		t.Fatalf("no --kid: %v", err)
	}
	next := mustCLI(t, env, "keys", "rotate")["kid"].(string)
	out, errOut, err := cli(t, env, "keys", "revoke", "--kid", kid)
	var got map[string]any
	if err != nil || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("keys revoke: %v %s", err, out)
	}
	if !strings.HasPrefix(errOut, "warning: Tokens signed by "+kid+" stop verifying offline") || got["warning"] == "" ||
		got["active"].(map[string]any)["kid"] != next {
		t.Fatalf("keys revoke: stderr %q, stdout %s", errOut, out)
	}
	for _, k := range list() {
		k := k.(map[string]any)
		if want := map[bool]string{true: "revoked", false: "active"}[k["kid"] == kid]; k["state"] != want {
			t.Fatalf("after revocation: %v", k)
		}
	}
}
