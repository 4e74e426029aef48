package main

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// A sweep's CSV carries every figure as its JSON does, digit for digit
// (issue 13: the CSV rounded failure_rate to 0.5183 and limit_rate to
// 16.7), gateway figures included.
func TestSweepFormatsAgree(t *testing.T) {
	args := []string{"sweep", "--duration", "5s", "--warmup", "0s", "--range", "40000-40299", "--time-wait", "7s",
		"--vary", "rate=70,130", "--strategy", "random", "--gateway", "netfilter", "--hosts", "2", "--format"}
	js, cs := portsim(append(args, "json")...), portsim(append(args, "csv")...)
	if js.code != 0 || cs.code != 0 {
		t.Fatalf("exit %d %d: %s%s", js.code, cs.code, js.stderr, cs.stderr)
	}
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(cs.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(doc.Rows)+1 || len(doc.Rows) != 2 {
		t.Fatalf("%d CSV rows, %d JSON rows; want a header and the same 2 rows", len(rows), len(doc.Rows))
	}
	fractions := 0
	for i, name := range rows[0] {
		if name == "rate" {
			continue // the value varied, as the sweep spells it
		}
		for r, row := range doc.Rows {
			j, ok := row[name]
			if g, isGW := strings.CutPrefix(name, "gateway_"); isGW {
				gw, _ := row["gateway"].(map[string]any)
				j, ok = gw[g]
			}
			if !ok {
				t.Errorf("CSV column %s: no such JSON field", name)
				continue
			}
			cell := rows[r+1][i]
			switch v := j.(type) {
			case float64:
				got, err := strconv.ParseFloat(cell, 64)
				if err != nil || got != v {
					t.Errorf("row %d %s: CSV %q, JSON %v; want the same number", r, name, cell, v)
				}
				if strings.HasSuffix(name, "_rate") && v != float64(int(v)) {
					fractions++
				}
			case string:
				if cell != v {
					t.Errorf("row %d %s: CSV %q, JSON %q", r, name, cell, v)
				}
			default:
				t.Errorf("row %d %s: JSON %v (%T)", r, name, v, v)
			}
		}
	}
	if fractions == 0 {
		t.Errorf("no rate in the sweep has a fractional part; it tests too little:\n%s", cs.stdout)
	}
}
