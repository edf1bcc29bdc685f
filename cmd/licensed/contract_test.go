package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	oaerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/licensedhq/licensed/issuer/httpapi"
)

// The contract: every request the end-to-end tests send through
// (*testServer).call, and every response they get, is checked against the
// OpenAPI 3.1 document the server embeds and serves at /openapi.json
// (issuer/httpapi/openapi.json). A mismatch fails the test that made the
// call. The rules:
//
//   - Every response is checked: its status must be one the operation
//     lists, its Content-Type one that status lists, its body valid against
//     that schema and its headers against the declared ones (required ones
//     present). Formats (uuid, date-time, email) are asserted, not just
//     annotations.
//   - A response to a route the document does not describe must be the
//     router's refusal: 404 not_found for an unknown path, 405
//     method_not_allowed with Allow for a known path and another method,
//     each a valid Problem. Anything else means the router serves a route
//     the document lacks.
//   - The request is checked when the server accepted it: any status below
//     400, and the refusals the server only reaches after it has accepted
//     the input (acceptedInputCodes: seat limits, state transitions,
//     unknown license keys and the like). Other 4xx answers refuse the
//     request itself (malformed JSON, unknown members, wrong types, missing
//     key or scope, ids that are not UUIDs, ...): the tests send such
//     requests on purpose, and the document rightly rejects them too, so
//     there only the response is held to the document.
//   - A problem's request_id equals its X-Request-Id header.
//
// A server behaviour that disagrees with docs/API.md (which the document follows)
// fails the test that meets it. TestContractCheckerCatches
// shows the checker failing each kind of mismatch.

// acceptedInputCodes are problem codes that the server answers only after
// the request's input passed its checks: a request answered with one must
// be valid against the document.
var acceptedInputCodes = []string{
	"license_not_found", "activation_not_found", "license_suspended", "license_cancelled", "license_expired",
	"seat_limit_reached", "invalid_transition", "seats_below_usage", "license_exists", "idempotency_conflict", "conflict",
}

type contractChecker struct {
	// mu serialises validations: libopenapi renders schemas lazily and
	// writes to shared model nodes while it does (a data race under -race
	// when parallel tests validate at once).
	mu sync.Mutex
	v  validator.Validator
	// problem is the document's Problem schema, which the router's 404
	// and 405 refusals of undocumented routes must satisfy.
	problem *base.Schema
	schemas schema_validation.SchemaValidator
	// methods lists each documented path's methods, for Allow.
	methods map[string][]string
	// codes is ErrorCode's table: each code's status and title.
	codes map[string]struct{ status, title string }
}

var loadContract = sync.OnceValues(func() (*contractChecker, error) {
	doc, err := libopenapi.NewDocument(httpapi.OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator: %v", errs)
	}
	c := &contractChecker{
		v: v, schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions()),
		methods: map[string][]string{},
	}
	// A refusal is a Problem; refusal checks its code and status.
	problem := model.Model.Components.Schemas.GetOrZero("Problem")
	if problem == nil {
		return nil, fmt.Errorf("the document has no Problem schema")
	}
	c.problem = problem.Schema()
	c.codes = map[string]struct{ status, title string }{}
	if ec := model.Model.Components.Schemas.GetOrZero("ErrorCode"); ec != nil {
		for _, m := range errorCodeLine.FindAllStringSubmatch(ec.Schema().Description, -1) {
			c.codes[m[1]] = struct{ status, title string }{m[2], m[3]}
		}
	}
	if len(c.codes) < 20 {
		return nil, fmt.Errorf("ErrorCode's description lists %d codes as `code` (status, \"title\")", len(c.codes))
	}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			c.methods[path] = append(c.methods[path], strings.ToUpper(method))
		}
	}
	return c, nil
})

func contract(t testing.TB) *contractChecker {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	return c
}

// checkContract fails t for every way the exchange disagrees with the
// document. reqBody and resBody are the bodies as sent and received.
func checkContract(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	t.Helper()
	for _, v := range contract(t).violations(req, reqBody, res, resBody) {
		t.Errorf("contract: %s %s → %d: %s\nresponse: %.600s", req.Method, req.URL.RequestURI(), res.StatusCode, v, resBody)
	}
}

func (c *contractChecker) violations(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vres := &http.Response{
		StatusCode: res.StatusCode, Header: res.Header.Clone(), Request: vreq,
		Body: io.NopCloser(bytes.NewReader(resBody)), ContentLength: int64(len(resBody)),
	}
	var out []string
	_, resErrs := c.v.ValidateHttpResponse(vreq, vres)
	if missing, pathKnown := undocumented(resErrs); missing {
		out = c.refusal(vreq, vres, resBody, pathKnown)
	} else {
		out = describe("response", resErrs)
		if acceptedInput(res.StatusCode, resBody) {
			vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
			_, reqErrs := c.v.ValidateHttpRequestSync(vreq)
			out = append(out, describe("request (which the server accepted)", reqErrs)...)
		}
	}
	if isProblem(res) {
		var p struct {
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal(resBody, &p) == nil && p.RequestID != res.Header.Get("X-Request-Id") {
			out = append(out, fmt.Sprintf("problem request_id %q differs from X-Request-Id %q", p.RequestID, res.Header.Get("X-Request-Id")))
		}
		out = append(out, c.problemRules(resBody)...)
	}
	if req.URL.Path == "/v1/validate" && res.StatusCode == http.StatusOK {
		out = append(out, validationRules(resBody)...)
	}
	return out
}

// The rules below are the document's too, in descriptions: JSON Schema
// could state them with if/then, but Redocly's lint (.ci/run) closes the
// subschemas of if/then and rejects every valid example under them, so the
// schemas leave them out and the checker holds the traffic to them here.

// problemMembers: the members a problem has only with some codes, and
// those codes; required says the code always carries the member.
var problemMembers = map[string]struct {
	codes    []string
	required bool
}{
	"errors":                {[]string{"validation_failed", "conflict"}, false},
	"seats":                 {[]string{"seat_limit_reached", "seats_below_usage"}, true},
	"seats_used":            {[]string{"seat_limit_reached", "seats_below_usage"}, true},
	"license_id":            {[]string{"license_exists"}, true},
	"max_free_activations":  {[]string{"free_limit_reached"}, true},
	"free_activations_used": {[]string{"free_limit_reached"}, true},
}

// problemRules: status, title and type as ErrorCode's table gives them for
// the code, and the code's own members, no others.
func (c *contractChecker) problemRules(body []byte) []string {
	var p map[string]any
	if json.Unmarshal(body, &p) != nil {
		return nil // the schema check reports it
	}
	code, _ := p["code"].(string)
	var out []string
	if want, ok := c.codes[code]; ok {
		if fmt.Sprint(p["status"]) != want.status || p["title"] != want.title || p["type"] != "urn:licensed:error:"+code {
			out = append(out, fmt.Sprintf("problem %s: status %v, title %v, type %v; ErrorCode gives %s %q", code, p["status"], p["title"], p["type"], want.status, want.title))
		}
	}
	for member, rule := range problemMembers {
		_, has := p[member]
		with := slices.Contains(rule.codes, code)
		switch {
		case has && !with:
			out = append(out, fmt.Sprintf("problem %s carries %s, which only %v do", code, member, rule.codes))
		case !has && with && (rule.required || code == "validation_failed"):
			out = append(out, fmt.Sprintf("problem %s lacks %s", code, member))
		}
	}
	return out
}

// validationRules: valid exactly for VALID and GRACE, and never a token
// with EXPIRED or NOT_ACTIVATED.
func validationRules(body []byte) []string {
	var v struct {
		Valid *bool   `json:"valid"`
		Code  string  `json:"code"`
		Token *string `json:"token"`
	}
	if json.Unmarshal(body, &v) != nil || v.Valid == nil {
		return nil
	}
	var out []string
	if *v.Valid != (v.Code == "VALID" || v.Code == "GRACE") {
		out = append(out, fmt.Sprintf("validation: valid %v with code %s", *v.Valid, v.Code))
	}
	if v.Token != nil && (v.Code == "EXPIRED" || v.Code == "NOT_ACTIVATED") {
		out = append(out, fmt.Sprintf("validation: a token with code %s", v.Code))
	}
	return out
}

// errorCodeLine is one line of ErrorCode's description:
// "- `code` (status, "title"): ...".
var errorCodeLine = regexp.MustCompile("(?m)^- `([a-z_]+)` \\((\\d{3}), \"([^\"]+)\"\\):")

// undocumented reports whether the validator found no operation for the
// request, and whether it knew the path (only the method was missing).
func undocumented(errs []*oaerrors.ValidationError) (missing, pathKnown bool) {
	for _, e := range errs {
		switch {
		case e.ValidationType == helpers.PathValidation && e.ValidationSubType == helpers.ValidationMissing:
			return true, false
		case e.ValidationSubType == helpers.ValidationMissingOperation:
			return true, true
		}
	}
	return false, false
}

var requestIDHeader = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// refusal checks the answer to a route the document does not describe: the
// router's 404 or 405 problem (a Problem with code not_found or
// method_not_allowed), nothing else.
func (c *contractChecker) refusal(req *http.Request, res *http.Response, body []byte, pathKnown bool) []string {
	status, code := http.StatusNotFound, "not_found"
	if pathKnown {
		status, code = http.StatusMethodNotAllowed, "method_not_allowed"
	}
	var out []string
	if res.StatusCode != status {
		return []string{fmt.Sprintf("the document has no %s %s, so the server must refuse it with %d %s (or the route is missing from the document)",
			req.Method, req.URL.Path, status, code)}
	}
	if !isProblem(res) {
		out = append(out, fmt.Sprintf("Content-Type %q, want application/problem+json", res.Header.Get("Content-Type")))
	}
	if id := res.Header.Get("X-Request-Id"); !requestIDHeader.MatchString(id) {
		out = append(out, fmt.Sprintf("X-Request-Id %q missing or malformed", id))
	}
	if ok, errs := c.schemas.ValidateSchemaBytes(c.problem, body); !ok {
		out = append(out, describe("problem", errs)...)
	}
	var p struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
	}
	if json.Unmarshal(body, &p) != nil || p.Code != code || p.Status != status {
		out = append(out, fmt.Sprintf("problem code %q status %d, want %s %d", p.Code, p.Status, code, status))
	}
	if pathKnown {
		allow := res.Header.Get("Allow")
		for _, m := range c.allowedFor(req) {
			if !slices.Contains(strings.Split(strings.ReplaceAll(allow, " ", ""), ","), m) {
				out = append(out, fmt.Sprintf("Allow %q lacks %s, which the document lists for this path", allow, m))
			}
		}
		if allow == "" {
			out = append(out, "405 without Allow")
		}
	}
	return out
}

// allowedFor lists the documented methods of the path the request names.
func (c *contractChecker) allowedFor(req *http.Request) []string {
	segs := strings.Split(req.URL.Path, "/")
	var best []string
	bestLiterals := -1
	for path, methods := range c.methods {
		ps := strings.Split(path, "/")
		if len(ps) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i := range ps {
			switch {
			case strings.HasPrefix(ps[i], "{"):
			case ps[i] == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = methods, literals
		}
	}
	return best
}

func acceptedInput(status int, body []byte) bool {
	if status < 400 {
		return true
	}
	var p struct {
		Code string `json:"code"`
	}
	return json.Unmarshal(body, &p) == nil && slices.Contains(acceptedInputCodes, p.Code)
}

func isProblem(res *http.Response) bool {
	return res.Header.Get("Content-Type") == "application/problem+json"
}

// describe renders validation errors, each with its schema failures.
func describe(what string, errs []*oaerrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		msg := what + ": " + e.Message
		if e.Reason != "" && e.Reason != e.Message {
			msg += " (" + e.Reason + ")"
		}
		for _, f := range e.SchemaValidationErrors {
			where := f.FieldPath
			if where == "" {
				where = f.KeywordLocation
			}
			msg += fmt.Sprintf("\n    %s: %s", where, f.Reason)
		}
		out = append(out, msg)
	}
	return out
}

// contractDoer is an HTTP client that holds every exchange to the
// document: the generated client's test sends its traffic through it.
type contractDoer struct {
	t testing.TB
}

func (d contractDoer) Do(req *http.Request) (*http.Response, error) {
	d.t.Helper()
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	checkContract(d.t, req, reqBody, res, resBody)
	return res, nil
}

// TestContractAdminAndDocument sends the routes no other end-to-end test
// reaches through call, so that their traffic is held to the document too:
// the admin API over HTTP, and the document and its page.
func TestContractAdminAndDocument(t *testing.T) {
	env := backends[0].env(t)
	s := serve(t, env)
	admin := mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin")["key"].(string)

	b := s.call(t, "POST", "/v1/brands", admin, map[string]any{"slug": "rankmath", "name": "Rank Math"})
	expect(t, b, http.StatusCreated, "")
	expect(t, s.call(t, "POST", "/v1/brands", admin, map[string]any{"slug": "rankmath", "name": "Again"}), http.StatusConflict, "conflict")
	p := s.call(t, "POST", "/v1/brands/rankmath/products", admin, map[string]any{"slug": "rankmath-pro", "name": "Pro", "default_seats": 3, "token_ttl_seconds": 3600})
	expect(t, p, http.StatusCreated, "")
	if p.str("brand") != "rankmath" || p.num("default_seats") != 3 || p.num("token_ttl_seconds") != 3600 {
		t.Fatalf("product: %s", p.raw)
	}
	expect(t, s.call(t, "POST", "/v1/brands/nope/products", admin, map[string]any{"slug": "x", "name": "X"}), http.StatusNotFound, "not_found")
	k := s.call(t, "POST", "/v1/api-keys", admin, map[string]any{"brand": "rankmath", "name": "backend", "scopes": []string{"licenses:read", "licenses:write"}})
	expect(t, k, http.StatusCreated, "")
	platform := s.call(t, "POST", "/v1/api-keys", admin, map[string]any{"name": "ops2", "scopes": []string{"admin"}})
	expect(t, platform, http.StatusCreated, "")
	if platform.get("brand") != nil {
		t.Fatalf("platform key: %s", platform.raw)
	}
	expect(t, s.call(t, "POST", "/v1/api-keys", admin, map[string]any{"brand": "rankmath", "name": "x", "scopes": []string{"admin"}}), http.StatusUnprocessableEntity, "validation_failed")
	r := s.call(t, "POST", "/v1/licenses", k.str("key"), map[string]any{"customer_email": "jane@example.com", "product": "rankmath-pro"})
	expect(t, r, http.StatusCreated, "")
	if r.num("license", "seats") != 3 {
		t.Fatalf("default seats: %s", r.raw)
	}
	expect(t, s.call(t, "DELETE", "/v1/api-keys/"+k.str("id"), admin, nil), http.StatusNoContent, "")
	expect(t, s.call(t, "GET", "/v1/licenses/"+r.str("license", "id"), k.str("key"), nil), http.StatusUnauthorized, "unauthorized")
	expect(t, s.call(t, "GET", "/v1/signing-keys", admin, nil), http.StatusOK, "")

	doc := s.call(t, "GET", "/openapi.json", "", nil)
	expect(t, doc, http.StatusOK, "")
	if !bytes.Equal(doc.raw, httpapi.OpenAPIDocument()) || doc.str("openapi") != "3.1.1" {
		t.Fatalf("GET /openapi.json does not serve the embedded document (%d bytes)", len(doc.raw))
	}
	nm := s.call(t, "GET", "/openapi.json", "", nil, "If-None-Match", doc.header.Get("ETag"))
	if nm.status != http.StatusNotModified || len(nm.raw) != 0 {
		t.Fatalf("If-None-Match: %d %q", nm.status, nm.raw)
	}
	page := s.call(t, "GET", "/docs", "", nil)
	if page.status != http.StatusOK || !bytes.Contains(page.raw, []byte(`spec-url="openapi.json"`)) {
		t.Fatalf("GET /docs: %d %s", page.status, page.raw)
	}
}

// TestContractCheckerCatches feeds the checker exchanges that break the
// document in each way it must notice (and a few that must pass), so that a
// green end-to-end run means the traffic agreed, not that nothing was
// compared.
func TestContractCheckerCatches(t *testing.T) {
	const id = "0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c01"
	problem := func(code string, status int, extra string) string {
		return fmt.Sprintf(`{"type":"urn:licensed:error:%s","title":%q,"status":%d,"code":%q,"request_id":"rid-1"%s}`,
			code, map[string]string{
				"not_found": "Not found", "license_not_found": "License not found", "method_not_allowed": "Method not allowed",
				"validation_failed": "Validation failed", "seat_limit_reached": "Seat limit reached", "unauthorized": "Unauthorized",
			}[code], status, code, extra)
	}
	license := `{"id":"` + id + `","brand":"rankmath","product":"rankmath-pro","customer_email":"jane@example.com",` +
		`"license_key":"LK-ABCDEFGHIJKLMNOP","license_key_hint":"…MNOP","status":"active","seats":1,"seats_used":0,` +
		`"expires_at":null,"entitlements":[],"metadata":{},"created_at":"2026-11-29T10:00:00Z","updated_at":"2026-11-29T10:00:00Z"}`
	provisioned := `{"license":` + license + `,"license_key":"LK-ABCDEFGHIJKLMNOP"}`
	json := "application/json"
	pj := "application/problem+json"
	cases := []struct {
		name, method, path, reqBody string
		status                      int
		contentType, resBody        string
		header                      []string
		want                        string // "" means no violation
	}{
		{"healthy", "GET", "/healthz", "", 200, json, `{"status":"ok"}`, nil, ""},
		{"no request id", "GET", "/healthz", "", 200, json, `{"status":"ok"}`, []string{"X-Request-Id", ""}, "X-Request-Id"},
		{"undocumented member", "GET", "/healthz", "", 200, json, `{"status":"ok","extra":1}`, nil, "extra"},
		{"undocumented status", "GET", "/healthz", "", 302, json, `{}`, nil, "302"},
		{"wrong member type", "GET", "/v1/licenses/" + id, "", 200, json, strings.Replace(license, `"seats":1`, `"seats":"1"`, 1), nil, "seats"},
		{"time with fractions", "GET", "/v1/licenses/" + id, "", 200, json, strings.Replace(license, `10:00:00Z"}`, `10:00:00.5Z"}`, 1), nil, "updated_at"},
		{"key without metadata", "GET", "/v1/licenses/" + id, "", 200, json, strings.Replace(license, `"metadata":{},`, ``, 1), nil, "metadata"},
		{"valid but expired", "POST", "/v1/validate", `{"license_key":"LK-A"}`, 200, json, `{"valid":true,"code":"EXPIRED","licenses":[]}`, nil, "valid"},
		{"token for an expired license", "POST", "/v1/validate", `{"license_key":"LK-A"}`, 200, json, `{"valid":false,"code":"EXPIRED","licenses":[],"token":"a.b.c"}`, nil, "token"},
		{"code of another status", "GET", "/v1/licenses/" + id, "", 404, pj, problem("license_not_found", 404, ""), nil, "not_found"},
		{"problem as plain JSON", "GET", "/v1/licenses/" + id, "", 404, json, problem("not_found", 404, ""), nil, "application/json"},
		{"status member disagrees", "GET", "/v1/licenses/" + id, "", 404, pj, problem("not_found", 409, ""), nil, "404"},
		{"request id disagrees", "GET", "/v1/licenses/" + id, "", 404, pj, strings.Replace(problem("not_found", 404, ""), "rid-1", "rid-2", 1), nil, "request_id"},
		{"401 without WWW-Authenticate", "GET", "/v1/licenses/" + id, "", 401, pj, problem("unauthorized", 401, ""), nil, "WWW-Authenticate"},
		{"seat limit without seats", "POST", "/v1/activate", `{"license_key":"LK-A","product":"rankmath/rankmath-pro","instance":"example.org"}`,
			409, pj, problem("seat_limit_reached", 409, ""), nil, "seats"},
		{"seat limit", "POST", "/v1/activate", `{"license_key":"LK-A","product":"rankmath/rankmath-pro","instance":"example.org"}`,
			409, pj, problem("seat_limit_reached", 409, `,"seats":1,"seats_used":1`), nil, ""},
		{"accepted unknown member", "POST", "/v1/licenses", `{"customer_email":"a@example.com","product":"rankmath-pro","colour":"red"}`,
			201, json, provisioned, nil, "colour"},
		{"refused unknown member", "POST", "/v1/licenses", `{"customer_email":"a@example.com","product":"rankmath-pro","colour":"red"}`,
			422, pj, problem("validation_failed", 422, `,"errors":[{"field":"colour","message":"is not a known member"}]`), nil, ""},
		{"validation failure without errors", "POST", "/v1/licenses", `{}`, 422, pj, problem("validation_failed", 422, ""), nil, "errors"},
		{"state refusal of an invalid request", "POST", "/v1/activate", `{"license_key":"LK-A","product":"no-slash","instance":"example.org"}`,
			409, pj, problem("seat_limit_reached", 409, `,"seats":1,"seats_used":1`), nil, "product"},
		{"undocumented route served", "GET", "/v1/secret", "", 200, json, `{}`, nil, "missing from the document"},
		{"unknown route", "GET", "/v1/secret", "", 404, pj, problem("not_found", 404, ""), nil, ""},
		{"unknown route, stray member", "GET", "/v1/secret", "", 404, pj, problem("not_found", 404, `,"seats":1`), nil, "seats"},
		{"unknown route, wrong code", "GET", "/v1/secret", "", 404, pj, problem("license_not_found", 404, ""), nil, "not_found"},
		{"wrong method", "PUT", "/v1/licenses", "", 405, pj, problem("method_not_allowed", 405, ""), []string{"Allow", "GET, HEAD, POST"}, ""},
		{"wrong method without Allow", "PUT", "/v1/licenses", "", 405, pj, problem("method_not_allowed", 405, ""), nil, "Allow"},
		{"Allow lacks a method", "POST", "/v1/licenses/" + id, "", 405, pj, problem("method_not_allowed", 405, ""), []string{"Allow", "GET"}, "PATCH"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, "http://127.0.0.1:1"+c.path, strings.NewReader(c.reqBody))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer lk_abc_def")
			if c.reqBody != "" {
				req.Header.Set("Content-Type", json)
			}
			res := &http.Response{StatusCode: c.status, Header: http.Header{}}
			res.Header.Set("Content-Type", c.contentType)
			res.Header.Set("X-Request-Id", "rid-1")
			for i := 0; i+1 < len(c.header); i += 2 {
				if c.header[i+1] == "" {
					res.Header.Del(c.header[i])
				} else {
					res.Header.Set(c.header[i], c.header[i+1])
				}
			}
			got := strings.Join(contract(t).violations(req, []byte(c.reqBody), res, []byte(c.resBody)), "\n")
			switch {
			case c.want == "" && got != "":
				t.Fatalf("violations where none are due:\n%s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Fatalf("want a violation mentioning %q, got:\n%s", c.want, got)
			}
		})
	}
}
