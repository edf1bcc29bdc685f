package verifier

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Shared test vectors. The case table is the generator:
//
//	go test ./verifier -run TestVectorsUpToDate -update
//
// rewrites testdata/vectors/*.json from it. Keys come from fixed seeds and
// Ed25519 is deterministic, so the output is byte-for-byte reproducible;
// TestVectorsUpToDate fails when the files and the table disagree.

var update = flag.Bool("update", false, "rewrite testdata/vectors from the case table")

const vectorDir = "testdata/vectors"

// vector is the file format (testdata/vectors/README.md).
type vector struct {
	Description string  `json:"description"`
	Token       string  `json:"token"`
	JWKS        string  `json:"jwks"`
	Options     vopts   `json:"options"`
	Result      string  `json:"result"`
	Claims      *Claims `json:"claims,omitempty"`
}

func renderVectors() map[string][]byte {
	out := map[string][]byte{}
	for _, c := range cases() {
		if c.noVector {
			continue
		}
		v := vector{Description: c.desc, Token: c.token, JWKS: c.jwks, Options: c.opts, Result: "ok", Claims: c.claims}
		if c.want != nil {
			v.Result = errorName(c.want)
		}
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		e.SetIndent("", "  ")
		if err := e.Encode(v); err != nil {
			panic(err)
		}
		out[c.name+".json"] = buf.Bytes()
	}
	return out
}

func TestVectorsUpToDate(t *testing.T) {
	want := renderVectors()
	if *update {
		old, _ := filepath.Glob(filepath.Join(vectorDir, "*.json"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		for name, b := range want {
			if err := os.WriteFile(filepath.Join(vectorDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[name]; !ok {
			t.Errorf("%s: not in the case table (run with -update)", name)
		} else if !bytes.Equal(got, w) {
			t.Errorf("%s: differs from the case table (run with -update)", name)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("%s: missing (run with -update)", name)
	}
}

// TestVectors runs every file of testdata/vectors through ParseJWKS and
// Verify, as a verifier in another language would, without the table.
func TestVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("%d vectors, %v", len(files), err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			v := readVector(t, f)
			var want error
			if v.Result != "ok" {
				if want = errorNames[v.Result]; want == nil {
					t.Fatalf("unknown result %q", v.Result)
				}
			}
			got, err := tcase{token: v.Token, jwks: v.JWKS, opts: v.Options}.run(DefaultCacheSize)
			if !matchesExactly(err, want) {
				t.Fatalf("got %v, want %s", err, v.Result)
			}
			if !reflect.DeepEqual(got, v.Claims) {
				t.Fatalf("claims\n got %+v\nwant %+v", got, v.Claims)
			}
		})
	}
}

func readVector(t testing.TB, file string) vector {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// vectorTokens returns the tokens of all vectors, for fuzz seeds.
func vectorTokens(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	var out []string
	for _, f := range files {
		out = append(out, readVector(t, f).Token)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
