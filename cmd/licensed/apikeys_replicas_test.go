package main

import (
	"net/http"
	"testing"
	"time"
)

// TestReplicasShareKeyRevocation: two `licensed serve` processes on one
// PostgreSQL (and one Redis), each with the API key's authentication cached
// in process. A key revoked through replica A's admin API is refused by
// both replicas at once; a key revoked by the admin CLI (a process that
// tells no cache) is refused by both within a second of the CLI returning.
func TestReplicasShareKeyRevocation(t *testing.T) {
	eachReplicaShape(t, replicasShareKeyRevocation)
}

func replicasShareKeyRevocation(t *testing.T, env map[string]string) {
	a, b := spawn(t, env), spawn(t, env)
	newTenant(t, env, "rankmath", 3)
	admin := adminKey(t, env)
	create := func(name string) (key, id string) {
		t.Helper()
		k := a.call(t, "POST", "/v1/api-keys", admin, map[string]any{"brand": "rankmath", "name": name, "scopes": []string{"licenses:read", "licenses:write"}})
		expect(t, k, http.StatusCreated, "")
		return k.str("key"), k.str("id")
	}
	warm := func(key string) {
		t.Helper()
		for range 3 { // each replica now has the key cached, in process
			for _, rep := range []*testServer{a, b} {
				expect(t, rep.call(t, "GET", "/v1/licenses", key, nil), http.StatusOK, "")
			}
		}
	}

	key, id := create("api")
	warm(key)
	expect(t, a.call(t, "DELETE", "/v1/api-keys/"+id, admin, nil), http.StatusNoContent, "")
	for _, rep := range []*testServer{b, a} {
		expect(t, rep.call(t, "GET", "/v1/licenses", key, nil), http.StatusUnauthorized, "unauthorized")
	}

	key, id = create("cli")
	warm(key)
	mustCLI(t, env, "api-keys", "revoke", "--id", id)
	revoked := time.Now()
	for _, rep := range []*testServer{a, b} {
		for {
			sent := time.Now()
			r := rep.call(t, "GET", "/v1/licenses", key, nil)
			if r.status == http.StatusUnauthorized {
				break
			}
			expect(t, r, http.StatusOK, "")
			if sent.Sub(revoked) > time.Second {
				t.Fatalf("a request sent %v after the CLI revoked the key was let through", sent.Sub(revoked))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
