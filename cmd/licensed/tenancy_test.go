package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestCrossTenant calls every brand endpoint with another brand's keys on
// this brand's ids: each answers 404 exactly like an unknown id, and
// nothing changes.
func TestCrossTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, webhookEnv(env))
		rm := newTenant(t, env, "rankmath", 3)
		wr := newTenant(t, env, "wprocket", 3)
		rmHooks, wrHooks := hookKey(t, env, "rankmath"), hookKey(t, env, "wprocket")
		h := newHookReceiver(t)
		rmHook := createHook(t, s, rmHooks, h, "*")
		wrHook := createHook(t, s, wrHooks, newHookReceiver(t), "license.cancelled")
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{
			"customer_email": "jane@example.com", "product": "rankmath-pro", "expires_at": "2099-01-01T00:00:00Z",
		})
		expect(t, r, http.StatusCreated, "")
		id, key := r.str("license", "id"), r.str("license_key")
		a := s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"})
		expect(t, a, http.StatusCreated, "")
		actID := a.str("activation", "id")
		lic := "/v1/licenses/" + id
		unknown := "/v1/licenses/01900000-0000-7000-8000-000000000000"

		eventually(t, "rankmath's deliveries", func() bool { return len(h.delivered()) >= 3 }) // webhook.created, provisioned, activated
		rmDelivery := deliveries(t, s, rmHooks, rmHook)[0]["id"].(string)
		hooksBefore := s.call(t, "GET", "/v1/webhooks", rmHooks, nil)
		logBefore := deliveries(t, s, rmHooks, rmHook)
		unknownID := "01900000-0000-7000-8000-000000000000"
		hookCalls := []struct{ method, path, unknown, body string }{
			{"GET", "/v1/webhooks/" + rmHook + "/deliveries", "/v1/webhooks/" + unknownID + "/deliveries", ""},
			{"DELETE", "/v1/webhooks/" + rmHook, "/v1/webhooks/" + unknownID, ""},
			{"POST", "/v1/webhooks/" + rmHook + "/deliveries/" + rmDelivery + "/redeliver", "/v1/webhooks/" + unknownID + "/deliveries/" + unknownID + "/redeliver", ""},
			// Its own endpoint, another brand's delivery.
			{"POST", "/v1/webhooks/" + wrHook + "/deliveries/" + rmDelivery + "/redeliver", "/v1/webhooks/" + wrHook + "/deliveries/" + unknownID + "/redeliver", ""},
		}
		for _, c := range hookCalls {
			foreign := s.call(t, c.method, c.path, wrHooks, nil)
			expect(t, foreign, http.StatusNotFound, "not_found")
			missing := s.call(t, c.method, c.unknown, wrHooks, nil)
			if missing.status != foreign.status || missing.str("detail") != foreign.str("detail") {
				t.Fatalf("%s %s: another brand's id answers %s, an unknown id %s", c.method, c.path, foreign.raw, missing.raw)
			}
		}
		if list := s.call(t, "GET", "/v1/webhooks", wrHooks, nil); bytes.Contains(list.raw, []byte(rmHook)) {
			t.Fatalf("another brand lists rankmath's endpoint: %s", list.raw)
		}
		// A brand key cannot name another brand, nor a platform key without admin act on one.
		expect(t, s.call(t, "POST", "/v1/webhooks", wrHooks, map[string]any{"brand": "rankmath", "url": h.srv.URL, "events": []string{"*"}}), 422, "validation_failed")
		expect(t, s.call(t, "GET", "/v1/webhooks?brand=rankmath", wrHooks, nil), 422, "validation_failed")
		if after := s.call(t, "GET", "/v1/webhooks", rmHooks, nil); !bytes.Equal(after.raw, hooksBefore.raw) {
			t.Fatalf("rankmath's endpoints changed:\n%s\n%s", hooksBefore.raw, after.raw)
		}
		if logAfter := deliveries(t, s, rmHooks, rmHook); len(logAfter) != len(logBefore) {
			t.Fatalf("rankmath's delivery log changed: %d then %d deliveries", len(logBefore), len(logAfter))
		}

		before := s.call(t, "GET", lic, rm.readKey, nil)
		auditBefore := s.call(t, "GET", "/v1/audit-events", rm.readKey, nil)
		calls := []struct{ method, path, body string }{
			{"GET", lic, ""},
			{"PATCH", lic, `{"seats":1}`},
			{"POST", lic + "/renew", `{"extend_by_days":30}`},
			{"POST", lic + "/suspend", `{"reason":"x"}`},
			{"POST", lic + "/resume", ``},
			{"POST", lic + "/cancel", ``},
			{"GET", lic + "/activations", ""},
			{"DELETE", lic + "/activations/" + actID, ""},
		}
		for _, c := range calls {
			var body any
			if c.body != "" {
				body = c.body
			}
			foreign := s.call(t, c.method, c.path, wr.writeKey, body)
			expect(t, foreign, http.StatusNotFound, "not_found")
			// Exactly like an unknown id: same status, code and detail.
			missing := s.call(t, c.method, unknown+c.path[len(lic):], wr.writeKey, body)
			if missing.status != foreign.status || missing.str("detail") != foreign.str("detail") {
				t.Fatalf("%s %s: another brand's id answers %s, an unknown id %s", c.method, c.path, foreign.raw, missing.raw)
			}
		}
		events := s.call(t, "GET", "/v1/audit-events?license_id="+id, wr.readKey, nil)
		expect(t, events, http.StatusOK, "")
		if len(events.get("data").([]any)) != 0 {
			t.Fatalf("another brand sees the audit trail: %s", events.raw)
		}
		all := s.call(t, "GET", "/v1/audit-events", wr.readKey, nil)
		if len(all.get("data").([]any)) != 0 {
			t.Fatalf("another brand's trail holds events: %s", all.raw)
		}
		search := s.call(t, "POST", "/v1/licenses/search", wr.readKey, map[string]any{"customer_email": "jane@example.com"})
		if len(search.get("data").([]any)) != 0 {
			t.Fatalf("search without licenses:read:all crosses brands: %s", search.raw)
		}

		after := s.call(t, "GET", lic, rm.readKey, nil)
		if !bytes.Equal(before.raw, after.raw) {
			t.Fatalf("license changed:\n%s\n%s", before.raw, after.raw)
		}
		if auditAfter := s.call(t, "GET", "/v1/audit-events", rm.readKey, nil); !bytes.Equal(auditBefore.raw, auditAfter.raw) {
			t.Fatalf("audit trail changed:\n%s\n%s", auditBefore.raw, auditAfter.raw)
		}

		// A platform key has no brand: brand-owned endpoints are 403.
		platform := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "licenses:read,licenses:write,licenses:read:all")["key"].(string)
		expect(t, s.call(t, "GET", lic, platform, nil), http.StatusForbidden, "forbidden")
		expect(t, s.call(t, "GET", "/v1/audit-events", platform, nil), http.StatusForbidden, "forbidden")
		expect(t, s.call(t, "POST", "/v1/licenses", platform, map[string]any{"customer_email": "x@example.com", "product": "rankmath-pro"}), http.StatusForbidden, "forbidden")
		expect(t, s.call(t, "GET", "/v1/webhooks?brand=rankmath", platform, nil), http.StatusForbidden, "forbidden")
		// Brand keys without webhooks:write manage no endpoint.
		expect(t, s.call(t, "GET", "/v1/webhooks", rm.writeKey, nil), http.StatusForbidden, "forbidden")
		expect(t, s.call(t, "DELETE", "/v1/webhooks/"+rmHook, rm.writeKey, nil), http.StatusForbidden, "forbidden")
		// Admin endpoints are not for brand keys.
		expect(t, s.call(t, "POST", "/v1/brands", rm.writeKey, map[string]any{"slug": "evil", "name": "Evil"}), http.StatusForbidden, "forbidden")
		// Admin endpoints are not for brand keys, nor for platform keys
		// without the admin scope: every one of them is 403 and changes
		// nothing. An admin key is operator-wide: it sees every brand.
		admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "root", "--scopes", "admin")["key"].(string)
		rmKeyID := prefixOf(rm.writeKey)
		kid := s.call(t, "GET", "/v1/signing-keys", admin, nil).get("data").([]any)[0].(map[string]any)["kid"].(string)
		// last_used_at moves when a refused call authenticates a key (at
		// most once a minute): not a change the refusal made.
		lastUsed := regexp.MustCompile(`"last_used_at":\s*("[^"]*"|null)`)
		snapshot := func() [][]byte {
			var out [][]byte
			for _, p := range []string{"/v1/brands", "/v1/brands/rankmath/products", "/v1/brands/wprocket/products", "/v1/api-keys", "/v1/signing-keys"} {
				r := s.call(t, "GET", p, admin, nil)
				expect(t, r, http.StatusOK, "")
				out = append(out, lastUsed.ReplaceAll(r.raw, nil))
			}
			return out
		}
		adminBefore := snapshot()
		if brands := s.call(t, "GET", "/v1/brands", admin, nil); len(brands.get("data").([]any)) != 2 {
			t.Fatalf("an admin key lists every brand: %s", brands.raw)
		}
		adminCalls := []struct{ method, path, body string }{
			{"POST", "/v1/brands", `{"slug":"evil","name":"Evil"}`},
			{"GET", "/v1/brands", ""},
			{"GET", "/v1/brands/rankmath", ""},
			{"PATCH", "/v1/brands/rankmath", `{"name":"Evil"}`},
			{"GET", "/v1/brands/rankmath/products", ""},
			{"POST", "/v1/brands/rankmath/products", `{"slug":"evil","name":"Evil"}`},
			{"GET", "/v1/brands/rankmath/products/rankmath-pro", ""},
			{"PATCH", "/v1/brands/rankmath/products/rankmath-pro", `{"default_seats":99}`},
			{"POST", "/v1/api-keys", `{"brand":"rankmath","name":"evil","scopes":["licenses:read"]}`},
			{"GET", "/v1/api-keys", ""},
			{"GET", "/v1/api-keys?brand=rankmath", ""},
			{"GET", "/v1/api-keys/" + rmKeyID, ""},
			{"DELETE", "/v1/api-keys/" + rmKeyID, ""},
			{"GET", "/v1/signing-keys", ""},
			{"POST", "/v1/signing-keys/rotate", ""},
			{"POST", "/v1/signing-keys/" + kid + "/revoke", ""},
		}
		for _, c := range adminCalls {
			var body any
			if c.body != "" {
				body = c.body
			}
			for who, key := range map[string]string{"own brand key": rm.writeKey, "other brand key": wr.writeKey, "platform key without admin": platform} {
				if r := s.call(t, c.method, c.path, key, body); r.status != http.StatusForbidden || r.str("code") != "forbidden" {
					t.Errorf("%s %s with the %s: %d %s, want 403 forbidden", c.method, c.path, who, r.status, r.raw)
				}
			}
		}
		for i, after := range snapshot() {
			if !bytes.Equal(adminBefore[i], after) {
				t.Fatalf("a refused admin call changed something:\n%s\n%s", adminBefore[i], after)
			}
		}
	})
}

// prefixOf is the lk_<prefix> part of an API key: what names it in the
// admin API.
func prefixOf(key string) string {
	return key[:strings.LastIndex(key, "_")]
}
