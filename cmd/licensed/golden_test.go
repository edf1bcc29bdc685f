package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Rewrite the golden files from what the commands print now:
//
//	go test ./cmd/licensed -run '^TestGolden' -update
var updateGolden = flag.Bool("update", false, "rewrite cmd/licensed/testdata/*.golden from the current output")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGoldenHelp: every subcommand answers --help, -h and `licensed help
// <cmd>` alike, with a usage line and an example, and each group answers
// --help with its actions. The texts are kept in testdata/help.
func TestGoldenHelp(t *testing.T) {
	env := map[string]string{"LICENSED_DATA_DIR": t.TempDir()}
	groups := map[string]bool{}
	for _, d := range cmdDocs() {
		args := strings.Fields(d.name)
		groups[args[0]] = isGroup(args[0])
		out, _, err := cli(t, env, append(args, "--help")...)
		if err != nil {
			t.Fatalf("licensed %s --help: %v", d.name, err)
		}
		if !strings.HasPrefix(out, "Usage: licensed "+d.name) || !strings.Contains(out, "\nExample:\n  licensed ") &&
			!strings.Contains(out, "\nExample:\n  LICENSED_") {
			t.Errorf("licensed %s --help lacks a usage line or an example:\n%s", d.name, out)
		}
		for _, alt := range [][]string{append(args, "-h"), append([]string{"help"}, args...)} {
			if o, _, err := cli(t, env, alt...); err != nil || o != out {
				t.Errorf("licensed %s answers otherwise than --help: %v\n%s", strings.Join(alt, " "), err, o)
			}
		}
		golden(t, filepath.Join("help", strings.ReplaceAll(d.name, " ", "_")), out)
	}
	for g, isG := range groups {
		if !isG {
			continue
		}
		out, _, err := cli(t, env, g, "--help")
		if err != nil || !strings.HasPrefix(out, "Usage: licensed "+g+" <action>") {
			t.Fatalf("licensed %s --help: %v\n%s", g, err, out)
		}
		for _, alt := range [][]string{{g, "-h"}, {"help", g}} {
			if o, _, err := cli(t, env, alt...); err != nil || o != out {
				t.Errorf("licensed %s answers otherwise than --help: %v\n%s", strings.Join(alt, " "), err, o)
			}
		}
		golden(t, filepath.Join("help", g), out)
	}
	top, _, err := cli(t, env, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, alt := range []string{"--help", "-h"} {
		if o, _, err := cli(t, env, alt); err != nil || o != top {
			t.Errorf("licensed %s answers otherwise than licensed help: %v", alt, err)
		}
	}
	golden(t, filepath.Join("help", "licensed"), top)
	if _, _, err := cli(t, env, "help", "frobnicate"); err == nil {
		t.Error("help on an unknown subcommand must fail")
	}
	if _, _, err := cli(t, env, "brands", "frobnicate"); err == nil || !strings.Contains(err.Error(), "brands --help") {
		t.Errorf("an unknown action must point to the group's help: %v", err)
	}
}

// Values that differ between runs but not in width, so that the table
// layout stays comparable once they are masked.
var (
	maskUUID   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	maskTime   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	maskPrefix = regexp.MustCompile(`lk_[a-z2-7]{16}`)
	maskKid    = regexp.MustCompile(`[A-Za-z0-9_-]{43}`)
)

// mask replaces each such value with a placeholder of its width.
func mask(s string) string {
	ph := func(name string, width int) string { return "<" + name + strings.Repeat("-", width-len(name)-2) + ">" }
	s = maskUUID.ReplaceAllString(s, ph("uuid", 36))
	s = maskTime.ReplaceAllString(s, ph("time", 20))
	s = maskPrefix.ReplaceAllString(s, "lk_"+ph("prefix", 16))
	return maskKid.ReplaceAllString(s, ph("kid", 43))
}

// TestGoldenTables: --output table of every list and get command, on the
// embedded store (the layout does not depend on the store).
func TestGoldenTables(t *testing.T) {
	env := map[string]string{"LICENSED_DATA_DIR": t.TempDir()}
	newTenant(t, env, "rankmath", 3)
	newTenant(t, env, "wprocket", 1)
	mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin,licenses:read:all")
	mustCLI(t, env, "brands", "update", "--slug", "wprocket", "--name", "WP Rocket")
	mustCLI(t, env, "products", "update", "--brand", "rankmath", "--slug", "rankmath-pro", "--grace-days", "14", "--free-instances", "*.test,staging.*")
	var all strings.Builder
	for _, args := range [][]string{
		{"brands", "list"},
		{"brands", "get", "--slug", "wprocket"},
		{"products", "list", "--brand", "rankmath"},
		{"products", "get", "--brand", "rankmath", "--slug", "rankmath-pro"},
		{"api-keys", "list"},
		{"api-keys", "list", "--brand", "wprocket"},
		{"keys", "list"},
	} {
		out, errOut, err := cli(t, env, append(args, "--output", "table")...)
		if err != nil {
			t.Fatalf("licensed %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		all.WriteString("$ licensed " + strings.Join(args, " ") + " --output table\n" + mask(out) + "\n")
	}
	golden(t, "tables", all.String())
	if _, _, err := cli(t, env, "brands", "list", "--output", "yaml"); err == nil || !strings.Contains(err.Error(), "json or table") {
		t.Errorf("--output yaml: %v", err)
	}
}
