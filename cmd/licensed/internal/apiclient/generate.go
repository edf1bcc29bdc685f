// Package apiclient is a Go client generated from the OpenAPI document
// (issuer/httpapi/openapi.json) by oapi-codegen, pinned as a tool in go.mod.
// It exists for the tests: one drives a running server through it, proving
// that a client generated from the document works, and another fails when
// this code is not what the current document generates. Nothing outside
// tests imports it, so it is not part of the licensed binary.
//
// Regenerate after changing the document (the second go:generate line
// records what the code was generated from in client.gen.sha256, which
// spares the freshness test from compiling the generator):
//
//	go generate ./cmd/licensed/internal/apiclient
package apiclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml -o client.gen.go ../../../../issuer/httpapi/openapi.json
//go:generate go test -run ^TestGeneratedCodeIsCurrent$ . -args -update
