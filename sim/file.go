package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"
)

// MaxFileSize bounds a scenario file; real ones are a few hundred bytes.
const MaxFileSize = 1 << 20

// LoadFile reads the scenario file at path and applies it over sc, as
// ParseFile does.
func LoadFile(path string, sc *Scenario) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return ParseFile(path, data, sc)
}

// ParseFile applies a YAML scenario file over sc. The file is a flat
// mapping of field names (the flag names, see Fields) to values:
//
//	preset: load-tester   # optional, first: start from a preset
//	rate: 200
//	lifetime: exp:2s
//	dst-port: [80, 443]   # lists for dst-port, src, reserved, strategy, kind, close
//	kind: {connect: 0.9, udp: 0.1}  # NAME: WEIGHT mappings for kind and close
//
// Fields the file leaves out keep sc's values, so the CLI applies defaults
// or a preset, then the file, then flags. Each value is checked as Set
// checks it; call Validate once everything is applied. Errors name the
// file, the line, the field, the value and what is allowed; on error sc is
// unchanged. An empty file changes nothing. In a strategy list each item
// is one whole spec, so "linux:table-order=8,increments=off" may be an
// item.
func ParseFile(name string, data []byte, sc *Scenario) error {
	if len(data) > MaxFileSize {
		return fmt.Errorf("%s: file is over %d bytes; want a scenario file of field: value lines", name, MaxFileSize)
	}
	file, err := parseYAML(name, data)
	if err != nil {
		return err
	}
	var docs []*ast.DocumentNode
	for _, d := range file.Docs {
		if d != nil && d.Body != nil && !isComment(d.Body) {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return nil
	}
	if len(docs) > 1 {
		return fmt.Errorf("%s:%d: a second YAML document; want one mapping of field names to values", name, line(docs[1].Body))
	}
	m, ok := docs[0].Body.(*ast.MappingNode)
	if !ok {
		return fmt.Errorf("%s:%d: the file is %s; want a mapping of field names to values, such as \"rate: 100\"", name, line(docs[0].Body), describe(docs[0].Body))
	}

	tmp := *sc
	for i, kv := range m.Values {
		at := fmt.Sprintf("%s:%d", name, line(kv.Key))
		key, ok := scalarText(kv.Key)
		if !ok {
			return fmt.Errorf("%s: a key is %s; want a field name, one of preset, %s", at, describe(kv.Key), strings.Join(FieldNames(), ", "))
		}
		if key == "preset" {
			if i != 0 {
				return fmt.Errorf("%s: preset must be the first field, since it replaces everything before it", at)
			}
			v, ok := scalarText(kv.Value)
			if !ok {
				return fmt.Errorf("%s: preset: %s is %s; want one of %s", at, compact(kv.Value), describe(kv.Value), strings.Join(PresetNames(), ", "))
			}
			p, err := PresetScenario(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
			tmp = p
			continue
		}
		f := lookupField(key)
		if f == nil {
			return fmt.Errorf("%s: %w", at, unknownField(key, append([]string{"preset"}, FieldNames()...)))
		}
		if err := applyNode(f, &tmp, kv.Value); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
	}
	*sc = tmp
	return nil
}

// FormatFile writes sc as a scenario file that ParseFile reads back as
// the same scenario: every field in Fields order, one "name: value" line
// each, a value quoted only where YAML would misread it plain. A comment,
// when not empty, comes first as a "# " line.
func FormatFile(sc *Scenario, comment string) []byte {
	var b strings.Builder
	if comment != "" {
		fmt.Fprintf(&b, "# %s\n", comment)
	}
	for _, f := range sc.Resolved() {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, yamlScalar(f.Value))
	}
	return []byte(b.String())
}

// yamlScalar quotes a value only where YAML would misread it plain.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, "#{}[]&*!|>'\"%@`") || strings.Contains(s, ": ") ||
		strings.HasPrefix(s, "-") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		b, _ := json.Marshal(s)
		return string(b)
	}
	return s
}

// applyNode sets field f from a YAML value: a scalar; a list where the
// field takes one; a NAME: WEIGHT mapping where it takes shares.
func applyNode(f *FieldDef, sc *Scenario, n ast.Node) error {
	n = unwrap(n)
	if s, ok := scalarText(n); ok {
		return f.apply(sc, s)
	}
	typeErr := func() error {
		return fmt.Errorf("%s: %s is %s; want %s", f.Name, compact(n), describe(n), f.want)
	}
	switch n := n.(type) {
	case *ast.SequenceNode:
		if f.shape == scalarShape {
			return typeErr()
		}
		items := make([]string, len(n.Values))
		for i, v := range n.Values {
			s, ok := scalarText(v)
			if !ok {
				return fmt.Errorf("%s: item %s is %s; want %s", f.Name, compact(v), describe(v), f.want)
			}
			items[i] = s
		}
		return f.applyItems(sc, items)
	case *ast.MappingNode:
		if f.shape != sharesShape {
			return typeErr()
		}
		items := make([]string, len(n.Values))
		for i, kv := range n.Values {
			k, ok1 := scalarText(kv.Key)
			v, ok2 := scalarText(kv.Value)
			if !ok1 || !ok2 {
				return fmt.Errorf("%s: %s is not a NAME: WEIGHT pair; want %s", f.Name, compact(kv), f.want)
			}
			items[i] = strings.TrimSpace(k) + "=" + strings.TrimSpace(v)
		}
		return f.apply(sc, strings.Join(items, ","))
	}
	return typeErr()
}

// unwrap looks through anchors and explicit tags (!!str 443) to the value.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

// scalarText is a scalar's text as written (unquoted): 1e3 stays 1e3,
// 0x10 stays 0x10, so each field's own parser decides what it accepts.
// A null (an empty value or ~) is "".
func scalarText(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return strings.TrimRight(v.Value.Value, "\n"), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	return "", false
}

func isComment(n ast.Node) bool {
	switch n.(type) {
	case *ast.CommentNode, *ast.CommentGroupNode:
		return true
	}
	return false
}

// describe names a YAML value's form for error messages.
func describe(n ast.Node) string {
	switch unwrap(n).(type) {
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.AliasNode:
		return "an alias (not supported)"
	case nil:
		return "empty"
	}
	if _, ok := scalarText(n); ok {
		return "a single value"
	}
	return "a " + unwrap(n).Type().String()
}

// compact renders a value on one line for error messages.
func compact(n ast.Node) string {
	n = unwrap(n)
	if s, ok := scalarText(n); ok {
		return fmt.Sprintf("%q", s)
	}
	switch v := n.(type) {
	case *ast.SequenceNode:
		parts := make([]string, len(v.Values))
		for i, it := range v.Values {
			parts[i] = compact(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *ast.MappingNode:
		parts := make([]string, len(v.Values))
		for i, kv := range v.Values {
			parts[i] = compact(kv)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *ast.MappingValueNode:
		return compact(v.Key) + ": " + compact(v.Value)
	}
	s := strings.Join(strings.Fields(n.String()), " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func line(n ast.Node) int {
	if n == nil {
		return 1
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 1
}

// MaxYAMLDepth bounds how deeply lists and mappings nest in a YAML file.
// The parser's time and memory grow with the square of the depth (30,000
// nested '[' took 21 s and 1.4 GB), so the depth is measured by its
// scanner, which is linear, before parsing; scenario and points files
// nest three deep at most.
const MaxYAMLDepth = 64

// parseYAML parses data after checking that it nests at most MaxYAMLDepth
// deep; errors name the file and the line.
func parseYAML(name string, data []byte) (*ast.File, error) {
	if line, ok := yamlDepthOK(string(data)); !ok {
		return nil, fmt.Errorf("%s:%d: lists and mappings nested more than %d deep; want YAML field: value lines", name, line, MaxYAMLDepth)
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(name, err)
	}
	return file, nil
}

// yamlDepthOK scans src token by token, keeping no tokens, and reports
// whether it nests at most MaxYAMLDepth deep, or the line where it first
// goes deeper. A token's depth is its line's indentation level, plus the
// "- " and "? " entries before it on its line, plus the brackets open
// around it; the scanner tells quoted text from brackets.
func yamlDepthOK(src string) (int, bool) {
	var s scanner.Scanner
	s.Init(src)
	flow, inline, line := 0, 0, 0
	for {
		tks, err := s.Scan()
		if err == io.EOF {
			return 0, true
		}
		for _, tk := range tks {
			if tk.Position == nil {
				continue
			}
			if tk.Position.Line != line {
				line, inline = tk.Position.Line, 0
			}
			switch tk.Type {
			case token.SequenceStartType, token.MappingStartType:
				flow++
			case token.SequenceEndType, token.MappingEndType:
				flow = max(flow-1, 0)
			case token.SequenceEntryType, token.MappingKeyType:
				inline++
			}
			if tk.Position.IndentLevel+inline+flow > MaxYAMLDepth {
				return line, false
			}
		}
	}
}

// yamlError turns a parser error into one line with the file and position,
// instead of go-yaml's multi-line source excerpt.
func yamlError(name string, err error) error {
	const want = "YAML field: value lines, each field once"
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return fmt.Errorf("%s:%d:%d: %s; want %s", name, tk.Position.Line, tk.Position.Column, ye.GetMessage(), want)
		}
		return fmt.Errorf("%s: %s; want %s", name, ye.GetMessage(), want)
	}
	return fmt.Errorf("%s: %w", name, err)
}
