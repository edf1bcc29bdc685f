package verifier

// The shared test vectors (testdata/vectors.json, testdata/forged.json)
// are written by the case table of this package's tests, which signs
// every token with fixed-seed keys, so regenerating gives the same bytes.
// TestVectorsUpToDate fails when they are stale.
//
//go:generate go test -run ^TestVectorsUpToDate$ -update .
