package verifier

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPHPVerifier runs the PHP verifier's PHPUnit suite (sdk/php), which
// runs every case of testdata/vectors.json, testdata/forged.json and
// testdata/instances.json: the two verifiers must give the same answer
// and the same error class. It skips when PHP or PHPUnit is missing,
// unless LICENSED_TEST_REQUIRE_SERVICES=1 (CI), where it fails.
func TestPHPVerifier(t *testing.T) {
	var missing []string
	for _, bin := range []string{"php", "phpunit"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		msg := "the PHP verifier's tests need " + strings.Join(missing, " and ") + " (apt-get install php-cli phpunit; .ci/run does)"
		if os.Getenv("LICENSED_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out, err := exec.Command("phpunit", "-c", "../sdk/php/phpunit.xml.dist").CombinedOutput()
	if err != nil {
		t.Fatalf("phpunit: %v\n%s", err, out)
	}
	// PHPUnit's closing line, e.g. "OK (330 tests, 1999 assertions)".
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "OK (") {
		t.Fatalf("phpunit: %s", out)
	}
	t.Log(last)
}
