package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Every example in the document must be valid against the schema it
// illustrates, with the strictness of Redocly CLI's lint (which .ci/run
// runs with its recommended rules): an object schema that lists
// properties admits no others in an example, even where the schema itself
// leaves them open — the way a reader takes an example. This test holds
// the same line in `make test`, with a message that names the example.
//
// Redocly closes every schema that has properties or patternProperties
// and says nothing of additionalProperties/unevaluatedProperties, except a
// direct member of an allOf (whose siblings evaluate the rest). It also
// closes the subschemas of if/then/else, anyOf and oneOf, so conditional
// rules written with properties reject valid examples there: the document
// states such rules in descriptions instead (docs/API.md, "Writing the
// OpenAPI document").

// schemaKeys are the members whose value is a schema; schemaMapKeys and
// schemaListKeys hold schemas by name or in a list.
var (
	schemaKeys     = []string{"schema", "items", "not", "if", "then", "else", "additionalProperties", "unevaluatedProperties", "contains", "propertyNames", "unevaluatedItems"}
	schemaMapKeys  = []string{"properties", "patternProperties", "$defs", "dependentSchemas"}
	schemaListKeys = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// closeSchemas adds unevaluatedProperties: false where Redocly assumes it.
// node is a schema; inAllOf says it is a direct allOf member.
func closeSchemas(node any, inAllOf bool) {
	s, ok := node.(map[string]any)
	if !ok {
		return
	}
	_, hasProps := s["properties"]
	_, hasPattern := s["patternProperties"]
	_, hasAdditional := s["additionalProperties"]
	_, hasUnevaluated := s["unevaluatedProperties"]
	if (hasProps || hasPattern) && !hasAdditional && !hasUnevaluated && !inAllOf {
		s["unevaluatedProperties"] = false
	}
	for _, k := range schemaKeys {
		if k != "schema" {
			closeSchemas(s[k], false)
		}
	}
	for _, k := range schemaMapKeys {
		if m, ok := s[k].(map[string]any); ok {
			for _, sub := range m {
				closeSchemas(sub, false)
			}
		}
	}
	for _, k := range schemaListKeys {
		if l, ok := s[k].([]any); ok {
			for _, sub := range l {
				closeSchemas(sub, k == "allOf")
			}
		}
	}
}

// exampleSite is one example and the schema it must satisfy, both as JSON
// pointers into the document.
type exampleSite struct {
	example, schema string
	value           any
}

// collectExamples finds every example in the document: `example` and
// `examples.*.value` beside a `schema` (media types, parameters, headers),
// and the `examples` list of a schema. It closes every schema on the way.
func collectExamples(node any, ptr string, isSchema bool, out *[]exampleSite) {
	switch n := node.(type) {
	case []any:
		for i, v := range n {
			collectExamples(v, fmt.Sprintf("%s/%d", ptr, i), false, out)
		}
	case map[string]any:
		if isSchema {
			closeSchemas(n, false)
			if l, ok := n["examples"].([]any); ok {
				for i, v := range l {
					*out = append(*out, exampleSite{fmt.Sprintf("%s/examples/%d", ptr, i), ptr, v})
				}
			}
		}
		if _, ok := n["schema"].(map[string]any); ok && !isSchema {
			if v, ok := n["example"]; ok {
				*out = append(*out, exampleSite{ptr + "/example", ptr + "/schema", v})
			}
			if exs, ok := n["examples"].(map[string]any); ok {
				for name, ex := range exs {
					if v, ok := ex.(map[string]any)["value"]; ok {
						*out = append(*out, exampleSite{ptr + "/examples/" + escapePointer(name) + "/value", ptr + "/schema", v})
					}
				}
			}
		}
		for k, v := range n {
			switch {
			case k == "example" || k == "examples" || k == "value" || k == "const" || k == "enum" || k == "default":
				// example data, not document structure
			case isSchema && slices.Contains(schemaMapKeys, k):
				if m, ok := v.(map[string]any); ok {
					for name, sub := range m {
						collectExamples(sub, ptr+"/"+k+"/"+escapePointer(name), true, out)
					}
				}
			case isSchema && slices.Contains(schemaListKeys, k):
				if l, ok := v.([]any); ok {
					for i, sub := range l {
						collectExamples(sub, fmt.Sprintf("%s/%s/%d", ptr, k, i), true, out)
					}
				}
			default:
				sub := k == "schema" || (isSchema && slices.Contains(schemaKeys, k))
				if ptr == "#/components/schemas" {
					sub = true
				}
				collectExamples(v, ptr+"/"+escapePointer(k), sub, out)
			}
		}
	}
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// strictExampleProblems validates every example of spec against its
// schema, closed as Redocly closes it, and counts the examples.
func strictExampleProblems(t *testing.T, spec []byte) (checked int, out []string) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	var sites []exampleSite
	collectExamples(doc, "#", false, &sites)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	const loc = "urn:licensed:openapi.json"
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		frag := (&url.URL{Fragment: strings.TrimPrefix(s.schema, "#")}).EscapedFragment()
		sch, err := c.Compile(loc + "#" + frag)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: schema %s does not compile: %v", s.example, s.schema, err))
			continue
		}
		checked++
		if err := sch.Validate(s.value); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", s.example, err))
		}
	}
	return checked, out
}

func TestOpenAPIExamplesStrict(t *testing.T) {
	checked, problems := strictExampleProblems(t, openAPIDocument)
	for _, p := range problems {
		t.Error(p)
	}
	if checked < 50 {
		t.Errorf("only %d examples checked", checked)
	}
	t.Logf("%d examples valid", checked)

	// Each kind of bad example must fail: a wrong type, a member the schema
	// does not list, a bad example of a schema's own examples list, a bad
	// parameter example.
	doc := docJSON(t)
	seatLimit := dig(doc, "components", "responses", "ActivationLimit", "content", "application/problem+json", "examples", "seat_limit_reached", "value").(map[string]any)
	for name, breakIt := range map[string]func(doc map[string]any){
		"a string for seats": func(doc map[string]any) {
			dig(doc, "components", "responses", "ActivationLimit", "content", "application/problem+json", "examples", "seat_limit_reached", "value").(map[string]any)["seats"] = "five"
		},
		"an unlisted member": func(doc map[string]any) {
			dig(doc, "components", "responses", "ActivationLimit", "content", "application/problem+json", "examples", "seat_limit_reached", "value").(map[string]any)["colour"] = "red"
		},
		"a schema example": func(doc map[string]any) {
			dig(doc, "components", "schemas", "FieldError", "properties", "message").(map[string]any)["examples"] = []any{""}
		},
		"a parameter example": func(doc map[string]any) {
			dig(doc, "components", "parameters", "Limit").(map[string]any)["example"] = 0
		},
	} {
		doc := docJSON(t)
		breakIt(doc)
		b, _ := json.Marshal(doc)
		if _, got := strictExampleProblems(t, b); len(got) == 0 {
			t.Errorf("%s went unnoticed", name)
		}
	}
	if seatLimit["seats"] == nil {
		t.Error("ActivationLimit's seat_limit_reached example has no seats: update this test")
	}
}
