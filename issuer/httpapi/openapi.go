package httpapi

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"
)

// openAPIDocument is the OpenAPI 3.1 description of the whole API: the one
// source of the contract, edited by hand. The end-to-end tests check every
// request they send and every response they get against it, and a test
// holds it and the router's route table to the same set of routes.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIETag names the embedded document; it changes only with the binary.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}()

// OpenAPIDocument returns the OpenAPI 3.1 document that GET /openapi.json
// serves.
func OpenAPIDocument() []byte { return bytes.Clone(openAPIDocument) }

// openAPI serves the document byte for byte as application/json (what
// generators and viewers fetch most readily; the document says so itself),
// cacheable and revalidated by ETag like the JWKS.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", openAPIETag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, openAPIETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIDocument)
	return nil
}

// Redoc renders the document on /docs. It comes from a public CDN, pinned to
// one release and checked by Subresource Integrity (the sha384 of that
// release's bundles/redoc.standalone.js as published on npm); the document
// itself never depends on it.
const (
	redocURL       = "https://cdn.jsdelivr.net/npm/redoc@3.0.1/bundles/redoc.standalone.js"
	redocIntegrity = "sha384-j07qRKHNNmcwU1/Y1elJc7pDLHXP/QfbQXTtSkbOJ7uYGJikqAzsFVbY2zR9FqOT"
)

// docsPage loads the document relative to itself, so it also works behind a
// proxy that mounts the service under a path prefix.
var docsPage = []byte(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>licensed API reference</title>
<style>body { margin: 0; } noscript { display: block; padding: 1em; font-family: sans-serif; }</style>
</head>
<body>
<noscript>This page renders <a href="openapi.json">openapi.json</a>, the OpenAPI 3.1 description of this API, with Redoc, which needs JavaScript.</noscript>
<redoc spec-url="openapi.json"></redoc>
<script type="module" src="` + redocURL + `" integrity="` + redocIntegrity + `" crossorigin="anonymous"></script>
</body>
</html>`) // writeBody adds the final newline

func (s *Server) docs(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	writeBody(w, "text/html; charset=utf-8", http.StatusOK, docsPage)
	return nil
}
