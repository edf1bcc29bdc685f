package verifier

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"unicode"
	"unicode/utf8"
)

type instanceCase struct {
	Input   string `json:"input"`
	Output  string `json:"output,omitempty"`
	Invalid bool   `json:"invalid,omitempty"`
	Note    string `json:"note"`
}

func instanceCases(t testing.TB) []instanceCase {
	b, err := os.ReadFile("testdata/instances.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Description string         `json:"description"`
		Cases       []instanceCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

// TestNormalizeInstanceTable runs the shared table, and checks that every
// output normalizes to itself.
func TestNormalizeInstanceTable(t *testing.T) {
	cs := instanceCases(t)
	if len(cs) < 100 {
		t.Fatalf("only %d cases", len(cs))
	}
	for _, c := range cs {
		got, err := NormalizeInstance(c.Input)
		switch {
		case c.Invalid && !errors.Is(err, ErrInvalidInstance):
			t.Errorf("%q (%s): got %q, %v; want ErrInvalidInstance", c.Input, c.Note, got, err)
		case !c.Invalid && (err != nil || got != c.Output):
			t.Errorf("%q (%s): got %q, %v; want %q", c.Input, c.Note, got, err, c.Output)
		case !c.Invalid:
			if again, err := NormalizeInstance(got); again != got || err != nil {
				t.Errorf("%q: not idempotent: %q -> %q, %v", c.Input, got, again, err)
			}
		}
	}
}

// TestNormalizeInstanceNotUTF8 holds what JSON cannot: invalid UTF-8.
func TestNormalizeInstanceNotUTF8(t *testing.T) {
	for _, s := range []string{"\xff", "machine-\xc3", "https://example.org/\xff", "example.org/\xed\xa0\x80"} {
		if got, err := NormalizeInstance(s); !errors.Is(err, ErrInvalidInstance) {
			t.Errorf("%q: got %q, %v", s, got, err)
		}
	}
}

// TestLowerIdempotent: hosts are lower-cased rune by rune, and normalizing
// is idempotent only if lower-casing is; check every rune instead of
// hoping the fuzzer meets the odd ones.
func TestLowerIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		l := unicode.ToLower(r)
		if unicode.ToLower(l) != l || (hostRune(r) && !hostRune(l) && r >= utf8.RuneSelf) {
			t.Errorf("%U: lower %U, lower again %U", r, l, unicode.ToLower(l))
		}
	}
}
