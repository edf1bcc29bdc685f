package sqldb

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What goes into a query and what comes out of a row, for both databases.
// PostgreSQL hands back time.Time, []byte for jsonb and string for uuid;
// SQLite hands back the strings it stores. The scanners below accept both.

// timeFormat is how times are written: fixed width, so that SQLite orders
// and compares them as strings correctly, and RFC 3339, so that PostgreSQL
// parses them into timestamptz.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(timeFormat)
}

// tsOrNull is ts, or NULL for a nil time.
func tsOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// orNull is s, or NULL for "" (an optional reference such as an audit
// event's license).
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func ptrOrNull(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// jsonList encodes a list as a JSON array, [] for nil.
func jsonList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// jsonOr is raw JSON, or def when there is none.
func jsonOr(raw json.RawMessage, def string) string {
	if len(raw) == 0 {
		return def
	}
	return string(raw)
}

// timeCol scans a time column.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*c.t = v.UTC()
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	}
	return fmt.Errorf("sqldb: cannot scan %T as a time", src)
}

func (c timeCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	*c.t = t.UTC()
	return err
}

// nullTimeCol scans a nullable time column; NULL is nil.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// textCol scans a nullable text or uuid column; NULL is "".
type textCol struct{ s *string }

func (c textCol) Scan(src any) error {
	s, err := text(src)
	*c.s = s
	return err
}

// nullTextCol scans a nullable text or uuid column; NULL is nil.
type nullTextCol struct{ s **string }

func (c nullTextCol) Scan(src any) error {
	if src == nil {
		*c.s = nil
		return nil
	}
	s, err := text(src)
	*c.s = &s
	return err
}

func text(src any) (string, error) {
	switch v := src.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	}
	return "", fmt.Errorf("sqldb: cannot scan %T as text", src)
}

// listCol scans a JSON array of strings; never nil, so that callers and
// their JSON output see [] rather than null.
type listCol struct{ l *[]string }

func (c listCol) Scan(src any) error {
	*c.l = []string{}
	s, err := text(src)
	if err != nil || s == "" {
		return err
	}
	if err := json.Unmarshal([]byte(s), c.l); err != nil {
		return fmt.Errorf("sqldb: JSON list: %w", err)
	}
	if *c.l == nil {
		*c.l = []string{}
	}
	return nil
}

// jsonCol scans a JSON column; NULL or empty is def.
type jsonCol struct {
	m   *json.RawMessage
	def string
}

func (c jsonCol) Scan(src any) error {
	s, err := text(src) // a copy: the driver may reuse src's bytes
	if s == "" {
		s = c.def
	}
	*c.m = json.RawMessage(s)
	return err
}

// secondsCol scans whole seconds into a duration.
type secondsCol struct{ d *time.Duration }

func (c secondsCol) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c.d = time.Duration(v) * time.Second
		return nil
	case nil:
		*c.d = 0
		return nil
	}
	return fmt.Errorf("sqldb: cannot scan %T as seconds", src)
}

// where builds the conditions of a list query with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// and adds a condition; each ? in it becomes the placeholder of the next
// of args.
func (w *where) and(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", w.last(), 1)
	}
	w.conds = append(w.conds, cond)
}

// limit is a LIMIT clause, or nothing for n <= 0.
func (w *where) limit(n int) string {
	if n <= 0 {
		return ""
	}
	w.args = append(w.args, n)
	return " LIMIT " + w.last()
}

func (w *where) last() string { return "$" + strconv.Itoa(len(w.args)) }

// String is the WHERE clause, or nothing when there is no condition.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
