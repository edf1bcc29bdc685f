package verifier

import (
	"fmt"
	"strings"
	"testing"
)

// TestManyMembers: duplicate detection works past the small-set size, in
// both directions of the switch to a map.
func TestManyMembers(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 1000 {
		fmt.Fprintf(&b, `"m%d":%d,`, i, i)
	}
	ok := b.String() + `"last":0}`
	if err := (&scanner{b: []byte(ok)}).value(); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []string{"m3", "m15", "m16", "m17", "m999"} {
		doc := b.String() + `"` + dup + `":0}`
		if err := (&scanner{b: []byte(doc)}).value(); err == nil || !strings.Contains(err.Error(), "duplicate") {
			t.Errorf("%s: %v", dup, err)
		}
	}
}
