package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/licensedhq/licensed/issuer"
)

// maxBody is the largest request body API.md accepts.
const maxBody = 64 << 10

var errBodyRequired = &issuer.Error{Code: issuer.CodeInvalidJSON, Detail: "a JSON object body is required"}

// decode reads a JSON object body into v strictly: unknown members and
// wrong types are field errors (422), anything not a single JSON object is
// invalid_json (400). An empty body is fine when optional is set.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return issuer.Errorf(issuer.CodePayloadTooLarge, "the body exceeds %d bytes", maxBody)
	}
	if err != nil {
		return issuer.Errorf(issuer.CodeInvalidJSON, "the body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return errBodyRequired
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return issuer.Errorf(issuer.CodeUnsupportedMediaType, "send the body as Content-Type: application/json")
	}
	return unmarshalStrict(body, v)
}

func unmarshalStrict(body []byte, v any) error {
	if trimmed := bytes.TrimSpace(body); trimmed[0] != '{' {
		return issuer.Errorf(issuer.CodeInvalidJSON, "the body must be a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		if _, extra := d.Token(); extra != io.EOF {
			return issuer.Errorf(issuer.CodeInvalidJSON, "the body holds more than one JSON value")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fieldError(typeErr.Field, fmt.Sprintf("must be %s", jsonKind(typeErr.Type.Kind().String())))
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fieldError(strings.Trim(field, `"`), "is not a known member")
	}
	return issuer.Errorf(issuer.CodeInvalidJSON, "the body is not valid JSON: %v", err)
}

func fieldError(field, msg string) error {
	if field == "" {
		field = "body"
	}
	return &issuer.Error{
		Code:   issuer.CodeValidationFailed,
		Detail: "the request has invalid fields",
		Fields: []issuer.FieldError{{Field: field, Message: msg}},
	}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "ptr":
		return "of another type"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") {
		return "an integer"
	}
	if strings.HasPrefix(kind, "float") {
		return "a number"
	}
	return "of another type"
}
