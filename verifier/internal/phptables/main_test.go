package main

import (
	"bytes"
	"os"
	"testing"
)

// TestTablesUpToDate: the PHP verifier's tables are what Go's unicode
// package says today (a Go upgrade with a new Unicode version fails here
// until they are regenerated).
func TestTablesUpToDate(t *testing.T) {
	got, err := os.ReadFile("../../../sdk/php/src/Internal/UnicodeTables.php")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Render()) {
		t.Fatal("sdk/php/src/Internal/UnicodeTables.php is stale: go generate ./verifier/internal/phptables")
	}
}
