package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// outputFlag is --output: json (the default, for scripts) or table (for
// people).
type outputFlag struct{ v string }

func (o *outputFlag) String() string { return o.v }
func (o *outputFlag) Set(s string) error {
	if s != "json" && s != "table" {
		return fmt.Errorf("want json or table")
	}
	o.v = s
	return nil
}

func bindOutput(fs *flag.FlagSet, o *outputFlag) {
	fs.Var(o, "output", "json (default) or table")
}

// printAs prints v as JSON, or as a table of the given columns: a list
// (a JSON array, or an object with "data") one row per item, anything
// else one row per column.
func (m *Main) printAs(o outputFlag, columns []string) func(v any, err error) error {
	return func(v any, err error) error { return m.printTable(o, columns, v, err) }
}

func (m *Main) printTable(o outputFlag, columns []string, v any, err error) error {
	if err != nil || o.v != "table" {
		return m.print(v, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	if obj, ok := doc.(map[string]any); ok {
		if data, ok := obj["data"].([]any); ok {
			doc = data
		}
	}
	return writeTable(m.Stdout, columns, doc)
}

func writeTable(w io.Writer, columns []string, doc any) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	switch d := doc.(type) {
	case []any:
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(columns, "\t")))
		for _, item := range d {
			row, _ := item.(map[string]any)
			cells := make([]string, len(columns))
			for i, c := range columns {
				cells[i] = cell(row[c])
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
	case map[string]any:
		for _, c := range columns {
			fmt.Fprintf(tw, "%s\t%s\n", c, cell(d[c]))
		}
	}
	return tw.Flush()
}

// cell writes one value: null as "-", a list comma-separated.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return `""`
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		if len(x) == 0 {
			return "(none)"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Columns of the table output, per kind of object.
func brandColumns() []string { return []string{"slug", "name", "id", "created_at"} }

func productColumns(list bool) []string {
	if list {
		return []string{"slug", "name", "default_seats", "token_ttl_seconds", "grace_days", "activation_ttl_seconds", "max_free_activations"}
	}
	return []string{"brand", "slug", "name", "id", "default_seats", "token_ttl_seconds", "free_instances",
		"max_free_activations", "grace_days", "activation_ttl_seconds", "created_at"}
}

func apiKeyColumns() []string {
	return []string{"prefix", "name", "brand", "scopes", "created_at", "last_used_at", "revoked_at", "id"}
}

func signingKeyColumns() []string {
	return []string{"kid", "state", "published", "created_at", "activated_at", "retired_at", "revoked_at"}
}
