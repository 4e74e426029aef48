package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// One field list drives the table, CSV and JSON: CSV and JSON carry the
// same plain numbers, in the unit the name says (fractions, seconds), and
// agree on where there is no value (an empty cell, null); only the table
// shows percentages and "-". One destination leaves the cross-destination
// figures without data.
func TestFormatsAgree(t *testing.T) {
	args := []string{"run", "--strategy", "linux", "--strategy", "sequential", "--destinations", "1", "--duration", "90s", "--rate", "400", "--range", "50000-50999", "--format"}
	js := portsim(append(args, "json")...)
	cs := portsim(append(args, "csv")...)
	tb := portsim(append(args, "table")...)
	if js.code != 0 || cs.code != 0 || tb.code != 0 {
		t.Fatalf("exit %d %d %d: %s%s%s", js.code, cs.code, tb.code, js.stderr, cs.stderr, tb.stderr)
	}
	var doc struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(cs.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var table [][]string
	for _, line := range strings.Split(tb.stdout, "\n") {
		f := strings.Fields(line)
		if len(table) > 0 && len(f) == 0 {
			break // the end of the table
		}
		if len(f) > 0 && f[0] == "STRATEGY" || len(table) > 0 {
			table = append(table, f)
		}
	}
	if len(rows) != 3 || len(doc.Results) != 2 || len(table) != 3 {
		t.Fatalf("%d CSV rows, %d JSON results, %d table rows", len(rows), len(doc.Results), len(table))
	}
	sawNone, sawFraction := false, false
	for i, f := range resultFields {
		if rows[0][i] != f.name || table[0][i] != f.head {
			t.Fatalf("column %d: CSV %q, table %q; want %q, %q", i, rows[0][i], table[0][i], f.name, f.head)
		}
		for r := range doc.Results {
			j, cell, shown := doc.Results[r][f.name], rows[r+1][i], table[r+1][i]
			switch v := j.(type) {
			case nil:
				sawNone = true
				if cell != "" || shown != "-" {
					t.Errorf("%s: JSON null, CSV %q, table %q; want empty and -", f.name, cell, shown)
				}
			case float64:
				got, err := strconv.ParseFloat(cell, 64)
				if err != nil || got != v {
					t.Errorf("%s: CSV %q, JSON %v; want the same number", f.name, cell, v)
				}
				if f.unit == fraction {
					sawFraction = sawFraction || v > 0
					if p, err := strconv.ParseFloat(shown, 64); err != nil || math.Abs(p-100*v) > 0.01 {
						t.Errorf("%s: table %q for a fraction %v; want it as a percentage", f.name, shown, v)
					}
				}
			case string:
				if cell != v || shown != v {
					t.Errorf("%s: CSV %q, table %q, JSON %q", f.name, cell, shown, v)
				}
			}
		}
	}
	if !sawNone || !sawFraction {
		t.Errorf("the run has no field without a value (%v) or no fraction above 0 (%v): it tests too little", sawNone, sawFraction)
	}
	for _, f := range []string{"entropy_cross_dst_bits"} {
		if doc.Results[0][f] != nil {
			t.Errorf("%s with one destination: %v; want null", f, doc.Results[0][f])
		}
	}
}
