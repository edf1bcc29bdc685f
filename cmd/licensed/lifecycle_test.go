package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/licensedhq/licensed/verifier"
)

// TestStateMachine runs every action on a license in every status, through
// HTTP, and checks the outcome of each cell.
func TestStateMachine(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		env["LICENSED_ISSUER"] = testIssuer
		clk := &clock{}
		s := serveWithClock(t, env, clk.Now)
		rm := newTenant(t, env, "rankmath", 5)

		type cell struct {
			status string
			want   int
			code   string // problem code, or validation code for validate
			after  string // status after a successful change
		}
		table := map[string][]cell{
			"suspend":    {{"active", 200, "", "suspended"}, {"suspended", 409, "invalid_transition", ""}, {"cancelled", 409, "invalid_transition", ""}, {"expired", 200, "", "suspended"}},
			"resume":     {{"active", 409, "invalid_transition", ""}, {"suspended", 200, "", "active"}, {"cancelled", 409, "invalid_transition", ""}, {"expired", 409, "invalid_transition", ""}},
			"cancel":     {{"active", 200, "", "cancelled"}, {"suspended", 200, "", "cancelled"}, {"cancelled", 409, "invalid_transition", ""}, {"expired", 200, "", "cancelled"}},
			"renew":      {{"active", 200, "", "active"}, {"suspended", 200, "", "suspended"}, {"cancelled", 409, "invalid_transition", ""}, {"expired", 200, "", "active"}},
			"patch":      {{"active", 200, "", "active"}, {"suspended", 200, "", "suspended"}, {"cancelled", 409, "invalid_transition", ""}, {"expired", 200, "", "expired"}},
			"activate":   {{"active", 201, "", ""}, {"suspended", 403, "license_suspended", ""}, {"cancelled", 403, "license_cancelled", ""}, {"expired", 403, "license_expired", ""}},
			"validate":   {{"active", 200, "VALID", ""}, {"suspended", 200, "SUSPENDED", ""}, {"cancelled", 200, "CANCELLED", ""}, {"expired", 200, "EXPIRED", ""}},
			"deactivate": {{"active", 200, "", ""}, {"suspended", 200, "", ""}, {"cancelled", 200, "", ""}, {"expired", 200, "", ""}},
		}

		// Every cell gets its own license, brought to its status; "expired"
		// ones expire an hour from now and the clock then moves two hours.
		type subject struct{ id, key string }
		subjects := map[string]subject{}
		soon := clk.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		later := clk.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
		for action, cells := range table {
			for _, c := range cells {
				exp := later
				if c.status == "expired" {
					exp = soon
				}
				r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{
					"customer_email": action + "-" + c.status + "@example.com", "product": "rankmath-pro", "expires_at": exp,
				})
				expect(t, r, http.StatusCreated, "")
				sub := subject{r.str("license", "id"), r.str("license_key")}
				expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": sub.key, "product": "rankmath/rankmath-pro", "instance": "held.example"}), 201, "")
				if c.status == "suspended" || c.status == "cancelled" {
					verb := map[string]string{"suspended": "suspend", "cancelled": "cancel"}[c.status]
					expect(t, s.call(t, "POST", "/v1/licenses/"+sub.id+"/"+verb, rm.writeKey, nil), 200, "")
				}
				subjects[action+"/"+c.status] = sub
			}
		}
		clk.Advance(2 * time.Hour)

		for action, cells := range table {
			for _, c := range cells {
				t.Run(action+"/"+c.status, func(t *testing.T) {
					sub := subjects[action+"/"+c.status]
					lic := "/v1/licenses/" + sub.id
					if got := s.call(t, "GET", lic, rm.readKey, nil).str("status"); got != c.status {
						t.Fatalf("precondition: status %q", got)
					}
					var r response
					switch action {
					case "suspend", "resume", "cancel":
						r = s.call(t, "POST", lic+"/"+action, rm.writeKey, nil)
					case "renew":
						r = s.call(t, "POST", lic+"/renew", rm.writeKey, map[string]any{"extend_by_days": 30})
					case "patch":
						r = s.call(t, "PATCH", lic, rm.writeKey, map[string]any{"seats": 3, "entitlements": []string{"pro"}})
					case "activate":
						r = s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": sub.key, "product": "rankmath/rankmath-pro", "instance": "new.example"})
					case "validate":
						r = s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": sub.key, "product": "rankmath/rankmath-pro", "instance": "held.example"})
					case "deactivate":
						r = s.call(t, "POST", "/v1/deactivate", "", map[string]any{"license_key": sub.key, "product": "rankmath/rankmath-pro", "instance": "held.example"})
					}
					if action == "validate" {
						checkValidation(t, s, r, c.code, clk)
						return
					}
					if c.want >= 400 {
						expect(t, r, c.want, c.code)
						return
					}
					expect(t, r, c.want, "")
					if c.after != "" && r.str("status") != c.after {
						t.Fatalf("status after %s: %q, want %q", action, r.str("status"), c.after)
					}
				})
			}
		}
	})
}

// checkValidation: valid only for VALID; a token whenever the license's
// expiry has not passed, carrying the effective status.
func checkValidation(t *testing.T, s *testServer, r response, code string, clk *clock) {
	t.Helper()
	expect(t, r, 200, "")
	if r.str("code") != code || r.get("valid") != (code == "VALID") {
		t.Fatalf("validation %s, want %s", r.raw, code)
	}
	token := r.str("token")
	if code == "EXPIRED" {
		if token != "" {
			t.Fatal("a token for an expired license")
		}
		return
	}
	v := verifier.New(s.keySet(t), verifier.WithIssuer(testIssuer), verifier.WithProduct("rankmath/rankmath-pro"), verifier.WithLicenseTokens(), verifier.WithClock(clk.Now))
	c, err := v.Verify(token)
	want := map[string]error{"VALID": nil, "SUSPENDED": verifier.ErrLicenseSuspended, "CANCELLED": verifier.ErrLicenseCancelled}[code]
	status := map[string]string{"VALID": "active", "SUSPENDED": "suspended", "CANCELLED": "cancelled"}[code]
	if !errorsIs(err, want) || c == nil || c.Status != status {
		t.Fatalf("token of a %s license: %v %+v", code, err, c)
	}
}

// TestSeatsFreedAtOnce: on a full license, deactivation (product side) and
// release (brand side) each let a new instance in at once.
func TestSeatsFreedAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 2)
		r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
		key, id := r.str("license_key"), r.str("license", "id")
		activate := func(inst string) response {
			return s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": inst})
		}
		expect(t, activate("a.example"), 201, "")
		b := activate("b.example")
		expect(t, b, 201, "")
		expect(t, activate("c.example"), 409, "seat_limit_reached")

		d := s.call(t, "POST", "/v1/deactivate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "https://a.example/"})
		expect(t, d, 200, "")
		if d.get("deactivated") != true || d.num("seats_used") != 1 {
			t.Fatalf("deactivate: %s", d.raw)
		}
		expect(t, s.call(t, "POST", "/v1/deactivate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "a.example"}), 404, "activation_not_found")
		expect(t, activate("c.example"), 201, "")
		expect(t, activate("d.example"), 409, "seat_limit_reached")

		list := s.call(t, "GET", "/v1/licenses/"+id+"/activations", rm.readKey, nil)
		expect(t, list, 200, "")
		if n := len(list.get("data").([]any)); n != 2 {
			t.Fatalf("%d activations listed, want 2: %s", n, list.raw)
		}
		rel := s.call(t, "DELETE", "/v1/licenses/"+id+"/activations/"+b.str("activation", "id"), rm.writeKey, nil)
		expect(t, rel, 204, "")
		expect(t, s.call(t, "DELETE", "/v1/licenses/"+id+"/activations/"+b.str("activation", "id"), rm.writeKey, nil), 404, "not_found")
		expect(t, activate("d.example"), 201, "")
		// Lowering seats below the seats in use is refused; to them is fine.
		low := s.call(t, "PATCH", "/v1/licenses/"+id, rm.writeKey, map[string]any{"seats": 1})
		expect(t, low, 409, "seats_below_usage")
		expect(t, s.call(t, "PATCH", "/v1/licenses/"+id, rm.writeKey, map[string]any{"seats": 2}), 200, "")
	})
}

// TestSuspendRacesActivate: activations racing a suspension either commit
// before it (and count in the seats it saw) or are refused; no token
// claiming an active license is issued after the suspension committed.
func TestSuspendRacesActivate(t *testing.T) {
	eachBackend(t, func(t *testing.T, env map[string]string) {
		s := serve(t, env)
		rm := newTenant(t, env, "rankmath", 100)
		for round := range 8 {
			r := s.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": fmt.Sprintf("r%d@example.com", round), "product": "rankmath-pro"})
			key, id := r.str("license_key"), r.str("license", "id")
			var wg sync.WaitGroup
			results := make([]response, 12)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": fmt.Sprintf("i%d.example", i)})
				}()
				if i == len(results)/2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						expect(t, s.call(t, "POST", "/v1/licenses/"+id+"/suspend", rm.writeKey, nil), 200, "")
					}()
				}
			}
			wg.Wait()
			ok := 0
			for _, r := range results {
				switch {
				case r.status == 201:
					ok++
				case r.status == 403 && r.str("code") == "license_suspended":
				default:
					t.Fatalf("round %d: %d %s", round, r.status, r.raw)
				}
			}
			trail := s.call(t, "GET", "/v1/audit-events?license_id="+id+"&limit=50", rm.readKey, nil)
			var seen int
			for _, e := range trail.get("data").([]any) {
				ev := e.(map[string]any)
				if ev["action"] == "license.suspended" {
					seen = int(ev["data"].(map[string]any)["before"].(map[string]any)["seats_used"].(float64))
				}
			}
			if ok != seen {
				t.Fatalf("round %d: %d activations succeeded but the suspension committed after %d", round, ok, seen)
			}
			after := s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "late.example"})
			expect(t, after, 403, "license_suspended")
			v := s.call(t, "POST", "/v1/validate", "", map[string]any{"license_key": key, "product": "rankmath/rankmath-pro"})
			if v.str("code") != "SUSPENDED" || v.get("valid") != false {
				t.Fatalf("validation after suspension: %s", v.raw)
			}
		}
	})
}
