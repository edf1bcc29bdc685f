package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/licensedhq/licensed/issuer"
)

// TestDecodeStrict holds the one request decoder to docs/API.md "Strict
// input": each body gets its code and, for 422, the member it names.
func TestDecodeStrict(t *testing.T) {
	type input struct {
		Name     string          `json:"name"`
		Seats    *int            `json:"seats"`
		When     *string         `json:"when" api:"nullable"`
		Tags     []string        `json:"tags"`
		Metadata json.RawMessage `json:"metadata"`
	}
	cases := []struct {
		name, body  string
		code, field string
	}{
		{"valid", `{"name":"a","seats":2,"when":"x","tags":["t"],"metadata":{"k":{"n":[1,"\ud83d\ude00"]}}}`, "", ""},
		{"nullable null", `{"name":"a","when":null}`, "", ""},
		{"empty object", `{}`, "", ""},
		{"whitespace around", " \n{\"name\":\"a\"}\t ", "", ""},
		{"escaped backslash before u0000", `{"name":"a\\u0000b","metadata":{"\\u0000":"\\u0000"}}`, "", ""},
		{"form feed before the object", "\f{}", issuer.CodeInvalidJSON, ""},

		{"unknown member", `{"colour":"red"}`, issuer.CodeValidationFailed, "colour"},
		{"mis-cased member", `{"Name":"a"}`, issuer.CodeValidationFailed, "Name"},
		{"upper-cased member", `{"SEATS":1}`, issuer.CodeValidationFailed, "SEATS"},
		{"null", `{"name":null}`, issuer.CodeValidationFailed, "name"},
		{"null pointer member", `{"seats":null}`, issuer.CodeValidationFailed, "seats"},
		{"null raw member", `{"metadata":null}`, issuer.CodeValidationFailed, "metadata"},
		{"wrong type", `{"seats":"2"}`, issuer.CodeValidationFailed, "seats"},
		{"fraction", `{"seats":1.5}`, issuer.CodeValidationFailed, "seats"},
		{"array item type", `{"tags":[1]}`, issuer.CodeValidationFailed, "tags"},

		{"NUL in a value", `{"name":"a\u0000b"}`, issuer.CodeValidationFailed, "name"},
		{"NUL in a name", `{"na\u0000me":"a"}`, issuer.CodeValidationFailed, "body"},
		{"NUL in a nested value", `{"metadata":{"k":["x","\u0000"]}}`, issuer.CodeValidationFailed, "metadata"},
		{"NUL in a nested name", `{"metadata":{"\u0000":1}}`, issuer.CodeValidationFailed, "metadata"},
		{"NUL in an unknown member", `{"other":"\u0000"}`, issuer.CodeValidationFailed, "other"},
		{"lone high surrogate", `{"name":"\ud800"}`, issuer.CodeValidationFailed, "name"},
		{"lone low surrogate", `{"name":"x\udfff"}`, issuer.CodeValidationFailed, "name"},
		{"reversed pair", `{"name":"\ude00\ud83d"}`, issuer.CodeValidationFailed, "name"},
		{"surrogate then letter", `{"name":"\ud800\u0041"}`, issuer.CodeValidationFailed, "name"},
		{"surrogate in a nested name", `{"metadata":{"\udc00":1}}`, issuer.CodeValidationFailed, "metadata"},
		{"raw invalid UTF-8", "{\"name\":\"a\xffb\"}", issuer.CodeValidationFailed, "name"},
		{"raw invalid UTF-8 nested", "{\"metadata\":{\"k\":\"\xc3\"}}", issuer.CodeValidationFailed, "metadata"},
		{"raw invalid UTF-8 in a name", "{\"n\xffme\":1}", issuer.CodeValidationFailed, "body"},

		{"duplicate", `{"name":"a","name":"b"}`, issuer.CodeInvalidJSON, ""},
		{"duplicate escaped", `{"name":"a","n\u0061me":"b"}`, issuer.CodeInvalidJSON, ""},
		{"duplicate nested", `{"metadata":{"k":1,"k":2}}`, issuer.CodeInvalidJSON, ""},
		{"duplicate deep", `{"metadata":{"a":[{"k":1,"k":1}]}}`, issuer.CodeInvalidJSON, ""},
		{"duplicate unknown", `{"x":1,"x":1}`, issuer.CodeInvalidJSON, ""},
		{"raw control character", "{\"name\":\"a\x00\"}", issuer.CodeInvalidJSON, ""},
		{"bad escape", `{"name":"\x"}`, issuer.CodeInvalidJSON, ""},
		{"two values", `{}{}`, issuer.CodeInvalidJSON, ""},
		{"trailing garbage", `{} x`, issuer.CodeInvalidJSON, ""},
		{"array", `[]`, issuer.CodeInvalidJSON, ""},
		{"string", `"x"`, issuer.CodeInvalidJSON, ""},
		{"truncated", `{"name":`, issuer.CodeInvalidJSON, ""},
		{"trailing comma", `{"name":"a",}`, issuer.CodeInvalidJSON, ""},
		{"empty", ``, issuer.CodeInvalidJSON, ""},
	}
	// The server's decoder, reused from case to case as the server reuses
	// it from request to request, must answer each body exactly as the
	// two passes do.
	var reused jsontext.Decoder
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in, viaServer input
			err := decodeStrict([]byte(c.body), &in)
			err2 := decodeBody(&reused, bytes.NewBufferString(c.body), &viaServer, jsonFields)
			if !reflect.DeepEqual(err, err2) || !reflect.DeepEqual(in, viaServer) {
				t.Fatalf("%s: the server's decoder answers %v %+v, the two passes %v %+v", c.body, err2, viaServer, err, in)
			}
			// One pass accepts what the two accept (unless it holds what
			// may be U+0000), and nothing else.
			var once input
			wantOnce := c.code == "" && !strings.Contains(c.body, `\u0000`)
			if got := decodeOnePass(&reused, bytes.NewBufferString(c.body), &once, jsonFields); got != wantOnce {
				t.Fatalf("%s: one pass accepts: %v, want %v", c.body, got, wantOnce)
			}
			if got := issuer.ErrorCode(err); got != c.code {
				t.Fatalf("%s: code %q, want %q (%v)", c.body, got, c.code, err)
			}
			if c.code != "" && !reflect.ValueOf(in).IsZero() {
				t.Fatalf("a refused body was partly decoded: %+v", in)
			}
			if c.field == "" {
				return
			}
			var e *issuer.Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
				t.Fatalf("%s: %+v, want one field error for %q", c.body, e, c.field)
			}
			if strings.ContainsRune(e.Error(), 0) {
				t.Fatalf("the error repeats a NUL: %q", e.Error())
			}
		})
	}
}

func TestDecodeStrictFills(t *testing.T) {
	const body = `{"customer_email":"j@example.com","product":"p","seats":3,"expires_at":null,"metadata":{"a":"b"},"new_key":true}`
	var in, viaServer issuer.ProvisionInput
	if err := decodeStrict([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	var d jsontext.Decoder
	if err := decodeBody(&d, bytes.NewBufferString(body), &viaServer, jsonFields); err != nil || !reflect.DeepEqual(in, viaServer) {
		t.Fatalf("the server's decoder: %v %+v, want %+v", err, viaServer, in)
	}
	if in.CustomerEmail != "j@example.com" || in.Product != "p" || *in.Seats != 3 || in.ExpiresAt != nil ||
		string(in.Metadata) != `{"a":"b"}` || !in.NewKey {
		t.Fatalf("%+v", in)
	}
}
