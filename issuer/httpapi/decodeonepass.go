package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"

	"github.com/go-json-experiment/json/jsontext"
)

// decodeBody is decodeStrict with a decoder to reuse: one pass for a body
// it accepts (decodeOnePass), the two for any other. The decoder reads buf
// in place (jsontext does not copy a bytes.Buffer), and the body stays
// valid for the second try.
func decodeBody(d *jsontext.Decoder, buf *bytes.Buffer, v any, fieldsOf func(reflect.Type) map[string]field) error {
	body := buf.Bytes()
	if decodeOnePass(d, buf, v, fieldsOf) {
		return nil
	}
	return decodeWith(body, v, fieldsOf)
}

// bodyDecoder is what decoding a request body needs, kept between
// requests (Server.bodies): the body's buffer and a JSON decoder, whose
// own buffers and name sets are reused by Reset.
type bodyDecoder struct {
	buf bytes.Buffer
	dec jsontext.Decoder
}

// decodeOnePass is decodeStrict's answer for a body it accepts, in one
// pass instead of two: the member values are read with ReadValue, which
// checks them to the same letter as the first pass (duplicate names at any
// depth, UTF-8, surrogate escapes), so only U+0000 needs looking for. It
// reports false, leaving v alone, at anything that is not plainly
// accepted — a syntax error, an unknown member, a "\u0000" anywhere (or
// what looks like one), a type error — and the caller then runs
// decodeWith, whose two passes give the exact answer: refusals cost two
// passes and a half, acceptances one.
func decodeOnePass(d *jsontext.Decoder, r io.Reader, v any, fieldsOf func(reflect.Type) map[string]field) bool {
	d.Reset(r)
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	out := reflect.ValueOf(v).Elem()
	target := reflect.New(out.Type()).Elem()
	fields := fieldsOf(target.Type())
	for d.PeekKind() != '}' {
		tok, err := d.ReadToken()
		if err != nil {
			return false
		}
		f, ok := fields[tok.String()]
		if !ok {
			return false // also a name holding U+0000: no field has one
		}
		raw, err := d.ReadValue()
		if err != nil || bytes.Contains(raw, []byte(nulEscape)) {
			return false
		}
		switch {
		case raw.Kind() == 'n' && !f.nullable:
			return false
		case raw.Kind() == 'n':
			if n, ok := target.FieldByIndex(f.index).Addr().Interface().(interface{ SetNull() }); ok {
				n.SetNull()
			}
			continue
		}
		fv := target.FieldByIndex(f.index)
		if raw.Kind() == '"' && setString(fv, raw) {
			continue
		}
		if json.Unmarshal(raw, fv.Addr().Interface()) != nil {
			return false
		}
	}
	if _, err := d.ReadToken(); err != nil { // '}'
		return false
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return false
	}
	out.Set(target)
	return true
}

// nulEscape is how U+0000 appears in valid JSON text: a raw NUL is a
// syntax error.
const nulEscape = `\u0000`
