package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/julienschmidt/httprouter"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensedhq/licensed/issuer"
	"github.com/licensedhq/licensed/keys"
)

// docJSON is the document as plain JSON, for structural checks.
func docJSON(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// newDocument parses an OpenAPI document, logging nothing (the tests
// report what they find).
func newDocument(spec []byte) (libopenapi.Document, error) {
	return libopenapi.NewDocumentWithConfiguration(spec, &datamodel.DocumentConfiguration{Logger: slog.New(slog.DiscardHandler)})
}

// openAPIProblems builds the document as an OpenAPI 3.1 model and reports
// every way it is not one: build errors, unresolved references, and
// failures against the OpenAPI 3.1 meta-schema.
func openAPIProblems(spec []byte) []string {
	doc, err := newDocument(spec)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1.") {
		out = append(out, fmt.Sprintf("openapi %q, want 3.1.x", v))
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		out = append(out, "build: "+err.Error())
	}
	if model != nil {
		for _, e := range model.Index.GetReferenceIndexErrors() {
			out = append(out, "reference: "+e.Error())
		}
		for _, r := range model.Index.GetRolodex().GetCaughtErrors() {
			out = append(out, "rolodex: "+r.Error())
		}
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return append(out, fmt.Sprint("validator: ", errs))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			for _, f := range e.SchemaValidationErrors {
				out = append(out, fmt.Sprintf("meta-schema: %s at %s", f.Reason, f.KeywordLocation))
			}
			if len(e.SchemaValidationErrors) == 0 {
				out = append(out, "meta-schema: "+e.Message)
			}
		}
	}
	return out
}

func TestOpenAPIDocumentIsValid31(t *testing.T) {
	for _, p := range openAPIProblems(openAPIDocument) {
		t.Error(p)
	}
	// The same checks must fail a broken copy: a dangling $ref, a member
	// OpenAPI does not have, a parameter in a place that does not exist.
	broken := bytes.Replace(openAPIDocument, []byte(`"$ref": "#/components/schemas/Activation"`), []byte(`"$ref": "#/components/schemas/Activashun"`), 1)
	if got := openAPIProblems(broken); len(got) == 0 {
		t.Error("a dangling $ref went unnoticed")
	}
	for name, breakIt := range map[string]func(doc map[string]any){
		"an unknown info member": func(doc map[string]any) { doc["info"].(map[string]any)["colour"] = "red" },
		"a parameter in the body": func(doc map[string]any) {
			doc["components"].(map[string]any)["parameters"].(map[string]any)["Limit"].(map[string]any)["in"] = "body"
		},
	} {
		doc := docJSON(t)
		breakIt(doc)
		b, _ := json.Marshal(doc)
		if got := openAPIProblems(b); len(got) == 0 {
			t.Errorf("%s went unnoticed", name)
		}
	}
}

// exampleProblems validates every example of every media type (request
// bodies, responses, component responses) against its schema and counts
// them.
func exampleProblems(t *testing.T, spec []byte) (checked int, out []string) {
	t.Helper()
	doc, err := newDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	sv := schema_validation.NewSchemaValidator(config.WithFormatAssertions())
	check := func(where string, content map[string]*v3.MediaType) {
		for mt, m := range content {
			if m.Schema == nil {
				continue
			}
			schema := m.Schema.Schema()
			for name, ex := range m.Examples.FromOldest() {
				var v any
				if err := ex.Value.Decode(&v); err != nil {
					out = append(out, fmt.Sprintf("%s %s example %s: %v", where, mt, name, err))
					continue
				}
				checked++
				if s, ok := v.(string); ok && !strings.Contains(mt, "json") {
					v = s // text examples are strings
				} else if ok, errs := sv.ValidateSchemaObject(schema, v); !ok {
					for _, e := range errs {
						for _, f := range e.SchemaValidationErrors {
							out = append(out, fmt.Sprintf("%s %s example %s: %s: %s", where, mt, name, f.FieldPath, f.Reason))
						}
						if len(e.SchemaValidationErrors) == 0 {
							out = append(out, fmt.Sprintf("%s %s example %s: %s", where, mt, name, e.Message))
						}
					}
				}
			}
		}
	}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			where := strings.ToUpper(method) + " " + path
			if op.RequestBody != nil {
				check(where+" request", maps.Collect(op.RequestBody.Content.FromOldest()))
			}
			for code, r := range op.Responses.Codes.FromOldest() {
				if !r.IsReference() {
					check(where+" "+code, maps.Collect(r.Content.FromOldest()))
				}
			}
		}
	}
	for name, r := range model.Model.Components.Responses.FromOldest() {
		check("components/responses/"+name, maps.Collect(r.Content.FromOldest()))
	}
	return checked, out
}

func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	checked, problems := exampleProblems(t, openAPIDocument)
	for _, p := range problems {
		t.Error(p)
	}
	if checked < 20 {
		t.Errorf("only %d examples checked", checked)
	}
	broken := bytes.Replace(openAPIDocument, []byte(`"seats": 5,`), []byte(`"seats": "five",`), 1)
	if _, got := exampleProblems(t, broken); len(got) == 0 {
		t.Error("an example with a string for seats went unnoticed")
	}
}

// route is one method and path pattern, as the router or the document has
// it; the router writes parameters as :name, the document as {name}.
type route struct{ method, path string }

func (r route) String() string { return r.method + " " + r.path }

// routerRoutes walks the route table of httprouter v1.3.0 (which has no
// public walk): each method's tree of nodes with a path, children and a
// handle. It fails the test rather than finding nothing if that layout
// ever changes.
func routerRoutes(t *testing.T, rt *httprouter.Router) []route {
	t.Helper()
	trees := reflect.ValueOf(rt).Elem().FieldByName("trees")
	if !trees.IsValid() || trees.Kind() != reflect.Map {
		t.Fatal("httprouter.Router has no trees map any more: update routerRoutes")
	}
	var out []route
	var walk func(method, prefix string, n reflect.Value)
	walk = func(method, prefix string, n reflect.Value) {
		n = n.Elem()
		path, children, handle := n.FieldByName("path"), n.FieldByName("children"), n.FieldByName("handle")
		if !path.IsValid() || !children.IsValid() || !handle.IsValid() {
			t.Fatal("httprouter's node layout changed: update routerRoutes")
		}
		full := prefix + path.String()
		if !handle.IsNil() {
			out = append(out, route{method, full})
		}
		for i := range children.Len() {
			walk(method, full, children.Index(i))
		}
	}
	for _, m := range trees.MapKeys() {
		walk(m.String(), "", trees.MapIndex(m))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func documentRoutes(doc map[string]any) []route {
	var out []route
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if method != "parameters" && method != "summary" && method != "description" {
				out = append(out, route{strings.ToUpper(method), path})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// covers reports whether router route r serves document route d: same
// method and segments, where a router parameter serves the document
// parameter of the same name or a literal (a handler that dispatches on
// it, as POST /v1/licenses/:id/:action does for renew, suspend, ...).
func covers(r, d route) bool {
	if r.method != d.method {
		return false
	}
	rs, ds := strings.Split(r.path, "/"), strings.Split(d.path, "/")
	if len(rs) != len(ds) {
		return false
	}
	for i := range rs {
		param, isParam := strings.CutPrefix(rs[i], ":")
		switch {
		case isParam && ds[i] == "{"+param+"}":
		case isParam && !strings.HasPrefix(ds[i], "{"):
		case rs[i] == ds[i] && !strings.HasPrefix(ds[i], "{"):
		default:
			return false
		}
	}
	return true
}

// routeMismatches: router routes that serve no documented operation, and
// documented operations that no router route serves.
func routeMismatches(router, doc []route) []string {
	var out []string
	for _, r := range router {
		if !slices.ContainsFunc(doc, func(d route) bool { return covers(r, d) }) {
			out = append(out, fmt.Sprintf("the router serves %s, which the document does not describe", r))
		}
	}
	for _, d := range doc {
		if !slices.ContainsFunc(router, func(r route) bool { return covers(r, d) }) {
			out = append(out, fmt.Sprintf("the document describes %s, which the router does not serve", d))
		}
	}
	return out
}

func testServer() *Server {
	return New(Config{Registry: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
}

func TestOpenAPIRoutesMatchRouter(t *testing.T) {
	router := routerRoutes(t, testServer().routes())
	doc := documentRoutes(docJSON(t))
	for _, want := range []route{{"GET", "/healthz"}, {"GET", "/metrics"}, {"POST", "/v1/licenses/:id/:action"}, {"GET", "/openapi.json"}} {
		if !slices.Contains(router, want) {
			t.Fatalf("the route walk missed %s; it found %v", want, router)
		}
	}
	for _, m := range routeMismatches(router, doc) {
		t.Error(m)
	}
	// Every document path must also reach a handler through the router's
	// own lookup, parameters filled in.
	rt := testServer().routes()
	for _, d := range doc {
		concrete := strings.NewReplacer("{id}", "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c01", "{activation_id}", "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c02", "{slug}", "rankmath", "{kid}", "6TyqIdVnlu23a2zaJ-980Ke1OePozcfnRGSNJdah-kw").Replace(d.path)
		if h, _, _ := rt.Lookup(d.method, concrete); h == nil {
			t.Errorf("%s (%s) reaches no handler", d, concrete)
		}
	}
	// The comparison itself must notice a route on either side alone.
	extraRoute := append(slices.Clone(router), route{"DELETE", "/v1/brands/:slug"})
	extraOp := append(slices.Clone(doc), route{"GET", "/v1/nowhere"})
	renamed := slices.Clone(doc)
	for i := range renamed {
		renamed[i].path = strings.ReplaceAll(renamed[i].path, "{activation_id}", "{aid}")
	}
	for name, got := range map[string][]string{
		"an unlisted route":        routeMismatches(extraRoute, doc),
		"an unserved operation":    routeMismatches(router, extraOp),
		"a renamed path parameter": routeMismatches(router, renamed),
	} {
		if len(got) == 0 {
			t.Errorf("%s went unnoticed", name)
		}
	}
}

// TestOpenAPIErrorCodes holds the document's error codes to problem.go: the
// ErrorCode enum is the statuses table, the Problem schema ties each code
// to its status, title and type, and every problem response of every
// operation allows only codes of its own status.
// dig follows object members; nil when one is missing.
func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// errorCodeLine is one line of ErrorCode's description.
var errorCodeLine = regexp.MustCompile("(?m)^- `([a-z_]+)` \\((\\d{3}), \"([^\"]+)\"\\):")

// walkProblemExamples calls fn with every problem+json example value.
func walkProblemExamples(node any, fn func(where string, p map[string]any)) {
	var walk func(node any, where string)
	walk = func(node any, where string) {
		switch n := node.(type) {
		case map[string]any:
			if pj, ok := n["application/problem+json"].(map[string]any); ok {
				exs, _ := pj["examples"].(map[string]any)
				for name, ex := range exs {
					if v, ok := dig(ex, "value").(map[string]any); ok {
						fn(where+" example "+name, v)
					}
				}
			}
			for k, v := range n {
				walk(v, where+"/"+k)
			}
		case []any:
			for i, v := range n {
				walk(v, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(node, "#")
}

// isRefusedBeforeRouting: the response is net/http's own 400 or 431,
// which operations without a 4xx of their own list as 4XX (Redocly's
// recommended rules want a 4xx on every operation).
func isRefusedBeforeRouting(resp any) bool {
	return dig(resp, "$ref") == "#/components/responses/RefusedBeforeRouting"
}

func TestOpenAPIErrorCodes(t *testing.T) {
	doc := docJSON(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	var enum []string
	for _, c := range schemas["ErrorCode"].(map[string]any)["enum"].([]any) {
		enum = append(enum, c.(string))
	}
	if want := slices.Sorted(maps.Keys(statuses)); !slices.Equal(slices.Sorted(slices.Values(enum)), want) {
		t.Errorf("ErrorCode enum %v, want the codes of statuses %v", enum, want)
	}
	// ErrorCode's description is the table readers see: each line
	// "- `code` (status, "title"): ...", one per code of problem.go.
	seen := map[string]bool{}
	for _, m := range errorCodeLine.FindAllStringSubmatch(schemas["ErrorCode"].(map[string]any)["description"].(string), -1) {
		code, status, title := m[1], m[2], m[3]
		seen[code] = true
		if status != fmt.Sprint(statuses[code]) {
			t.Errorf("ErrorCode: %s has status %s, problem.go %d", code, status, statuses[code])
		}
		if title != titles[code] {
			t.Errorf("ErrorCode: %s has title %q, problem.go %q", code, title, titles[code])
		}
	}
	for code := range statuses {
		if !seen[code] {
			t.Errorf("ErrorCode's description has no line for %s", code)
		}
	}
	// Every problem example says what problem.go would answer.
	walkProblemExamples(doc, func(where string, p map[string]any) {
		code, _ := p["code"].(string)
		if fmt.Sprint(p["status"]) != fmt.Sprint(statuses[code]) || p["title"] != titles[code] || p["type"] != "urn:licensed:error:"+code {
			t.Errorf("%s: status %v, title %q, type %q; problem.go answers %s with %d %q", where, p["status"], p["title"], p["type"], code, statuses[code], titles[code])
		}
	})

	responses := doc["components"].(map[string]any)["responses"].(map[string]any)
	codesOf := func(resp map[string]any) []string {
		if ref, ok := resp["$ref"].(string); ok {
			resp = responses[strings.TrimPrefix(ref, "#/components/responses/")].(map[string]any)
		}
		content, _ := resp["content"].(map[string]any)
		pj, ok := content["application/problem+json"].(map[string]any)
		if !ok {
			return nil
		}
		code := pj["schema"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)
		if c, ok := code["const"].(string); ok {
			return []string{c}
		}
		var out []string
		for _, c := range code["enum"].([]any) {
			out = append(out, c.(string))
		}
		return out
	}
	for _, d := range documentRoutes(doc) {
		item := doc["paths"].(map[string]any)[d.path].(map[string]any)
		op := item[strings.ToLower(d.method)].(map[string]any)
		if d.method == http.MethodHead {
			// HEAD answers have no body to hold a code: they must answer
			// exactly the statuses of the GET they mirror.
			get, ok := item["get"].(map[string]any)
			if !ok {
				t.Errorf("%s: HEAD without GET", d)
				continue
			}
			if h, g := slices.Sorted(maps.Keys(op["responses"].(map[string]any))), slices.Sorted(maps.Keys(get["responses"].(map[string]any))); !slices.Equal(h, g) {
				t.Errorf("%s: statuses %v, GET's %v", d, h, g)
			}
			continue
		}
		for status, resp := range op["responses"].(map[string]any) {
			if isRefusedBeforeRouting(resp) {
				if status != "4XX" {
					t.Errorf("%s: RefusedBeforeRouting under %s, want 4XX", d, status)
				}
				continue
			}
			codes := codesOf(resp.(map[string]any))
			if len(codes) == 0 && status[0] >= '4' {
				t.Errorf("%s %s: no problem codes", d, status)
			}
			for _, c := range codes {
				if fmt.Sprint(statuses[c]) != status {
					t.Errorf("%s answers %s under status %s, but problem.go gives it %d", d, c, status, statuses[c])
				}
			}
		}
	}
}

// TestOpenAPIOperations: what a reader and a client generator need of
// every operation.
func TestOpenAPIOperations(t *testing.T) {
	doc := docJSON(t)
	scopes := map[string]bool{}
	for _, s := range doc["components"].(map[string]any)["schemas"].(map[string]any)["Scope"].(map[string]any)["enum"].([]any) {
		scopes[s.(string)] = true
	}
	ids := map[string]bool{}
	for _, d := range documentRoutes(doc) {
		op := doc["paths"].(map[string]any)[d.path].(map[string]any)[strings.ToLower(d.method)].(map[string]any)
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or not unique", d, id)
		}
		ids[id] = true
		for _, member := range []string{"summary", "description", "tags"} {
			if op[member] == nil {
				t.Errorf("%s: no %s", d, member)
			}
		}
		responses := op["responses"].(map[string]any)
		for status, r := range responses {
			if isRefusedBeforeRouting(r) {
				continue // net/http's own answer: no request id
			}
			if ref, ok := dig(r, "$ref").(string); ok {
				r = dig(doc, "components", "responses", strings.TrimPrefix(ref, "#/components/responses/"))
			}
			if dig(r, "headers", "X-Request-Id") == nil {
				t.Errorf("%s %s: no X-Request-Id header", d, status)
			}
		}
		if !slices.ContainsFunc(slices.Collect(maps.Keys(responses)), func(s string) bool { return s[0] == '2' }) {
			t.Errorf("%s: no 2xx response", d)
		}
		brand := strings.HasPrefix(d.path, "/v1/") && !slices.Contains([]string{"/v1/activate", "/v1/validate", "/v1/deactivate", "/v1/activations"}, d.path)
		reqs, _ := op["security"].([]any)
		if brand != (len(reqs) > 0) {
			t.Errorf("%s: security %v", d, reqs)
		}
		for _, r := range reqs {
			for _, s := range r.(map[string]any)["apiKey"].([]any) {
				if !scopes[s.(string)] {
					t.Errorf("%s: unknown scope %v", d, s)
				}
			}
		}
		if brand {
			if _, ok := responses["401"]; !ok {
				t.Errorf("%s: no 401", d)
			}
		}
	}
}

func serveRequest(s *Server, method, path string, header ...string) *http.Response {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w.Result()
}

func TestOpenAPIServed(t *testing.T) {
	s := testServer()
	res := serveRequest(s, "GET", "/openapi.json")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || !bytes.Equal(body, openAPIDocument) ||
		res.Header.Get("Content-Length") != fmt.Sprint(len(openAPIDocument)) || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("GET /openapi.json: %d %v, %d bytes", res.StatusCode, res.Header, len(body))
	}
	etag := res.Header.Get("ETag")
	if res.Header.Get("Cache-Control") != "public, max-age=300" || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("caching headers %v", res.Header)
	}
	nm := serveRequest(s, "GET", "/openapi.json", "If-None-Match", etag)
	if b, _ := io.ReadAll(nm.Body); nm.StatusCode != http.StatusNotModified || len(b) != 0 || nm.Header.Get("ETag") != etag {
		t.Fatalf("If-None-Match: %d %q", nm.StatusCode, b)
	}
	if other := serveRequest(s, "GET", "/openapi.json", "If-None-Match", `"other"`); other.StatusCode != 200 {
		t.Fatalf("a stale ETag answered %d", other.StatusCode)
	}
	if !bytes.Equal(OpenAPIDocument(), openAPIDocument) {
		t.Fatal("OpenAPIDocument differs from the embedded document")
	}

	d := serveRequest(s, "GET", "/docs")
	page, _ := io.ReadAll(d.Body)
	if d.StatusCode != 200 || d.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /docs: %d %v", d.StatusCode, d.Header)
	}
	for _, want := range []string{`<redoc spec-url="openapi.json" disable-telemetry="true">`, `<script type="module" src="docs/redoc.standalone.js?v=` + redocHash + `"`, `href="openapi.json"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("/docs lacks %s:\n%s", want, page)
		}
	}
	if bytes.Contains(page, []byte("https://")) || bytes.Contains(page, []byte("http://")) {
		t.Errorf("/docs names another origin:\n%s", page)
	}
	if csp := d.Header.Get("Content-Security-Policy"); csp != docsCSP || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("/docs Content-Security-Policy %q", csp)
	}
	js := serveRequest(s, "GET", "/docs/redoc.standalone.js?v="+redocHash)
	bundle, _ := io.ReadAll(js.Body)
	if js.StatusCode != 200 || !bytes.Equal(bundle, redocBundle) || len(bundle) < 100_000 ||
		js.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || js.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("GET /docs/redoc.standalone.js: %d %v, %d bytes", js.StatusCode, js.Header, len(bundle))
	}
}

// The document describes the schemas the handlers write: a quick
// cross-check of the member names of the Go views against the document,
// so that a renamed or added JSON member cannot slip past the end-to-end
// runs when no test happens to read it.
func TestOpenAPISchemasNameGoMembers(t *testing.T) {
	doc, err := newDocument(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	props := func(name string) []string {
		s := model.Model.Components.Schemas.GetOrZero(name).Schema()
		return slices.Sorted(maps.Keys(maps.Collect(s.Properties.FromOldest())))
	}
	for schema, v := range goViews {
		if got, want := props(schema), jsonMembers(reflect.TypeOf(v)); !slices.Equal(got, want) {
			t.Errorf("%s: document members %v, Go members %v", schema, got, want)
		}
	}
}

// goViews are the Go types the handlers encode and decode, by the document
// schema that describes each.
var goViews = map[string]any{
	"License": issuer.License{}, "ProductLicense": issuer.ProductLicense{}, "Activation": issuer.Activation{},
	"AuditEvent": issuer.AuditEvent{}, "Provisioned": issuer.Provisioned{}, "Activated": issuer.Activated{},
	"Validation": issuer.Validation{}, "Deactivated": issuer.Deactivated{}, "FieldError": issuer.FieldError{},
	"Brand": issuer.Brand{}, "Product": issuer.Product{}, "CreatedAPIKey": issuer.CreatedAPIKey{}, "SigningKey": keys.KeyInfo{},
	"ProvisionRequest": issuer.ProvisionInput{}, "PatchRequest": issuer.PatchInput{}, "RenewRequest": issuer.RenewInput{},
	"ReasonRequest": issuer.ReasonInput{}, "SearchRequest": issuer.SearchInput{}, "ActivateRequest": issuer.ActivateInput{},
	"ValidateRequest": issuer.ValidateInput{}, "DeactivateRequest": issuer.DeactivateInput{}, "BrandRequest": issuer.BrandInput{},
	"ProductRequest": issuer.ProductInput{}, "APIKeyRequest": issuer.APIKeyInput{}, "EmptyRequest": struct{}{},
	"ProductPatchRequest": issuer.ProductPatchInput{}, "OfflineActivationRequest": issuer.OfflineActivationInput{},
	"OfflineActivation": issuer.OfflineActivation{},
	"BrandPatchRequest": issuer.BrandPatchInput{}, "APIKey": issuer.APIKey{}, "RevokedSigningKey": issuer.RevokedSigningKey{},
	"ActivationsRequest": issuer.ActivationsInput{}, "ActivationList": issuer.ActivationList{},
	"WebhookRequest": issuer.WebhookInput{}, "WebhookEndpoint": issuer.WebhookEndpoint{},
	"WebhookDelivery": issuer.WebhookDelivery{}, "WebhookPayload": issuer.WebhookPayload{},
}

// jsonMembers lists the JSON member names of a struct type.
func jsonMembers(t reflect.Type) []string {
	var out []string
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.Anonymous && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIRequestsAreStrict: every request schema refuses unknown
// members, and the members it lets be null are exactly those the decoder
// takes null for (api:"nullable"), so that the document and decodeStrict
// cannot drift apart.
func TestOpenAPIRequestsAreStrict(t *testing.T) {
	doc := docJSON(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, v := range goViews {
		if !strings.HasSuffix(name, "Request") {
			continue
		}
		schema := schemas[name].(map[string]any)
		if schema["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", name)
		}
		fields := jsonFields(reflect.TypeOf(v))
		props, _ := schema["properties"].(map[string]any)
		for member, p := range props {
			types, _ := dig(p, "type").([]any)
			docNull := slices.Contains(types, any("null"))
			if docNull != fields[member].nullable {
				t.Errorf("%s.%s: the document says nullable %v, the decoder %v", name, member, docNull, fields[member].nullable)
			}
		}
	}
}
