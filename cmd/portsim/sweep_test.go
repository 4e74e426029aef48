package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/portsim/portsim/sim"
)

// TestMain lets the test binary stand in for portsim in the processes the
// sweep tests start (PORTSIM_TEST_MAIN=1), as a shard on another machine
// would run.
func TestMain(m *testing.M) {
	if os.Getenv("PORTSIM_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// cleanEnv is this process's environment without the variables a shard
// reads its index from, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SLURM_") && !strings.HasPrefix(kv, "JOB_COMPLETION_INDEX=") && !strings.HasPrefix(kv, "PORTSIM_") {
			env = append(env, kv)
		}
	}
	return append(append(env, "PORTSIM_TEST_MAIN=1"), extra...)
}

// process runs cmd (the test binary as portsim, or a script that calls it)
// in its own process and fails the test unless it exits 0.
func process(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
}

// readmeExample is the deploy example of the README: the sweep's flags,
// the render.sh command line (without its pipe into kubectl) and the
// sbatch array range.
type readmeExample struct {
	sweep            []string
	sweepLine        string // SWEEP=(...)
	render           string
	renderMerge      string
	arrayLo, arrayHi int
}

func readReadme(t *testing.T) readmeExample {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var ex readmeExample
	array := regexp.MustCompile(`^sbatch --array=(\d+)-(\d+) deploy/slurm/sweep\.sh "\$\{SWEEP\[@\]\}"$`)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "SWEEP=(") && strings.HasSuffix(line, ")"):
			ex.sweepLine = line
			ex.sweep = strings.Fields(strings.TrimSuffix(strings.TrimPrefix(line, "SWEEP=("), ")"))
		case strings.HasPrefix(line, "deploy/kubernetes/render.sh --merge"):
			ex.renderMerge, _, _ = strings.Cut(line, " |")
		case strings.HasPrefix(line, "deploy/kubernetes/render.sh"):
			ex.render, _, _ = strings.Cut(line, " |")
		case array.MatchString(line):
			m := array.FindStringSubmatch(line)
			ex.arrayLo, _ = strconv.Atoi(m[1])
			ex.arrayHi, _ = strconv.Atoi(m[2])
		}
	}
	if ex.sweep == nil || ex.render == "" || ex.renderMerge == "" || ex.arrayHi == 0 {
		t.Fatalf("README: no deploy example (SWEEP=(...), render.sh, render.sh --merge, sbatch --array=...): %+v", ex)
	}
	if strings.ContainsAny(ex.sweepLine, `"'$\`) {
		t.Fatalf("README: %s: the test splits it on spaces; want no quotes", ex.sweepLine)
	}
	return ex
}

// job is the part of a Kubernetes Job the test checks and runs.
type job struct {
	Kind string `yaml:"kind"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				Containers []struct {
					Args         []string `yaml:"args"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name string `yaml:"name"`
					PVC  *struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// render runs one of the README's render.sh lines and reads the Job.
func render(t *testing.T, ex readmeExample, line string) job {
	t.Helper()
	cmd := exec.Command("bash", "-c", ex.sweepLine+"\n"+line)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	var j job
	if err := yaml.Unmarshal(out, &j); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	c := j.Spec.Template.Spec.Containers
	v := j.Spec.Template.Spec.Volumes
	if j.Kind != "Job" || len(c) != 1 || len(c[0].VolumeMounts) != 1 || len(v) != 1 || v[0].PVC == nil || v[0].Name != c[0].VolumeMounts[0].Name {
		t.Fatalf("%s: want a Job of one container with the shared claim mounted:\n%s", line, out)
	}
	return j
}

// local is a Job's args with the volume's mount path moved to dir.
func (j job) local(dir string) []string {
	c := j.Spec.Template.Spec.Containers[0]
	mount := c.VolumeMounts[0].MountPath
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		if rest, ok := strings.CutPrefix(a, mount); ok {
			a = dir + rest
		}
		args[i] = a
	}
	return args
}

// A three-field grid prints the same bytes run on one job, on four, and
// as five shards in five processes — each told its index by --shard, by
// a Kubernetes Indexed Job's environment (the README's rendered Job) or
// by a Slurm array's (the README's array script) — joined by merge.
// Merge refuses a missing or a repeated part.
func TestDeployExample(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to run the deploy scripts")
	}
	ex := readReadme(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmp := func(name string) string { return filepath.Join(dir, name) }
	const shards = 5

	want := portsim(append(append([]string{"sweep"}, ex.sweep...), "--jobs", "1", "--out", tmp("whole"))...)
	if want.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", want.code, want.stderr)
	}
	wantJSON, err := os.ReadFile(tmp("whole/sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sw sim.SweepResult
	if err := json.Unmarshal(wantJSON, &sw); err != nil || len(sw.Fields()) != 3 || len(sw.Rows) < 2*shards {
		t.Fatalf("the README's sweep: %v; want a grid of 3 fields and at least %d rows, has %v and %d", err, 2*shards, sw.Fields(), len(sw.Rows))
	}
	same := func(what string, stdout string, jsonPath string) {
		t.Helper()
		if stdout != want.stdout {
			t.Errorf("%s: stdout differs from --jobs 1:\n%s\nwant:\n%s", what, stdout, want.stdout)
		}
		if jsonPath == "" {
			return
		}
		if b, err := os.ReadFile(jsonPath); err != nil || !bytes.Equal(b, wantJSON) {
			t.Errorf("%s: %s differs from --jobs 1's sweep.json (%v)", what, jsonPath, err)
		}
	}
	merge := func(what string, args ...string) {
		t.Helper()
		r := portsim(append([]string{"merge"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%s: merge: exit %d\n%s", what, r.code, r.stderr)
		}
		same(what, r.stdout, filepath.Join(args[len(args)-1], "sweep.json"))
	}

	r := portsim(append(append([]string{"sweep"}, ex.sweep...), "--jobs", "4", "--out", tmp("jobs4"))...)
	same("--jobs 4", r.stdout, tmp("jobs4/sweep.json"))

	for i := range shards {
		cmd := exec.Command(self, append(append([]string{"sweep"}, ex.sweep...), "--shard", strconv.Itoa(i)+"/5", "--out", tmp("flag"))...)
		cmd.Env = cleanEnv()
		process(t, cmd)
	}
	merge("--shard I/5", tmp("flag"), "--out", tmp("flag/sweep"))

	sweepJob := render(t, ex, ex.render)
	if s := sweepJob.Spec; s.CompletionMode != "Indexed" || s.Completions != shards || s.Parallelism != shards {
		t.Fatalf("the Job: completion mode %q, %d completions, parallelism %d; want Indexed, %d, %d", s.CompletionMode, s.Completions, s.Parallelism, shards, shards)
	}
	for i := range sweepJob.Spec.Completions {
		args := sweepJob.local(tmp("k8s"))
		cmd := exec.Command(self, args...)
		cmd.Env = cleanEnv("JOB_COMPLETION_INDEX=" + strconv.Itoa(i))
		process(t, cmd)
	}
	mergeJob := render(t, ex, ex.renderMerge)
	merge("Kubernetes", mergeJob.local(tmp("k8s"))[1:]...)

	if n := ex.arrayHi - ex.arrayLo + 1; n != shards {
		t.Fatalf("the README's array has %d tasks; want %d", n, shards)
	}
	bin := tmp("bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "portsim")); err != nil {
		t.Fatal(err)
	}
	for id := ex.arrayLo; id <= ex.arrayHi; id++ {
		cmd := exec.Command("bash", "-c", ex.sweepLine+"\n"+`bash deploy/slurm/sweep.sh "${SWEEP[@]}"`)
		cmd.Dir = "../.."
		cmd.Env = cleanEnv("PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "PORTSIM_PARTS="+tmp("slurm"),
			"SLURM_ARRAY_TASK_ID="+strconv.Itoa(id), "SLURM_ARRAY_TASK_MIN="+strconv.Itoa(ex.arrayLo),
			"SLURM_ARRAY_TASK_MAX="+strconv.Itoa(ex.arrayHi), "SLURM_ARRAY_TASK_COUNT="+strconv.Itoa(shards),
			"SLURM_ARRAY_TASK_STEP=1", "SLURM_CPUS_PER_TASK=1")
		process(t, cmd)
	}
	merge("Slurm", tmp("slurm"), "--out", tmp("slurm/sweep"))

	// A missing part is named; a part given twice is refused.
	parts, _ := filepath.Glob(tmp("flag/sweep-part-*.json"))
	if len(parts) != shards {
		t.Fatalf("parts %v; want %d", parts, shards)
	}
	b, err := os.ReadFile(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp("copy.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{parts[0], parts[1], parts[2], parts[4]}, "missing 1 of 5 shards: 3"},
		{append(parts, tmp("copy.json")), "shard 1/5 given twice"},
		{[]string{tmp("flag"), tmp("slurm/sweep-part-2-of-5.json")}, "shard 2/5 given twice"},
	} {
		r := portsim(append([]string{"merge"}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("merge %v: exit %d, stderr %q; want exit 2 saying %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// The shard a process runs: --shard, or --shards with the index from a
// Kubernetes Indexed Job's or a Slurm array's environment.
func TestShardOf(t *testing.T) {
	for _, c := range []struct {
		spec   string
		count  int
		env    map[string]string
		want   sim.Shard
		errHas string
	}{
		{"", 0, nil, sim.Shard{}, ""},
		{"2/5", 0, nil, sim.Shard{Index: 2, Count: 5}, ""},
		{"5/5", 0, nil, sim.Shard{}, "--shard"},
		{"2/5", 5, nil, sim.Shard{}, "give one"},
		{"", 5, map[string]string{"JOB_COMPLETION_INDEX": "3"}, sim.Shard{Index: 3, Count: 5}, ""},
		{"", 5, map[string]string{"JOB_COMPLETION_INDEX": "5"}, sim.Shard{}, "not below 5"},
		{"", 5, map[string]string{"JOB_COMPLETION_INDEX": "x"}, sim.Shard{}, "not a whole number"},
		{"", 5, map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "5"}, sim.Shard{Index: 4, Count: 5}, ""},
		{"", 5, map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_COUNT": "5"}, sim.Shard{Index: 4, Count: 5}, ""},
		{"", 3, map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_MAX": "4", "SLURM_ARRAY_TASK_COUNT": "3"}, sim.Shard{Index: 2, Count: 3}, ""},
		{"", 4, map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "5"}, sim.Shard{}, "has 5 tasks"},
		{"", 5, nil, sim.Shard{}, "no shard index in the environment"},
		{"", -1, nil, sim.Shard{}, "--shards"},
	} {
		sh, err := shardOf(c.spec, c.count, func(k string) string { return c.env[k] })
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("shardOf(%q, %d, %v): %v; want an error saying %q", c.spec, c.count, c.env, err, c.errHas)
			}
			continue
		}
		if err != nil || sh != c.want {
			t.Errorf("shardOf(%q, %d, %v) = %v, %v; want %v", c.spec, c.count, c.env, sh, err, c.want)
		}
	}
}

// A grid's rows carry every field varied, in CSV and in sweep.json, and
// plot and report draw its capacity chart as a family of curves.
func TestSweepGridPlotAndReport(t *testing.T) {
	dir := t.TempDir()
	r := portsim("sweep", "--duration", "3s", "--warmup", "0s", "--range", "40000-40999", "--time-wait", "5s",
		"--vary", "rate=100,300", "--vary", "destinations=1,3", "--strategy", "linux", "--format", "csv", "--out", dir)
	if r.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "rate,destinations,kind,strategy,") || !strings.HasPrefix(lines[4], "300,3,connect,linux,") {
		t.Fatalf("want a header naming both fields and 4 rows:\n%s", r.stdout)
	}
	charts := filepath.Join(dir, "charts")
	if r := portsim("plot", dir, "--out", charts, "--format", "svg"); r.code != 0 {
		t.Fatalf("plot: exit %d\n%s", r.code, r.stderr)
	}
	svg, err := os.ReadFile(filepath.Join(charts, "capacity.svg"))
	if err != nil || !bytes.Contains(svg, []byte("destinations=3")) {
		t.Errorf("capacity.svg: %v; want a curve per destinations", err)
	}
	page := filepath.Join(dir, "report.html")
	if r := portsim("report", dir, "--out", page); r.code != 0 {
		t.Fatalf("report: exit %d\n%s", r.code, r.stderr)
	}
	html, err := os.ReadFile(page)
	if err != nil || !bytes.Contains(html, []byte("Sweep over rate × destinations")) || !bytes.Contains(html, []byte("300, 3")) {
		t.Errorf("report.html: %v; want the grid's fields in the heading and each row's values", err)
	}
}

// Before it starts, a sweep says on stderr how many runs and arrivals it
// has and about how long they take, and refuses one over --max-arrivals
// (issue 13: a 277-run sweep of up to 10^9 arrivals each was accepted
// silently).
func TestSweepEstimate(t *testing.T) {
	r := portsim("sweep", "--vary", "rate=100,200", "--duration", "2s", "--strategy", "linux", "--format", "csv")
	if r.code != 0 || !strings.HasPrefix(r.stderr, "sweep: 2 runs, 600 arrivals in all; about ") {
		t.Errorf("exit %d, stderr %q; want the runs, arrivals and time first", r.code, r.stderr)
	}
	big := cliCase{
		name:       "over --max-arrivals",
		args:       []string{"sweep", "--vary", "rate=1000:277000:1000", "--duration", "1000s", "--close", "reset", "--strategy", "linux"},
		wantCode:   exitUsage,
		wantStderr: []string{"--max-arrivals: 277 runs, 3.85e+10 arrivals in all; about ", "over the limit of 1e+10", "--max-arrivals 3.9e+10", "--shard I/N"},
	}
	big.check(t)
}

// --vary-file's points, crossed with a --vary; and the sweep's and
// merge's refusals of bad input.
func TestSweepVaryFileAndBadInput(t *testing.T) {
	dir := t.TempDir()
	points := filepath.Join(dir, "points.yaml")
	if err := os.WriteFile(points, []byte("- {rate: 100, destinations: 1}\n- {rate: 200, destinations: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := portsim("sweep", "--vary-file", points, "--vary", "time-wait=5s,10s", "--duration", "2s", "--strategy", "linux", "--format", "csv")
	want := []string{"rate,destinations,time-wait,kind,strategy,", "100,1,5s,", "100,1,10s,", "200,2,5s,", "200,2,10s,"}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != len(want) {
		t.Fatalf("exit %d, %d lines; want %d:\n%s%s", r.code, len(lines), len(want), r.stdout, r.stderr)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q; want it to start %q", i, lines[i], w)
		}
	}

	parts := filepath.Join(dir, "parts")
	if r := portsim("sweep", "--vary", "rate=100,200", "--duration", "2s", "--strategy", "linux", "--shard", "1/2", "--out", parts); r.code != 0 {
		t.Fatalf("sweep --shard 1/2: exit %d\n%s", r.code, r.stderr)
	}
	part := filepath.Join(parts, "sweep-part-1-of-2.json")

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("rate,bogus\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []cliCase{
		{name: "bad points file", args: []string{"sweep", "--vary-file", bad}, wantCode: exitUsage, wantStderr: []string{"--vary-file", "bad.csv:1", `"bogus" is not a field`}},
		{name: "a field twice", args: []string{"sweep", "--vary", "rate=1,2", "--vary", "rate=3"}, wantCode: exitUsage, wantStderr: []string{"--vary: rate: varied twice"}},
		{name: "makeslice", args: []string{"sweep", "--vary", "rate=0:1e308:1e-300"}, wantCode: exitUsage, wantStderr: []string{"--vary", "too many values; want at most 1000"}},
		{name: "shard without out", args: []string{"sweep", "--vary", "rate=1,2", "--shard", "0/2"}, wantCode: exitUsage, wantStderr: []string{"--out: none given"}},
		{name: "bad shard", args: []string{"sweep", "--vary", "rate=1,2", "--shard", "2/2", "--out", dir}, wantCode: exitUsage, wantStderr: []string{"--shard", "want 0 to 1"}},
		{name: "negative jobs", args: []string{"sweep", "--vary", "rate=1,2", "--jobs", "-1"}, wantCode: exitUsage, wantStderr: []string{"--jobs: -1 is negative"}},
		{name: "merge nothing", args: []string{"merge"}, wantCode: exitUsage, wantStderr: []string{"no parts given"}},
		{name: "merge no parts", args: []string{"merge", dir}, wantCode: exitUsage, wantStderr: []string{"no sweep-part-*.json in it"}},
		{name: "merge not a part", args: []string{"merge", points}, wantCode: exitUsage, wantStderr: []string{"points.yaml: not JSON"}},
		{name: "plot a part", args: []string{"plot", part, "--out", dir}, wantCode: exitUsage, wantStderr: []string{"one part of a sharded sweep", "portsim merge"}},
		{name: "merge missing file", args: []string{"merge", filepath.Join(dir, "nope.json")}, wantCode: exitUsage, wantStderr: []string{"nope.json"}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}
