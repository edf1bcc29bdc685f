package verifier

import "testing"

func TestInstanceHost(t *testing.T) {
	for _, c := range []struct {
		in, host string
		site     bool
	}{
		{"https://WWW.Example.org:8443/blog/", "example.org", true},
		{"example.org", "example.org", true},
		{"Staging.Example.org.:8080/x", "staging.example.org", true},
		{"http://localhost", "localhost", true},
		{"http://localhost:10003", "localhost", true},
		{"http://127.0.0.1:8080/wp", "127.0.0.1", true},
		{"https://[::1]:8443/", "[::1]", true},
		{"https://[FE80::1]", "[fe80::1]", true},
		{"https://user:pw@shop.test/", "shop.test", true},
		{"https://BÜCHER.example/", "bücher.example", true},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", true},
		// Machine ids, whatever they look like: never a host.
		{"localhost", "", false},
		{"127.0.0.1", "", false},
		{"my-laptop", "", false},
		{"4C4C4544-0038-4B10-8050-B7C04F564433", "", false},
		{"host.local:abc", "", false},
		{"a b.local", "", false},
		// Invalid instances.
		{"", "", false},
		{"https://", "", false},
		{"https://[::1", "", false},
	} {
		host, ok := InstanceHost(c.in)
		if host != c.host || ok != c.site {
			t.Errorf("InstanceHost(%q) = %q, %v; want %q, %v", c.in, host, ok, c.host, c.site)
		}
	}
}
