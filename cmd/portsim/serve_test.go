package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/portsim/portsim/internal/headless"
	"github.com/portsim/portsim/serve"
)

func TestServeListen(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		loopback bool
		bad      bool
	}{
		{"127.0.0.1:8080", true, false},
		{"127.9.9.9:0", true, false},
		{"localhost:8080", true, false},
		{"[::1]:8080", true, false},
		{":8080", false, false},
		{"0.0.0.0:8080", false, false},
		{"[::]:8080", false, false},
		{"192.0.2.1:8080", false, false},
		{"example.com:8080", false, false},
		{"8080", false, true},
	} {
		got, err := isLoopback(tc.addr)
		if got != tc.loopback || (err != nil) != tc.bad {
			t.Errorf("isLoopback(%q) = %v, %v; want %v, error %v", tc.addr, got, err, tc.loopback, tc.bad)
		}
	}
	for _, tc := range []struct{ args, want string }{
		{"serve --listen 0.0.0.0:0", "--listen: 0.0.0.0:0 can be reached from other machines; give --allow-remote"},
		{"serve --listen 8080", `--listen: "8080" is not HOST:PORT`},
		{"serve --max-runs -1", "--max-runs: -1 is out of range"},
		{"serve --timeout -1s", "--timeout: -1s is out of range"},
		{"serve --max-arrivals NaN", "--max-arrivals: NaN is out of range"},
		{"serve extra", `unexpected argument "extra"`},
	} {
		r := portsim(strings.Fields(tc.args)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, %q; want exit 2 saying %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// The page's scenario file runs unchanged with 'portsim run --scenario' and
// gives the figures the page shows.
func TestServeScenarioFileRuns(t *testing.T) {
	srv := serve.New(serve.Config{})
	q := "rate=600&lifetime=exp:2s&destinations=2&popularity=zipf:1.1&strategy=sequential,linux:table-order=8,profile:macos"
	file := get(t, srv, "/api/scenario.yaml?"+q)
	path := filepath.Join(t.TempDir(), "portsim-scenario.yaml")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	r := portsim("run", "--scenario", path, "--format", "json")
	if r.code != 0 {
		t.Fatalf("run --scenario: exit %d\n%s\nthe file:\n%s", r.code, r.stderr, file)
	}
	var ran struct {
		Results []struct {
			Strategy              string
			Allocations, Failures int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &ran); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Rows [][]string
	}
	if err := json.Unmarshal(get(t, srv, "/api/run?"+q), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 3 || len(ran.Results) != 3 {
		t.Fatalf("page has %d rows, run %d results; want 3", len(page.Rows), len(ran.Results))
	}
	for i, res := range ran.Results {
		row := page.Rows[i]
		if row[0] != res.Strategy || row[1] != strconv.Itoa(res.Allocations) || row[2] != strconv.Itoa(res.Failures) {
			t.Errorf("page shows %v; run --scenario gives %s %d allocations, %d failures", row[:3], res.Strategy, res.Allocations, res.Failures)
		}
	}
}

func get(t *testing.T, h http.Handler, target string) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", target, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// TestServeInBrowser drives the page in headless Chromium as a student
// would: it pushes the rate past one destination's capacity and sees the
// failures and the capacity markers change, steps through five picks and
// checks them against 'portsim explain' run with the command the page
// shows, reloads the URL and gets the same charts, and fails if the page
// fetches anything from outside the server. Screenshots are left in the
// test's temporary directory, and in PORTSIM_SERVE_SCREENSHOTS (a
// directory) when it is set.
func TestServeInBrowser(t *testing.T) {
	bin := headless.Chromium()
	if bin == "" {
		t.Skip("chromium not installed; .ci/run installs it")
	}
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	ts := httptest.NewServer(serve.New(serve.Config{LoopbackOnly: true}))
	defer ts.Close()
	shots := t.TempDir()

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser without a timeout
		t.Fatal(err)
	}
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()

	// Every request the page makes is paused here: the server's go on, any
	// other fails and is remembered.
	var mu sync.Mutex
	var outside []string
	paused := make(chan *fetch.EventRequestPaused, 64)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-paused:
				if strings.HasPrefix(e.Request.URL, ts.URL+"/") {
					chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
					continue
				}
				mu.Lock()
				outside = append(outside, e.Request.URL)
				mu.Unlock()
				chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
			}
		}
	}()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatal(err)
	}

	eval := func(js string, v any) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
	}
	wait := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", js, err)
		}
	}
	const ready = `document.body.dataset.runs === "%s" && document.body.dataset.busy === "false" && document.body.dataset.walk !== undefined`
	type column struct {
		Failures []string
		Over     []string
		CX       []string
	}
	state := func() (c column) {
		eval(`({Failures: [...document.querySelectorAll('#results td[data-col="failures"]')].map(td => td.textContent),
			Over: [...document.querySelectorAll(".cap-marker")].map(m => m.dataset.over),
			CX: [...document.querySelectorAll(".cap-marker")].map(m => m.getAttribute("cx"))})`, &c)
		return c
	}
	runMS := func() string {
		var ms string
		eval(`document.body.dataset.runMs + " ms (" + document.querySelector("#status").textContent + ")"`, &ms)
		return ms
	}

	// The default scenario: nothing fails, every marker is short of its line.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	wait(strings.Replace(ready, "%s", "1", 1))
	t.Logf("the default scenario ran and drew in %s in the browser", runMS())
	before := state()
	if len(before.Failures) != 3 || strings.Join(before.Failures, ",") != "0,0,0" || strings.Join(before.Over, ",") != "false,false,false" {
		t.Fatalf("default scenario: failures %v, markers over %v; want none", before.Failures, before.Over)
	}

	// Past one destination's capacity (about 460/s): failures, red markers.
	if err := chromedp.Do(ctx, chromedp.SetValue("#f-rate", "900"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-rate").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	wait(strings.Replace(ready, "%s", "2", 1))
	t.Logf("rate 900 ran and drew in %s in the browser", runMS())
	after := state()
	for i := range after.Failures {
		if after.Failures[i] == "0" || after.Over[i] != "true" || after.CX[i] == before.CX[i] {
			t.Errorf("strategy %d at rate 900: failures %s, marker over %s at %s (was %s); want failures and a moved red marker",
				i, after.Failures[i], after.Over[i], after.CX[i], before.CX[i])
		}
	}
	var charts, location string
	eval(`document.querySelector("#charts").innerHTML`, &charts)
	shot(t, ctx, shots, "serve-explore.png")

	// Step through five picks of random on a small range, so some collide.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#tab-step").click();
			document.querySelector("#x-strategy").value = "random";
			document.querySelector("#x-seed").value = "7";
			document.querySelector("#x-range").value = "50000-50007";
			document.querySelector("#x-range").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector("#command").textContent.includes("--range 50000-50007")`)
	for range 5 {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#p-step").click()`)); err != nil {
			t.Fatal(err)
		}
	}
	var picks [][2]string
	var command string
	eval(`[...document.querySelectorAll("#picks li")].map(li => [li.dataset.port, li.dataset.probes])`, &picks)
	eval(`document.querySelector("#command").textContent`, &command)
	args := strings.Fields(command)
	if len(args) < 2 || args[0] != "portsim" || args[1] != "explain" {
		t.Fatalf("command %q is not a portsim explain", command)
	}
	r := portsim(append(args[1:], "--format", "csv")...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", command, r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) < 6 {
		t.Fatalf("explain's csv: %v\n%s", err, r.stdout)
	}
	if len(picks) != 5 {
		t.Fatalf("%d picks shown after five steps", len(picks))
	}
	collided := false
	for i, p := range picks {
		want := [2]string{rows[i+1][5], rows[i+1][6]} // port, probes
		if p != want {
			t.Errorf("pick %d: page shows port %s after %s probes; %s gives %s after %s", i+1, p[0], p[1], command, want[0], want[1])
		}
		collided = collided || p[1] != "1"
	}
	if !collided {
		t.Error("no pick of the five collided; want a walk that shows probes rejected")
	}
	shot(t, ctx, shots, "serve-step.png")

	// The URL carries it all: a reload draws the same charts.
	eval(`location.href`, &location)
	if !strings.Contains(location, "rate=900") || !strings.Contains(location, "step.range=50000-50007") {
		t.Errorf("URL %s does not carry the scenario and the walk", location)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	wait(strings.Replace(ready, "%s", "1", 1))
	var again, rate string
	eval(`document.querySelector("#charts").innerHTML`, &again)
	eval(`document.querySelector("#f-rate").value`, &rate)
	if again != charts || rate != "900" {
		t.Errorf("after a reload: rate %q, charts the same: %v; want 900 and the same charts", rate, again == charts)
	}
	var shownCmd string
	eval(`document.querySelector("#command").textContent`, &shownCmd)
	if shownCmd != command {
		t.Errorf("after a reload the walk is %q, want %q", shownCmd, command)
	}

	// Back to the default scenario: the re-run the speed target is about.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#tab-explore").click();
		document.querySelector("#f-rate").value = "100";
		document.querySelector("#f-rate").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	wait(strings.Replace(ready, "%s", "2", 1))
	t.Logf("the default scenario re-ran and redrew in %s in the browser", runMS())

	mu.Lock()
	defer mu.Unlock()
	if len(outside) > 0 {
		t.Errorf("the page fetched from outside the server: %v", outside)
	}
}

// shot saves a screenshot of the viewport as dir/name, and in
// PORTSIM_SERVE_SCREENSHOTS when it is set.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("PORTSIM_SERVE_SCREENSHOTS"); keep != "" {
		if err := os.WriteFile(filepath.Join(keep, name), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}
