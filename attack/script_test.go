// Script tests pin what each attack finds against each strategy and
// profile for fixed seeds: the tracking attack's success, costs and ID
// checks, the counting attack's errors, and the guessing attack's
// success curves. Each file in testdata/script is a datadriven script
// (github.com/cockroachdb/datadriven) of one command:
//
//	attack name=NAME [preset=NAME] [strategies=SPEC,...] [SETTING=VALUE ...] [FIELD=VALUE ...]
//	    Plays attack NAME against each strategy or profile:NAME spec,
//	    the victim's background from the preset (default: browser;
//	    preset=default is sim.DefaultScenario) with
//	    scenario fields set as the CLI sets them, and the attack's
//	    settings (Config.Set). Prints the settings, then a table with one
//	    column per strategy and one row per figure of its StrategyResult;
//	    curves and estimates are digested (length and an FNV-32a hash of
//	    their values as text), so any change to any number shows.
//
// TestScript also checks that every attack is played against every
// strategy at its defaults and every profile spec: a new strategy or
// profile fails it until a script plays it.
//
// Regenerate the expected output after an intended change with
//
//	go test ./attack -run TestScript -rewrite
//
// and review the diff: every changed line is a changed result.
package attack_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/portsim/portsim/attack"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

const scriptDir = "testdata/script"

func TestScript(t *testing.T) {
	played := map[string]bool{} // "attack/spec"
	ran := map[string]bool{}
	datadriven.Walk(t, scriptDir, func(t *testing.T, path string) {
		ran[filepath.Base(path)] = true
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd != "attack" {
				d.Fatalf(t, "unknown command %q; want attack", d.Cmd)
			}
			name, sc, c := scriptArgs(t, d)
			res, err := attack.Run(context.Background(), name, sc, c)
			for _, spec := range sc.Strategies {
				played[name+"/"+spec] = true // a refusal is the attack's answer too
			}
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return scriptTable(res)
		})
	})
	// The coverage check needs every file; skip it under -run TestScript/x.
	files, err := filepath.Glob(filepath.Join(scriptDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", scriptDir, err)
	}
	for _, f := range files {
		if !ran[filepath.Base(f)] {
			t.Logf("coverage check skipped: %s did not run", f)
			return
		}
	}
	if t.Failed() {
		return
	}
	for _, name := range attack.Names() {
		for _, spec := range strategies.Names() {
			if !played[name+"/"+spec] {
				t.Errorf("no script plays %s against strategy %s", name, spec)
			}
		}
		for _, spec := range strategies.ProfileSpecs() {
			if !played[name+"/"+strategies.ProfilePrefix+spec] {
				t.Errorf("no script plays %s against profile %s", name, spec)
			}
		}
	}
}

// scriptArgs reads the command's arguments: the attack's name, the
// scenario and the settings.
func scriptArgs(t *testing.T, d *datadriven.TestData) (string, sim.Scenario, attack.Config) {
	if d.Input != "" {
		d.Fatalf(t, "attack takes no input")
	}
	val := func(a datadriven.CmdArg) string {
		if len(a.Vals) == 0 {
			d.Fatalf(t, "argument %q has no value; want %s=VALUE", a.Key, a.Key)
		}
		return strings.Join(a.Vals, ",")
	}
	name, preset := "", "browser"
	for _, a := range d.CmdArgs {
		switch a.Key {
		case "name":
			name = val(a)
		case "preset":
			preset = val(a)
		}
	}
	sc := sim.DefaultScenario()
	if preset != "default" {
		var err error
		if sc, err = sim.PresetScenario(preset); err != nil {
			d.Fatalf(t, "%v", err)
		}
	}
	sc.Strategies = nil
	c := attack.DefaultConfig()
	isSetting := func(key string) bool {
		return slices.ContainsFunc(attack.Settings(), func(s attack.Setting) bool { return s.Name == key })
	}
	for _, a := range d.CmdArgs {
		key := a.Key
		switch {
		case key == "name" || key == "preset":
		case isSetting(key):
			if err := c.Set(key, val(a)); err != nil {
				d.Fatalf(t, "%v", err)
			}
		default:
			if key == "strategies" {
				key = "strategy"
			}
			if _, ok := sim.LookupField(key); !ok {
				d.Fatalf(t, "argument %q is not name, preset, strategies, a setting or a scenario field", a.Key)
			}
			if err := sc.Set(key, val(a)); err != nil {
				d.Fatalf(t, "%v", err)
			}
		}
	}
	return name, sc, c
}

// scriptTable prints res: its settings, then a figure a row and a
// strategy a column.
func scriptTable(res *attack.Result) string {
	var b strings.Builder
	for i, f := range res.Settings {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", f.Name, f.Value)
	}
	b.WriteByte('\n')
	rows := [][]string{{"strategy"}}
	for _, r := range res.Results {
		rows[0] = append(rows[0], r.Strategy)
	}
	add := func(name string, cell func(r *attack.StrategyResult) string) {
		row := []string{name}
		for i := range res.Results {
			row = append(row, cell(&res.Results[i]))
		}
		rows = append(rows, row)
	}
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return ftoa(*p)
	}
	switch res.Attack {
	case attack.Tracking:
		add("counters", func(r *attack.StrategyResult) string { return strconv.Itoa(r.Counters) })
		add("budget", func(r *attack.StrategyResult) string { return strconv.Itoa(r.Budget) })
		add("success", func(r *attack.StrategyResult) string { return f(r.Success) })
		add("found", func(r *attack.StrategyResult) string { return f(r.Found) })
		add("connections", func(r *attack.StrategyResult) string {
			if r.Connections == nil {
				return "-"
			}
			return strconv.Itoa(*r.Connections)
		})
		add("seconds", func(r *attack.StrategyResult) string { return f(r.Seconds) })
		add("id-stable", func(r *attack.StrategyResult) string { return f(r.IDStable) })
		add("id-moved", func(r *attack.StrategyResult) string { return f(r.IDMoved) })
		add("id-distinct", func(r *attack.StrategyResult) string { return f(r.IDDistinct) })
	case attack.Count:
		add("success", func(r *attack.StrategyResult) string { return f(r.Success) })
		add("estimate-error", func(r *attack.StrategyResult) string { return f(r.EstimateError) })
		add("baseline-error", func(r *attack.StrategyResult) string { return f(r.BaselineError) })
		add("estimates.len", func(r *attack.StrategyResult) string { return strconv.Itoa(len(r.Estimates)) })
		add("estimates.fnv", func(r *attack.StrategyResult) string { return digest(r.Estimates) })
	case attack.Guess:
		add("ports", func(r *attack.StrategyResult) string { return strconv.Itoa(r.Ports) })
		add("success", func(r *attack.StrategyResult) string { return f(r.Success) })
		for _, g := range []float64{16, 256, 4096} {
			add(fmt.Sprintf("p.%g", g), func(r *attack.StrategyResult) string { return at(r.PSuccess, g) })
		}
		add("p-dns.window", func(r *attack.StrategyResult) string { return f(r.PWindow) })
		add("p.fnv", func(r *attack.StrategyResult) string { return digest(r.PSuccess) })
		add("p-dns.fnv", func(r *attack.StrategyResult) string { return digest(r.PSuccessDNS) })
	}
	b.WriteString(format.Table(rows))
	return b.String()
}

// at is the curve's p at g guesses, "-" when it has no such point.
func at(curve [][2]float64, g float64) string {
	for _, p := range curve {
		if p[0] == g {
			return ftoa(p[1])
		}
	}
	return "-"
}

func digest(v [][2]float64) string {
	h := fnv.New32a()
	for _, p := range v {
		fmt.Fprintf(h, "%s %s\n", ftoa(p[0]), ftoa(p[1]))
	}
	return fmt.Sprintf("#%08x", h.Sum32())
}

// ftoa prints a float with 10 significant digits.
func ftoa(x float64) string {
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', 10, 64)
}
