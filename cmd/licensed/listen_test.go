package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestListenerCut: on PostgreSQL without Redis, each replica's memo serves
// validations while its listening connection hears every replica's
// invalidations. When the server ends those connections
// (pg_terminate_backend), a suspension made at once through replica A is
// what replica B answers next; once the listeners are back, B serves from
// its memo again and still sees every change through A at once.
func TestListenerCut(t *testing.T) {
	env := backends[1].env(t)
	a, b := serve(t, env), serve(t, env)
	listening := func(s *testServer) bool {
		return strings.Contains(s.metricsText(t), "\nlicensed_invalidations_listening 1")
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s:\n%s", what, b.logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("the replicas never listened", func() bool { return listening(a) && listening(b) })

	rm := newTenant(t, env, "rankmath", 3)
	r := a.call(t, "POST", "/v1/licenses", rm.writeKey, map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
	key, id := r.str("license_key"), r.str("license", "id")
	body := map[string]any{"license_key": key, "product": "rankmath/rankmath-pro", "instance": "example.org"}
	expect(t, b.call(t, "POST", "/v1/activate", "", body), http.StatusCreated, "")
	validateAtB := func(want string) {
		t.Helper()
		if v := b.call(t, "POST", "/v1/validate", "", body); v.str("code") != want {
			t.Fatalf("B answers %s, want %s", v.raw, want)
		}
	}
	before := hits(b.metricsText(t))
	for range 3 {
		validateAtB("VALID")
	}
	if hits(b.metricsText(t)) <= before {
		t.Fatal("B's memo served nothing on PostgreSQL alone")
	}

	conn, err := pgx.Connect(t.Context(), env["LICENSED_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var ended int
	if err := conn.QueryRow(t.Context(), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
		b.invalidations.ApplicationName()).Scan(&ended); err != nil || ended != 2 {
		t.Fatalf("ended %d listening connections (%v), want 2", ended, err)
	}
	waitFor("B never noticed its listener ended", func() bool { return strings.Contains(b.logs.String(), "not listening for invalidations") })
	expect(t, a.call(t, "POST", "/v1/licenses/"+id+"/suspend", rm.writeKey, nil), http.StatusOK, "")
	validateAtB("SUSPENDED")

	waitFor("the replicas never listened again", func() bool { return listening(a) && listening(b) })
	for _, step := range []struct{ action, want string }{{"resume", "VALID"}, {"suspend", "SUSPENDED"}, {"resume", "VALID"}} {
		validateAtB(map[string]string{"VALID": "SUSPENDED", "SUSPENDED": "VALID"}[step.want]) // B holds the old answer
		expect(t, a.call(t, "POST", "/v1/licenses/"+id+"/"+step.action, rm.writeKey, nil), http.StatusOK, "")
		validateAtB(step.want)
	}
	before = hits(b.metricsText(t))
	validateAtB("VALID")
	if hits(b.metricsText(t)) <= before {
		t.Fatal("B's memo serves nothing once listening again")
	}
}
