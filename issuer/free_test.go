package issuer

import (
	"slices"
	"testing"
)

// The free instance table: each instance, as a product would send it,
// against patterns — hosts only (never ports, paths or machine ids), in
// one canonical form (case, trailing dot, IDNA, IP addresses).
func TestFreeInstance(t *testing.T) {
	defaults := DefaultFreeInstances()
	for _, c := range []struct {
		patterns []string
		instance string
		free     bool
	}{
		// The defaults.
		{defaults, "http://localhost", true},
		{defaults, "http://localhost:10003/wp", true},
		{defaults, "https://LOCALHOST./", true},
		{defaults, "http://127.0.0.1:8080", true},
		{defaults, "mysite.local", true},
		{defaults, "https://a.b.mysite.local/x", true},
		{defaults, "https://shop.localhost", true},
		{defaults, "https://shop.test", true},
		{defaults, "https://www.shop.test", true}, // www. dropped by normalization: still shop.test
		{defaults, "https://Staging.Example.com:8443/blog", true},
		{defaults, "https://dev.example.co.uk", true},
		{defaults, "https://example.com", false},
		{defaults, "https://test", false},       // no label before .test
		{defaults, "https://mytest.com", false}, // a suffix of a label is no label
		{defaults, "https://staging", false},    // nothing after staging.
		{defaults, "https://prestaging.example.com", false},
		{defaults, "https://example.com/staging.test", false},     // the path is no host
		{defaults, "https://staging.example.com@evil.com", false}, // userinfo is dropped: the host is evil.com
		{defaults, "https://local", false},
		// Machine ids never match, whatever they spell.
		{defaults, "localhost", false},
		{defaults, "127.0.0.1", false},
		{defaults, "my-laptop", false},
		// IPv6 literals compare as addresses.
		{[]string{"[::1]"}, "http://[::1]:8080", true},
		{[]string{"::1"}, "http://[0:0:0:0:0:0:0:1]/", true},
		{[]string{"127.0.0.1"}, "http://[::ffff:127.0.0.1]", true},
		{[]string{"[::1]"}, "http://[::2]", false},
		// Internationalized hosts: Unicode and punycode are one host.
		{[]string{"*.bücher.example"}, "https://shop.xn--bcher-kva.example", true},
		{[]string{"xn--bcher-kva.example"}, "https://BÜCHER.example/", true},
		{[]string{"staging.*"}, "https://staging.bücher.de", true},
		{[]string{"*.example"}, "https://bücher.example", true},
		{[]string{"bücher.example"}, "https://buecher.example", false},
		// Trailing dots and case in patterns.
		{[]string{"Staging.Example.COM."}, "https://staging.example.com", true},
		{[]string{"*.Local"}, "https://x.local.", true},
		// Off.
		{[]string{}, "http://localhost", false},
	} {
		if got := freeInstance(checkFreeInstancesOK(t, c.patterns), c.instance); got != c.free {
			t.Errorf("%q against %v: free %v, want %v", c.instance, c.patterns, got, c.free)
		}
	}
}

func checkFreeInstancesOK(t *testing.T, patterns []string) []string {
	t.Helper()
	var f fieldErrors
	out := checkFreeInstances(&f, "free_instances", patterns)
	if err := f.err(); err != nil {
		t.Fatalf("%v: %v", patterns, err)
	}
	return out
}

// Patterns are normalized when set, and anything that is not a host with
// at most one wildcard label at one end is refused.
func TestFreeInstancePatterns(t *testing.T) {
	got := checkFreeInstancesOK(t, []string{"LocalHost.", "*.TEST", "staging.*", "::1", "[0:0::1]", "*.test", "Bücher.Example"})
	want := []string{"localhost", "*.test", "staging.*", "[::1]", "bücher.example"}
	if !slices.Equal(got, want) {
		t.Errorf("normalized %v, want %v", got, want)
	}
	for _, bad := range []string{
		"", "*", "*.", ".*", "*.*", "a.*.b", "*a.test", "a*.test", "*.*.test", "staging.*.*", "*.test.*",
		"host:8080", "http://localhost", "localhost/path", "a..b", "a b.test", "*.[::1]", "[::1].*", "*.127.0.0.1x!",
		"exa_mple.test!", "[fe80::1%eth0]", "user@host.test",
	} {
		var f fieldErrors
		checkFreeInstances(&f, "free_instances", []string{bad})
		if f.err() == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	var f fieldErrors
	checkFreeInstances(&f, "free_instances", make([]string, maxFreeInstances+1))
	if f.err() == nil {
		t.Error("too many patterns accepted")
	}
}
