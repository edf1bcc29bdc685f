package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Helpers of the product policy tests.

// policyTenant is a brand whose product has the settings of flags (flags
// of `licensed products create`), with API keys and a platform admin key.
func policyTenant(t *testing.T, env map[string]string, brand string, seats int, flags ...string) tenant {
	t.Helper()
	mustCLI(t, env, "brands", "create", "--slug", brand, "--name", brand)
	args := append([]string{"products", "create", "--brand", brand, "--slug", brand + "-pro", "--name", "Pro",
		"--seats", itoa(seats), "--token-ttl", "24h"}, flags...)
	mustCLI(t, env, args...)
	w := mustCLI(t, env, "api-keys", "create", "--brand", brand, "--name", "backend", "--scopes", "licenses:read,licenses:write")
	r := mustCLI(t, env, "api-keys", "create", "--brand", brand, "--name", "reader", "--scopes", "licenses:read")
	return tenant{brand: brand, product: brand + "-pro", writeKey: w["key"].(string), readKey: r["key"].(string)}
}

func adminKey(t *testing.T, env map[string]string) string {
	t.Helper()
	return mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)
}

// provisionFor provisions a license of tn's product and returns its key
// and id; body members replace the defaults.
func provisionFor(t *testing.T, s *testServer, tn tenant, email string, body map[string]any) (key, id string) {
	t.Helper()
	b := map[string]any{"customer_email": email, "product": tn.product}
	for k, v := range body {
		b[k] = v
	}
	r := s.call(t, "POST", "/v1/licenses", tn.writeKey, b)
	expect(t, r, http.StatusCreated, "")
	return r.str("license_key"), r.str("license", "id")
}

// ref is the product API's "brand/product" of tn.
func (tn tenant) ref() string { return tn.brand + "/" + tn.product }

func activateAs(t *testing.T, s *testServer, tn tenant, key, instance string) response {
	t.Helper()
	return s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": key, "product": tn.ref(), "instance": instance})
}

func validateAs(t *testing.T, s *testServer, tn tenant, key, instance string) response {
	t.Helper()
	body := map[string]any{"license_key": key, "product": tn.ref()}
	if instance != "" {
		body["instance"] = instance
	}
	r := s.call(t, "POST", "/v1/validate", "", body)
	expect(t, r, http.StatusOK, "")
	return r
}

// licenseEvents is a license's audit trail, newest first, as its brand
// reads it.
func licenseEvents(t *testing.T, s *testServer, tn tenant, licenseID string) []map[string]any {
	t.Helper()
	var out []map[string]any
	q := url.Values{"license_id": {licenseID}, "limit": {"500"}}
	r := s.call(t, "GET", "/v1/audit-events?"+q.Encode(), tn.readKey, nil)
	expect(t, r, http.StatusOK, "")
	for _, e := range r.get("data").([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// countActions counts events of action.
func countActions(events []map[string]any, action string) int {
	n := 0
	for _, e := range events {
		if e["action"] == action {
			n++
		}
	}
	return n
}

// adminEvents reads the audit events of an admin action straight from the
// store: they belong to no brand, so no brand's trail shows them.
func adminEvents(t *testing.T, env map[string]string, action string) []map[string]any {
	t.Helper()
	ctx := context.Background()
	const q = `SELECT actor_type, actor_id, data FROM audit_events WHERE action = $1 ORDER BY id`
	var out []map[string]any
	add := func(actorType, actorID string, data []byte) {
		var d map[string]any
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("event data %q: %v", data, err)
		}
		out = append(out, map[string]any{"actor_type": actorType, "actor_id": actorID, "data": d})
	}
	if u := env["LICENSED_DATABASE_URL"]; u != "" {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, q, action)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var typ, id string
			var data []byte
			if err := rows.Scan(&typ, &id, &data); err != nil {
				t.Fatal(err)
			}
			add(typ, id, data)
		}
		return out
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(env["LICENSED_DATA_DIR"], "licensed.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, id, data string
		if err := rows.Scan(&typ, &id, &data); err != nil {
			t.Fatal(err)
		}
		add(typ, id, []byte(data))
	}
	return out
}

// frozenClock is a licensing clock that moves only when told: the edges
// of grace and activation TTL are tested to the second.
type frozenClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFrozenClock() *frozenClock { return &frozenClock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *frozenClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *frozenClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *frozenClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }
