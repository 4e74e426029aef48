package serve

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/sim"
)

// do sends one request to s and decodes its JSON answer, if any.
func do(t testing.TB, s http.Handler, method, target, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var m map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, target, err, rec.Body)
		}
	}
	return rec, m
}

// Bad input from the page is a 400 naming its field: never a 500, never
// a panic.
func TestBadInput(t *testing.T) {
	s := New(Config{})
	for _, tc := range []struct {
		method, target, body, field string
	}{
		{"GET", "/api/run?strategy=nosuch", "", "strategy"},
		{"GET", "/api/run?strategy=linux:table-order=99", "", "strategy"},
		{"GET", "/api/run?rate=1e300", "", "rate"},
		{"GET", "/api/run?rate=NaN", "", "rate"},
		{"GET", "/api/run?rate=-5", "", "rate"},
		{"GET", "/api/run?rate=50000&duration=10m", "", "rate"},
		{"GET", "/api/run?rate=fast", "", "rate"},
		{"GET", "/api/run?destinations=99999999999", "", "destinations"},
		{"GET", "/api/run?duration=1000000h", "", "duration"},
		{"GET", "/api/run?warmup=5m", "", "warmup"},
		{"GET", "/api/run?range=0-70000", "", "range"},
		{"GET", "/api/run?lifetime=exp:-1s", "", "lifetime"},
		{"GET", "/api/run?kind=sideways", "", "kind"},
		{"GET", "/api/run?preset=nosuch", "", "preset"},
		{"GET", "/api/run?why=70000", "", "why"},
		{"GET", "/api/run?scenario=/etc/passwd", "", "scenario"},
		{"GET", "/api/run?file=x.yaml", "", "file"},
		{"GET", "/api/run?rate=1&rate=2", "", "rate"},
		{"GET", "/api/run?rate=" + strings.Repeat("9", 20000), "", "query"},
		{"GET", "/api/scenario.yaml?tw-reuse=sometimes", "", "tw-reuse"},
		{"GET", "/api/explain?strategy=nosuch", "", "strategy"},
		{"GET", "/api/explain?profile=nosuch", "", "profile"},
		{"GET", "/api/explain?strategy=linux&profile=macos", "", "profile"},
		{"GET", "/api/explain?count=1000000", "", "count"},
		{"GET", "/api/explain?count=-1", "", "count"},
		{"GET", "/api/explain?seed=-1", "", "seed"},
		{"GET", "/api/explain?interval=-1s", "", "interval"},
		{"GET", "/api/explain?interval=9000000h&count=200", "", "interval"},
		{"GET", "/api/explain?dst=192.0.2.1", "", "dst"},
		{"GET", "/api/explain?dst=192.0.2.1:443&src=fd00::1", "", "src"},
		{"GET", "/api/explain?src=nowhere", "", "src"},
		{"GET", "/api/explain?range=9-1", "", "range"},
		{"GET", "/api/explain?reserved=x", "", "reserved"},
		{"GET", "/api/explain?kind=sideways", "", "kind"},
		{"GET", "/api/explain?close=maybe", "", "close"},
		{"GET", "/api/explain?path=/etc/passwd", "", "path"},
		{"GET", "/api/explain?range=50000-50001&count=200&strategy=random-pick", "", ""}, // fine: a full range fails cheaply
		{"POST", "/api/scenario", strings.Repeat("# padding\n", 10000), "body"},
		{"POST", "/api/scenario", "rate: fast\n", "rate"},
		{"POST", "/api/scenario", "preset: nosuch\n", "preset"},
		{"POST", "/api/scenario", "[1, 2]\n", "body"},
		{"POST", "/api/scenario", "rate: 1e9\nduration: 1h\n", "rate"},
	} {
		rec, m := do(t, s, tc.method, tc.target, tc.body)
		name := tc.method + " " + tc.target
		if len(name) > 80 {
			name = name[:80] + "…"
		}
		if tc.field == "" {
			if rec.Code != http.StatusOK {
				t.Errorf("%s: status %d, want 200: %s", name, rec.Code, rec.Body)
			}
			continue
		}
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, rec.Code, rec.Body)
			continue
		}
		if m["field"] != tc.field {
			t.Errorf("%s: field %v, want %q: %s", name, m["field"], tc.field, m["error"])
		}
		if msg, _ := m["error"].(string); !strings.HasPrefix(msg, tc.field+":") && !strings.Contains(msg, " "+tc.field+": ") {
			t.Errorf("%s: error %q does not name %s", name, msg, tc.field)
		}
	}
}

// runAnswerOf runs a query on a fresh server and returns its answer
// without the timing, which is the clock's.
func runAnswerOf(t *testing.T, query string) runAnswer {
	t.Helper()
	rec, _ := do(t, New(Config{}), "GET", "/api/run?"+query, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", query, rec.Code, rec.Body)
	}
	var a runAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	a.Timing = timing{}
	return a
}

// The same query gives the same answer, charts included, from two servers.
func TestRunIsDeterministic(t *testing.T) {
	q := "rate=600&destinations=2&popularity=zipf:1.1&strategy=sequential,linux"
	a, b := runAnswerOf(t, q), runAnswerOf(t, q)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs of one query differ")
	}
	if a.Query != q {
		t.Errorf("canonical query %q, want %q", a.Query, q)
	}
	if len(a.Charts) != 7 || a.Charts[0].Name != "port-signature" || !strings.HasPrefix(a.Charts[0].SVG, "<svg") {
		t.Errorf("charts: want plots.All's seven, the port signature first, as inline SVG; got %d", len(a.Charts))
	}
	for i, r := range a.Rows {
		if len(r) != len(a.Columns) {
			t.Errorf("row %d has %d cells for %d columns", i, len(r), len(a.Columns))
		}
	}
}

// Past the one-destination capacity the gauge says so and the run fails;
// below it neither.
func TestCapacity(t *testing.T) {
	for _, tc := range []struct {
		query string
		over  bool
	}{
		{"", false},
		{"rate=900", true},
		{"rate=900&close=reset&lifetime=fixed:50ms", false}, // nothing waits in TIME_WAIT
		{"rate=900&destinations=4", false},                  // connect() shares ports across destinations
		{"rate=900&destinations=4&kind=bind", true},         // bind() does not
	} {
		a := runAnswerOf(t, tc.query)
		for i, c := range a.Capacity {
			failed := a.Rows[i][2] != "0"
			if c.Over != tc.over || failed != tc.over {
				t.Errorf("%q %s: over %v (limit %.0f/s), failures %s; want over and failures %v", tc.query, c.Strategy, c.Over, c.Limit, a.Rows[i][2], tc.over)
			}
		}
	}
}

// The downloaded file reads back, as 'portsim run --scenario' reads it, as
// the scenario that ran.
func TestScenarioFileRoundTrip(t *testing.T) {
	s := New(Config{})
	q := "preset=browser&rate=12&strategy=linux:table-order=8,profile:macos&reserved=8080,9000-9100"
	rec, _ := do(t, s, "GET", "/api/scenario.yaml?"+q, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want, _, err := s.scenarioOf(mustQuery(t, q))
	if err != nil {
		t.Fatal(err)
	}
	got := sim.DefaultScenario()
	got.Strategies = nil // as run starts
	if err := sim.ParseFile("download", rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("the file does not parse: %v\n%s", err, rec.Body)
	}
	if !reflect.DeepEqual(got.Resolved(), want.Resolved()) {
		t.Errorf("file reads back as\n%v\nwant\n%v", got.Resolved(), want.Resolved())
	}
	// Posted back, the file gives the query of the same scenario.
	_, m := do(t, s, "POST", "/api/scenario", rec.Body.String())
	back, _, err := s.scenarioOf(mustQuery(t, m["query"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Resolved(), want.Resolved()) {
		t.Errorf("posted file gives %v, want %v", back.Resolved(), want.Resolved())
	}
}

func mustQuery(t *testing.T, q string) url.Values {
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// /api/explain's picks are sim.Picks' for the same settings.
func TestExplainIsPicks(t *testing.T) {
	rec, _ := do(t, New(Config{}), "GET", "/api/explain?strategy=random&range=50000-50003&count=10&seed=3&dst=192.0.2.1:80,192.0.2.2:80", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var w walk
	if err := json.Unmarshal(rec.Body.Bytes(), &w); err != nil {
		t.Fatal(err)
	}
	wantCmd := "portsim explain --strategy random --seed 3 --count 10 --interval 1s --dst 192.0.2.1:80 --dst 192.0.2.2:80 --range 50000-50003"
	if w.Command != wantCmd {
		t.Errorf("command %q, want %q", w.Command, wantCmd)
	}
	p, err := sim.NewPicks(sim.PickConfig{Spec: "random", Seed: 3, Count: 10, Interval: time.Second,
		Range: mustRange(t, "50000-50003"), Dsts: w.dsts(t)})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for pk, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		got := w.Picks[i]
		if got.Port != pk.Port || got.Probes != pk.Probes || len(got.Steps) != len(pk.Steps) || got.Dst != pk.Dst.String() {
			t.Errorf("pick %d: port %d after %d probes (%d steps), want %d after %d (%d steps)", pk.N, got.Port, got.Probes, len(got.Steps), pk.Port, pk.Probes, len(pk.Steps))
		}
		i++
	}
	if i != len(w.Picks) || w.Totals.Failures != 2 {
		t.Errorf("%d picks, %d failures; want %d picks, 2 failures (4 ports, 2 destinations: 8 4-tuples for 10 picks)", len(w.Picks), w.Totals.Failures, i)
	}
}

func (w *walk) dsts(t *testing.T) []netip.AddrPort {
	var out []netip.AddrPort
	for _, d := range w.Dst {
		ap, err := netip.ParseAddrPort(d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ap)
	}
	return out
}

func mustRange(t *testing.T, s string) allocator.Range {
	r, err := allocator.ParseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A server at its limit answers 503 with a message, after a short wait.
func TestBusy(t *testing.T) {
	s := New(Config{Limits: Limits{MaxRuns: 1, MaxQueue: 1, QueueWait: 10 * time.Millisecond}})
	s.slots <- struct{}{} // a run that does not end
	rec, m := do(t, s, "GET", "/api/run", "")
	if rec.Code != http.StatusServiceUnavailable || m["busy"] != true || !strings.Contains(m["error"].(string), "busy") {
		t.Errorf("status %d %v; want 503 saying busy", rec.Code, m)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	<-s.slots
	if rec, _ := do(t, s, "GET", "/api/explain", ""); rec.Code != http.StatusOK {
		t.Errorf("after the run ended: status %d", rec.Code)
	}
}

// A run past the timeout is stopped and answered with a 503.
func TestTimeout(t *testing.T) {
	s := New(Config{Limits: Limits{Timeout: time.Nanosecond}})
	rec, m := do(t, s, "GET", "/api/run", "")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(m["error"].(string), "limit of 1ns") {
		t.Errorf("status %d %v; want 503 naming the limit", rec.Code, m)
	}
}

// Bound to loopback, the server answers only loopback names.
func TestLoopbackOnly(t *testing.T) {
	s := New(Config{LoopbackOnly: true})
	for host, want := range map[string]int{
		"127.0.0.1:8080": 200, "localhost:8080": 200, "[::1]:8080": 200, "127.1.2.3": 200,
		"evil.example:8080": 403, "192.0.2.1:8080": 403, "": 403,
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: status %d, want %d", host, rec.Code, want)
		}
	}
}

// The page is one document that loads nothing: no element that fetches,
// and a policy that forbids it.
func TestPageIsSelfContained(t *testing.T) {
	rec, _ := do(t, New(Config{}), "GET", "/", "")
	page := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(page, "Step through") {
		t.Fatalf("status %d", rec.Code)
	}
	for _, bad := range []string{"<link", " src=", "@import", "url(", "//cdn", "https://", "/*CONFIG*/", "/*JS*/", "/*CSS*/"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "connect-src 'self'", "script-src 'sha256-"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	// Every scenario field has a control, from the field table.
	for _, name := range sim.FieldNames() {
		if !strings.Contains(page, `"name":"`+name+`"`) {
			t.Errorf("no control for field %s", name)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"rate=100", ""}, // the default
		{"rate=600.0&seed=1", "rate=600"},
		{"why=80&rate=200", "rate=200&why=80"},
		{"preset=browser&rate=5", "preset=browser"},
		{"strategy=linux,sequential", "strategy=linux,sequential"},
		{"name=a b&lifetime=lognormal:2s,1.5", "name=a+b&lifetime=lognormal:2s,1.5"},
	} {
		q := mustQuery(t, tc.in)
		sc, base, err := New(Config{}).scenarioOf(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonicalQuery(&sc, &base, q); got != tc.want {
			t.Errorf("%q: canonical %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBusiestShare(t *testing.T) {
	for _, tc := range []struct {
		pop  string
		n    int
		want float64
	}{
		{"uniform", 4, 0.25},
		{"zipf:1", 3, 1 / (1 + 1/2.0 + 1/3.0)},
		{"zipf:1", 1_000_000, 1 / 14.392726722864},    // H(10^6)
		{"zipf:2", 4_000_000, 1 / 1.6449338668482264}, // close to π²/6
	} {
		sc := DefaultScenario()
		if err := sc.Set("popularity", tc.pop); err != nil {
			t.Fatal(err)
		}
		sc.Destinations = tc.n
		if got := busiestShare(&sc); abs(got/tc.want-1) > 1e-6 {
			t.Errorf("%s over %d: %g, want %g", tc.pop, tc.n, got, tc.want)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// FuzzQuery: no query makes reading a scenario or an explain panic, and
// each one is read or refused naming a field.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"rate=600", "strategy=linux:table-order=8", "preset=browser&why=62412",
		"count=5&dst=192.0.2.1:80", "range=1-2&reserved=1", "kind=connect=0.5,udp=0.5", "ipv6=true&src=fd00::2"} {
		f.Add(s)
	}
	s := New(Config{})
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if _, _, err := s.scenarioOf(q); err != nil {
			if se, ok := err.(*statusError); !ok || se.status != 400 || se.Field == "" {
				t.Errorf("scenario %q: %v is not a 400 naming a field", raw, err)
			}
		}
		if _, _, err := s.picksOf(q); err != nil {
			if se, ok := err.(*statusError); !ok || se.status != 400 || se.Field == "" {
				t.Errorf("explain %q: %v is not a 400 naming a field", raw, err)
			}
		}
	})
}
