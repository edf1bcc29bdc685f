package verifier

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencies: products compile this package in, so it must not drag
// in the server's database, cache or router code, nor any other package of
// this module. Today it needs only the standard library; go-jose and
// golang-jwt are the only other modules the contract would allow.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const self = "github.com/licensedhq/licensed/verifier"
	forbidden := []string{
		"github.com/jackc/pgx", "github.com/redis/go-redis", "github.com/julienschmidt/httprouter",
		"modernc.org/sqlite", "github.com/licensedhq/licensed/",
	}
	allowed := []string{"github.com/go-jose/go-jose/v4", "github.com/golang-jwt/jwt/v5"}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, self) {
		t.Fatalf("go list output lacks the package itself: %q", out)
	}
	for _, pkg := range pkgs {
		if pkg == self {
			continue
		}
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("verifier depends on %s", pkg)
			}
		}
		if !hasAnyPrefix(pkg, allowed) {
			t.Errorf("verifier depends on %s, outside the standard library, go-jose and golang-jwt", pkg)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if s == p || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}
