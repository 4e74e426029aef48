// Package serve is portsim's explorer in the browser: an HTTP handler
// (standard library only) serving one self-contained page and the small
// JSON API behind it. A student turns the knobs of a scenario and sees the
// simulation re-run, steps through one strategy's picks, and asks the
// report's questions of the current scenario.
//
// The page has three tabs:
//
//   - Explore: a control per scenario field, built from sim's field table
//     (sim.Fields), never a second list; each change re-runs the scenario
//     on the server (GET /api/run) and swaps in the results table, a
//     capacity gauge per strategy (the rate against what the busiest
//     port pool sustains) and the charts of package plots, as SVG. The
//     URL's query carries the scenario (the fields that differ from the
//     page's default or a preset), so a link or a reload shows the same
//     run; GET /api/scenario.yaml turns it into a scenario file that
//     'portsim run --scenario' reads unchanged, and POST /api/scenario
//     reads one back.
//   - Step through: GET /api/explain takes the flags of 'portsim explain'
//     (strategy, profile, seed, count, dst, src, range, reserved, kind,
//     close, interval) and returns every pick with its steps, from the
//     same sim.Picks that explain prints, with the command line that
//     prints them. The page draws each pick as a strip of the port range
//     (free, in use, TIME_WAIT, reserved) with the candidates probed in
//     order.
//   - Ask: "why did my browser use source port 62412?" and "how many
//     connections per second to one server before EADDRNOTAVAIL?",
//     answered for the current scenario, and report.Findings.
//
// # Limits
//
// The handler keeps a server responsive whoever calls it (Limits): a cap
// on the simulated arrivals of one request, summed over its strategies; a
// timeout per run; at most MaxRuns runs at once, with up to MaxQueue more
// waiting briefly before a 503 that says so; request bodies and query
// strings bounded; at most MaxPicks picks per explain. Nothing the page
// sends is a file path: the API takes field values, never names of files,
// and reads nothing from disk. Bad input is a 400 whose JSON names the
// field ({"field": "rate", "error": "rate: ..."}); a panic is recovered
// into a 500 that says it is a bug.
//
// Bound to loopback, the handler also refuses requests whose Host header
// is not a loopback name or address (Config.LoopbackOnly), so a web page
// elsewhere cannot reach it by DNS rebinding. The page fetches nothing
// from outside the server: its script and style are inline, the charts
// are inline SVG, and its Content-Security-Policy allows nothing else.
//
// # Determinism and speed
//
// The same query gives the same bytes: the simulation is deterministic,
// the charts are drawn from its results alone, and the port signature
// thins each strategy's allocations to every k-th, k fixed by the
// scenario. The page's default scenario (DefaultScenario: one destination,
// two minutes, three strategies) re-runs and redraws in well under 300 ms
// on two cores; BenchmarkRun measures it.
package serve
