package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/licensedhq/licensed/issuer"
)

// maxBody is the largest request body docs/API.md accepts.
const maxBody = 64 << 10

var errBodyRequired = &issuer.Error{Code: issuer.CodeInvalidJSON, Detail: "a JSON object body is required"}

// decode reads a JSON object body into v, a pointer to an input struct, by
// the rules of docs/API.md "Strict input" (see decodeStrict). An empty body
// is fine when optional is set.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	bd := s.bodies.Get().(*bodyDecoder)
	defer s.bodies.Put(bd)
	bd.buf.Reset()
	_, err := bd.buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return issuer.Errorf(issuer.CodePayloadTooLarge, "the body exceeds %d bytes", maxBody)
	}
	if err != nil {
		return issuer.Errorf(issuer.CodeInvalidJSON, "the body could not be read")
	}
	body := bd.buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return errBodyRequired
	}
	// The media type every client sends needs no parsing (which allocates
	// a map of parameters); anything else is parsed.
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return issuer.Errorf(issuer.CodeUnsupportedMediaType, "send the body as Content-Type: application/json")
		}
	}
	return decodeBody(&bd.dec, &bd.buf, v, s.fieldsOf)
}

// fieldsOf is jsonFields, computed once per input type for the server's
// life (it was a fifth of a validation's decoding).
func (s *Server) fieldsOf(t reflect.Type) map[string]field {
	if f, ok := s.fields.Load(t); ok {
		return f.(map[string]field)
	}
	f := jsonFields(t)
	s.fields.Store(t, f)
	return f
}

// decodeStrict is the one decoder of every request body. It reads body in
// two passes:
//
//  1. a token-level walk of the whole document with jsontext (RFC 8259 to
//     the letter: no duplicate member names at any depth, no invalid UTF-8,
//     no unpaired surrogate escapes), which also refuses U+0000 in any
//     string or member name — text PostgreSQL cannot store and SQLite
//     would, so that the same body gets the same answer on every store;
//  2. the top-level members into v's fields by their exact json tag: an
//     unknown name (including a known one in other letter case) is a
//     field error, so is null for a field not tagged `api:"nullable"`, and
//     each value is decoded into its field on its own, so that a type
//     error names its member.
//
// Nothing is decoded into v unless the whole body passed the first pass.
func decodeStrict(body []byte, v any) error { return decodeWith(body, v, jsonFields) }

func decodeWith(body []byte, v any, fieldsOf func(reflect.Type) map[string]field) error {
	if err := scan(body); err != nil {
		return err
	}
	out := reflect.ValueOf(v).Elem()
	target := reflect.New(out.Type()).Elem()
	fields := fieldsOf(target.Type())
	d := jsontext.NewDecoder(bytes.NewReader(body))
	if _, err := d.ReadToken(); err != nil { // '{', checked by scan
		return invalidJSON(err)
	}
	for d.PeekKind() != '}' {
		tok, err := d.ReadToken()
		if err != nil {
			return invalidJSON(err)
		}
		name := tok.String() // the token is void after the next read
		raw, err := d.ReadValue()
		if err != nil {
			return invalidJSON(err)
		}
		f, ok := fields[name]
		switch {
		case !ok:
			return fieldError(name, "is not a known member (names are case-sensitive)")
		case raw.Kind() == 'n' && !f.nullable:
			return fieldError(f.name, "must not be null: leave the member out instead")
		case raw.Kind() == 'n':
			// null of a nullable member is absent, unless the member
			// tells the two apart (issuer.Nullable).
			if n, ok := target.FieldByIndex(f.index).Addr().Interface().(interface{ SetNull() }); ok {
				n.SetNull()
			}
			continue
		}
		fv := target.FieldByIndex(f.index)
		if raw.Kind() == '"' && setString(fv, raw) {
			continue
		}
		if err := json.Unmarshal(raw, fv.Addr().Interface()); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				return fieldError(f.name, "must be "+jsonKind(typeErr.Type.Kind().String()))
			}
			return fieldError(f.name, "is not valid here")
		}
	}
	out.Set(target)
	return nil
}

// setString sets a string or *string field from a JSON string the first
// pass has checked, without encoding/json's reflection; false for fields of
// other types (a named string type with its own decoding included).
func setString(fv reflect.Value, raw jsontext.Value) bool {
	t := fv.Type()
	isPtr := t.Kind() == reflect.Pointer
	if isPtr {
		t = t.Elem()
	}
	if t != reflect.TypeFor[string]() {
		return false
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return false
	}
	str := string(b)
	if isPtr {
		fv.Set(reflect.ValueOf(&str))
	} else {
		fv.SetString(str)
	}
	return true
}

// scan is the first pass of decodeStrict.
func scan(body []byte) error {
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return issuer.Errorf(issuer.CodeInvalidJSON, "the body must be a JSON object")
	}
	d := jsontext.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.ReadToken()
		if err != nil {
			return scanError(body, err)
		}
		if tok.Kind() == '"' && strings.IndexByte(tok.String(), 0) >= 0 {
			return badText(d.StackPointer(), isName(d), "U+0000")
		}
		if d.StackDepth() == 0 {
			break
		}
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return issuer.Errorf(issuer.CodeInvalidJSON, "the body holds more than one JSON value")
	}
	return nil
}

// isName reports whether the string token just read was a member name:
// an object's count of names and values is odd right after a name.
func isName(d *jsontext.Decoder) bool {
	kind, n := d.StackIndex(d.StackDepth())
	return kind == '{' && n%2 == 1
}

// scanError sorts the first pass's failures: text that is not Unicode
// (invalid UTF-8, an unpaired surrogate escape) is a field error like
// U+0000; a duplicate member name and anything else is not JSON we accept.
func scanError(body []byte, err error) error {
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) || se.ByteOffset < 0 || se.ByteOffset >= int64(len(body)) {
		return invalidJSON(err)
	}
	at := body[se.ByteOffset:]
	if r, size := utf8.DecodeRune(at); r == utf8.RuneError && size <= 1 {
		return badText(se.JSONPointer, false, "invalid UTF-8")
	}
	if surrogateEscape(at) {
		return badText(se.JSONPointer, false, "an unpaired surrogate")
	}
	if errors.Is(se.Err, jsontext.ErrDuplicateName) {
		return issuer.Errorf(issuer.CodeInvalidJSON, "the member %s is given twice", pointerText(se.JSONPointer))
	}
	return invalidJSON(err)
}

// surrogateEscape reports whether b starts with \uD800-\uDFFF.
func surrogateEscape(b []byte) bool {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return false
	}
	n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	return err == nil && n >= 0xD800 && n <= 0xDFFF
}

// badText is the 422 for a string or name that is not storable text. The
// field is the top-level member it is in; the message says where inside.
func badText(p jsontext.Pointer, name bool, what string) error {
	field, where := "body", ""
	tokens := pointerTokens(p)
	if name && len(tokens) > 0 {
		tokens = tokens[:len(tokens)-1] // the bad name itself is no place to point at
		where = "a member name"
	}
	if len(tokens) > 0 && utf8.ValidString(tokens[0]) && strings.IndexByte(tokens[0], 0) < 0 {
		field = tokens[0]
	}
	msg := "must not hold " + what
	if where != "" {
		msg = "must not hold " + what + " in " + where
	}
	if len(tokens) > 1 {
		msg += fmt.Sprintf(" (at %s)", pointerText(p))
	}
	return fieldError(field, msg)
}

func pointerTokens(p jsontext.Pointer) []string {
	var out []string
	for t := range p.Tokens() {
		out = append(out, t)
	}
	return out
}

// pointerText renders a JSON pointer for a message: quoted, so that
// whatever a client put in a name is shown escaped.
func pointerText(p jsontext.Pointer) string {
	s := string(p)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return fmt.Sprintf("%q", s)
}

func invalidJSON(err error) error {
	return issuer.Errorf(issuer.CodeInvalidJSON, "the body is not valid JSON: %v", err)
}

// field is one member of an input struct.
type field struct {
	name     string
	index    []int
	nullable bool
}

// jsonFields maps the exact json names of t's fields to the fields. It is
// recomputed per request: input structs have a handful of fields, and a
// cache would be a mutable package global.
func jsonFields(t reflect.Type) map[string]field {
	out := make(map[string]field, t.NumField())
	// Fields of embedded structs are members too, as encoding/json reads
	// them (issuer.ProductInput embeds the settings PATCH shares).
	for _, sf := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || sf.Anonymous || name == "-" || name == "" {
			continue
		}
		out[name] = field{name: name, index: sf.Index, nullable: sf.Tag.Get("api") == "nullable"}
	}
	return out
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
