package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, one directory up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod in %s", root)
	}
	return root
}

// files lists the repository's files with one of the extensions, skipping
// version control, vendored and generated trees.
func files(t *testing.T, root string, exts ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "vendor", "data":
				return filepath.SkipDir
			}
			return nil
		}
		for _, e := range exts {
			if strings.HasSuffix(path, e) {
				out = append(out, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// outsideDir is the folder beside the repository that held the project's
// first contract; spelled in two parts so that this file does not itself
// name the path it forbids.
const outsideDir = "sha" + "red"

var (
	// inlineLink is [text](target) or ![alt](target); the target ends at
	// whitespace or the closing parenthesis.
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refLink is a reference definition: [name]: target.
	refLink = regexp.MustCompile(`(?m)^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	heading = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	fence   = regexp.MustCompile("(?ms)^\\s*(```|~~~).*?^\\s*(```|~~~)")
	// outside are references a clone cannot follow.
	outside = regexp.MustCompile(`(?i)\.\./` + outsideDir + `/|\bissues? #?\d+\b|\bissue-\d+\b`)
)

// slug is GitHub's anchor for a heading: lower case, punctuation other
// than '-' and '_' dropped, spaces as '-'.
func slug(h string) string {
	h = regexp.MustCompile("`|\\*\\*|__").ReplaceAllString(h, "")
	h = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors are the heading anchors of a Markdown text, with GitHub's -1,
// -2 ... suffixes for repeated headings.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(text, ""), -1) {
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// linkProblems checks the links of one Markdown file.
func linkProblems(root, file string, read func(string) (string, error)) []string {
	text, err := read(file)
	if err != nil {
		return []string{err.Error()}
	}
	body := fence.ReplaceAllString(text, "")
	var targets []string
	for _, m := range inlineLink.FindAllStringSubmatch(body, -1) {
		targets = append(targets, m[1])
	}
	for _, m := range refLink.FindAllStringSubmatch(body, -1) {
		targets = append(targets, m[1])
	}
	rel, _ := filepath.Rel(root, file)
	var out []string
	for _, target := range targets {
		if regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`).MatchString(target) {
			continue // http:, https:, mailto: ...
		}
		path, frag, _ := strings.Cut(target, "#")
		dest := file
		if path != "" {
			dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			if r, err := filepath.Rel(root, dest); err != nil || strings.HasPrefix(r, "..") {
				out = append(out, rel+": "+target+" leaves the repository")
				continue
			}
			if _, err := os.Stat(dest); err != nil {
				out = append(out, rel+": "+target+" does not exist")
				continue
			}
		}
		if frag != "" && strings.HasSuffix(dest, ".md") {
			destText, err := read(dest)
			if err != nil {
				out = append(out, rel+": "+target+": "+err.Error())
				continue
			}
			if !anchors(destText)[frag] {
				out = append(out, rel+": "+target+": no heading with that anchor")
			}
		}
	}
	return out
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

func TestMarkdownLinksResolve(t *testing.T) {
	root := repoRoot(t)
	mds := files(t, root, ".md")
	if len(mds) < 5 {
		t.Fatalf("only %d Markdown files found under %s", len(mds), root)
	}
	for _, f := range mds {
		for _, p := range linkProblems(root, f, readFile) {
			t.Error(p)
		}
	}

	// The checker must catch each kind of broken link.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "B.md"), []byte("# Token format\n\n## Token format\n"), 0o644)
	for link, bad := range map[string]bool{
		"[b](B.md)": false, "[b](B.md#token-format)": false, "[b](B.md#token-format-1)": false, "[h](#top)": false,
		"[b](C.md)": true, "[b](B.md#nope)": true, "[b](../" + outsideDir + "/API.md)": true, "[x](#nowhere)": true,
		"[b]: B.md#token-format-2": true, "[u](https://example.com/x.md)": false,
	} {
		f := filepath.Join(dir, "A.md")
		os.WriteFile(f, []byte("# Top\n\n"+link+"\n"), 0o644)
		if got := linkProblems(dir, f, readFile); (len(got) > 0) != bad {
			t.Errorf("%s: problems %v", link, got)
		}
	}
}

// TestNoReferencesOutsideTheRepository: Markdown and Go comments name no
// document outside the repository and no issue number.
func TestNoReferencesOutsideTheRepository(t *testing.T) {
	root := repoRoot(t)
	for _, f := range files(t, root, ".md", ".go") {
		if strings.HasSuffix(f, "links_test.go") {
			continue // this file names what it looks for
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := outside.FindString(line); m != "" {
				rel, _ := filepath.Rel(root, f)
				t.Errorf("%s:%d: %q", rel, i+1, m)
			}
		}
	}
	for s, want := range map[string]bool{"see ../" + outsideDir + "/API.md": true, "fixed in issue 15": true, "issue #3": true, "an issuer": false, "issues the token": false} {
		if got := outside.MatchString(s); got != want {
			t.Errorf("%q matched %v", s, got)
		}
	}
}
