package sim

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxPointsDepth bounds the bracket nesting of a YAML points file before
// the parser sees it: a point is a flat mapping, and deeply nested flow
// collections cost the parser memory far beyond the file's size.
const maxPointsDepth = 16

// LoadPoints reads the points file at path, as ReadPoints does.
func LoadPoints(path string) (Grid, error) {
	f, err := os.Open(path)
	if err != nil {
		return Grid{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return Grid{}, fmt.Errorf("%s: %w", path, err)
	}
	return ReadPoints(path, data)
}

// ReadPoints reads an explicit list of sweep points, one a row: CSV
// (name ends in .csv) whose header names the fields and whose rows give
// their values,
//
//	rate,destinations,time-wait
//	100,1,60s
//	400,10,30s
//
// or YAML (.yaml, .yml), a list of mappings that each name every field:
//
//   - {rate: 100, destinations: 1, dst-port: [80, 443]}
//   - {rate: 400, destinations: 10, dst-port: 8080}
//
// A YAML list value is joined with commas, as the field's flag spells it.
// Values are checked when the sweep is (Sweep.Check). Errors name the
// file, the line and the field.
func ReadPoints(name string, data []byte) (Grid, error) {
	if len(data) > MaxFileSize {
		return Grid{}, fmt.Errorf("%s: file is over %d bytes; want a list of points", name, MaxFileSize)
	}
	var g Grid
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		g, err = readPointsCSV(name, data)
	case ".yaml", ".yml":
		g, err = readPointsYAML(name, data)
	default:
		return Grid{}, fmt.Errorf("%s: want a .csv, .yaml or .yml file of points", name)
	}
	if err != nil {
		return Grid{}, err
	}
	if len(g.Points) == 0 {
		return Grid{}, fmt.Errorf("%s: no points; want one point a row", name)
	}
	if len(g.Points) > MaxSweepPoints {
		return Grid{}, fmt.Errorf("%s: %d points; want at most %d", name, len(g.Points), MaxSweepPoints)
	}
	return g, nil
}

// pointFields checks a header: known fields a sweep may vary, each once.
func pointFields(fields []string) error {
	for i, f := range fields {
		if err := checkVaryField(f); err != nil {
			return err
		}
		for _, g := range fields[:i] {
			if f == g {
				return fmt.Errorf("%q: named twice; want each field once", f)
			}
		}
	}
	return nil
}

func readPointsCSV(name string, data []byte) (Grid, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err == io.EOF {
		return Grid{}, fmt.Errorf("%s: empty; want a header of field names, then one point a row", name)
	}
	if err != nil {
		return Grid{}, fmt.Errorf("%s: %w", name, err)
	}
	for i := range head {
		head[i] = strings.TrimSpace(head[i])
	}
	if err := pointFields(head); err != nil {
		return Grid{}, fmt.Errorf("%s:1: %w", name, err)
	}
	g := Grid{Fields: head}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return g, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				return Grid{}, fmt.Errorf("%s:%d: %d values; want one for each of %s", name, pe.Line, len(rec), strings.Join(head, ", "))
			}
			return Grid{}, fmt.Errorf("%s: %w", name, err)
		}
		if len(g.Points) == MaxSweepPoints {
			return Grid{}, fmt.Errorf("%s: over %d points; want at most %d", name, MaxSweepPoints, MaxSweepPoints)
		}
		p := make([]string, len(rec))
		for i, v := range rec {
			p[i] = strings.TrimSpace(v)
		}
		g.Points = append(g.Points, p)
	}
}

func readPointsYAML(name string, data []byte) (Grid, error) {
	if d := flowDepth(data); d > maxPointsDepth {
		return Grid{}, fmt.Errorf("%s: brackets nested %d deep; want a list of flat mappings (at most %d deep)", name, d, maxPointsDepth)
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return Grid{}, yamlError(name, err)
	}
	var docs []*ast.DocumentNode
	for _, d := range file.Docs {
		if d != nil && d.Body != nil && !isComment(d.Body) {
			docs = append(docs, d)
		}
	}
	if len(docs) != 1 {
		return Grid{}, fmt.Errorf("%s: %d YAML documents; want one list of points", name, len(docs))
	}
	seq, ok := unwrap(docs[0].Body).(*ast.SequenceNode)
	if !ok {
		return Grid{}, fmt.Errorf("%s:%d: the file is %s; want a list of points, such as \"- {rate: 100, destinations: 1}\"", name, line(docs[0].Body), describe(docs[0].Body))
	}
	var g Grid
	for i, item := range seq.Values {
		at := fmt.Sprintf("%s:%d", name, line(item))
		var kvs []*ast.MappingValueNode
		switch m := unwrap(item).(type) {
		case *ast.MappingNode:
			kvs = m.Values
		case *ast.MappingValueNode:
			kvs = []*ast.MappingValueNode{m}
		default:
			return Grid{}, fmt.Errorf("%s: point %d is %s; want a mapping of field names to values", at, i+1, describe(item))
		}
		if len(kvs) == 0 {
			return Grid{}, fmt.Errorf("%s: point %d is an empty mapping; want field: value pairs, such as {rate: 100}", at, i+1)
		}
		fields := make([]string, len(kvs))
		values := make([]string, len(kvs))
		for j, kv := range kvs {
			k, ok := scalarText(kv.Key)
			if !ok {
				return Grid{}, fmt.Errorf("%s: a key is %s; want a field name", at, describe(kv.Key))
			}
			fields[j] = strings.TrimSpace(k)
			if values[j], err = pointValue(kv.Value); err != nil {
				return Grid{}, fmt.Errorf("%s: %s: %w", at, fields[j], err)
			}
		}
		if i == 0 {
			if err := pointFields(fields); err != nil {
				return Grid{}, fmt.Errorf("%s: %w", at, err)
			}
			g.Fields = fields
		}
		p, err := inFieldOrder(g.Fields, fields, values)
		if err != nil {
			return Grid{}, fmt.Errorf("%s: point %d: %w", at, i+1, err)
		}
		g.Points = append(g.Points, p)
	}
	return g, nil
}

// pointValue is a YAML value as a field's flag spells it: a scalar as
// written, a list joined with commas, a NAME: WEIGHT mapping as
// NAME=WEIGHT,...
func pointValue(n ast.Node) (string, error) {
	if s, ok := scalarText(n); ok {
		return strings.TrimSpace(s), nil
	}
	var items []string
	switch v := unwrap(n).(type) {
	case *ast.SequenceNode:
		for _, it := range v.Values {
			s, ok := scalarText(it)
			if !ok {
				return "", fmt.Errorf("item %s is %s; want a single value", compact(it), describe(it))
			}
			items = append(items, strings.TrimSpace(s))
		}
	case *ast.MappingNode:
		for _, kv := range v.Values {
			k, ok1 := scalarText(kv.Key)
			w, ok2 := scalarText(kv.Value)
			if !ok1 || !ok2 {
				return "", fmt.Errorf("%s is not a NAME: WEIGHT pair", compact(kv))
			}
			items = append(items, strings.TrimSpace(k)+"="+strings.TrimSpace(w))
		}
	default:
		return "", fmt.Errorf("%s is %s; want a value, a list or NAME: WEIGHT pairs", compact(n), describe(n))
	}
	return strings.Join(items, ","), nil
}

// inFieldOrder puts a point's values in the order of want, which the
// point must name exactly.
func inFieldOrder(want, fields, values []string) ([]string, error) {
	out := make([]string, len(want))
	seen := make([]bool, len(want))
	for j, f := range fields {
		i := slices.Index(want, f)
		if i < 0 {
			return nil, fmt.Errorf("%q is not in the first point; want the same fields in every point: %s", f, strings.Join(want, ", "))
		}
		if seen[i] {
			return nil, fmt.Errorf("%q: named twice", f)
		}
		seen[i], out[i] = true, values[j]
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%q is missing; want the same fields in every point: %s", want[i], strings.Join(want, ", "))
		}
	}
	return out, nil
}

// flowDepth is the deepest nesting of brackets in data. It counts them in
// quotes and comments too: an overestimate, but one no quoting can hide a
// bomb from.
func flowDepth(data []byte) int {
	depth, deepest := 0, 0
	for _, c := range data {
		switch c {
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return deepest
}
