package sdk

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencies: products compile this package in, so it must not drag
// in the server's database, cache or router code, nor any package of this
// module but verifier. Today it needs only the standard library and
// verifier; go-jose and golang-jwt are the only other modules allowed.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, "github.com/licensedhq/licensed/sdk") || !slices.Contains(pkgs, "github.com/licensedhq/licensed/verifier") {
		t.Fatalf("go list output lacks sdk or verifier: %q", out)
	}
	for _, pkg := range pkgs {
		if bad := forbiddenDependency(pkg); bad != "" {
			t.Errorf("sdk depends on %s: %s", pkg, bad)
		}
	}
}

// forbiddenDependency says why pkg may not be a dependency, or "".
func forbiddenDependency(pkg string) string {
	for _, p := range []string{"github.com/jackc/pgx", "github.com/redis/go-redis", "github.com/julienschmidt/httprouter", "modernc.org/sqlite"} {
		if under(pkg, p) {
			return "a server dependency"
		}
	}
	switch {
	case pkg == "github.com/licensedhq/licensed/sdk", pkg == "github.com/licensedhq/licensed/verifier":
		return ""
	case under(pkg, "github.com/licensedhq/licensed"):
		return "a package of the server"
	case under(pkg, "github.com/go-jose/go-jose/v4"), under(pkg, "github.com/golang-jwt/jwt/v5"):
		return ""
	}
	return "outside the standard library, verifier, go-jose and golang-jwt"
}

func under(pkg, prefix string) bool {
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

// The rule itself: what it must refuse and allow.
func TestForbiddenDependency(t *testing.T) {
	for pkg, refused := range map[string]bool{
		"github.com/jackc/pgx/v5":                        true,
		"github.com/jackc/pgx/v5/pgconn":                 true,
		"github.com/redis/go-redis/v9":                   true,
		"github.com/julienschmidt/httprouter":            true,
		"modernc.org/sqlite":                             true,
		"github.com/licensedhq/licensed/store":           true,
		"github.com/licensedhq/licensed/issuer/httpapi":  true,
		"github.com/licensedhq/licensed":                 true,
		"github.com/prometheus/client_golang/prometheus": true,
		"github.com/licensedhq/licensed/verifier":        false,
		"github.com/licensedhq/licensed/sdk":             false,
		"github.com/golang-jwt/jwt/v5":                   false,
	} {
		if got := forbiddenDependency(pkg) != ""; got != refused {
			t.Errorf("%s: refused %v, want %v", pkg, got, refused)
		}
	}
}
