package verifier

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a strict RFC 8259 reader for the few small documents this
// package reads (token header, claims, JWKS). It exists instead of
// encoding/json because the contract needs what encoding/json does not do:
// duplicate member names are rejected at every level, member names match
// case-sensitively, integers are JSON integers (no 1.0, no 1e3), and invalid
// UTF-8 or lone surrogates are errors rather than silently replaced. Being
// reflection-free it is also faster, which the speed goal needs.
type scanner struct {
	b     []byte
	i     int
	depth int
}

// maxDepth bounds nesting in unknown claims; real tokens have depth 2.
const maxDepth = 32

type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string {
	return e.msg + " at offset " + strconv.Itoa(e.off)
}

func (s *scanner) fail(msg string) error { return &syntaxError{msg: msg, off: s.i} }

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, reporting whether c was there.
func (s *scanner) consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end checks that nothing but white space follows the document.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.fail("data after the JSON value")
	}
	return nil
}

// object reads an object, calling member for each member name after its
// colon; member must read the value. Names are compared after unescaping,
// so "iss" and "\u0069ss" are duplicates.
func (s *scanner) object(member func(name []byte) error) error {
	if !s.consume('{') {
		return s.fail("expected an object")
	}
	if s.depth++; s.depth > maxDepth {
		return s.fail("nested too deep")
	}
	var seen names
	if !s.consume('}') {
		for {
			name, err := s.strBytes()
			if err != nil {
				return err
			}
			if !seen.add(name) {
				return s.fail("duplicate member " + quote(string(name)))
			}
			if !s.consume(':') {
				return s.fail("expected ':'")
			}
			if err := member(name); err != nil {
				return err
			}
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				break
			}
			return s.fail("expected ',' or '}'")
		}
	}
	s.depth--
	return nil
}

// names is a set of member names: a small array for the usual handful,
// a map beyond, so that an object of a thousand members costs no million
// comparisons. Names may be slices of the input; nothing is copied until
// the map is needed.
type names struct {
	small [16][]byte
	n     int
	big   map[string]struct{}
}

// add adds name and reports whether it was new.
func (ns *names) add(name []byte) bool {
	if ns.big != nil {
		if _, dup := ns.big[string(name)]; dup {
			return false
		}
		ns.big[string(name)] = struct{}{}
		return true
	}
	for _, n := range ns.small[:ns.n] {
		if string(n) == string(name) {
			return false
		}
	}
	if ns.n < len(ns.small) {
		ns.small[ns.n] = name
		ns.n++
		return true
	}
	ns.big = make(map[string]struct{}, 2*len(ns.small))
	for _, n := range ns.small {
		ns.big[string(n)] = struct{}{}
	}
	ns.big[string(name)] = struct{}{}
	return true
}

// array reads an array, calling elem to read each element.
func (s *scanner) array(elem func() error) error {
	if !s.consume('[') {
		return s.fail("expected an array")
	}
	if s.depth++; s.depth > maxDepth {
		return s.fail("nested too deep")
	}
	if !s.consume(']') {
		for {
			if err := elem(); err != nil {
				return err
			}
			if s.consume(',') {
				continue
			}
			if s.consume(']') {
				break
			}
			return s.fail("expected ',' or ']'")
		}
	}
	s.depth--
	return nil
}

// value reads and discards any value, still checking it strictly.
func (s *scanner) value() error {
	s.ws()
	if s.i >= len(s.b) {
		return s.fail("unexpected end")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(func([]byte) error { return s.value() })
	case c == '[':
		return s.array(s.value)
	case c == '"':
		_, err := s.strBytes()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || isDigit(c):
		return s.number()
	}
	return s.fail("unexpected character")
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.fail("invalid literal")
	}
	s.i += len(lit)
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	return s.i - start
}

// number reads any JSON number.
func (s *scanner) number() error {
	if _, err := s.intPart(); err != nil {
		return err
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	return nil
}

// intPart reads -?(0|[1-9][0-9]*) and reports whether it was negative.
func (s *scanner) intPart() (neg bool, err error) {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		neg = true
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return false, s.fail("invalid number")
	}
	return neg, nil
}

// MaxSafeInteger is the largest magnitude of an integer claim: 2^53-1,
// the largest integer every JSON reader (JavaScript's, PHP's floats)
// holds exactly. Anything larger is malformed, never wrapped or rounded.
const MaxSafeInteger = 1<<53 - 1

// integer reads a JSON number that must be an integer within
// ±MaxSafeInteger: no fraction, no exponent (1.0 and 1e3 are refused
// even though they are whole), no larger magnitude.
func (s *scanner) integer() (int64, error) {
	s.ws()
	start := s.i
	neg, err := s.intPart()
	if err != nil {
		return 0, err
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return 0, s.fail("expected an integer")
	}
	digits := s.b[start:s.i]
	if neg {
		digits = digits[1:]
	}
	// 16 digits hold 2^53-1 (9007199254740991); a 17th can only exceed it,
	// so the loop below never overflows.
	if len(digits) > 16 {
		return 0, s.fail("integer out of range")
	}
	var n int64
	for _, c := range digits {
		n = n*10 + int64(c-'0')
	}
	if n > MaxSafeInteger {
		return 0, s.fail("integer out of range")
	}
	if neg {
		n = -n
	}
	return n, nil
}

// str reads a string.
func (s *scanner) str() (string, error) {
	b, err := s.strBytes()
	return string(b), err
}

// strBytes reads a string. Without escapes, the common case, it returns a
// slice of the input: member names cost no allocation.
func (s *scanner) strBytes() ([]byte, error) {
	if !s.consume('"') {
		return nil, s.fail("expected a string")
	}
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], nil
		case c == '\\':
			return s.strEscaped(start)
		case c < 0x20:
			return nil, s.fail("control character in string")
		case c >= utf8.RuneSelf:
			if err := s.rune(); err != nil {
				return nil, err
			}
		default:
			s.i++
		}
	}
	return nil, s.fail("unterminated string")
}

// rune steps over one multi-byte UTF-8 sequence, refusing invalid ones
// (including UTF-8-encoded surrogates).
func (s *scanner) rune() error {
	r, size := utf8.DecodeRune(s.b[s.i:])
	if r == utf8.RuneError && size == 1 {
		return s.fail("invalid UTF-8")
	}
	s.i += size
	return nil
}

func (s *scanner) strEscaped(start int) ([]byte, error) {
	buf := append(make([]byte, 0, s.i-start+16), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return buf, nil
		case c == '\\':
			var err error
			if buf, err = s.escape(buf); err != nil {
				return nil, err
			}
		case c < 0x20:
			return nil, s.fail("control character in string")
		case c >= utf8.RuneSelf:
			at := s.i
			if err := s.rune(); err != nil {
				return nil, err
			}
			buf = append(buf, s.b[at:s.i]...)
		default:
			buf = append(buf, c)
			s.i++
		}
	}
	return nil, s.fail("unterminated string")
}

// escape decodes the escape sequence at s.i (a backslash) onto buf.
func (s *scanner) escape(buf []byte) ([]byte, error) {
	if s.i+1 >= len(s.b) {
		return nil, s.fail("unterminated escape")
	}
	e := s.b[s.i+1]
	s.i += 2
	switch e {
	case '"', '\\', '/':
		return append(buf, e), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, err := s.utf16Escape()
		if err != nil {
			return nil, err
		}
		if r == 0 {
			// U+0000 is refused in every string and member name, as the
			// API refuses it in input: no issuer writes it, and readers
			// disagree on it (PHP cannot even name a property after it).
			return nil, s.fail("U+0000 in a string")
		}
		return utf8.AppendRune(buf, r), nil
	}
	return nil, s.fail("invalid escape")
}

// utf16Escape reads the XXXX of \uXXXX, and a following low surrogate when
// XXXX is a high one. Lone surrogates are refused (RFC 7493 I-JSON).
func (s *scanner) utf16Escape() (rune, error) {
	r, err := s.hex4()
	if err != nil {
		return 0, err
	}
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if r >= 0xdc00 || len(s.b)-s.i < 2 || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
		return 0, s.fail("lone surrogate")
	}
	s.i += 2
	lo, err := s.hex4()
	if err != nil {
		return 0, err
	}
	if lo < 0xdc00 || lo > 0xdfff {
		return 0, s.fail("lone surrogate")
	}
	return utf16.DecodeRune(r, lo), nil
}

func (s *scanner) hex4() (rune, error) {
	if len(s.b)-s.i < 4 {
		return 0, s.fail("short \\u escape")
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, s.fail("invalid \\u escape")
		}
		r = r<<4 | rune(d)
	}
	s.i += 4
	return r, nil
}

// strings reads an array of strings; [] gives an empty, non-nil slice, as
// encoding/json does.
func (s *scanner) strings() ([]string, error) {
	out := []string{}
	err := s.array(func() error {
		v, err := s.str()
		out = append(out, v)
		return err
	})
	return out, err
}
