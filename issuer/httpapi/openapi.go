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
