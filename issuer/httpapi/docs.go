package httpapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"
)

// Redoc renders the document on /docs. Its standalone bundle is embedded
// (redoc/, refreshed by `make update-redoc`, its license beside it), so the
// page renders on an air-gapped network and under a Content-Security-Policy
// that allows no other origin.
//
//go:embed redoc/redoc.standalone.js
var redocBundle []byte

// redocHash names the embedded bundle: the page asks for it with ?v=hash,
// so a browser may keep it for a year and still fetch a new binary's.
var redocHash = func() string {
	sum := sha256.Sum256(redocBundle)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}()

// docsCSP allows what Redoc needs and nothing more, all from this origin:
// its script and the document (connect-src, which it fetches), the
// <style> elements it injects as it renders (style-src 'unsafe-inline':
// styled-components writes them at run time, and a nonce would need an
// inline script), data: images (its icons), and the blob: worker its
// search index runs in. No frame may embed the page.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsPage loads the document and the bundle relative to itself, so it
// also works behind a proxy that mounts the service under a path prefix.
var docsPage = []byte(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>licensed API reference</title>
<link rel="icon" href="data:,">
<style>body { margin: 0; } noscript { display: block; padding: 1em; font-family: sans-serif; }</style>
</head>
<body>
<noscript>This page renders <a href="openapi.json">openapi.json</a>, the OpenAPI 3.1 description of this API, with Redoc, which needs JavaScript.</noscript>
<redoc spec-url="openapi.json" disable-telemetry="true"></redoc>
<script type="module" src="docs/redoc.standalone.js?v=` + redocHash + `"></script>
</body>
</html>`) // writeBody adds the final newline

func docsHeaders(h http.Header) {
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (s *Server) docs(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	docsHeaders(w.Header())
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeBody(w, "text/html; charset=utf-8", http.StatusOK, docsPage)
	return nil
}

// redoc serves the bundle; the version in the page's URL changes with it,
// so it is cacheable for a year.
func (s *Server) redoc(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	h := w.Header()
	docsHeaders(h)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(redocBundle)))
	w.WriteHeader(http.StatusOK)
	w.Write(redocBundle)
	return nil
}
