package main

import (
	"net/http"
	"testing"
)

// TestAuditTrail walks a full lifecycle and reads its trail back, event by
// event, newest first, a page at a time.
func TestAuditTrail(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 2)
		wr := newTenant(t, env, "wprocket", 1)
		writeKeyID := apiKeyID(t, s, rm.writeKey)

		rid := func(n string) []string { return []string{"X-Request-Id", "req-" + n} }
		p := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{
			"customer_email": "jane@example.com", "product": "rankmath-pro", "expires_at": "2099-01-01T00:00:00Z", "metadata": map[string]any{"order": "A-1"},
		}, rid("provision")...)
		expect(t, p, http.StatusCreated, "")
		id, key := p.str("license", "id"), p.str("license_key")
		lic := "/v1/licenses/" + id
		prod := func(inst string) map[string]any {
			return map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": inst}
		}
		steps := []struct {
			method, path, apiKey string
			body                 any
			status               int
		}{
			{"POST", "/v1/activate", "", prod("a.example"), 201},
			{"POST", "/v1/deactivate", "", prod("a.example"), 200},
			{"POST", lic + "/renew", rm.writeKey, map[string]any{"expires_at": "2100-01-01T00:00:00Z"}, 200},
			{"POST", lic + "/suspend", rm.writeKey, map[string]any{"reason": "chargeback"}, 200},
			{"POST", lic + "/resume", rm.writeKey, nil, 200},
			{"PATCH", lic, rm.writeKey, map[string]any{"seats": 5}, 200},
			{"POST", "/v1/activate", "", prod("b.example"), 201},
			{"POST", lic + "/cancel", rm.writeKey, nil, 200},
		}
		var activationB string
		for i, st := range steps {
			r := s.call(t, st.method, st.path, st.apiKey, st.body, rid(itoa(i))...)
			expect(t, r, st.status, "")
			if i == 6 {
				activationB = r.str("activation", "id")
			}
		}
		release := s.call(t, "DELETE", lic+"/activations/"+activationB, rm.writeKey, nil, rid("release")...)
		expect(t, release, http.StatusNoContent, "")

		want := []struct {
			action, actorType, requestID string
		}{
			{"license.deactivated", "api_key", "req-release"},
			{"license.cancelled", "api_key", "req-7"},
			{"license.activated", "license_key", "req-6"},
			{"license.updated", "api_key", "req-5"},
			{"license.resumed", "api_key", "req-4"},
			{"license.suspended", "api_key", "req-3"},
			{"license.renewed", "api_key", "req-2"},
			{"license.deactivated", "license_key", "req-1"},
			{"license.activated", "license_key", "req-0"},
			{"license.provisioned", "api_key", "req-provision"},
		}
		var events []map[string]any
		cursor := ""
		for page := 0; ; page++ {
			r := s.call(t, "GET", "/v1/audit-events?limit=4&license_id="+id+cursor, rm.readKey, nil)
			expect(t, r, http.StatusOK, "")
			for _, e := range r.get("data").([]any) {
				events = append(events, e.(map[string]any))
			}
			if r.get("next_cursor") == nil {
				break
			}
			cursor = "&cursor=" + r.str("next_cursor")
		}
		if len(events) != len(want) {
			t.Fatalf("%d events, want %d: %v", len(events), len(want), events)
		}
		licenseKeyActor := ""
		for i, w := range want {
			e := events[i]
			actor := e["actor"].(map[string]any)
			if e["action"] != w.action || actor["type"] != w.actorType || e["request_id"] != w.requestID ||
				e["license_id"] != id || e["ip"] != "127.0.0.1" || e["at"] == "" {
				t.Fatalf("event %d: %v, want %+v", i, e, w)
			}
			switch w.actorType {
			case "api_key":
				if actor["id"] != writeKeyID {
					t.Fatalf("event %d actor %v, want API key %s", i, actor, writeKeyID)
				}
			case "license_key":
				if licenseKeyActor == "" {
					licenseKeyActor = actor["id"].(string)
				}
				if actor["id"] != licenseKeyActor || actor["id"] == key {
					t.Fatalf("event %d: license-key actor %v", i, actor)
				}
			}
		}
		change := func(i int, member string) (any, any) {
			d := events[i]["data"].(map[string]any)
			return d["before"].(map[string]any)[member], d["after"].(map[string]any)[member]
		}
		if b, a := change(1, "status"); b != "active" || a != "cancelled" {
			t.Fatalf("cancel recorded %v → %v", b, a)
		}
		if b, a := change(3, "seats"); b != 2.0 || a != 5.0 {
			t.Fatalf("patch recorded seats %v → %v", b, a)
		}
		if b, a := change(6, "expires_at"); b != "2099-01-01T00:00:00Z" || a != "2100-01-01T00:00:00Z" {
			t.Fatalf("renew recorded %v → %v", b, a)
		}
		if events[5]["data"].(map[string]any)["reason"] != "chargeback" {
			t.Fatalf("suspend reason: %v", events[5]["data"])
		}
		if events[9]["data"].(map[string]any)["after"].(map[string]any)["status"] != "active" {
			t.Fatalf("provision data: %v", events[9]["data"])
		}
		// Nothing secret or personal in any event.
		all := s.call(t, "GET", "/v1/audit-events?limit=500", rm.readKey, nil)
		for _, secret := range []string{key, rm.writeKey, "jane@example.com"} {
			if contains(all.raw, secret) {
				t.Fatalf("audit trail holds %q", secret)
			}
		}
		if other := s.call(t, "GET", "/v1/audit-events?license_id="+id, wr.readKey, nil); len(other.get("data").([]any)) != 0 {
			t.Fatalf("another brand reads the trail: %s", other.raw)
		}
	})
}

// apiKeyID finds a key's id the way an operator would: the key's prefix.
func apiKeyID(t *testing.T, s *testServer, key string) string {
	t.Helper()
	p, err := s.service.Authenticate(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return p.KeyID
}

func contains(b []byte, s string) bool { return len(s) > 0 && bytesContains(b, []byte(s)) }
