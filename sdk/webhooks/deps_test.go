package webhooks

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: a brand's backend compiles this package in; it needs
// the standard library only.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg != "github.com/licensedhq/licensed/sdk/webhooks" {
			t.Errorf("sdk/webhooks depends on %s", pkg)
		}
	}
}
