package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// TestKeyRotation end to end: a rotated-in key is published before it
// signs, signs after the publish delay, and a token of the old key keeps
// verifying offline until that key retires from the JWKS.
func TestKeyRotation(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		clk := &clock{}
		s := serveWithClock(t, env, clk.Now)
		rm := newTenant(t, env, "rankmath", 2) // tokens live 24h
		admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
		key := r.str("license_key")
		body := map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"}
		old := s.call(t, "POST", "/v1/activate", "", body).str("token")
		oldKid := kidOf(t, old)

		rot := s.call(t, "POST", "/v1/signing-keys/rotate", admin, nil)
		expect(t, rot, http.StatusCreated, "")
		newKid := rot.str("kid")
		if rot.str("state") != "next" || newKid == oldKid {
			t.Fatalf("rotate: %s", rot.raw)
		}
		expect(t, s.call(t, "POST", "/v1/signing-keys/rotate", rm.writeKey, nil), http.StatusForbidden, "forbidden")
		s.sync(t)
		if kids := s.keySet(t).KIDs(); len(kids) != 2 {
			t.Fatalf("the next key is not published ahead of use: %v", kids)
		}
		if kid := kidOf(t, s.call(t, "POST", "/v1/validate", "", body).str("token")); kid != oldKid {
			t.Fatal("the next key signs before the publish delay")
		}

		clk.Advance(11 * time.Minute)
		s.sync(t)
		if kid := kidOf(t, s.call(t, "POST", "/v1/validate", "", body).str("token")); kid != newKid {
			t.Fatal("new tokens do not carry the new kid after the publish delay")
		}
		verify := func() error {
			v := verifier.New(s.keySet(t), verifier.WithIssuer(testIssuer), verifier.WithProduct("rankmath/rankmath-pro"), verifier.WithLicenseTokens(), verifier.WithClock(clk.Now))
			_, err := v.Verify(old)
			return err
		}
		if err := verify(); err != nil {
			t.Fatalf("a token of the retired key stops verifying while it lives: %v", err)
		}
		clk.Advance(23 * time.Hour)
		s.sync(t)
		if err := verify(); err != nil {
			t.Fatalf("an hour before its expiry: %v", err)
		}
		clk.Advance(2 * time.Hour)
		s.sync(t)
		if kids := s.keySet(t).KIDs(); len(kids) != 1 || kids[0] != newKid {
			t.Fatalf("the old key is still published after its last token expired: %v", kids)
		}
		if err := verify(); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Fatalf("old token after retirement: %v", err)
		}
		list := s.call(t, "GET", "/v1/signing-keys", admin, nil)
		if len(list.get("data").([]any)) != 2 {
			t.Fatalf("signing keys: %s", list.raw)
		}
	})
}

func (s *testServer) sync(t *testing.T) {
	t.Helper()
	if err := s.keys.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var header struct{ Kid string }
	if err != nil || json.Unmarshal(h, &header) != nil || header.Kid == "" {
		t.Fatalf("token header: %q", h)
	}
	return header.Kid
}
