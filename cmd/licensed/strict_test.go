package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/licensedhq/licensed/issuer/httpapi"
)

// TestStrictInputFromDocument derives its cases from the OpenAPI document:
// for every operation with a request body, every member of its schema is
// mis-cased, duplicated, nulled, emptied, and has U+0000, an escaped lone
// surrogate and a raw invalid UTF-8 byte injected (into its string, its
// array's string, its object's value and member name), and every body gets
// an unknown member and a bad member name. Each case must get the answer
// docs/API.md "Strict input" gives it, the same on SQLite and PostgreSQL,
// and no row may be written by any of them.
func TestStrictInputFromDocument(t *testing.T) {
	doc := strictDoc(t)
	var mu sync.Mutex
	answers := map[string]map[string]string{} // backend → case → answer
	t.Cleanup(func() {
		sq, pg := answers["sqlite"], answers["postgres"]
		if len(sq) == 0 || len(pg) == 0 {
			return // a backend skipped or failed; it said so
		}
		for _, name := range slices.Sorted(maps.Keys(sq)) {
			if sq[name] != pg[name] {
				t.Errorf("%s: SQLite answers %s, PostgreSQL %s", name, sq[name], pg[name])
			}
		}
		if len(sq) != len(pg) {
			t.Errorf("%d cases on SQLite, %d on PostgreSQL", len(sq), len(pg))
		}
	})
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := b.env(t)
			s := serve(t, env)
			fx := newStrictFixture(t, s, env)
			got := map[string]string{}
			before := s.tableCounts(t)
			cases := doc.cases(t, fx)
			t.Logf("%d cases derived from the document", len(cases))
			if len(cases) < 300 {
				t.Fatalf("only %d cases derived from the document", len(cases))
			}
			for _, c := range cases {
				r := s.call(t, c.method, c.path, c.apiKey, c.body)
				answer := fmt.Sprintf("%d %s %s", r.status, r.str("code"), firstField(r))
				got[c.name] = answer
				if r.status != c.status || r.str("code") != c.code || (c.field != "" && firstField(r) != c.field) {
					t.Errorf("%s\n  body %q\n  got %s, want %d %s %s\n  %s", c.name, c.body, answer, c.status, c.code, c.field, r.raw)
				}
			}
			if after := s.tableCounts(t); !maps.Equal(before, after) {
				t.Errorf("refused requests wrote rows: before %v, after %v", before, after)
			}
			mu.Lock()
			answers[b.name] = got
			mu.Unlock()
		})
	}
}

func firstField(r response) string {
	errs, _ := r.get("errors").([]any)
	if len(errs) == 0 {
		return ""
	}
	f, _ := errs[0].(map[string]any)["field"].(string)
	return f
}

// strictFixture is what the base bodies name: a brand with a license and
// a seat, and keys to call with.
type strictFixture struct {
	tenant
	admin, licenseID, licenseKey string
	hookKey                      string // webhooks:write
}

func newStrictFixture(t *testing.T, s *testServer, env map[string]string) strictFixture {
	t.Helper()
	fx := strictFixture{tenant: newTenant(t, env, "rankmath", 3)}
	fx.admin = mustCLI(t, env, "api-keys", "create", "--platform", "--name", "ops", "--scopes", "admin,licenses:read:all")["key"].(string)
	fx.hookKey = mustCLI(t, env, "api-keys", "create", "--brand", "rankmath", "--name", "hooks", "--scopes", "webhooks:write")["key"].(string)
	r := s.call(t, "POST", "/v1/licenses", fx.writeKey, map[string]any{"customer_email": "strict@example.com", "product": "rankmath-pro",
		"expires_at": "2099-01-01T00:00:00Z"})
	expect(t, r, http.StatusCreated, "")
	fx.licenseID, fx.licenseKey = r.str("license", "id"), r.str("license_key")
	expect(t, s.call(t, "POST", "/v1/activate", "", map[string]any{"license_key": fx.licenseKey, "product": "rankmath/rankmath-pro", "instance": "example.org"}), http.StatusCreated, "")
	return fx
}

// member is one member of a base body, in order, as raw JSON.
type member struct {
	name string
	raw  string
}

// baseBodies are valid bodies of every request schema, together covering
// each of its members (the test fails for a schema or member they miss).
func baseBodies(fx strictFixture) map[string][][]member {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return map[string][][]member{
		"ProvisionRequest": {{
			{"customer_email", q("new@example.com")}, {"product", q("rankmath-pro")}, {"seats", "2"},
			{"expires_at", q("2099-01-01T00:00:00Z")}, {"entitlements", `["pro"]`}, {"metadata", `{"order":"A-1"}`}, {"new_key", "true"},
		}},
		"PatchRequest":  {{{"seats", "3"}, {"entitlements", `["pro"]`}, {"metadata", `{"k":"v"}`}, {"expires_at", q("2100-01-01T00:00:00Z")}}},
		"RenewRequest":  {{{"extend_by_days", "30"}}, {{"expires_at", q("2100-01-01T00:00:00Z")}}},
		"ReasonRequest": {{{"reason", q("chargeback")}}},
		"EmptyRequest":  {{}},
		"SearchRequest": {{{"customer_email", q("strict@example.com")}, {"limit", "10"}, {"cursor", q("MDE5M2ExYzItN2U0Yi03YzNkLTlmMTAtMmI1ZThhNmQ0YzAx")}}},
		"ActivateRequest": {{
			{"license_key", q(fx.licenseKey)}, {"product", q("rankmath/rankmath-pro")}, {"instance", q("other.example.org")}, {"instance_name", q("Blog")},
		}},
		"ValidateRequest": {{{"license_key", q(fx.licenseKey)}, {"product", q("rankmath/rankmath-pro")}, {"instance", q("example.org")}}},
		"DeactivateRequest": {
			{{"license_key", q(fx.licenseKey)}, {"product", q("rankmath/rankmath-pro")}, {"instance", q("example.org")}},
			{{"license_key", q(fx.licenseKey)}, {"product", q("rankmath/rankmath-pro")}, {"activation_id", q("0193a1c2-7e4b-7c3d-9f10-2b5e8a6d4c01")}},
		},
		"ActivationsRequest": {{{"license_key", q(fx.licenseKey)}, {"product", q("rankmath/rankmath-pro")}}},
		"BrandRequest":       {{{"slug", q("newbrand")}, {"name", q("New Brand")}}},
		"BrandPatchRequest":  {{{"name", q("Renamed Brand")}}},
		"ProductRequest": {{{"slug", q("newprod")}, {"name", q("New")}, {"default_seats", "2"}, {"token_ttl_seconds", "3600"},
			{"free_instances", `["*.test"]`}, {"max_free_activations", "2"}, {"grace_days", "7"}, {"activation_ttl_seconds", "600"}}},
		"ProductPatchRequest": {{{"name", q("Renamed")}, {"default_seats", "2"}, {"token_ttl_seconds", "3600"},
			{"free_instances", `["*.test"]`}, {"max_free_activations", "2"}, {"grace_days", "7"}, {"activation_ttl_seconds", "600"}}},
		"OfflineActivationRequest": {{{"instance", q("machine-0042")}, {"instance_name", q("Lab")}}},
		"APIKeyRequest":            {{{"brand", q("rankmath")}, {"name", q("k")}, {"scopes", `["licenses:read"]`}}},
		"WebhookRequest":           {{{"brand", q("rankmath")}, {"url", q("https://hooks.example.com/licensed")}, {"events", `["license.cancelled"]`}}},
	}
}

func render(ms []member) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		n, _ := json.Marshal(m.name)
		parts[i] = string(n) + ":" + m.raw
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// renderRawName renders with the member's name written as raw JSON text.
func renderRawName(ms []member, i int, rawName string) string {
	parts := make([]string, len(ms))
	for j, m := range ms {
		n, _ := json.Marshal(m.name)
		if j == i {
			n = []byte(rawName)
		}
		parts[j] = string(n) + ":" + m.raw
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// strictDocument is the part of the OpenAPI document the cases come from.
type strictDocument struct {
	ops []strictOp
	// schemas are the request schemas by name.
	schemas map[string]map[string]any
}

type strictOp struct {
	method, path, schema string
	brand, admin, hooks  bool
}

func strictDoc(t *testing.T) strictDocument {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(httpapi.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	d := strictDocument{schemas: map[string]map[string]any{}}
	all := doc["components"].(map[string]any)["schemas"].(map[string]any)
	paths := doc["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item := paths[path].(map[string]any)
		for _, method := range slices.Sorted(maps.Keys(item)) {
			op, ok := item[method].(map[string]any)
			if !ok || op["requestBody"] == nil {
				continue
			}
			ref := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			d.schemas[name] = all[name].(map[string]any)
			sec, _ := op["security"].([]any)
			o := strictOp{method: strings.ToUpper(method), path: path, schema: name, brand: len(sec) > 0}
			for _, req := range sec {
				for _, scope := range req.(map[string]any)["apiKey"].([]any) {
					o.admin = o.admin || scope == "admin"
					o.hooks = o.hooks || scope == "webhooks:write"
				}
			}
			d.ops = append(d.ops, o)
		}
	}
	return d
}

type strictCase struct {
	name, method, path, apiKey, body string
	status                           int
	code, field                      string
}

// cases derives every case of every operation.
func (d strictDocument) cases(t *testing.T, fx strictFixture) []strictCase {
	t.Helper()
	bases := baseBodies(fx)
	var out []strictCase
	for _, op := range d.ops {
		schema := d.schemas[op.schema]
		if schema["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", op.schema)
		}
		props, _ := schema["properties"].(map[string]any)
		required := map[string]bool{}
		for _, r := range asList(schema["required"]) {
			required[r.(string)] = true
		}
		bs, ok := bases[op.schema]
		if !ok {
			t.Fatalf("no base body for %s (%s %s): add one to baseBodies", op.schema, op.method, op.path)
		}
		covered := map[string]bool{}
		for _, b := range bs {
			for _, m := range b {
				covered[m.name] = true
			}
		}
		for p := range props {
			if !covered[p] {
				t.Fatalf("%s.%s: no base body holds it", op.schema, p)
			}
		}
		path := strings.NewReplacer("{id}", fx.licenseID, "{slug}", "rankmath", "{product}", "rankmath-pro").Replace(op.path)
		key := ""
		switch {
		case op.admin:
			key = fx.admin
		case op.hooks:
			key = fx.hookKey
		case op.brand:
			key = fx.writeKey
		}
		add := func(what, body string, status int, code, field string) {
			out = append(out, strictCase{
				name:   fmt.Sprintf("%s %s: %s", op.method, op.path, what),
				method: op.method, path: path, apiKey: key, body: body, status: status, code: code, field: field,
			})
		}
		for bi, base := range bs {
			tag := ""
			if len(bs) > 1 {
				tag = fmt.Sprintf(" (base %d)", bi+1)
			}
			with := func(i int, raw string) string {
				ms := slices.Clone(base)
				ms[i].raw = raw
				return render(ms)
			}
			add("unknown member"+tag, render(append(slices.Clone(base), member{"x_unknown", "1"})), 422, "validation_failed", "x_unknown")
			add("NUL in a member name"+tag, renderRawName(append(slices.Clone(base), member{"", "1"}), len(base), `"a\u0000b"`), 422, "validation_failed", "body")
			add("lone surrogate in a member name"+tag, renderRawName(append(slices.Clone(base), member{"", "1"}), len(base), `"a\udc00"`), 422, "validation_failed", "body")
			add("invalid UTF-8 in a member name"+tag, renderRawName(append(slices.Clone(base), member{"", "1"}), len(base), "\"a\xff\""), 422, "validation_failed", "body")
			for i, m := range base {
				prop, _ := props[m.name].(map[string]any)
				typ, nullable := schemaType(d, prop)
				upper := strings.ToUpper(m.name)
				title := titleCase(m.name)
				add(m.name+" upper-cased"+tag, renderRawName(base, i, `"`+upper+`"`), 422, "validation_failed", upper)
				if title != m.name && title != upper {
					add(m.name+" title-cased"+tag, renderRawName(base, i, `"`+title+`"`), 422, "validation_failed", title)
				}
				add(m.name+" duplicated"+tag, render(append(slices.Clone(base), m)), 400, "invalid_json", "")
				if !nullable {
					add(m.name+" null"+tag, with(i, "null"), 422, "validation_failed", m.name)
				}
				emptyRefused := typ != "string" || numberOr(prop["minLength"]) > 0 || prop["pattern"] != nil ||
					prop["format"] != nil || prop["enum"] != nil || required[m.name] || strings.HasPrefix(refOf(prop), "#/components/schemas/")
				if emptyRefused {
					add(m.name+" emptied"+tag, with(i, `""`), 422, "validation_failed", m.name)
				}
				for bad, text := range map[string]string{"NUL": `\u0000`, "lone surrogate": `\ud800`, "invalid UTF-8": "\xff"} {
					switch typ {
					case "string":
						add(fmt.Sprintf("%s in %s%s", bad, m.name, tag), with(i, `"x`+text+`y"`), 422, "validation_failed", m.name)
					case "array":
						add(fmt.Sprintf("%s in %s's item%s", bad, m.name, tag), with(i, `["pro","x`+text+`"]`), 422, "validation_failed", m.name)
					case "object":
						add(fmt.Sprintf("%s in %s's value%s", bad, m.name, tag), with(i, `{"k":{"deep":["x`+text+`"]}}`), 422, "validation_failed", m.name)
						add(fmt.Sprintf("%s in %s's member name%s", bad, m.name, tag), with(i, `{"k`+text+`":1}`), 422, "validation_failed", m.name)
					}
				}
				if typ == "object" {
					add(m.name+" with a member twice"+tag, with(i, `{"k":1,"k":2}`), 400, "invalid_json", "")
					add(m.name+" with a member twice, deep"+tag, with(i, `{"a":[{"k":1,"\u006b":1}]}`), 400, "invalid_json", "")
				}
			}
		}
	}
	return out
}

// schemaType is the JSON type of a property (through allOf and $ref) and
// whether it admits null.
func schemaType(d strictDocument, prop map[string]any) (string, bool) {
	switch t := prop["type"].(type) {
	case string:
		return t, false
	case []any:
		var typ string
		null := false
		for _, x := range t {
			if x == "null" {
				null = true
			} else {
				typ = x.(string)
			}
		}
		return typ, null
	}
	if ref := refOf(prop); ref != "" {
		return schemaType(d, strictSchema(ref))
	}
	return "", false
}

// refOf is a property's $ref, directly or as its only allOf.
func refOf(prop map[string]any) string {
	if r, ok := prop["$ref"].(string); ok {
		return r
	}
	if all := asList(prop["allOf"]); len(all) == 1 {
		r, _ := all[0].(map[string]any)["$ref"].(string)
		return r
	}
	return ""
}

var strictSchemas = sync.OnceValue(func() map[string]any {
	var doc map[string]any
	json.Unmarshal(httpapi.OpenAPIDocument(), &doc)
	return doc["components"].(map[string]any)["schemas"].(map[string]any)
})

func strictSchema(ref string) map[string]any {
	return strictSchemas()[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
}

func asList(v any) []any { l, _ := v.([]any); return l }

func numberOr(v any) float64 { f, _ := v.(float64); return f }

// titleCase is Customer_Email for customer_email.
func titleCase(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "_")
}

// tableCounts counts the rows of every table of the server's store,
// straight from the database.
func (s *testServer) tableCounts(t *testing.T) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	if s.env["LICENSED_DATABASE_URL"] != "" {
		conn, err := pgx.Connect(ctx, s.env["LICENSED_DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			var c int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{n}.Sanitize()).Scan(&c); err != nil {
				t.Fatal(err)
			}
			out[n] = c
		}
		return out
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.env["LICENSED_DATA_DIR"], "licensed.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		var c int
		if err := db.QueryRow(`SELECT count(*) FROM "` + n + `"`).Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	if len(out) == 0 {
		t.Fatal("no tables counted")
	}
	return out
}
